"""The per-repo time limit stops the audit: a repo whose Hub answer would take half an hour is a
``failed`` row with the reason, the other repos of its batch are audited, and nothing is left
running on a thread once the census returns (the worker is free for the next batch)."""

from __future__ import annotations

import threading
from pathlib import Path

from census_helpers import census, table

from tests.hub.server import HubServer

SLOW = "Ailiance-fr/apertus-math-lora"
OTHERS = ["Ailiance-fr/apertus-math-drift-lora", "Ailiance-fr/apertus-math-orca-lora"]
# Seconds a finished census may still have a thread winding down. An audit abandoned on its
# thread instead of stopped would hold it until the Hub transport's minimum-rate rule ends the
# trickled answer (30 s after it started), well past this guard.
HANG_GUARD = 10.0


def test_a_repo_over_its_time_limit_is_stopped_and_failed(hub: HubServer, tmp_path: Path) -> None:
    # 4 KB at one byte every 0.5 s: about 34 minutes for an answer only the audit reads (the
    # scan reads the card), so only the limit can end this repo's audit.
    hub.add_fault(
        f"/{SLOW}/resolve/*/adapter_config.json",
        action="trickle",
        methods=("GET",),
        delay_per_byte=0.5,
    )
    repos = tmp_path / "repos.txt"
    repos.write_text("\n".join([SLOW, *OTHERS]) + "\n")
    out = tmp_path / "out"
    before = set(threading.enumerate())
    code = census("--from-file", repos, "--out", out, "--scheduler", "sync",
                  "--verify", "none", "--time-limit", "3")  # fmt: skip
    assert code == 3
    rows = {r["id"]: r for r in table(out, "repos")}
    assert rows[SLOW]["status"] == "failed"
    assert rows[SLOW]["error"] == "time limit exceeded (3 s)"
    assert all(rows[o]["status"] == "ok" for o in OTHERS), rows
    assert hub.count(f"GET /{SLOW}/resolve/*/adapter_config.json") >= 1  # the slow answer ran
    # The audit was stopped, not abandoned: no thread the census started is still working
    # (the loopback server's own request threads are not the census's).
    left = [t for t in threading.enumerate() if t not in before and not _server(t)]
    for thread in left:
        thread.join(HANG_GUARD)
    assert not [t.name for t in left if t.is_alive()]


def _server(thread: threading.Thread) -> bool:
    return "process_request" in thread.name
