"""Benchmark: ``ailiance-audit census`` on Dask, 1 and 2 local workers, and over a slow Hub.

(1) A 5,000-repo synthetic mirror (bench/synthetic_mirror.py) audited with ``--verify none`` on a
``distributed.LocalCluster`` of 1 and then 2 single-threaded worker processes (the cluster the
CLI embeds: ``run.connect``), in pairs (1, 2, 1, 2, ...) so both see the same load on a shared
machine. The workers are started and warmed
(auditor imported, policy compiled) before the clock starts, as long-lived workers are; the
mirror is in the page cache (warm upstream). Reported per run: wall-clock repos/s of the whole
census (scan, upstream table, audit, Parquet writes) and CPU seconds per repo summed over the
workers (less sensitive to other tenants than wall time); per pair: parallel efficiency.

(2) The loopback Hub (tests/hub/server.py in its own process, 50 ms added to every response)
serving a smaller synthetic mirror, audited from empty caches on 2 workers: requests per repo,
split into the subject's own and the shared upstream's.

CPU is measured per process (``getrusage``): the workers' (the audit) and the client's (the
scheduler of the embedded cluster, results, Parquet writes), so a loaded machine changes the
wall time much more than the CPU per repo. Targets: 100 repos per worker CPU-second (10 ms per
repo) and a parallel efficiency of 0.8 (2-worker wall / 1-worker wall under 0.625).

    .venv/bin/python bench/bench_census.py [--repos 5000] [--pairs 2] [--hub-repos 200]

Under ``bench/run.py`` it speaks the protocol of ``common.py`` (its section of RESULTS.md);
``BENCH_RUNS`` sets the number of pairs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import emit, load_average, python, runs_from_env, stats, target, time_command
from synthetic_mirror import build

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from auditor.census import run, tasks  # noqa: E402
from auditor.census.store import Store  # noqa: E402
from auditor.census.targets import from_mirror  # noqa: E402


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _warm(spec: tasks.Spec) -> bool:
    tasks.state(spec)
    return True


# The start-up benchmark's import floor, timed before each run: this machine's speed moves by
# up to 1.8x within a day, so each run carries a yardstick measured in the same minutes.
FLOOR = [python(), "-c", "import huggingface_hub, yaml, pydantic"]


def one_run(mirror: Path, specs: list[str], workers: int, work: Path) -> dict[str, Any]:
    """A census of ``specs`` on a fresh warmed cluster of ``workers`` processes."""
    floor = statistics.median(time_command(FLOOR, 5))
    spec = tasks.Spec(mirrors=(str(mirror),), offline=True, verify="none")
    out = Path(tempfile.mkdtemp(dir=work))
    client, cluster = run.connect(None, workers)  # the CLI's embedded cluster
    try:
        client.run(_warm, spec)
        cpu0 = sum(client.run(_cpu).values())
        load0 = load_average()
        own0 = _cpu()
        start = time.perf_counter()
        outcome = run.census(client, spec, specs, Store(out), progress=False)
        wall = time.perf_counter() - start
        own = _cpu() - own0
        cpu = sum(client.run(_cpu).values()) - cpu0
    finally:
        run.close(client, cluster)
    assert outcome.audited == len(specs), outcome
    return {
        "workers": workers,
        "wall_s": wall,
        "repos_per_s": len(specs) / wall,
        "worker_cpu_ms_per_repo": 1000 * cpu / len(specs),
        "client_cpu_ms_per_repo": 1000 * own / len(specs),
        "load_before": load0,
        "load_after": load_average(),
        "floor_s": floor,
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
        client, cluster = run.connect(None, 2)
        try:
            client.run(_warm, spec)
            server.reset()
            start = time.perf_counter()
            outcome = run.census(client, spec, specs, Store(work / "hub-out"), progress=False)
            wall = time.perf_counter() - start
        finally:
            run.close(client, cluster)
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
    """Run both parts, print one JSON document and emit the protocol result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=5000)
    parser.add_argument("--pairs", type=int, default=runs_from_env(2))
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
    emit(protocol(result, args))


def protocol(result: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """The ``common.py`` result: metrics per worker count, the two targets, the Hub counts."""
    hub = result["hub"]
    metrics: list[dict[str, Any]] = []
    targets: list[dict[str, Any]] = []
    notes = [
        f"loopback Hub, {hub['latency_s'] * 1000:.0f} ms per response, {hub['repos']} repos "
        f"from empty caches on 2 workers: {hub['requests_per_repo']:.2f} requests per repo "
        f"({hub['subject_requests_per_repo']:.2f} the repo's own, {hub['upstream_requests']} "
        f"for {hub['upstream_repos']} distinct upstream repos), {hub['repos_per_s']:.1f} repos/s",
        f"requests by kind: {hub['by_kind']}",
    ]
    runs = result.get("runs", [])
    for workers in (1, 2):
        mine = [r for r in runs if r["workers"] == workers]
        if not mine:
            continue
        metrics += [
            stats([r["repos_per_s"] for r in mine], f"repos/s (wall), {workers} worker(s)",
                  "repos/s"),
            stats([r["worker_cpu_ms_per_repo"] for r in mine],
                  f"worker CPU per repo, {workers} worker(s)", "ms"),
            stats([r["client_cpu_ms_per_repo"] for r in mine],
                  f"client CPU per repo (scheduler, Parquet), {workers} worker(s)", "ms"),
        ]  # fmt: skip
    if runs:
        one = statistics.median(r["worker_cpu_ms_per_repo"] for r in runs if r["workers"] == 1)
        targets.append(target("worker CPU per repo, 1 worker (100 repos/s per core)", one,
                              10.0, "ms"))  # fmt: skip
        ratio = 1 / (2 * result["median_efficiency"])
        targets.append(target("wall 2 workers / 1 worker (efficiency 0.8)", ratio, 0.625, "x"))
        notes.append("parallel efficiency per pair (wall): "
                     + ", ".join(f"{e:.2f}" for e in result["efficiency"])
                     + "; worker CPU per repo 1 worker / 2 workers: "
                     + ", ".join(f"{c:.2f}" for c in result["cpu_ratio"]))  # fmt: skip
        notes.append("import floor of bench_startup.py before each run (median of 5 fresh "
                     "processes; the machine's speed of the moment): "
                     + ", ".join(f"{1000 * r['floor_s']:.0f} ms" for r in runs)
                     + "; worker CPU per repo / floor, 1 worker: "
                     + ", ".join(f"{r['worker_cpu_ms_per_repo'] / (1000 * r['floor_s']):.3f}"
                                 for r in runs if r["workers"] == 1))  # fmt: skip
        notes.append("load average (1 min) before each run: "
                     + ", ".join(f"{r['load_before']:.1f}" for r in runs))  # fmt: skip
    return {
        "title": "Census on Dask (`bench/bench_census.py`, docs/census.md, docs/scale.md)",
        "setup": [
            f"{args.repos}-repo synthetic mirror (bench/synthetic_mirror.py), --verify none, "
            "--offline, every shipped rule, whole census (scan, upstream table, audit, Parquet)",
            f"{args.pairs} pair(s) of runs (1 worker, 2 workers) on fresh warmed LocalClusters",
        ],
        "metrics": metrics,
        "targets": targets,
        "notes": notes,
    }


if __name__ == "__main__":
    main()
