"""Simulation for docs/scale.md: throughput per core of the per-repo step of a Hub-wide audit.

The per-repo step is everything an audit does once the files are at hand: parse the card, walk
the lineage (``build_graph``) with every upstream lookup served from an in-memory cache of
pre-parsed upstream repos (what a shared cache or actor provides at scale), estimate compute,
build the facts document, evaluate every shipped rule and serialise the target report (one JSON
line per repo, what a Hub-wide run stores). Network I/O and mlx verification are
excluded (measured elsewhere: bench_hub.py, bench_full.py, bench_verify.py).

Synthetic population: ``--repos`` adapter cards made from the three example cards with a base
drawn from 20 bases and 1-3 datasets from 200, both Zipf-distributed (a few popular bases and
datasets, a long tail, as on the Hub). It runs in one process, then in one process per core
(multiprocessing), and reports repos/s per core, parallel efficiency, the per-stage split and
the size of a cached upstream entry. The repeated medians feed the extrapolation in the note.

    .venv/bin/python bench/simulate_scale.py [--repos 400] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import pickle
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from common import EXAMPLE_HUB, emit, runs_from_env, stats

from auditor.card import parse_card
from auditor.compute import estimate, tokens_from_text
from auditor.facts import build_facts
from auditor.graph import Upstream, build_graph
from auditor.models import AdapterEvidence, RepoKind, RepoSnapshot, Target, TargetReport
from auditor.models.codec import dump
from auditor.policy import evaluate, load_policies

BASES, DATASETS = 20, 200
LICENSES = ("apache-2.0", "mit", "llama3.1", "gemma", "cc-by-nc-4.0", "openrail", "cc-by-4.0")
DATA_LICENSES = (
    "cc-by-4.0",
    "cc-by-sa-4.0",
    "apache-2.0",
    "mit",
    "odc-by",
    "cc-by-nc-4.0",
    "unknown",
)
TEMPLATES = ("apertus-math-lora", "apertus-math-orca-lora", "apertus-math-drift-lora")
STAGES = ("parse", "graph", "facts", "evaluate", "report")


def _zipf(rng: random.Random, n: int) -> int:
    """An index in [0, n) with P(i) ~ 1/(i+1)."""
    weights = [1 / (i + 1) for i in range(n)]
    return rng.choices(range(n), weights)[0]


def population(repos: int, seed: int = 11) -> list[tuple[str, str]]:
    """(repo id, card text) of the synthetic adapters."""
    rng = random.Random(seed)
    texts = [(EXAMPLE_HUB / "Ailiance-fr" / t / "README.md").read_text() for t in TEMPLATES]
    out = []
    for i in range(repos):
        text = texts[i % len(texts)]
        _, _, body = text.partition("\n---\n")
        picks = sorted({_zipf(rng, DATASETS) for _ in range(rng.randint(1, 3))})
        front = (
            f"---\nlicense: {rng.choice(LICENSES)}\nbase_model: sim/base-{_zipf(rng, BASES)}\n"
            "library_name: mlx\ndatasets:\n" + "".join(f"- sim/data-{d}\n" for d in picks)
        )
        out.append((f"sim-org{i % 500}/adapter-{i}", front + "---\n" + body))
    return out


def upstream_cache() -> tuple[dict[tuple[str, RepoKind], Upstream], dict[str, Any], dict[str, str]]:
    """Pre-parsed upstream repos (bases and datasets), base configs, base card texts."""
    config = json.loads(
        (EXAMPLE_HUB / "swiss-ai/Apertus-70B-Instruct-2509/config.json").read_text()
    )
    base_card = (EXAMPLE_HUB / "swiss-ai/Apertus-70B-Instruct-2509/README.md").read_text()
    cache: dict[tuple[str, RepoKind], Upstream] = {}
    configs, texts = {}, {}
    for i in range(BASES):
        rid = f"sim/base-{i}"
        text = base_card.replace("license: apache-2.0", f"license: {LICENSES[i % len(LICENSES)]}")
        snap = RepoSnapshot(
            repo_id=rid,
            kind=RepoKind.MODEL,
            origin="cache",
            location=rid,
            revision=f"{i:040x}",
            files=("README.md", "config.json"),
        )
        cache[(rid, RepoKind.MODEL)] = Upstream(snap, parse_card(text))
        configs[rid], texts[rid] = config, text
    for i in range(DATASETS):
        rid = f"sim/data-{i}"
        text = f"---\nlicense: {DATA_LICENSES[i % len(DATA_LICENSES)]}\n---\n# dataset {i}\n"
        snap = RepoSnapshot(
            repo_id=rid,
            kind=RepoKind.DATASET,
            origin="cache",
            location=rid,
            revision=f"{i:040x}",
            files=("README.md",),
        )
        cache[(rid, RepoKind.DATASET)] = Upstream(snap, parse_card(text))
    return cache, configs, texts


def make_step() -> Callable[[str, str, dict[str, float]], int]:
    """The per-repo step, with its shared state (cache, policy) built once per worker."""
    cache, configs, texts = upstream_cache()
    policy = load_policies(["default"])
    evidence = AdapterEvidence()  # verification excluded (see the module docstring)
    tokens = {rid: tokens_from_text(t) for rid, t in texts.items()}

    def lookup(repo_id: str, kind: RepoKind) -> Upstream:
        return cache.get((repo_id, kind)) or Upstream(None, None, "not in cache")

    def step(repo_id: str, text: str, clock: dict[str, float]) -> int:
        t0 = time.perf_counter()
        claims = parse_card(text)
        snap = RepoSnapshot(
            repo_id=repo_id,
            kind=RepoKind.MODEL,
            origin="cache",
            location=repo_id,
            files=("README.md", "adapter_config.json", "adapters.safetensors"),
        )
        t1 = time.perf_counter()
        graph = build_graph(snap, claims, lookup, workers=1)
        base = claims.metadata.base_model[0] if claims.metadata.base_model else None
        compute = estimate(
            base_config=configs.get(base or ""),
            base_id=base,
            base_tokens=tokens.get(base or ""),
            base_flop_reported=None,
            adapter=evidence,
            card=claims,
        )
        t2 = time.perf_counter()
        facts = build_facts(snap, claims, graph, evidence, compute)
        t3 = time.perf_counter()
        findings = evaluate(facts, policy)
        t4 = time.perf_counter()
        # What a Hub-wide run stores per repo: one JSON line of its target report.
        json.dumps(dump(TargetReport(
            target=Target(spec=repo_id, repo_id=repo_id),
            status="audited",
            snapshot=snap,
            graph=graph,
            claims=claims,
            evidence=evidence,
            compute=compute,
            findings=tuple(findings),
        )), separators=(",", ":"))
        t5 = time.perf_counter()
        for name, a, b in zip(STAGES, (t0, t1, t2, t3, t4), (t1, t2, t3, t4, t5), strict=True):
            clock[name] = clock.get(name, 0.0) + b - a
        clock["nodes"] = clock.get("nodes", 0) + len(graph.nodes)
        return len(findings)

    return step


def worker(repos: list[tuple[str, str]]) -> tuple[float, dict[str, float], int]:
    """Audit ``repos`` after a warm-up; (seconds, per-stage seconds, findings)."""
    step = make_step()
    for rid, text in repos[:10]:
        step(rid, text, {})
    clock: dict[str, float] = {}
    start = time.perf_counter()
    findings = sum(step(rid, text, clock) for rid, text in repos)
    return time.perf_counter() - start, clock, findings


def parallel(repos: list[tuple[str, str]], procs: int) -> float:
    """Aggregate repos/s with ``procs`` worker processes, each timing its own share."""
    shares = [repos[i::procs] for i in range(procs)]
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        results = pool.map(worker, shares)
    return sum(len(s) / sec for s, (sec, _, _) in zip(shares, results, strict=True))


def entry_bytes() -> float:
    """Mean pickled size of one cached upstream entry (what a shared cache ships per node)."""
    cache, _, _ = upstream_cache()
    return statistics.mean(len(pickle.dumps(u)) for u in cache.values())


def run(runs: int = 3, repos: int = 400) -> dict[str, Any]:
    """Single-process and per-core-parallel throughput of the per-repo step."""
    pop = population(repos)
    cores = os.cpu_count() or 1
    single, clocks, findings = [], [], 0
    for _ in range(runs):
        sec, clock, findings = worker(pop)
        single.append(repos / sec)
        clocks.append(clock)
    para = [parallel(pop, cores) for _ in range(runs)] if cores > 1 else list(single)
    one = statistics.median(single)
    split = {k: statistics.median(c[k] for c in clocks) for k in STAGES}
    total = sum(split.values())
    return {
        "name": "simulate_scale",
        "title": "Scale simulation: the per-repo step (bench/simulate_scale.py, docs/scale.md)",
        "setup": [
            f"{repos} synthetic adapters (3 card templates), {BASES} bases and {DATASETS} "
            "datasets, Zipf popularity; upstream served from an in-memory cache; no "
            "network, no mlx; every shipped rule",
            f"{runs} runs; parallel = {cores} spawned processes on {cores} cores",
        ],
        "metrics": [
            stats(single, "per-repo step, 1 process", "repos/s"),
            stats(para, f"per-repo step, {cores} processes (aggregate)", "repos/s"),
            stats([1000 / s for s in single], "per repo, 1 process", "ms"),
        ],
        "ratios": [
            {
                "name": f"parallel efficiency ({cores} processes / {cores} x 1 process)",
                "value": statistics.median(para) / (cores * one),
            }
        ],
        "notes": [
            "time split of the step: "
            + ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in split.items()),
            f"{clocks[0]['nodes'] / repos:.1f} graph nodes and "
            f"{findings / repos:.1f} findings per repo; a cached upstream entry pickles "
            f"to {entry_bytes() / 1024:.1f} KiB on average",
        ],
        "per_core_repos_per_s": one,
        "parallel_repos_per_s": statistics.median(para),
        "cores": cores,
    }


def main() -> None:
    """Run and print (and hand the result to bench/run.py)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=runs_from_env(3))
    parser.add_argument("--repos", type=int, default=400)
    args = parser.parse_args()
    emit(run(args.runs, args.repos))


if __name__ == "__main__":
    main()
