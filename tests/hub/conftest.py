"""Loopback-Hub fixtures for tests/hub (defined in tests/hub/fixtures.py, reusable elsewhere)."""

from __future__ import annotations

import sys
from pathlib import Path

# `tests.hub.*` must be importable whatever the rootdir / import mode; the bench imports it too.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.hub.fixtures import hub, hub_data, make_source  # noqa: E402

__all__ = ["hub", "hub_data", "make_source"]
