"""Helpers of the HTML report tests: paths of the committed example outputs, the example report."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_HUB = ROOT / "examples" / "hub"
EXAMPLE_REPORT = ROOT / "examples" / "report.html"
SCREENSHOT = ROOT / "docs" / "img" / "report.png"


def example_html() -> str:
    """The HTML report of the bundled example, as ``ailiance-audit --format html`` renders it."""
    from auditor.formats.base import get
    from auditor.pipeline import AuditOptions, make_report, run_iter
    from auditor.policy import load_policies
    from auditor.sources.base import parse_target

    policy = load_policies()
    options = AuditOptions(mirrors=[EXAMPLE_HUB], offline=True)
    reports = list(run_iter([parse_target("Ailiance-fr/apertus-math-lora")], options, policy))
    return get("html").render(make_report(reports, policy))


def unversioned(text: str) -> str:
    """The report without tool and mlx-lm versions (they change with releases, not with facts)."""
    return re.sub(r"\b(ailiance-audit|mlx-lm) \d+(?:\.\d+)+", r"\1 X", text)
