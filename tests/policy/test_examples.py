"""The bundled example hub (examples/hub): the seed adapter's findings and the clean example.

Run with the default verification level (mlx-lm loads the adapter onto the lazily built base
architecture), as ``ailiance-audit --mirror examples/hub Ailiance-fr/apertus-math-lora`` does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor.errors import EXIT_FINDINGS, EXIT_OK

from .helpers import audit_json, of_rule

pytestmark = pytest.mark.mlx


def test_seed_adapter_reports_each_finding_with_file_and_line(
    tmp_path: Path, example_hub: Path
) -> None:
    code, report = audit_json(
        example_hub, "Ailiance-fr/apertus-math-lora", tmp_path / "r.json", verify="load"
    )
    assert code == EXIT_FINDINGS
    where = {
        "license.gated-terms-dropped": 3,  # base_model line
        "license.lineage-undeclared": 3,
        "license.conflict-in-card": 76,  # "... CC-BY-SA-4.0 and propagates to this adapter"
        "aiact.statement-contradicted": 68,  # "All upstream components are Apache 2.0 / MIT"
        "adapter.card-self-inconsistent": 57,  # "AdamW" in the roadmap vs "Adam" in the table
    }
    for rule, line in where.items():
        found = of_rule(report, rule)
        assert found, rule
        assert [(f["location"]["file"], f["location"]["line"]) for f in found] == [
            ("README.md", line)
        ], rule
    assert of_rule(report, "license.gated-terms-dropped")[0]["node"] == (
        "swiss-ai/Apertus-70B-Instruct-2509"
    )


def test_seed_adapter_scope_note(tmp_path: Path, example_hub: Path) -> None:
    _, report = audit_json(
        example_hub, "Ailiance-fr/apertus-math-lora", tmp_path / "r.json", verify="load"
    )
    (scope,) = of_rule(report, "aiact.scope")
    assert scope["severity"] == "info"
    ev = scope["evidence"]
    compute = report["targets"][0]["compute"]
    assert compute["ft_flop"] < 1e18
    assert 1.5e24 < compute["one_third_threshold"] < 2.5e24
    assert compute["provider_presumed"] is False
    assert ev["ft_flop"] == "2.17×10^17" and ev["one_third_threshold"] == "2.12×10^24"
    message = scope["message"]
    for shown in (
        "7.06×10^10 parameters",
        "1.5×10^13 tokens",
        "6.35×10^24 FLOP",
        "5.12×10^5 fine-tuning tokens",
        "2.17×10^17 FLOP",
        "one-third threshold",
        "ratio 1.02×10^-7",
        "assumptions:",
        "upper bound",
    ):
        assert shown in message, shown
    assert re.search(r"not presumed a new GPAI provider", message)


def test_clean_example_exits_0(tmp_path: Path, example_hub: Path) -> None:
    code, report = audit_json(
        example_hub, "Ailiance-fr/apertus-math-orca-lora", tmp_path / "r.json", verify="load"
    )
    assert code == EXIT_OK
    severities = {f["severity"] for f in report["targets"][0]["findings"]}
    assert severities <= {"note", "info"}, report["targets"][0]["findings"]
