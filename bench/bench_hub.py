"""Benchmark: the upstream walk over the loopback Hub, concurrent vs sequential.

100 adapter repos sharing 3 bases and 10 datasets are generated into a temporary mirror and
served by tests/hub/server.py in a separate process, with 50 ms added to every response. Each
run starts from empty caches and walks every adapter: resolve, read README / adapter_config /
config, follow ``base_model`` and ``datasets``. Reported: median wall time of each walk, their
ratio (target >= 8x), the requests made against the minimum the data needs (target within
10%), and the requests of a second, warm run and of an offline run. The "Hub walk" section of
bench/RESULTS.md is rewritten with the numbers.

    .venv/bin/python bench/bench_hub.py [--repeat 3] [--workers 32] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# Before importing huggingface_hub: its user agent otherwise fetches an "agent harness"
# registry from huggingface.co once a day (one request the walk did not ask for).
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import huggingface_hub  # noqa: E402

from auditor.models import RepoKind  # noqa: E402
from auditor.sources.hub import HubSource  # noqa: E402
from tests.hub.benchdata import (  # noqa: E402
    BenchData,
    generate_mirror,
    walk_concurrent,
    walk_sequential,
)

RESULTS = REPO / "bench" / "RESULTS.md"
SECTION = "## Hub walk"
START, END = "<!-- bench_hub:start -->", "<!-- bench_hub:end -->"


class Server:
    """tests/hub/server.py in its own process (so it does not share the GIL with the walk)."""

    def __init__(self, root: Path, latency: float) -> None:
        port_file = root.parent / "url.txt"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.hub.server",
                str(root),
                "--latency",
                str(latency),
                "--port-file",
                str(port_file),
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(200):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.05)
        self.url = port_file.read_text().strip()

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/__hub__/stats") as resp:
            return dict(json.load(resp))

    def reset(self) -> None:
        req = urllib.request.Request(f"{self.url}/__hub__/reset", method="POST")
        urllib.request.urlopen(req).close()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def run_once(
    server: Server, walk: Callable[[HubSource], object], work: Path, **options: Any
) -> tuple[float, int, HubSource]:
    """One walk with fresh caches unless ``options`` give some; (seconds, requests, source)."""
    options.setdefault("cache_dir", Path(tempfile.mkdtemp(dir=work)))
    options.setdefault("hf_cache_dir", Path(tempfile.mkdtemp(dir=work)))
    source = HubSource(endpoint=server.url, token=False, timeout=30.0, **options)
    server.reset()
    start = time.perf_counter()
    walk(source)
    seconds = time.perf_counter() - start
    return seconds, int(server.stats()["total"]), source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Hub walk benchmark")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--adapters", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-hub-") as tmp:
        work = Path(tmp)
        data = generate_mirror(work / "mirror", adapters=args.adapters)
        targets = [(a, RepoKind.MODEL) for a in data.adapters]
        server = Server(work / "mirror", args.latency)
        try:
            results = measure(server, data, targets, args.repeat, args.workers, work)
        finally:
            server.stop()
    text = render(results, data, args)
    print(text)
    if not args.no_write:
        write_section(text)
    return 0 if results["ratio"] >= 8 and results["request_ratio"] <= 1.10 else 1


def measure(
    server: Server,
    data: BenchData,
    targets: list[tuple[str, RepoKind]],
    repeat: int,
    workers: int,
    work: Path,
) -> dict[str, Any]:
    conc: list[float] = []
    seq: list[float] = []
    conc_req: list[int] = []
    seq_req: list[int] = []
    load_before = os.getloadavg()[0]
    for _ in range(repeat):
        s, n, _src = run_once(server, lambda src: walk_sequential(src, targets), work)
        seq.append(s)
        seq_req.append(n)
        c, m, src = run_once(server, lambda src: walk_concurrent(src, targets, workers), work)
        conc.append(c)
        conc_req.append(m)
    caches = {"cache_dir": src.meta.root, "hf_cache_dir": src.hf_cache_dir}
    warm_s, warm_n, _ = run_once(
        server, lambda s: walk_concurrent(s, targets, workers), work, **caches
    )
    off_s, off_n, _ = run_once(
        server, lambda s: walk_concurrent(s, targets, workers), work, offline=True, **caches
    )
    minimum = data.minimum_requests()
    return {
        "seq": statistics.median(seq),
        "conc": statistics.median(conc),
        "seq_all": seq,
        "conc_all": conc,
        "ratio": statistics.median(seq) / statistics.median(conc),
        "conc_req": max(conc_req),
        "seq_req": max(seq_req),
        "minimum": minimum,
        "floor": data.minimum_requests(per_file=1),
        "request_ratio": max(conc_req) / minimum,
        "warm": (warm_s, warm_n),
        "offline": (off_s, off_n),
        "load": (load_before, os.getloadavg()[0]),
    }


def render(r: dict[str, Any], data: BenchData, args: argparse.Namespace) -> str:
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    fmt = ", ".join
    lines = [
        SECTION,
        "",
        f"`bench/bench_hub.py` on {date}: {platform.platform()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, huggingface_hub {huggingface_hub.__version__}; "
        f"1-minute load average {r['load'][0]:.1f} before, {r['load'][1]:.1f} after (shared "
        "machine: wall times are noisy, request counts are not).",
        f"{len(data.adapters)} adapters sharing {len(data.bases)} bases and "
        f"{len(data.datasets)} datasets ({data.repos} repos, {data.file_fetches} metadata files), "
        f"loopback server in its own process, {args.latency * 1000:.0f} ms added to every "
        f"response, cold caches, median of {args.repeat} runs, {args.workers} threads.",
        "",
        "| walk | wall time (median) | runs | requests |",
        "| --- | --- | --- | --- |",
        f"| sequential | {r['seq']:.2f} s | {fmt(f'{x:.2f}' for x in r['seq_all'])} | "
        f"{r['seq_req']} |",
        f"| concurrent | {r['conc']:.2f} s | {fmt(f'{x:.2f}' for x in r['conc_all'])} | "
        f"{r['conc_req']} |",
        f"| concurrent, warm caches (refs re-checked) | {r['warm'][0]:.2f} s | 1 | "
        f"{r['warm'][1]} |",
        f"| concurrent, offline | {r['offline'][0]:.2f} s | 1 | {r['offline'][1]} |",
        "",
        f"- Speed-up: **{r['ratio']:.1f}x** (target >= 8x).",
        f"- Requests: **{r['conc_req']}** against a minimum of {r['minimum']} "
        f"(1 API call per repo + HEAD and GET per file, as `hf_hub_download` fetches): "
        f"**{r['request_ratio']:.2f}x** (target <= 1.10x). The protocol floor with one GET "
        f"per file would be {r['floor']}.",
        "",
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    """Replace (or append) our marked section of bench/RESULTS.md; other benches keep theirs."""
    block = f"{START}\n{text.rstrip()}\n{END}\n"
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if START in old and END in old:
        new = old[: old.index(START)] + block + old[old.index(END) + len(END) :].lstrip("\n")
    elif SECTION in old:  # an unmarked section from an earlier version of this script
        start = old.index(SECTION)
        end = old.find("\n<!--", start)
        end2 = old.find("\n## ", start + len(SECTION))
        stop = min(e for e in (end, end2, len(old)) if e >= 0)
        new = old[:start] + block + old[stop:].lstrip("\n")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
