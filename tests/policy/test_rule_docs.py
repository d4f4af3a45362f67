"""docs/rules/ is generated from the packs (scripts/gen_rule_docs.py) and must be up to date."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from auditor.policy import load_policies
from auditor.policy.waivers import WAIVER_RULES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "rules"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_rule_docs", ROOT / "scripts" / "gen_rule_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_rule_docs_are_up_to_date() -> None:
    pages = _generator().render_all()
    stale = sorted(p.name for p in DOCS.glob("*.md") if p.name not in pages)
    differ = sorted(
        name
        for name, text in pages.items()
        if not (DOCS / name).is_file() or (DOCS / name).read_text("utf-8") != text
    )
    assert not differ and not stale, f"run scripts/gen_rule_docs.py: differ {differ}, stale {stale}"


def test_every_rule_a_run_can_report_has_a_page_with_basis_and_fix() -> None:
    ids = [r.id for r in load_policies(["default"]).rules] + sorted(WAIVER_RULES)
    for rule_id in ids:
        page = (DOCS / f"{rule_id}.md").read_text("utf-8")
        assert f"# `{rule_id}`" in page
        for heading in ("## What fires it", "## Why", "## How to fix"):
            assert heading in page, (rule_id, heading)
    index = (DOCS / "README.md").read_text("utf-8")
    assert all(f"]({rule_id}.md)" in index for rule_id in ids)


def test_contested_rules_say_so() -> None:
    page = (DOCS / "license.sharealike-leak.md").read_text("utf-8")
    assert "`contested-law`" in page and "--policy strict" in page
    assert "Adapted Material" in page
