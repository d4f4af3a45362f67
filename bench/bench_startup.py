"""Benchmark (a): start-up and a card-only audit, as fresh processes, against bare baselines.

A git hook pays for a whole process each time, so everything is timed as a subprocess: the bare
interpreter (``python -c pass``), the baseline ``python -c "import huggingface_hub"``,
``python -m auditor --version`` and the card-only audit of the bundled example
(``--offline --mirror examples/hub Ailiance-fr/apertus-math-lora --verify none``), paired round
by round with the floor of importing huggingface_hub, PyYAML and pydantic. Targets: the audit at
most 2x the floor (median of the per-round ratios), ``--version`` and ``--help`` under 0.1 s.
One ``-X importtime`` run of the audit says which top-level imports the time goes to.

    .venv/bin/python bench/bench_startup.py [--runs 11]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
from typing import Any

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

RATIO_TARGET = 2.0  # card-only audit / import floor, median of paired rounds
CLI_TARGET_S = 0.1  # --version and --help
FLOOR = ["-c", "import huggingface_hub, yaml, pydantic"]
AUDIT = ["-m", "auditor", "--offline", "--mirror", str(EXAMPLE_HUB), EXAMPLE, "--verify", "none"]
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)")


def import_costs(args: list[str], top: int = 10) -> list[tuple[str, float]]:
    """Import time (s) per top-level package, summing each module's *self* time (so a package
    is charged for its own modules only, whoever imported them), largest first."""
    done = subprocess.run(
        [python(), "-X", "importtime", *args],
        capture_output=True,
        text=True,
        env=offline_env(),
        cwd=ROOT,
        check=False,
    )
    totals: dict[str, float] = {}
    for line in done.stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match:
            package = match.group(2).split(".")[0]
            totals[package] = totals.get(package, 0.0) + int(match.group(1)) / 1e6
    return sorted(totals.items(), key=lambda kv: -kv[1])[:top]


def run(runs: int = 11) -> dict[str, Any]:
    """Time the floor, the audit, ``--version`` and ``--help`` in paired rounds."""
    bare = stats(time_command([python(), "-c", "pass"], runs), "python -c pass")
    commands = {
        "floor": [python(), *FLOOR],
        "audit": [python(), *AUDIT],
        "version": [python(), "-m", "auditor", "--version"],
        "help": [python(), "-m", "auditor", "--help"],
    }
    floor, audit, version, help_ = time_paired(list(commands.values()), runs)
    ratio = paired_ratio(audit, floor)
    costs = import_costs(AUDIT)
    return {
        "name": "bench_startup",
        "title": "(a) Start-up and card-only audit (bench/bench_startup.py)",
        "setup": [
            f"fresh processes, one warm-up each, {runs} paired rounds (floor, audit, --version, "
            "--help back to back); offline mirror",
            f"audit: python -m auditor --offline --mirror examples/hub {EXAMPLE} --verify none",
            "floor: python -c 'import huggingface_hub, yaml, pydantic'",
        ],
        "metrics": [
            bare,
            stats(floor, "floor: import huggingface_hub, yaml, pydantic"),
            stats(audit, "card-only audit of the example (--verify none)"),
            stats(version, "ailiance-audit --version"),
            stats(help_, "ailiance-audit --help"),
        ],
        "ratios": [{"name": "card-only audit / floor (median of paired rounds)", "value": ratio}],
        "targets": [
            target("card-only audit / floor", ratio, RATIO_TARGET, unit="x"),
            target("--version (median)", statistics.median(version), CLI_TARGET_S),
            target("--help (median)", statistics.median(help_), CLI_TARGET_S),
        ],
        "notes": [
            "import time of the card-only audit by package (-X importtime, self time "
            "summed per top-level package, one run): "
            + ", ".join(f"{name} {sec * 1000:.0f} ms" for name, sec in costs)
        ],
    }


def main() -> None:
    """Run and print (and hand the result to bench/run.py)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=runs_from_env(11))
    emit(run(parser.parse_args().runs))


if __name__ == "__main__":
    main()
