"""End to end through the pipeline: LICENSE/NOTICE files and pyproject.toml waivers.

Both need the pipeline to pass the repo's files on (``build_facts(..., read_text=...)`` and
``load_repo_waivers(...)``); until auditor/pipeline.py does, these are strict expected failures,
so the day the wiring lands they turn into unexpected passes and the markers must go.
"""

from __future__ import annotations

from pathlib import Path

from .helpers import audit_json, of_rule

CARD = """---
license: apache-2.0
base_model: swiss-ai/Apertus-70B-Instruct-2509
---

# An adapter
"""



def _repo(tmp_path: Path, **files: str) -> Path:
    mirror = tmp_path / "mirror"
    repo = mirror / "example" / "adapter"
    repo.mkdir(parents=True)
    (repo / "README.md").write_text(CARD, encoding="utf-8")
    for name, text in files.items():
        (repo / name.replace("_", ".")).write_text(text, encoding="utf-8")
    return mirror


def test_license_file_conflicting_with_the_card(tmp_path: Path) -> None:
    mirror = _repo(tmp_path, LICENSE="MIT License\n\nCopyright (c) 2026 Example\n")
    _, report = audit_json(mirror, "example/adapter", tmp_path / "r.json")
    (conflict,) = of_rule(report, "license.conflict-in-card")
    assert conflict["location"] == {"file": "LICENSE", "line": 1, "column": None}


def test_pyproject_waiver_suppresses_a_finding(tmp_path: Path) -> None:
    pyproject = (
        '[project]\nname = "adapter"\n\n[[tool.ailiance-audit.waivers]]\n'
        'rule = "license.lineage-undeclared"\nreason = "private data, described in the card"\n'
        'owner = "ops@example.org"\nexpires = 2099-12-31\n'
    )
    mirror = _repo(tmp_path, pyproject_toml=pyproject)
    _, report = audit_json(mirror, "example/adapter", tmp_path / "r.json")
    (lineage,) = of_rule(report, "license.lineage-undeclared")
    assert lineage["suppressed_by"]["reason"] == "private data, described in the card"
    assert lineage["suppressed_by"]["location"]["file"] == "pyproject.toml"
