"""``facts TARGET`` fails closed, with the audit's exit-code contract (auditor/exitcodes.py):
facts with an upstream it could not look at exit 3 (0 with --allow-incomplete), complete facts
exit 0, a target that cannot be resolved exits 3; the document is printed whenever there is one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.errors import EXIT_OK, EXIT_UNRESOLVED

ROOT = Path(__file__).resolve().parents[2]
MIRRORS = ["--mirror", str(ROOT / "examples" / "hub"),
           "--mirror", str(ROOT / "tests" / "fixtures" / "golden-run" / "hub")]


@pytest.fixture(autouse=True)
def _empty_hf_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    for var in ("HF_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "AILIANCE_AUDIT_MIRROR"):
        monkeypatch.delenv(var, raising=False)


def facts(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object], str]:
    code = main(["facts", *MIRRORS, "--offline", "--verify", "none", *args])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else {}, err


def test_facts_with_an_upstream_it_could_not_look_at_exit_3(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, doc, err = facts(capsys, "acme/waived-lora")
    assert code == EXIT_UNRESOLVED
    assert doc["subject"]["id"] == "acme/waived-lora"  # type: ignore[index]
    assert "incomplete: could not look at dataset 'acme/arithmetic-private'" in err
    assert "--allow-incomplete makes it a warning" in err


def test_allow_incomplete_makes_it_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, err = facts(capsys, "--allow-incomplete", "acme/waived-lora")
    assert code == EXIT_OK and doc
    assert "could not look at dataset 'acme/arithmetic-private'" in err
    assert "exit 3" not in err


def test_complete_facts_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, err = facts(capsys, "Ailiance-fr/apertus-math-orca-lora")
    assert code == EXIT_OK and doc
    assert "incomplete" not in err


def test_an_unresolvable_target_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = facts(capsys, "Ailiance-fr/no-such-lora")
    assert code == EXIT_UNRESOLVED
    assert "no-such-lora" in err
