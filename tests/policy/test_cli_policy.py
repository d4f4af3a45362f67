"""``ailiance-audit policy test DIR`` and policy-file errors through the real CLI entry point."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.policy.loader import builtin_dir

PACKS = ("license-chain.yaml", "eu-ai-act.yaml")


def _copy_packs(dest: Path) -> None:
    (dest / "tests").mkdir(parents=True)
    for pack in PACKS:
        shutil.copy(builtin_dir() / pack, dest / pack)
    prefixes = ("license.", "aiact.", "cop.")
    for test in (builtin_dir() / "tests").glob("*.yaml"):
        if test.name.startswith(prefixes):
            shutil.copy(test, dest / "tests" / test.name)


def test_policy_test_passes_on_a_copy_of_the_packs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _copy_packs(tmp_path)
    assert main(["policy", "test", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^\d+ passed, 0 failed$", out, re.M), out


def test_policy_test_exits_1_on_a_broken_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _copy_packs(tmp_path)
    example = tmp_path / "tests" / "license.lineage-undeclared.yaml"
    text = example.read_text(encoding="utf-8")
    # The "datasets declared" example passes; claiming it fails must be reported.
    broken = text.replace(
        "  - name: datasets declared\n    expect: pass",
        "  - name: datasets declared\n    expect: fail",
    )
    assert broken != text
    example.write_text(broken, encoding="utf-8")
    assert main(["policy", "test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL license.lineage-undeclared [datasets declared]: expected fail" in out


def test_policy_test_exits_1_when_a_rule_lacks_examples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _copy_packs(tmp_path)
    (tmp_path / "tests" / "aiact.scope.yaml").unlink()
    assert main(["policy", "test", str(tmp_path)]) == 1
    assert "MISSING aiact.scope" in capsys.readouterr().out


def test_cel_syntax_error_exits_2_naming_file_rule_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad-pack.yaml"
    bad.write_text(
        "pack: bad\n"
        "rules:\n"
        "  - id: license.broken-rule\n"
        "    title: Broken\n"
        "    severity: warning\n"
        '    violation: "upstream.exists(u, u.license.sharealike &&& true)"\n'
        "    message: \"'x'\"\n",
        encoding="utf-8",
    )
    assert main(["--policy", str(bad), "--policy-list"]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err
    assert "rule license.broken-rule" in err
    assert "line 6" in err
    assert "column 43" in err  # the third "&" of "&&&" in the expression
