"""Benchmark (c): policy evaluation over a synthetic graph of 10,000 nodes with every shipped rule.

Builds the facts document of the example adapter with generated upstream nodes
(``synthetic.py``), loads every shipped pack (``load_policies(["default"])``) and times
``auditor.policy.evaluate`` in this process. It climbs a ladder of graph sizes (250, 500, ...,
10,000) and measures the median of N runs at each; when the next size is predicted (a power law
fitted on the sizes measured so far) to take more than ``--budget`` seconds per evaluation, it
stops and extrapolates to 10,000 nodes with that fit, saying so. Target: under 0.5 s at 10,000
nodes. Also reports the facts-to-CEL conversion, two CEL probes and the slowest rules at the
largest size measured; the CPU time of an evaluation on small graphs (a census repo has a few to
a few dozen upstream nodes); and, in fresh processes, what loading the packs and the first
evaluation of the bundled example cost (the rules' programs are compiled then: every audit pays
it once).

    .venv/bin/python bench/bench_policy.py [--runs 9] [--nodes 10000] [--budget 30]
"""

from __future__ import annotations

import argparse
import functools
import math
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from common import ROOT, emit, offline_env, runs_from_env, stats, target, time_call
from synthetic import synthetic_facts

from auditor.models.codec import dump
from auditor.policy import evaluate, load_policies
from auditor.policy.cel import Session, facts_document, make_context
from auditor.policy.celimport import cel

# Two CEL comprehensions over the same list: ``exists`` keeps a boolean, ``filter`` builds a new
# list. If the binding's list building is quadratic, the second grows ~4x per doubling.
PROBES = {
    "upstream.exists(u, u.id == '')": "exists (no list built)",
    "upstream.filter(u, true).size()": "filter (builds a list of the nodes)",
}

NODES = 10_000
TARGET_S = 0.5


def _converted(document: dict[str, Any]) -> Session:
    """A session whose CEL environment is built (the binding builds it at the first call)."""
    session = Session(document)
    cel.compile("true").execute(session.context)
    return session


def slowest_rules(
    facts: Any, policy: Any, top: int = 5
) -> tuple[list[tuple[str, float, int]], float]:
    """(rule id, seconds, findings) of the slowest rules, one timed run each; and all rules' sum."""
    session = _converted(facts_document(facts, policy))
    out = []
    for rule in policy.rules:
        start = time.perf_counter()
        rows = session.rows(rule)
        out.append((rule.id, time.perf_counter() - start, len(rows)))
    return sorted(out, key=lambda r: -r[1])[:top], sum(r[1] for r in out)


LADDER = (250, 500, 1000, 2000, 4000, 10_000)
PROBE_NODES = 250  # quadratic: ~1.5 s here, 23 s at 1,000 nodes, minutes beyond


def _fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares fit of log(seconds) = log(a) + k log(nodes) over every measured size."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    k = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    return math.exp(my - k * mx), k


def _predict(points: list[tuple[int, float]], n: int) -> float:
    """Power-law extrapolation (fitted on every measured size) to ``n`` nodes."""
    a, k = _fit(points)
    return float(a * n**k)


def _exponent(points: list[tuple[int, float]]) -> float:
    return _fit(points)[1]


LINEAR_FROM = 1000
SMALL = (5, 30)  # upstream nodes of a typical census repo, and of a large one
# Loading the packs and the first evaluation of the example, in a fresh process (the example's
# facts are collected before the clock starts). Prints wall and CPU seconds.
FIRST_RUN = """
import sys, time
sys.path.insert(0, "bench")
from synthetic import example_facts
facts = example_facts()[1]
from auditor.policy import evaluate, load_policies
wall, cpu = time.perf_counter(), time.process_time()
evaluate(facts, load_policies(["default"]))
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(wall, cpu)
"""


def wall_and_cpu(fn: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each of ``runs`` calls of ``fn`` (no warm-up)."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus


def cpu_times(fn: Callable[[], object], runs: int) -> list[float]:
    """CPU seconds of ``runs`` calls of ``fn`` after one untimed call (noise of a shared machine
    shows in wall time first)."""
    fn()
    out = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        out.append(time.process_time() - start)
    return out


def first_run(runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of loading the packs plus the first evaluation, fresh processes."""
    walls, cpus = [], []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", FIRST_RUN], capture_output=True, text=True,
                              env=offline_env(), cwd=ROOT, check=True)
        wall, cpu = (float(x) for x in done.stdout.split())
        walls.append(wall)
        cpus.append(cpu)
    return walls, cpus


def run(runs: int = 9, nodes: int = NODES, budget: float = 30.0) -> dict[str, Any]:
    """Climb the size ladder up to ``nodes``; measure, or extrapolate past ``budget``."""
    policy = load_policies(["default"])
    sizes = [n for n in LADDER if n < nodes] + [nodes]
    points: list[tuple[int, float]] = []
    cpu_points: list[tuple[int, float]] = []
    metrics, facts = [], None
    for n in sizes:
        if len(points) >= 2 and _predict(points, n) > budget:
            break
        facts = synthetic_facts(n)
        first = time.perf_counter()
        findings = len(evaluate(facts, policy))  # also the warm-up
        first = time.perf_counter() - first
        reps = runs if first * runs <= budget else max(1, min(3, int(budget // first)))
        walls, cpus = wall_and_cpu(functools.partial(evaluate, facts, policy), reps)
        metrics.append(stats(walls, f"evaluate(), {n} nodes ({findings} findings)"))
        metrics.append(stats(cpus, f"the same, CPU time, {n} nodes"))
        points.append((n, metrics[-2]["median"]))
        cpu_points.append((n, metrics[-1]["median"]))
    assert facts is not None
    largest = points[-1][0]
    for n in SMALL:
        small = synthetic_facts(n)
        metrics.append(stats(cpu_times(functools.partial(evaluate, small, policy), 10 * runs),
                             f"evaluate() CPU time, {n} nodes (census-sized)"))
    walls, cpus = first_run(runs)
    metrics.append(stats(walls, "load_policies + first evaluate() of the example, fresh process"))
    metrics.append(stats(cpus, "the same, CPU time"))
    measured = largest == nodes
    value = points[-1][1] if measured else _predict(points, nodes)
    # Where the time goes at the largest size: the facts as JSON-able data, their conversion to
    # CEL values (the binding's, per value), and the rules themselves.
    dump_s = time_call(lambda: facts_document(facts, policy), 3)
    label = f"part: facts -> document (codec.dump, node columns), {largest} nodes"
    metrics.append(stats(dump_s, label))
    document = facts_document(facts, policy)
    convert_s = time_call(lambda: _converted(document), 3)
    label = f"part: document -> CEL values and environment, {largest} nodes"
    metrics.append(stats(convert_s, label))
    slow, rules_s = slowest_rules(facts, policy)
    probe_nodes = min(largest, PROBE_NODES)
    context = make_context(dump(synthetic_facts(probe_nodes)))
    for expr, what in PROBES.items():
        program = cel.compile(expr)
        probe = time_call(functools.partial(program.execute, context), 3, warmup=0)
        metrics.append(stats(probe, f"CEL probe at {probe_nodes} nodes: {what}: `{expr}`"))
    notes = [
        f"all {len(policy.rules)} rules at {largest} nodes, the CEL values already built: "
        f"{rules_s:.2f} s (one run)",
        f"slowest rules at {largest} nodes (one run each): "
        + ", ".join(f"{rid} {sec * 1000:.0f} ms ({n} findings)" for rid, sec, n in slow),
    ]
    if len(points) >= 2:
        notes.append(f"fitted over the measured sizes: time ~ nodes^{_exponent(points):.2f}")
    big = [p for p in cpu_points if p[0] >= LINEAR_FROM]
    if len(big) >= 2:
        notes.append(f"CPU time fitted over the sizes from {LINEAR_FROM} nodes (the fixed cost "
                     f"of ~{cpu_points[0][1] * 1000:.0f} ms at {cpu_points[0][0]} nodes aside): "
                     f"~ nodes^{_exponent(big):.2f}")
    if not measured:
        notes.append(
            f"{nodes} nodes not run: predicted {value:.0f} s per evaluation (budget "
            f"{budget:.0f} s); the target value is that power-law extrapolation"
        )
    label = f"policy evaluation, {nodes} nodes (median{'' if measured else ', extrapolated'})"
    return {
        "name": "bench_policy",
        "title": "(c) Policy evaluation over a synthetic graph (bench/bench_policy.py)",
        "setup": [
            f"upstream nodes under the example adapter (seeded: models and datasets, depth 1-10, "
            f"real license ids, 10% gated, 5% unresolved); {len(policy.rules)} shipped rules "
            f"from {len(policy.sources)} packs; in-process",
        ],
        "metrics": metrics,
        "targets": [target(label, value, TARGET_S)],
        "notes": notes,
    }


def main() -> None:
    """Run and print (and hand the result to bench/run.py)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=runs_from_env(9))
    parser.add_argument("--nodes", type=int, default=NODES)
    parser.add_argument(
        "--budget",
        type=float,
        default=30.0,
        help="largest predicted seconds per evaluation before extrapolating",
    )
    args = parser.parse_args()
    emit(run(args.runs, args.nodes, args.budget))


if __name__ == "__main__":
    main()
