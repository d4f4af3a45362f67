"""A worker process killed mid-run (SIGKILL, on a 2-worker ``distributed.LocalCluster``) loses
nothing and duplicates nothing: the scheduler re-runs its batch elsewhere, and the client writes
each batch once, when its future completes."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from census_helpers import table
from distributed import Client, LocalCluster

from auditor.census import run, tasks
from auditor.census.store import Store
from auditor.census.targets import from_mirror

pytestmark = pytest.mark.slow


def test_killed_worker_leaves_complete_duplicate_free_output(mirror: Path, tmp_path: Path) -> None:
    specs = from_mirror(mirror)
    out = tmp_path / "out"
    spec = tasks.Spec(mirrors=(str(mirror),), offline=True, verify="none")
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        result: list[object] = []
        worker = threading.Thread(
            target=lambda: result.append(
                run.census(client, spec, specs, Store(out), batch_size=12, progress=False)
            ),
            daemon=True,
        )
        worker.start()
        deadline = time.monotonic() + 300  # hang guard only
        while not list((out / "repos").glob("*.parquet")) if (out / "repos").is_dir() else True:
            assert worker.is_alive() and time.monotonic() < deadline
            time.sleep(0.02)
        busy = [
            addr
            for addr, keys in client.processing().items()
            if any(str(k).startswith("audit-") for k in keys)
        ]
        assert busy, "no audit batch in flight when the worker was to be killed"
        pids = client.run(os.getpid)
        written_at_kill = len(list((out / "repos").glob("*.parquet")))
        os.kill(pids[busy[0]], signal.SIGKILL)
        worker.join(timeout=600)
        assert not worker.is_alive()
    (outcome,) = result
    assert isinstance(outcome, run.Outcome)
    assert written_at_kill < outcome.batches  # the kill happened before the end
    ids = [r["id"] for r in table(out, "repos")]
    assert len(ids) == len(set(ids)) == len(specs)
    assert outcome.failed == 0 and {r["status"] for r in table(out, "repos")} == {"ok"}
    counted = {
        r["id"]: r["errors"] + r["warnings"] + r["notes"] + r["infos"] for r in table(out, "repos")
    }
    live = [r["repo"] for r in table(out, "findings") if not r["suppressed"]]
    assert live and all(live.count(repo) == n for repo, n in counted.items())  # no finding twice
