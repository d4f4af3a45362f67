"""Graph stage: walk the lineage (``base_model``, ``datasets``) upstream into a LicenseGraph.

The walk is breadth-first, level by level; each level's upstream repos are looked up concurrently
(the lookup does I/O: mirror, cache or Hub). A repo reached twice is looked up once and both edges
are kept. Guards: ``max_depth`` levels, ``max_nodes`` nodes, :data:`MAX_EDGES_PER_NODE` references
per card, :data:`MAX_EDGES` edges, and cycles (A -> B -> A) are recorded in
``LicenseGraph.problems`` (the lineage is then incomplete), never followed forever, never raised.
networkx is used here only (cycle listing) and imported only when a reference points back at a
node already seen.

Dataset nodes are leaves: their cards have no lineage field the Edge relations could express.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import replace

from auditor.lazyre import lazy
from auditor.licenses import normalise, normalise_many
from auditor.lineage import Ref as _Ref
from auditor.lineage import references
from auditor.models import (
    CardClaims,
    Edge,
    License,
    LicenseGraph,
    Location,
    Node,
    RepoKind,
    RepoSnapshot,
    Role,
    is_repo_id,
)
from auditor.parallel import parallel_map
from auditor.records import mutable_record, record

_LOCAL_PATH = lazy(r"^(?:[/~.\\]|[A-Za-z]:[\\/])")
_MAX_CYCLES_REPORTED = 20
MAX_EDGES_PER_NODE = 2_000
"""References followed out of one card (as many as the walk has nodes)."""
MAX_EDGES = 20_000
"""Edges in one lineage: N cards each listing the same N bases would otherwise make N^2."""


@record
class Upstream:
    """What a lookup returns for one upstream repo."""

    snapshot: RepoSnapshot | None  # None when it could not be resolved
    claims: CardClaims | None  # parsed README of that repo (None when no card)
    reason: str | None = None  # why unresolved ("not in mirror", "gated", "local path", ...)


Lookup = Callable[[str, RepoKind], Upstream]


def _unusable(ref: str) -> str | None:
    """Why a reference cannot be looked up, or None when it is shaped like a Hub repo id."""
    if _LOCAL_PATH.match(ref) or "\\" in ref:
        return "local path"
    if not is_repo_id(ref):
        return "not a Hub repo id"
    return None


def _license(claims: CardClaims | None, gated_prompt: str | None) -> License:
    if claims is None or not claims.present:
        lic = normalise(None)
    else:
        meta = claims.metadata
        lic = normalise_many(
            meta.license, license_name=meta.license_name, license_link=meta.license_link
        )
    # Terms accepted at a gate (e.g. the Apertus AUP, docs/legal-basis.md §8) bind like license
    # terms.
    return replace(lic, gated_terms=True) if gated_prompt else lic


def _node(
    node_id: str,
    kind: RepoKind,
    role: Role,
    depth: int,
    found: Upstream,
    declared_at: Location | None,
) -> Node:
    snap, claims = found.snapshot, found.claims
    if snap is None:
        lic = replace(
            normalise(None), name=f"License not established ({found.reason or 'unresolved'})"
        )
        return Node(
            id=node_id,
            kind=kind,
            role=role,
            depth=depth,
            resolved=False,
            reason=found.reason or "unresolved",
            license=lic,
            declared_at=declared_at,
        )
    meta = claims.metadata if claims is not None else None
    prompt = meta.extra_gated_prompt if meta is not None else None
    has_card = claims is not None and claims.present
    return Node(
        id=node_id,
        kind=kind,
        role=role,
        depth=depth,
        resolved=True,
        reason=found.reason,
        origin=snap.origin,
        revision=snap.revision,
        license=_license(claims, prompt),
        gated=bool(meta.gated if meta is not None else False) or snap.gated,
        gated_prompt=prompt,
        statements=claims.statements if claims is not None else (),
        files=snap.files,
        declared_at=declared_at,
        card_file=claims.file if has_card and claims is not None else None,
    )


def _fetch(lookup: Lookup, node_id: str, kind: RepoKind) -> Upstream:
    """Call the injected lookup; an I/O failure becomes an unresolved node, never a crash."""
    reason = _unusable(node_id)
    if reason is not None:
        return Upstream(None, None, reason)
    try:
        return lookup(node_id, kind)
    except Exception as exc:  # injected I/O (network, mirror, parser): report, do not crash
        return Upstream(None, None, f"lookup failed: {type(exc).__name__}: {exc}")


def _cycles(edges: Sequence[Edge], order: dict[str, int]) -> list[str]:
    """Describe each cycle once, starting at its node first met in the walk."""
    import networkx as nx  # only when a back-reference exists (import costs ~0.1 s)

    graph = nx.DiGraph()
    graph.add_edges_from((e.source, e.target) for e in edges)
    out = []
    for cycle in itertools.islice(nx.simple_cycles(graph), _MAX_CYCLES_REPORTED):
        start = min(range(len(cycle)), key=lambda i: order.get(cycle[i], len(order)))
        ring = cycle[start:] + cycle[:start]
        out.append("cycle: " + " -> ".join([*ring, ring[0]]))
    return sorted(out)


@mutable_record
class _Walk:
    """Mutable state of one walk (kept out of build_graph to keep functions short)."""

    lookup: Lookup
    max_nodes: int
    nodes: list[Node]
    edges: list[Edge]
    problems: list[str]
    seen: dict[tuple[str, RepoKind], Node]
    back_reference: bool = False
    edges_full: bool = False

    def expand(self, frontier: list[tuple[Node, Upstream]]) -> list[tuple[str, RepoKind, _Ref]]:
        """Edges out of ``frontier``; returns the references to nodes not seen yet."""
        new: dict[tuple[str, RepoKind], _Ref] = {}
        for node, found in frontier:
            if found.claims is None or (node.kind is RepoKind.DATASET and node.role != "subject"):
                continue  # nothing to follow (no card), or a dataset leaf
            for ref in self._capped(node, references(found.snapshot, found.claims)):
                self.edges.append(
                    Edge(
                        source=node.id,
                        target=ref.target,
                        relation=ref.relation,
                        inferred=ref.inferred,
                        location=ref.location,
                    )
                )
                key = (ref.target, ref.kind)
                if key in self.seen:
                    self.back_reference = True
                else:
                    new.setdefault(key, ref)
        ordered = sorted(new.items(), key=lambda kv: (kv[0][1] is RepoKind.DATASET, kv[0][0]))
        return [(target, kind, ref) for (target, kind), ref in ordered]

    def _capped(self, node: Node, refs: list[_Ref]) -> list[_Ref]:
        """``refs`` within the per-card and total edge limits; a problem names what was cut."""
        if len(refs) > MAX_EDGES_PER_NODE:
            self.problems.append(
                f"edge limit {MAX_EDGES_PER_NODE} per repo reached: {node.id} lists {len(refs)} "
                f"upstream references; only the first {MAX_EDGES_PER_NODE} were followed "
                "(lineage truncated)"
            )
            refs = refs[:MAX_EDGES_PER_NODE]
        room = MAX_EDGES - len(self.edges)
        if len(refs) > room:
            if not self.edges_full:  # said once
                self.problems.append(
                    f"edge limit {MAX_EDGES} reached at {node.id}: upstream references beyond "
                    "it were not followed (lineage truncated)"
                )
            self.edges_full = True
            refs = refs[: max(room, 0)]
        return refs

    def fetch_level(
        self, workers: int, refs: list[tuple[str, RepoKind, _Ref]], depth: int
    ) -> list[tuple[Node, Upstream]]:
        """Look up one level concurrently; results kept in the level's sorted order."""
        room = self.max_nodes - len(self.nodes)
        if len(refs) > room:
            dropped = ", ".join(t for t, _, _ in refs[room:][:5])
            self.problems.append(
                f"node limit {self.max_nodes} reached at depth {depth}: "
                f"{len(refs) - room} upstream repo(s) not followed ({dropped}, ...)"
            )
            refs = refs[:room]
        results = parallel_map(
            lambda ref: (
                Upstream(None, None, ref[2].unresolvable)
                if ref[2].unresolvable
                else _fetch(self.lookup, ref[0], ref[1])
            ),
            refs,
            workers,
        )
        level = []
        for (target, kind, ref), found in zip(refs, results, strict=True):
            role: Role = "dataset" if kind is RepoKind.DATASET else "base"
            node = _node(target, kind, role, depth, found, ref.location)
            if not node.resolved and ref.stated_license:  # last resort: the child card's word
                lic = replace(normalise(ref.stated_license), matched_by="card-prose")
                node = replace(node, license=lic)
            self.seen[(target, kind)] = node
            self.nodes.append(node)
            level.append((node, found))
        return level


def build_graph(
    subject: RepoSnapshot,
    claims: CardClaims,
    lookup: Lookup,
    *,
    max_depth: int = 10,
    max_nodes: int = 2000,
    workers: int = 8,
) -> LicenseGraph:
    """Walk the subject's ``base_model`` and ``datasets`` upstream, transitively."""
    root = _node(subject.repo_id, subject.kind, "subject", 0, Upstream(subject, claims), None)
    walk = _Walk(lookup, max(1, max_nodes), [root], [], [], {(root.id, root.kind): root})
    frontier: list[tuple[Node, Upstream]] = [(root, Upstream(subject, claims))]
    for depth in range(1, max_depth + 2):
        refs = walk.expand(frontier)
        if not refs:
            break
        if depth > max_depth:
            walk.problems.append(
                f"depth limit {max_depth} reached: {len(refs)} upstream repo(s) beyond "
                f"depth {max_depth} not followed ({', '.join(t for t, _, _ in refs[:5])})"
            )
            break
        frontier = walk.fetch_level(max(1, workers), refs, depth)
    order = {n.id: i for i, n in enumerate(walk.nodes)}
    # Drop edges to repos not followed (guards) and exact duplicates (a card listing a repo twice).
    edges = list(dict.fromkeys(e for e in walk.edges if e.target in order))
    cycles = _cycles(edges, order) if walk.back_reference else []
    return LicenseGraph(
        subject=root.id,
        nodes=tuple(walk.nodes),
        edges=tuple(edges),
        problems=tuple(walk.problems + cycles),
    )
