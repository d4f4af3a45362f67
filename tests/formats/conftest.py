"""Fixtures of the format tests: hand-built reports, golden-file comparison, no network.

Golden files live in ``tests/golden/<case>/report<extension>``. They are rewritten only when
``UPDATE_GOLDEN=1`` is set (or ``--update-golden`` if the root conftest defines that option);
review the diff before committing.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # format_cases.py, next to this file

from format_cases import CASES

from auditor.models import AuditReport

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
SCHEMAS = Path(__file__).resolve().parent / "schemas"


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Golden files are made at the injected time 0 (without it SBOMs carry the run's time);
    tests that want another time set it themselves."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> tuple[str, AuditReport]:
    """Each hand-built report with its name (adapter, empty, hostile, unresolved)."""
    name: str = request.param
    return name, CASES[name]()


@pytest.fixture
def report() -> AuditReport:
    """The realistic adapter report."""
    return CASES["adapter"]()


@pytest.fixture
def check_golden(request: pytest.FixtureRequest) -> Callable[[str, str, str], None]:
    """``check_golden(case, extension, text)``: compare with (or rewrite) the golden file."""
    update = os.environ.get("UPDATE_GOLDEN") == "1" or bool(
        request.config.getoption("--update-golden", default=False)
    )

    def check(case_name: str, extension: str, text: str) -> None:
        path = GOLDEN / case_name / f"report{extension}"
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
        assert path.is_file(), f"no golden file {path}: run with UPDATE_GOLDEN=1 and review it"
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"{path} differs: rerun with UPDATE_GOLDEN=1 and review the diff"

    return check


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any socket connection fails: validators must work from their bundled schemas."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a format test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield
