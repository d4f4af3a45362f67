"""Benchmark: ``ailiance-audit census`` on Dask, 1 and 2 local workers, and over a slow Hub.

(1) A 5,000-repo synthetic mirror (bench/synthetic_mirror.py) audited with ``--verify none`` on a
``distributed.LocalCluster`` of 1 and then 2 single-threaded worker processes, in pairs (1, 2,
1, 2, ...) so both see the same load on a shared machine. The workers are started and warmed
(auditor imported, policy compiled) before the clock starts, as long-lived workers are; the
mirror is in the page cache (warm upstream). Reported per run: wall-clock repos/s of the whole
census (scan, upstream table, audit, Parquet writes) and CPU seconds per repo summed over the
workers (less sensitive to other tenants than wall time); per pair: parallel efficiency.

(2) The loopback Hub (tests/hub/server.py in its own process, 50 ms added to every response)
serving a smaller synthetic mirror, audited from empty caches on 2 workers: requests per repo,
split into the subject's own and the shared upstream's.

    .venv/bin/python bench/bench_census.py [--repos 5000] [--pairs 2] [--hub-repos 200]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import load_average
from synthetic_mirror import build

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from distributed import Client, LocalCluster  # noqa: E402

from auditor.census import run, tasks  # noqa: E402
from auditor.census.store import Store  # noqa: E402
from auditor.census.targets import from_mirror  # noqa: E402


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _warm(spec: tasks.Spec) -> bool:
    tasks.state(spec)
    return True


def one_run(mirror: Path, specs: list[str], workers: int, work: Path) -> dict[str, Any]:
    """A census of ``specs`` on a fresh warmed cluster of ``workers`` processes."""
    spec = tasks.Spec(mirrors=(str(mirror),), offline=True, verify="none")
    out = Path(tempfile.mkdtemp(dir=work))
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                     dashboard_address=None, silence_logs=logging.ERROR) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        client.run(_warm, spec)
        cpu0 = sum(client.run(_cpu).values())
        load0 = load_average()
        start = time.perf_counter()
        outcome = run.census(client, spec, specs, Store(out), progress=False)
        wall = time.perf_counter() - start
        cpu = sum(client.run(_cpu).values()) - cpu0
    assert outcome.audited == len(specs), outcome
    return {
        "workers": workers,
        "wall_s": wall,
        "repos_per_s": len(specs) / wall,
        "worker_cpu_ms_per_repo": 1000 * cpu / len(specs),
        "load_before": load0,
        "load_after": load_average(),
    }


def hub_run(repos: int, latency: float, work: Path) -> dict[str, Any]:
    """A census over the loopback Hub from empty caches; request counts."""
    from bench_hub import Server

    root = work / "hub-mirror"
    build(root, repos)
    specs = from_mirror(root)
    server = Server(root, latency)
    os.environ.update(HF_ENDPOINT=server.url, HF_HOME=str(work / "hf-home"),
                      HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_DISABLE_PROGRESS_BARS="1")  # fmt: skip
    os.environ["XDG_CACHE_HOME"] = str(work / "xdg")
    try:
        spec = tasks.Spec(verify="none")
        with (
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                         dashboard_address=None, silence_logs=logging.ERROR) as cluster,
            Client(cluster) as client,
        ):  # fmt: skip
            client.run(_warm, spec)
            server.reset()
            start = time.perf_counter()
            outcome = run.census(client, spec, specs, Store(work / "hub-out"), progress=False)
            wall = time.perf_counter() - start
        counts = server.stats()["counts"]
    finally:
        server.stop()
    upstream = sum(n for k, n in counts.items() if "/sim/" in k)
    total = sum(counts.values())
    return {
        "repos": len(specs),
        "latency_s": latency,
        "audited": outcome.audited,
        "failed": outcome.failed,
        "wall_s": wall,
        "repos_per_s": len(specs) / wall,
        "requests": total,
        "requests_per_repo": total / len(specs),
        "upstream_requests": upstream,
        "upstream_repos": outcome.upstream,
        "subject_requests_per_repo": (total - upstream) / len(specs),
        "by_kind": _kinds(counts),
    }


def _kinds(counts: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, n in counts.items():
        method, path = key.split(" ", 1)
        kind = "api" if path.startswith("/api/") else path.rsplit("/", 1)[-1]
        out[f"{method} {kind}"] = out.get(f"{method} {kind}", 0) + n
    return dict(sorted(out.items()))


def main() -> None:
    """Run both parts and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=5000)
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--hub-repos", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--skip-mirror", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-census-"))
    result: dict[str, Any] = {"cpus": os.cpu_count()}
    if not args.skip_mirror:
        mirror = work / "mirror"
        specs = build(mirror, args.repos)
        one_run(mirror, specs[:300], 1, work)  # warm the page cache and the imports
        runs = [one_run(mirror, specs, w, work) for _ in range(args.pairs) for w in (1, 2)]
        pairs = [(runs[i], runs[i + 1]) for i in range(0, len(runs), 2)]
        eff = [b["repos_per_s"] / (2 * a["repos_per_s"]) for a, b in pairs]
        cpu_eff = [a["worker_cpu_ms_per_repo"] / b["worker_cpu_ms_per_repo"] for a, b in pairs]
        result.update(runs=runs, efficiency=eff, median_efficiency=statistics.median(eff),
                      cpu_ratio=cpu_eff)  # fmt: skip
        print(json.dumps(result, indent=1), flush=True)
    result["hub"] = hub_run(args.hub_repos, args.latency, work)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
