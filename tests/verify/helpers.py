"""Shared helpers for the verify tests: run collect_evidence over a mirror-style folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from auditor.models import AdapterEvidence, RepoSnapshot
from auditor.verify import collect_evidence

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_HUB = ROOT / "tests" / "fixtures" / "adapters" / "hub"
EXAMPLE_HUB = ROOT / "examples" / "hub"
REALWORLD = ROOT.parent / "shared" / "realworld"


def snapshot_of(folder: Path, repo_id: str = "test/adapter") -> RepoSnapshot:
    """A local snapshot listing the files of ``folder``."""
    files = tuple(sorted(p.name for p in folder.iterdir() if p.is_file()))
    return RepoSnapshot(
        repo_id=repo_id, kind="model", origin="local", location=str(folder), files=files
    )


def base_lookup(hub: Path) -> Any:
    """A ``base_config`` callable reading ``<hub>/<repo>/config.json``."""

    def lookup(repo_id: str) -> dict[str, Any] | None:
        path = hub / repo_id / "config.json"
        return json.loads(path.read_text()) if path.is_file() else None

    return lookup


def evidence(
    folder: Path,
    level: Literal["none", "header", "load"] = "load",
    hub: Path = FIXTURE_HUB,
    base: Any = None,
) -> AdapterEvidence:
    """Collect evidence for the adapter in ``folder`` with bases from ``hub``."""
    return collect_evidence(
        snapshot_of(folder),
        lambda name: (folder / name) if (folder / name).is_file() else None,
        level=level,
        base_config=base or base_lookup(hub),
    )


def fixture(name: str, level: Literal["none", "header", "load"] = "load") -> AdapterEvidence:
    """Evidence for ``tests/fixtures/adapters/hub/fixtures/<name>``."""
    return evidence(FIXTURE_HUB / "fixtures" / name, level)


def kinds(ev: AdapterEvidence) -> list[str]:
    """The problem kinds of an evidence record."""
    return [p.kind for p in ev.problems]
