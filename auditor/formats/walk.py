"""Formats stage: walks of the lineage graph the text, Markdown, SVG and CycloneDX formats share,
each linear in the size of the graph."""

from __future__ import annotations

from collections.abc import Iterable

from auditor.models import Edge, LicenseGraph


def successors(edges: Iterable[Edge]) -> dict[str, list[Edge]]:
    """Each node's outgoing edges, in edge order: one pass, so walks stay linear in the graph."""
    out: dict[str, list[Edge]] = {}
    for e in edges:
        out.setdefault(e.source, []).append(e)
    return out


def reachable(graph: LicenseGraph, start: str) -> set[str]:
    """Node ids reachable from ``start`` along lineage edges (``start`` included)."""
    return _closure(_index(graph, forward=True), {start})


def reaching(graph: LicenseGraph, targets: Iterable[str]) -> set[str]:
    """Node ids from which one of ``targets`` is reachable (``targets`` included)."""
    return _closure(_index(graph, forward=False), set(targets))


def _index(graph: LicenseGraph, forward: bool) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in graph.edges:
        a, b = (e.source, e.target) if forward else (e.target, e.source)
        out.setdefault(a, []).append(b)
    return out


def _closure(links: dict[str, list[str]], start: set[str]) -> set[str]:
    seen, stack = set(start), list(start)
    while stack:
        for nxt in links.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen
