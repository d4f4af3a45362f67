"""The published JSON Schema is the one the models generate (a model change regenerates it)."""

from pathlib import Path

from auditor.formats.json import schema

SCHEMA = Path(__file__).resolve().parents[2] / "auditor" / "schema" / "report.schema.json"


def test_published_schema_matches_the_models() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == schema(), (
        "regenerate: python -c 'from auditor.formats.json import schema; "
        "open(\"auditor/schema/report.schema.json\", \"w\").write(schema())'"
    )
