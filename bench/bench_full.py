"""Benchmark (b): full audit of the bundled example with mlx-lm verification, as a fresh process.

Times ``python -m auditor --offline --mirror examples/hub Ailiance-fr/apertus-math-lora`` (the
default ``--verify load``: the adapter loaded with mlx-lm onto a lazy skeleton of Apertus-70B)
and, for comparison, the same audit at ``--verify header`` (safetensors header only, no mlx).
Target: the full audit under 3 s median. One ``-X importtime`` run says what the load path
imports.

    .venv/bin/python bench/bench_full.py [--runs 7]
"""

from __future__ import annotations

import argparse
from typing import Any

from bench_startup import import_costs
from common import EXAMPLE, EXAMPLE_HUB, emit, python, runs_from_env, stats, target, time_command

TARGET_S = 3.0
AUDIT = ["-m", "auditor", "--offline", "--mirror", str(EXAMPLE_HUB), EXAMPLE]


def run(runs: int = 7) -> dict[str, Any]:
    """Time the full audit (load) and the header-only audit."""
    full = stats(
        time_command([python(), *AUDIT], runs), "full audit of the example (--verify load, mlx-lm)"
    )
    header = stats(
        time_command([python(), *AUDIT, "--verify", "header"], runs),
        "same audit, --verify header (no mlx)",
    )
    costs = import_costs(AUDIT)
    return {
        "name": "bench_full",
        "title": "(b) Full audit with mlx-lm verification (bench/bench_full.py)",
        "setup": [
            f"fresh processes, one warm-up each, {runs} timed runs; offline mirror",
            f"python -m auditor --offline --mirror examples/hub {EXAMPLE}",
        ],
        "metrics": [full, header],
        "ratios": [{"name": "load / header", "value": full["median"] / header["median"]}],
        "targets": [target("full audit with mlx-lm (median)", full["median"], TARGET_S)],
        "notes": [
            "import time of the full audit by package (-X importtime, self time summed "
            "per top-level package, one run): "
            + ", ".join(f"{name} {sec * 1000:.0f} ms" for name, sec in costs)
        ],
    }


def main() -> None:
    """Run and print (and hand the result to bench/run.py)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=runs_from_env(7))
    emit(run(parser.parse_args().runs))


if __name__ == "__main__":
    main()
