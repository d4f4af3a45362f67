"""Golden files of the hand-built reports (format_cases.py): one test for every format.

The SBOM formats carry no findings, so the baseline case (which differs only in its findings'
baseline states) has no SBOM golden file. Golden files of real runs: test_golden_runs.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from format_cases import CASES, FORMATS

from auditor.formats import base

SBOMS = {"spdx", "spdx3", "cyclonedx"}
PAIRS = [
    (fmt, name)
    for fmt in FORMATS
    for name in sorted(CASES)
    if not (fmt in SBOMS and name == "baseline")
]


@pytest.mark.parametrize(("fmt", "name"), PAIRS)
def test_hand_built_case_is_golden(
    fmt: str, name: str, check_golden: Callable[[str, str, str], None]
) -> None:
    formatter = base.get(fmt)
    check_golden(name, formatter.extension, formatter.render(CASES[name]()))
