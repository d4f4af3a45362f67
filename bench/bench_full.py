"""Benchmark (b): full audit of the bundled example with mlx-lm verification, as a fresh process.

Times ``python -m auditor --offline --mirror examples/hub Ailiance-fr/apertus-math-lora`` (the
default ``--verify load``: the adapter loaded with mlx-lm onto a lazy skeleton of Apertus-70B)
and, for comparison, the same audit at ``--verify header`` (safetensors header only, no mlx).
Targets: the full audit at most 1.2x the floor of importing mlx-lm (median of the ratios of
paired rounds), and a peak RSS under 150 MB. One ``-X importtime`` run says what the load path
imports.

    .venv/bin/python bench/bench_full.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import subprocess
from typing import Any

from bench_startup import import_costs
from common import (
    EXAMPLE,
    EXAMPLE_HUB,
    ROOT,
    emit,
    offline_env,
    paired_ratio,
    python,
    runs_from_env,
    stats,
    target,
    time_command,
    time_paired,
)

RATIO_TARGET = 1.2
RSS_TARGET_MB = 150.0
FLOOR = ["-c", "import mlx_lm"]
AUDIT = ["-m", "auditor", "--offline", "--mirror", str(EXAMPLE_HUB), EXAMPLE]


def peak_rss_mb(argv: list[str]) -> float:
    """Peak resident set size (MB) of one fresh process of ``argv`` (``wait4``'s rusage)."""
    proc = subprocess.Popen(
        argv, env=offline_env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _pid, _status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return usage.ru_maxrss / 1024  # kB on Linux


def run(runs: int = 7) -> dict[str, Any]:
    """Time the full audit (load) against the mlx-lm import floor, and the header-only audit."""
    floor, full = time_paired([[python(), *FLOOR], [python(), *AUDIT]], runs)
    ratio = paired_ratio(full, floor)
    header = stats(
        time_command([python(), *AUDIT, "--verify", "header"], runs),
        "same audit, --verify header (no mlx)",
    )
    rss = max(peak_rss_mb([python(), *AUDIT]) for _ in range(3))
    floor_rss = max(peak_rss_mb([python(), *FLOOR]) for _ in range(3))
    costs = import_costs(AUDIT)
    return {
        "name": "bench_full",
        "title": "(b) Full audit with mlx-lm verification (bench/bench_full.py)",
        "setup": [
            f"fresh processes, one warm-up each, {runs} paired rounds (floor, audit); offline",
            f"python -m auditor --offline --mirror examples/hub {EXAMPLE}",
            "floor: python -c 'import mlx_lm'",
        ],
        "metrics": [
            stats(floor, "floor: import mlx_lm"),
            stats(full, "full audit of the example (--verify load, mlx-lm)"),
            header,
        ],
        "ratios": [{"name": "load / mlx-lm floor (median of paired rounds)", "value": ratio}],
        "targets": [
            target("full audit / mlx-lm floor", ratio, RATIO_TARGET, unit="x"),
            target("full audit peak RSS (max of 3)", rss, RSS_TARGET_MB, unit="MB"),
        ],
        "notes": [
            f"peak RSS of the floor (import mlx_lm, max of 3): {floor_rss:.0f} MB",
            "import time of the full audit by package (-X importtime, self time summed "
            "per top-level package, one run): "
            + ", ".join(f"{name} {sec * 1000:.0f} ms" for name, sec in costs),
        ],
    }


def main() -> None:
    """Run and print (and hand the result to bench/run.py)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=runs_from_env(7))
    emit(run(parser.parse_args().runs))


if __name__ == "__main__":
    main()
