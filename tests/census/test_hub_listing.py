"""The Hub listing path against the loopback Hub: ``--filter`` tags and ``--search`` select the
repos, each upstream repo is asked for once per census (the shared table), and the findings are
those of the CLI auditing the same repo on the same Hub."""

from __future__ import annotations

import json
from pathlib import Path

from census_helpers import census, table

from auditor.cli import main
from tests.hub.server import HubServer

BASE = "swiss-ai/Apertus-70B-Instruct-2509"
ADAPTERS = [
    "Ailiance-fr/apertus-math-drift-lora",
    "Ailiance-fr/apertus-math-lora",
    "Ailiance-fr/apertus-math-orca-lora",
]


def test_filter_by_base_audits_its_adapters_like_the_cli(hub: HubServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = census(
        "--filter",
        f"base_model:adapter:{BASE}",
        "--out",
        out,
        "--scheduler",
        "sync",
        "--verify",
        "none",
    )
    assert code == 0
    rows = {r["id"]: r for r in table(out, "repos")}
    assert sorted(rows) == ADAPTERS
    assert all(r["status"] == "ok" and r["sha"] and len(str(r["sha"])) == 40 for r in rows.values())
    # The base's metadata was asked for once for the three lineages (upstream table).
    assert hub.count(f"GET /api/models/{BASE}*") == 1
    report = tmp_path / "cli.json"
    main(["--verify", "none", "--format", "json", "--output", str(report), ADAPTERS[1]])
    (target,) = json.loads(report.read_text())["targets"]
    cli = sorted((f["rule_id"], f["node"], f["message"]) for f in target["findings"])
    got = sorted(
        (r["rule"], r["node"], r["message"])
        for r in table(out, "findings")
        if r["repo"] == ADAPTERS[1]
    )
    assert got == cli and got


def test_search_and_limit(hub: HubServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert census("--search", "math", "--limit", "2", "--out", out, "--scheduler", "sync") == 0
    assert sorted(r["id"] for r in table(out, "repos")) == ADAPTERS[:2]


def test_author_repeatable(hub: HubServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = census(
        "--author", "Ailiance-fr", "--author", "swiss-ai", "--out", out, "--scheduler", "sync"
    )
    assert code == 0
    ids = sorted(r["id"] for r in table(out, "repos"))
    assert ids == sorted([*ADAPTERS, BASE, "swiss-ai/Apertus-70B-2509"])
