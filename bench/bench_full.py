"""Benchmark (b): full audit of the bundled example with mlx-lm verification, as a fresh process.

Times ``python -m auditor --offline --mirror examples/hub Ailiance-fr/apertus-math-lora`` (the
default ``--verify load``: the adapter loaded with mlx-lm onto a lazy skeleton of Apertus-70B,
in the load-check worker the CLI forks at start) and, for comparison, the same audit in one
process (no worker) and at ``--verify header`` (safetensors header only, no mlx). Wall and CPU
time of each. Targets: the full audit at most 1.2x the floor of importing mlx-lm (median of the
ratios of paired rounds), and a peak RSS under 150 MB (per process; the sum of the CLI's and
the worker's peaks is reported beside it). One ``-X importtime`` run says what is imported.

    .venv/bin/python bench/bench_full.py [--runs 7]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from typing import Any

from bench_startup import import_costs
from common import (
    EXAMPLE,
    EXAMPLE_HUB,
    ROOT,
    main_with_runs,
    offline_env,
    paired_ratio,
    python,
    stats,
    target,
    time_command,
)

RATIO_TARGET = 1.2
RSS_TARGET_MB = 150.0
FLOOR = ["-c", "import mlx_lm"]
ARGS = ["--offline", "--mirror", str(EXAMPLE_HUB), EXAMPLE]
AUDIT = ["-m", "auditor", *ARGS]
IN_PROCESS = [  # the same audit with no load-check worker: everything in one process, in turn
    "-c",
    "import auditor.prestart as p; p.prestart = lambda *a: False; "
    "from auditor.cli import main_entry; main_entry()",
    *ARGS,
]
PEAKS = """
import time
T0 = time.perf_counter()
import contextlib, io, json, sys
import auditor.prestart as p
asked, cpu = [], {}
def ran(pid):  # CPU seconds the process has run (since the fork, for the worker)
    with open(f"/proc/{pid}/schedstat") as fh:
        return int(fh.read().split()[0]) / 1e9
def prestart(entry, *args, _prestart=p.prestart):
    cpu["fork"] = time.process_time()
    started = _prestart(entry, *args)
    import auditor.verify.worker as w  # after the fork, where the CLI imports it
    def ask(request, _ask=w.ask):
        asked.append(time.perf_counter() - T0)
        answer = _ask(request)
        asked.append(time.perf_counter() - T0)
        if "answer" not in cpu and p.get(entry) is not None:
            cpu["answer"], cpu["worker"] = time.process_time(), ran(p.get(entry)[0].pid)
        return answer
    w.ask = ask
    return started
p.prestart = prestart
from auditor.cli import main_entry  # as python -m auditor runs (collection paused at start)
sys.argv[0] = "ailiance-audit"
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main_entry()
asked.append(time.perf_counter() - T0)
path = [cpu["fork"], cpu["worker"], time.process_time() - cpu["answer"]]
def hwm(pid):
    with open(f"/proc/{pid}/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM")) / 1024
started = p.get(p.LOAD_CHECK)
print(json.dumps([hwm("self"), hwm(started[0].pid) if started else 0.0, asked, path]))
"""


def run_rusage(argv: list[str]) -> tuple[float, float, float]:
    """Wall time, CPU time (user + system) and peak RSS (MB) of one fresh process of ``argv``.

    ``wait4``'s rusage covers the process and the children it reaped (the load-check worker):
    CPU is their sum, the peak RSS the largest of them.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=offline_env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{argv} exited {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # kB on Linux


def paired(commands: list[list[str]], runs: int) -> list[list[tuple[float, float, float]]]:
    """Fresh processes of each command, interleaved round by round after one warm-up each."""
    for argv in commands:
        run_rusage(argv)
    samples: list[list[tuple[float, float, float]]] = [[] for _ in commands]
    for _ in range(runs):
        for n, argv in enumerate(commands):
            samples[n].append(run_rusage(argv))
    return samples


def process_peaks() -> tuple[float, float, list[float], list[float]]:
    """Peak RSS (MB) of the CLI process and of its load-check worker, in one audit; when (s
    after the CLI's imports began) the CLI sent the check, got the answer and was done; and the
    critical path in CPU seconds: the CLI up to the fork, the worker from the fork to its
    answer (mlx-lm's import and the check), the CLI after the answer."""
    done = subprocess.run(
        [python(), "-c", PEAKS, *ARGS],
        env=offline_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    cli, worker, asked, path = json.loads(done.stdout.strip().splitlines()[-1])
    return cli, worker, asked, path


def run(runs: int = 7) -> dict[str, Any]:
    """Time the full audit (load) against the mlx-lm import floor, in process and worker modes."""
    commands = [[python(), *FLOOR], [python(), *AUDIT], [python(), *IN_PROCESS]]
    floor, full, alone = paired(commands, runs)
    wall = lambda xs: [x[0] for x in xs]  # noqa: E731
    cpu = lambda xs: [x[1] for x in xs]  # noqa: E731
    ratio = paired_ratio(wall(full), wall(floor))
    alone_ratio = paired_ratio(wall(alone), wall(floor))
    cpu_ratio = paired_ratio(cpu(full), cpu(floor))
    header = stats(
        time_command([python(), *AUDIT, "--verify", "header"], runs),
        "same audit, --verify header (no mlx)",
    )
    rss = max(max(x[2] for x in full), *(run_rusage([python(), *AUDIT])[2] for _ in range(2)))
    peaks = [process_peaks() for _ in range(3)]
    cli_peak, worker_peak = max(p[0] for p in peaks), max(p[1] for p in peaks)
    summed = max(p[0] + p[1] for p in peaks)
    sent, answered, done = (statistics.median(p[2][i] for p in peaks) for i in range(3))
    before, checked, after = (statistics.median(p[3][i] for p in peaks) for i in range(3))
    floor_rss = max(x[2] for x in floor)
    costs = import_costs(AUDIT, offline_env())
    return {
        "name": "bench_full",
        "title": "(b) Full audit with mlx-lm verification (bench/bench_full.py)",
        "setup": [
            f"fresh processes, one warm-up each, {runs} paired rounds (floor, audit, audit in "
            "one process); offline",
            f"python -m auditor --offline --mirror examples/hub {EXAMPLE}",
            "floor: python -c 'import mlx_lm'",
            "in one process: the same audit with no load-check worker (mlx-lm imported after "
            "the card audit, in the same process: the design before the worker)",
        ],
        "metrics": [
            stats(wall(floor), "floor: import mlx_lm, wall"),
            stats(cpu(floor), "floor: import mlx_lm, CPU (user + system)"),
            stats(wall(full), "full audit of the example (--verify load), wall"),
            stats(cpu(full), "full audit, CPU (both processes, user + system)"),
            stats(wall(alone), "full audit in one process (no worker), wall"),
            stats(cpu(alone), "full audit in one process, CPU"),
            header,
        ],
        "ratios": [
            {"name": "load / mlx-lm floor, wall (median of paired rounds)", "value": ratio},
            {"name": "load in one process / floor, wall", "value": alone_ratio},
            {"name": "load / floor, CPU time", "value": cpu_ratio},
        ],
        "targets": [
            target("full audit / mlx-lm floor", ratio, RATIO_TARGET, unit="x"),
            target("full audit peak RSS, largest process (max of runs)", rss, RSS_TARGET_MB, "MB"),
        ],
        "notes": [
            f"peak RSS per process (max of 3 audits): CLI {cli_peak:.0f} MB, load-check worker "
            f"{worker_peak:.0f} MB; the two together at most {summed:.0f} MB (peaks added, "
            "so pages shared since the fork count twice)",
            f"peak RSS of the floor (import mlx_lm): {floor_rss:.0f} MB",
            f"critical path (median of 3 audits, seconds after the CLI's imports began): the "
            f"CLI sends the check at {sent:.2f} s, waits for the worker (its mlx-lm import) "
            f"until {answered:.2f} s, and is done at {done:.2f} s",
            f"critical path in CPU (median of 3 audits; the sum is what the audit would take on "
            f"two free cores): the CLI up to the fork {before:.3f} s, the worker from the fork "
            f"to its answer (mlx-lm's import, the check) {checked:.3f} s, the CLI after the "
            f"answer {after:.3f} s; in all {before + checked + after:.3f} s against the floor's "
            f"{statistics.median(cpu(floor)):.3f} s CPU",
            "CPU time is what the 2 shared cores' contention inflates least; the audit's CPU "
            "includes the worker's (wait4 of the CLI process)",
            "import time of the full audit by package (-X importtime, self time summed "
            "per top-level package, both processes, one run): "
            + ", ".join(f"{name} {sec * 1000:.0f} ms" for name, sec in costs),
        ],
    }


def main() -> None:
    """Run and print (and hand the result to bench/run.py)."""
    main_with_runs(run, __doc__, 7)


if __name__ == "__main__":
    main()
