"""Synthetic license graphs for the policy benchmark and the scale simulation.

The subject is the bundled example adapter, collected by the real pipeline (card, evidence,
compute) so every rule sees realistic facts; its upstream is replaced by ``n`` generated nodes
(models and datasets, depth 1..10, a seeded mix of real license ids, some gated, some
unresolved) joined by a random tree of edges. Deterministic for a given ``n`` and ``seed``.
"""

from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path
from typing import Literal

from auditor.facts import build_facts
from auditor.licenses import normalise
from auditor.models import (
    Edge,
    Facts,
    License,
    LicenseGraph,
    Location,
    Node,
    RepoKind,
    RepoSnapshot,
)
from auditor.pipeline import AuditOptions, collect, make_resolver
from auditor.sources.base import parse_target

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_HUB = ROOT / "examples" / "hub"
EXAMPLE = "Ailiance-fr/apertus-math-lora"
# Declared values seen on real cards (docs/legal-basis.md §6): permissive, ShareAlike, NC, custom,
# unknown.
LICENSES = (
    "apache-2.0",
    "mit",
    "cc-by-4.0",
    "cc-by-sa-4.0",
    "cc-by-nc-4.0",
    "llama3.1",
    "gemma",
    "openrail",
    "bsd-3-clause",
    "cc0-1.0",
    "odc-by",
    "unknown",
    None,
)
GATE = "You agree to the acceptable use policy of this model before downloading it."


@lru_cache(maxsize=1)
def example_facts() -> tuple[RepoSnapshot, Facts]:
    """The example adapter's real snapshot and facts (header-level verification, offline)."""
    options = AuditOptions(mirrors=[EXAMPLE_HUB], offline=True, verify="header")
    snapshot, facts, *_ = collect(parse_target(EXAMPLE), make_resolver(options), options)
    return snapshot, facts


@lru_cache(maxsize=64)
def _license(declared: str | None) -> License:
    return normalise(declared)


def upstream_nodes(n: int, seed: int = 7) -> tuple[list[Node], list[Edge]]:
    """``n`` upstream nodes under the example subject, and the edges of a random tree."""
    rng = random.Random(seed)
    subject = EXAMPLE
    nodes: list[Node] = []
    edges: list[Edge] = []
    models = [subject]
    for i in range(n):
        is_dataset = rng.random() < 0.4
        parent = rng.choice(models[-50:]) if len(models) > 1 and rng.random() < 0.8 else subject
        depth = 1 if parent == subject else min(10, 2 + i % 9)
        declared = rng.choice(LICENSES)
        resolved = rng.random() > 0.05
        gated = not is_dataset and rng.random() < 0.1
        node_id = f"org{i % 97}/{'ds' if is_dataset else 'model'}-{i}"
        nodes.append(
            Node(
                id=node_id,
                kind=RepoKind.DATASET if is_dataset else RepoKind.MODEL,
                role="dataset" if is_dataset else "base",
                depth=depth,
                resolved=resolved,
                reason=None if resolved else "not found (synthetic)",
                origin="mirror" if resolved else None,
                license=_license(declared if resolved else None),
                gated=gated,
                gated_prompt=GATE if gated else None,
                files=("README.md",) if resolved else (),
                declared_at=Location(file="README.md", line=3),
                card_file="README.md" if resolved else None,
            )
        )
        relation: Literal["trained_on", "finetune_of", "adapter_of"] = (
            "trained_on" if is_dataset else rng.choice(("finetune_of", "adapter_of"))
        )
        edges.append(
            Edge(
                source=parent,
                target=node_id,
                relation=relation,
                location=Location(file="README.md", line=3),
            )
        )
        if not is_dataset:
            models.append(node_id)
    return nodes, edges


def synthetic_facts(n: int, seed: int = 7) -> Facts:
    """The example's facts with ``n`` synthetic upstream nodes, assembled by ``build_facts``."""
    snapshot, real = example_facts()
    nodes, edges = upstream_nodes(n, seed)
    graph = LicenseGraph(
        subject=real.subject.id, nodes=(real.subject, *nodes), edges=tuple(edges), problems=()
    )
    return build_facts(snapshot, real.card, graph, real.adapter, real.compute)
