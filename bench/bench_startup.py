"""Benchmark (a): start-up and a card-only audit, as fresh processes, against bare baselines.

A git hook pays for a whole process each time, so everything is timed as a subprocess: the bare
interpreter (``python -c pass``), ``python -m auditor --version`` and ``--help``, and the card-only
audit of the bundled example (``--offline --mirror examples/hub Ailiance-fr/apertus-math-lora
--verify none``), paired round by round with the floor of importing huggingface_hub, PyYAML and
pydantic. Targets: the audit at most 2x the floor (median of the per-round ratios), ``--version``
and ``--help`` under 0.1 s.

Every process runs with compiled bytecode, as an installed tool does (pip writes ``.pyc`` files at
install): ``PYTHONDONTWRITEBYTECODE`` is dropped and ``PYTHONPYCACHEPREFIX`` points at a temporary
directory the warm-up runs fill, so neither the checkout nor site-packages is written; the warm-up
runs also fill the cache of derived data (the compiled rules, ``auditor.derived``), as any second
run after an install finds it. Beside the
wall time, each process's CPU time (user + system, from ``wait4``) is recorded: on a shared machine
it moves less with the load. One ``-X importtime`` run says which top-level imports the time goes
to, and a phase probe (fresh processes, CPU time per phase) says where the audit's time goes.

    .venv/bin/python bench/bench_startup.py [--runs 11]
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from typing import Any

from common import (
    EXAMPLE,
    EXAMPLE_HUB,
    ROOT,
    main_with_runs,
    offline_env,
    python,
    stats,
    target,
)

RATIO_TARGET = 2.0  # card-only audit / import floor, median of paired rounds
CLI_TARGET_S = 0.1  # --version and --help
FLOOR = ["-c", "import huggingface_hub, yaml, pydantic"]
AUDIT = ["-m", "auditor", "--offline", "--mirror", str(EXAMPLE_HUB), EXAMPLE, "--verify", "none"]
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)")

# The card-only audit in one process, cut into phases (CPU ms each, printed as JSON). The order
# is the CLI's: the command layer, then the imports the audit needs, the rules, the audit, the
# report. The audit builds no pydantic model (the data model is dataclasses), so pydantic's
# machinery, which the floor's lazy ``import pydantic`` leaves out, is no phase of it.
PHASES = (
    (
        "interpreter and floor imports (huggingface_hub, yaml, pydantic)",
        "import huggingface_hub, yaml, pydantic",
    ),
    ("command layer (auditor.cli)", "import auditor.cli"),
    ("data model (auditor.models)", "import auditor.models"),
    ("card parser (auditor.card; patterns compile on first use)", "import auditor.card"),
    ("policy stage import (auditor.policy, CEL binding)", "import auditor.policy"),
    (
        "rest of the pipeline (auditor.pipeline, auditor.verify)",
        "import auditor.pipeline, auditor.verify",
    ),
    (
        "text format and output modules",
        "import auditor.formats.text, auditor.writing, auditor.exitcodes, auditor.options, "
        "auditor.targets",
    ),
    (
        "load_policies(): compile the shipped rules",
        "from auditor.policy import load_policies\npolicy = load_policies(['default'])",
    ),
    (
        "the audit (resolve, card with its patterns, graph, evidence, facts, evaluate)",
        "from auditor.cli import build_parser\n"
        "from auditor.options import options_from\n"
        "from auditor.targets import expand_targets\n"
        "from auditor.pipeline import make_report, run_iter\n"
        f"args = build_parser().parse_args({AUDIT[2:]!r})\n"
        "targets = expand_targets(args.targets, None, mirrors=args.mirror, offline=True)\n"
        "report = make_report(list(run_iter(targets, options_from(args), policy)), policy)",
    ),
    ("text report", "from auditor.formats import base\nbase.get('text').render(report)"),
)


def bytecode_env(cache: str) -> dict[str, str]:
    """:func:`offline_env` with compiled bytecode cached in ``cache`` (as after a pip install)."""
    env = offline_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def run_timed(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one fresh process; exit 0 or 1 (findings)."""
    with subprocess.Popen(
        list(argv), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as proc:
        start = time.perf_counter()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read() if proc.stderr else b""
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{argv} exited {proc.returncode}: {err[-500:]!r}")
    return wall, usage.ru_utime + usage.ru_stime


def paired(
    commands: Sequence[Sequence[str]], runs: int, env: dict[str, str]
) -> list[list[tuple[float, float]]]:
    """(wall, cpu) of each command, round by round after one warm-up each (which also fills
    the bytecode cache): a floor and its command back to back cancel most of the load drift."""
    for argv in commands:
        run_timed(argv, env)
    samples: list[list[tuple[float, float]]] = [[] for _ in commands]
    for _ in range(runs):
        for n, argv in enumerate(commands):
            samples[n].append(run_timed(argv, env))
    return samples


def ratio(samples: list[tuple[float, float]], floor: list[tuple[float, float]], i: int) -> float:
    """Median of the per-round ratios of wall (``i=0``) or CPU (``i=1``) time."""
    return statistics.median(a[i] / b[i] for a, b in zip(samples, floor, strict=True))


def import_costs(args: list[str], env: dict[str, str], top: int = 10) -> list[tuple[str, float]]:
    """Import time (s) per top-level package, summing each module's *self* time (so a package
    is charged for its own modules only, whoever imported them), largest first."""
    done = subprocess.run(
        [python(), "-X", "importtime", *args],
        capture_output=True,
        text=True,
        env=env,
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


def phase_profile(env: dict[str, str], runs: int) -> list[tuple[str, float]]:
    """Median CPU ms of each of :data:`PHASES`, one fresh process per run."""
    # process_time() counts from exec; the collector is handled as the console script does
    # (off during start-up, start-up frozen out of it before the audit).
    lines = ["import gc, json, sys, time", "gc.disable()", "_ms = []", "_t = 0.0"]
    for name, code in PHASES:
        if name.startswith("the audit"):
            lines.append("gc.freeze(); gc.enable()")
        lines += [code, "_ms.append((time.process_time() - _t) * 1000); _t = time.process_time()"]
    lines.append("print(json.dumps(_ms), file=sys.stderr)")
    script = "\n".join(lines)
    rows = []
    for _ in range(runs + 1):  # the first run only warms the caches
        done = subprocess.run(
            [python(), "-c", script], capture_output=True, text=True, env=env, cwd=ROOT, check=True
        )
        rows.append(json.loads(done.stderr.strip().splitlines()[-1]))
    return [
        (name, statistics.median(row[i] for row in rows[1:])) for i, (name, _) in enumerate(PHASES)
    ]


def run(runs: int = 11) -> dict[str, Any]:
    """Time the floor, the audit, ``--version`` and ``--help`` in paired rounds."""
    with tempfile.TemporaryDirectory(prefix="bench-pyc-") as cache:
        env = bytecode_env(cache)
        commands = {
            "bare": [python(), "-c", "pass"],
            "floor": [python(), *FLOOR],
            "audit": [python(), *AUDIT],
            "version": [python(), "-m", "auditor", "--version"],
            "help": [python(), "-m", "auditor", "--help"],
        }
        bare, floor, audit, version, help_ = paired(list(commands.values()), runs, env)
        costs = import_costs(AUDIT, env)
        phases = phase_profile(env, max(3, runs // 2))
    wall = lambda s: [w for w, _ in s]  # noqa: E731
    cpu = lambda s: [c for _, c in s]  # noqa: E731
    wall_ratio, cpu_ratio = ratio(audit, floor, 0), ratio(audit, floor, 1)
    total = sum(ms for _, ms in phases)
    return {
        "name": "bench_startup",
        "title": "(a) Start-up and card-only audit (bench/bench_startup.py)",
        "setup": [
            f"fresh processes, one warm-up each, {runs} paired rounds (bare, floor, audit, "
            "--version, --help back to back); offline mirror; compiled bytecode cached as after "
            "an install (PYTHONPYCACHEPREFIX in a temporary directory)",
            f"audit: python -m auditor --offline --mirror examples/hub {EXAMPLE} --verify none",
            "floor: python -c 'import huggingface_hub, yaml, pydantic'",
            "CPU = user + system time of the process (wait4)",
        ],
        "metrics": [
            stats(wall(bare), "python -c pass"),
            stats(wall(floor), "floor: import huggingface_hub, yaml, pydantic"),
            stats(wall(audit), "card-only audit of the example (--verify none)"),
            stats(wall(version), "ailiance-audit --version"),
            stats(wall(help_), "ailiance-audit --help"),
            stats(cpu(bare), "CPU: python -c pass"),
            stats(cpu(floor), "CPU: floor"),
            stats(cpu(audit), "CPU: card-only audit"),
            stats(cpu(version), "CPU: --version"),
            stats(cpu(help_), "CPU: --help"),
        ],
        "ratios": [
            {
                "name": "card-only audit / floor, wall (median of paired rounds)",
                "value": wall_ratio,
            },
            {"name": "card-only audit / floor, CPU (median of paired rounds)", "value": cpu_ratio},
        ],
        "targets": [
            target("card-only audit / floor", wall_ratio, RATIO_TARGET, unit="x"),
            target("--version (median)", statistics.median(wall(version)), CLI_TARGET_S),
            target("--help (median)", statistics.median(wall(help_)), CLI_TARGET_S),
        ],
        "notes": [
            "where the audit's time goes (CPU ms per phase, median of fresh processes; "
            f"{total:.0f} ms in all): " + "; ".join(f"{name} {ms:.0f}" for name, ms in phases),
            "import time of the card-only audit by package (-X importtime, self time "
            "summed per top-level package, one run): "
            + ", ".join(f"{name} {sec * 1000:.0f} ms" for name, sec in costs),
        ],
    }


def main() -> None:
    """Run and print (and hand the result to bench/run.py)."""
    main_with_runs(run, __doc__, 11)


if __name__ == "__main__":
    main()
