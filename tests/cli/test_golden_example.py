"""Golden files for the text and JSON reports of the bundled example (the README's command).

Regenerate with ``UPDATE_GOLDEN=1 pytest tests/cli/test_golden_example.py`` and review the diff.
``--verify header`` keeps the files independent of the installed mlx-lm version.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor import cli

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "example"
TARGETS = ["Ailiance-fr/apertus-math-lora", "Ailiance-fr/apertus-math-orca-lora",
           "Ailiance-fr/apertus-math-drift-lora"]


@pytest.mark.parametrize(("fmt", "name"), [("text", "report.txt"), ("json", "report.json")])
def test_example_report_is_golden(fmt: str, name: str, monkeypatch: pytest.MonkeyPatch,
                                  tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)  # relative mirror path: the report must not depend on the checkout
    monkeypatch.setenv("COLUMNS", "110")
    out = tmp_path / name
    code = cli.main(["--mirror", "examples/hub", "--offline", "--verify", "header",
                     "--format", fmt, "--output", str(out), *TARGETS])
    assert code == 1
    text = out.read_text(encoding="utf-8")
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"no golden file {golden}: run with UPDATE_GOLDEN=1 and review it"
    assert text == golden.read_text(encoding="utf-8")
    second = tmp_path / f"again-{name}"
    cli.main(["--mirror", "examples/hub", "--offline", "--verify", "header", "--format", fmt,
              "--output", str(second), *TARGETS])
    assert second.read_bytes() == out.read_bytes()
