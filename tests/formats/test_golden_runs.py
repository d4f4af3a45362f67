"""Golden files of every output format, from real runs of the CLI (not hand-built reports).

Hand-built reports (format_cases.py) test each formatter's mapping; they cannot notice a field
that the pipeline fills and a format drops. These runs go through ``cli.main`` as a user types
it, write every format the CLI offers (``formats.base.NAMES``) in one run, and compare each file
with ``tests/golden/<run>/report<extension>``. Each output also goes through its official
validator (SARIF 2.1.0, the published report.schema.json, CycloneDX 1.6, SPDX 2.3, SPDX 3.0.1).

What truly varies between machines is pinned or normalised, nothing else: the clock by
``SOURCE_DATE_EPOCH`` (conftest), paths by running from the repo root with relative paths (the
test fails if an absolute path of the checkout appears), the tool's version by a placeholder.
Regenerate with ``UPDATE_GOLDEN=1 pytest tests/formats/test_golden_runs.py`` and review the diff.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_python_model import v3_0_1 as s
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from auditor import __version__, cli
from auditor.errors import EXIT_FINDINGS, EXIT_UNRESOLVED
from auditor.formats import base

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = Path(__file__).resolve().parent / "schemas"
REPORT_SCHEMA = ROOT / "auditor" / "schema" / "report.schema.json"
FIXTURE_HUB = "tests/fixtures/golden-run/hub"  # acme/waived-lora, laid out like the Hub


@dataclass(frozen=True)
class Run:
    """One CLI invocation: its arguments (without --format/--output) and its exit code."""

    args: tuple[str, ...]
    exit_code: int


RUNS = {
    # The README's example and its two siblings, as the README runs them (offline, mirror).
    "example": Run(
        (
            "--mirror", "examples/hub", "--offline", "--verify", "header",
            "Ailiance-fr/apertus-math-lora", "Ailiance-fr/apertus-math-orca-lora",
            "Ailiance-fr/apertus-math-drift-lora",
        ),
        EXIT_FINDINGS,
    ),
    # An adapter with a waiver in force, an unused one and an expired one, a dataset
    # the offline run cannot look at (incomplete), every severity; next to an unresolved target.
    "incomplete": Run(
        ("--mirror", "examples/hub", "--mirror", FIXTURE_HUB, "--offline", "--verify", "none",
         "acme/waived-lora", "Ailiance-fr/no-such-lora"),
        EXIT_UNRESOLVED,
    ),
}

_VERSION = re.compile(r"(?<![\w.])" + re.escape(__version__) + r"(?![\w.])")


def normalise(text: str) -> str:
    """The tool's own version becomes a placeholder (a release must not rewrite goldens)."""
    return _VERSION.sub("<version>", text)


def run_cli(run: Run, out: Path) -> tuple[int, dict[str, str]]:
    """Run the CLI once with every format, each to its own file; return the code and texts."""
    fmt_args: list[str] = []
    for name in base.NAMES:
        fmt_args += ["--format", name, "--output", str(out / name)]
    code = cli.main([*run.args, *fmt_args])
    return code, {name: (out / name).read_text(encoding="utf-8") for name in base.NAMES}


def pin_environment(mp: pytest.MonkeyPatch) -> None:
    """What a run may read from its surroundings, the same on every machine."""
    mp.chdir(ROOT)  # relative paths: the report must not depend on where the checkout is
    mp.setenv("COLUMNS", "110")
    mp.setenv("SOURCE_DATE_EPOCH", "0")
    mp.setenv("HF_HOME", "tests/fixtures/golden-run/no-hf-cache")  # never created
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE",
                "TRANSFORMERS_OFFLINE", "HF_TOKEN", "AILIANCE_AUDIT_MIRROR"):
        mp.delenv(var, raising=False)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, dict[str, str]]]:
    """Each run once (module scope: one pipeline run per case serves all the format tests)."""
    done: dict[str, tuple[int, dict[str, str]]] = {}
    with pytest.MonkeyPatch.context() as mp:
        pin_environment(mp)
        for name, run in RUNS.items():
            done[name] = run_cli(run, tmp_path_factory.mktemp(name))
    return done


@pytest.mark.parametrize("run_name", sorted(RUNS))
@pytest.mark.parametrize("fmt", base.NAMES)
def test_every_format_of_a_real_run_is_golden(
    run_name: str,
    fmt: str,
    outputs: dict[str, tuple[int, dict[str, str]]],
    check_golden: Callable[[str, str, str], None],
) -> None:
    code, texts = outputs[run_name]
    assert code == RUNS[run_name].exit_code
    assert str(ROOT) not in texts[fmt]  # no absolute path of the checkout leaks into a report
    check_golden(run_name, base.get(fmt).extension, normalise(texts[fmt]))


@pytest.mark.parametrize("run_name", sorted(RUNS))
def test_a_second_run_writes_the_same_bytes(
    run_name: str,
    outputs: dict[str, tuple[int, dict[str, str]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pin_environment(monkeypatch)
    assert run_cli(RUNS[run_name], tmp_path) == outputs[run_name]


def test_the_runs_cover_what_the_formats_must_carry(
    outputs: dict[str, tuple[int, dict[str, str]]],
) -> None:
    """The cases are worth their goldens: every severity, waivers, incomplete and unresolved."""
    report = json.loads(outputs["incomplete"][1]["json"])
    local, missing = report["targets"]
    assert {f["severity"] for f in local["findings"]} == {"error", "warning", "note", "info"}
    rules = {f["rule_id"] for f in local["findings"]}
    assert {"waiver.expired", "waiver.unused"} <= rules
    assert [f["rule_id"] for f in local["findings"] if f.get("suppressed_by")] == [
        "adapter.library-mismatch"
    ]
    assert any("acme/arithmetic-private" in gap for gap in local["incomplete"])
    assert missing["status"] == "unresolved"


@pytest.mark.parametrize("run_name", sorted(RUNS))
def test_real_runs_pass_the_official_validators(
    run_name: str,
    outputs: dict[str, tuple[int, dict[str, str]]],
    tmp_path: Path,
    no_network: None,
) -> None:
    texts = outputs[run_name][1]
    sarif_schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    sarif = json.loads(texts["sarif"])
    assert [e.message for e in jsonschema.Draft4Validator(sarif_schema).iter_errors(sarif)] == []

    report_schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(report_schema)(report_schema)
    assert [e.message for e in validator.iter_errors(json.loads(texts["json"]))] == []

    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(texts["cyclonedx"]) is None

    spdx = tmp_path / "report.spdx.json"
    spdx.write_text(texts["spdx"], encoding="utf-8")
    assert validate_full_spdx_document(parse_file(str(spdx))) == []

    objects = s.SHACLObjectSet()
    s.JSONLDDeserializer().read(io.BytesIO(texts["spdx3"].encode()), objects)
    assert objects.link() == set()
