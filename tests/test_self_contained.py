"""scripts/check_self_contained.py, run as users run it, on small trees of our own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "check_self_contained.py"


def run(root: Path, *paths: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(root), *paths],
        capture_output=True,
        text=True,
        timeout=60,  # a hang guard, not a timing assertion
        check=False,
    )


def test_a_citation_of_an_outside_file_fails_and_names_file_and_line(tmp_path: Path) -> None:
    pack = tmp_path / "auditor" / "policies" / "pack.yaml"
    pack.parent.mkdir(parents=True)
    pack.write_text("rules:\n  - id: x.y\n    basis: 'see legal.md §6.4'\n", encoding="utf-8")
    doc = tmp_path / "docs" / "page.md"
    doc.parent.mkdir()
    doc.write_text("Intro.\n\nAs asked in Issue 12, point 3.\n", encoding="utf-8")
    result = run(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("auditor/policies/pack.yaml:3: ")
    assert "legal.md §6.4" in lines[0]
    assert lines[1].startswith("docs/page.md:3: an issue number: ")
    assert lines[-1].startswith("2 citation(s)")


def test_citations_of_the_repos_own_docs_pass(tmp_path: Path) -> None:
    pack = tmp_path / "auditor" / "policies" / "pack.yaml"
    pack.parent.mkdir(parents=True)
    pack.write_text(
        "rules:\n  - id: x.y\n    basis: 'GL §63; legal-basis §6.4, §9 LIC-05; docs/rules.md'\n",
        encoding="utf-8",
    )
    (tmp_path / "README.md").write_text("See docs/architecture.md. No issues here.\n")
    result = run(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_only_the_given_paths_are_searched_and_binary_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "t.py").write_text("# read ../shared/reference/legal.md at run time\n")
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "w.safetensors").write_bytes(b"\0\0legal.md RULES.md\0")
    assert run(tmp_path).returncode == 0
    assert run(tmp_path, "tests").returncode == 1


def test_the_script_does_not_cite_outside_files_itself() -> None:
    assert run(ROOT, "scripts/check_self_contained.py").returncode == 0


def test_the_repository_cites_nothing_outside_it() -> None:
    # Every tracked place a citation could hide, tests included (but not this file's own
    # deliberate examples, nor the hostile corpus, which is bytes on purpose).
    tests = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "tests").iterdir()
        if p.name not in {"test_self_contained.py", "__pycache__"}
    )
    hostile = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "tests" / "hostile").iterdir()
        if p.name != "corpus" and p.suffix == ".py"
    ]
    default = ["auditor", "docs", "README.md", "action.yml", "examples", "bench", "scripts"]
    paths = [*default, *(t for t in tests if t != "tests/hostile"), *hostile]
    result = run(ROOT, *paths)
    assert result.returncode == 0, result.stdout
