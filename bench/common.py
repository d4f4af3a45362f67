"""Shared helpers of the benchmark scripts: timing statistics, machine facts, the result protocol.

Every benchmark script in ``bench/`` that follows the protocol exposes ``run(runs) -> dict`` and,
run as a script, prints its numbers and, when the environment variable ``BENCH_JSON`` names a
file, writes the result dict there as JSON so ``bench/run.py`` can record it in RESULTS.md.

A result dict (all keys but ``name`` and ``title`` optional)::

    {"name": "bench_policy", "title": "...", "setup": ["..."],
     "metrics": [{"name": "...", "unit": "s", "median": 0.1, "min": 0.09, "max": 0.2, "runs": 9}],
     "ratios": [{"name": "...", "value": 1.8}],
     "targets": [{"name": "...", "value": 0.1, "limit": 1.0, "unit": "s", "met": True}],
     "notes": ["..."]}
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_HUB = ROOT / "examples" / "hub"
EXAMPLE = "Ailiance-fr/apertus-math-lora"
PACKAGES = (
    "ailiance-audit",
    "huggingface_hub",
    "pydantic",
    "rich",
    "networkx",
    "PyYAML",
    "common-expression-language",
    "license-expression",
    "mlx",
    "mlx-lm",
)


def stats(samples: Sequence[float], name: str, unit: str = "s") -> dict[str, Any]:
    """Median, min and max of repeated measurements (medians: the machine is shared and noisy)."""
    return {
        "name": name,
        "unit": unit,
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "runs": len(samples),
    }


def target(name: str, value: float, limit: float, unit: str = "s") -> dict[str, Any]:
    """A target line: met when ``value`` is under ``limit``."""
    return {"name": name, "value": value, "limit": limit, "unit": unit, "met": value < limit}


def time_call(fn: Callable[[], object], runs: int, warmup: int = 1) -> list[float]:
    """Wall times of ``runs`` calls of ``fn`` after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def offline_env() -> dict[str, str]:
    """Environment for timed subprocesses: never the network (HF offline, a dead endpoint)."""
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", HF_ENDPOINT="http://127.0.0.1:9", HF_HUB_DISABLE_TELEMETRY="1")
    return env


def time_command(
    argv: Sequence[str], runs: int, warmup: int = 1, ok: Sequence[int] = (0, 1)
) -> list[float]:
    """Wall times of ``runs`` fresh processes of ``argv`` (after ``warmup`` untimed ones)."""
    env = offline_env()
    out = []
    for i in range(warmup + runs):
        start = time.perf_counter()
        done = subprocess.run(list(argv), capture_output=True, env=env, cwd=ROOT, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode not in ok:
            raise RuntimeError(f"{argv} exited {done.returncode}: {done.stderr[-500:]!r}")
        if i >= warmup:
            out.append(elapsed)
    return out


def time_paired(commands: Sequence[Sequence[str]], runs: int, warmup: int = 1) -> list[list[float]]:
    """Wall times of fresh processes of each command, interleaved round by round.

    On a shared machine the load drifts between rounds; running a floor and the command it is
    compared with back to back and taking the median of the per-round ratios cancels most of it.
    """
    for argv in commands:
        time_command(argv, 0, warmup=warmup)
    samples: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for n, argv in enumerate(commands):
            samples[n] += time_command(argv, 1, warmup=0)
    return samples


def paired_ratio(samples: Sequence[float], floor: Sequence[float]) -> float:
    """Median of the per-round ratios ``samples[i] / floor[i]``."""
    return statistics.median(a / b for a, b in zip(samples, floor, strict=True))


def runs_from_env(default: int) -> int:
    """Number of repetitions: ``BENCH_RUNS`` when set (bench/run.py --runs), else ``default``."""
    value = os.environ.get("BENCH_RUNS", "")
    return int(value) if value.isdigit() and int(value) > 0 else default


def load_average() -> float | None:
    """The 1-minute load average (how busy the shared machine was)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM, OS, Python and package versions."""
    cpu = platform.processor() or platform.machine()
    mem_kb = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "absent"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kb / 2**20, 1) if mem_kb else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
    }


def emit(result: dict[str, Any]) -> None:
    """Print a result for a person and hand it to bench/run.py (``BENCH_JSON``)."""
    print(f"== {result['title']}")
    for line in result.get("setup", []):
        print(f"   {line}")
    for m in result.get("metrics", []):
        print(
            f"   {m['name']}: median {m['median']:.4g} {m['unit']} "
            f"(min {m['min']:.4g}, max {m['max']:.4g}, {m['runs']} runs)"
        )
    for r in result.get("ratios", []):
        print(f"   ratio {r['name']}: {r['value']:.3g}x")
    for t in result.get("targets", []):
        verdict = "MET" if t["met"] else "NOT MET"
        print(f"   target {t['name']}: {t['value']:.4g} {t['unit']} < {t['limit']} -> {verdict}")
    for note in result.get("notes", []):
        print(f"   note: {note}")
    path = os.environ.get("BENCH_JSON")
    if path:
        Path(path).write_text(json.dumps(result, indent=2, sort_keys=True))


def main_with_runs(run: Callable[[int], dict[str, Any]], doc: str | None, default: int) -> None:
    """The command line of a benchmark whose only knob is ``--runs``: parse, run, emit."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=runs_from_env(default))
    emit(run(parser.parse_args().runs))


def child_json_runs(
    argv: Sequence[str], repeats: int, timeout: float | None = None
) -> list[dict[str, Any]]:
    """Run ``python ARGV`` ``repeats`` times in fresh processes from the repo root; the JSON
    document each prints on its last line."""
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, *argv],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=timeout,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs


def python() -> str:
    """The interpreter running the benchmarks (the project's venv when started with it)."""
    return sys.executable
