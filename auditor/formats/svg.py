"""Formats stage: the license graph as an inline SVG, laid out in Python (no JavaScript, no fonts).

Layered top-down layout (a small Sugiyama pass): each node sits on the layer of its depth in the
walk (the subject on top, its bases and datasets below, their bases further down); within a layer
nodes are ordered by the mean position of their downstream neighbours (barycentre heuristic) so
that edges cross little, then centred. Boxes are coloured by license family group; the nodes that
``license.*`` findings name, and the edges through which their terms reach the subject, are drawn
in red. Every string comes from audited cards and is escaped (``html.escape``), including
``<title>`` tooltips; no attribute holds a URL.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from auditor.formats.escape import flatten
from auditor.formats.walk import reachable, reaching
from auditor.models import Finding, License, LicenseGraph, Node

BOX_W, BOX_H = 272, 56
GAP_X, GAP_Y = 36, 74
MARGIN = 24
LABEL_CHARS = 36
HIGHLIGHT = "#cf222e"

# group -> (fill, stroke, legend label); colours from GitHub's Primer scales.
GROUPS: dict[str, tuple[str, str, str]] = {
    "permissive": ("#dafbe1", "#1a7f37", "permissive"),
    "sharealike": ("#fff1e5", "#bc4c00", "ShareAlike / copyleft"),
    "restricted": ("#fbefff", "#8250df", "NonCommercial / NoDerivatives"),
    "custom": ("#fff8c5", "#9a6700", "custom terms / use restrictions"),
    "unknown": ("#f6f8fa", "#6e7781", "unknown or unresolved"),
}
_CUSTOM_FAMILIES = frozenset({"llama", "gemma", "openrail", "qwen", "research", "proprietary"})
_COPYLEFT = frozenset({"gpl", "lgpl", "agpl", "mpl", "eupl", "odbl", "gfdl", "cc-by-sa"})


def group(lic: License, resolved: bool = True) -> str:
    """The colour group of a license (by its traits, then its family)."""
    if not resolved or not lic.known:
        return "unknown"
    if lic.noncommercial or lic.noderivatives:
        return "restricted"
    if lic.use_restrictions or lic.mau_limit or lic.family in _CUSTOM_FAMILIES:
        return "custom"
    if lic.sharealike or lic.family in _COPYLEFT:
        return "sharealike"
    return "permissive"


@dataclass(frozen=True)
class Box:
    """A placed node (top-left corner)."""

    node: Node
    x: float
    y: float


def layout(graph: LicenseGraph) -> dict[str, Box]:
    """Position every node: layer by depth, barycentre order within a layer."""
    layers: dict[int, list[Node]] = {}
    for node in graph.nodes:
        layers.setdefault(max(node.depth, 0), []).append(node)
    parents: dict[str, list[str]] = {}
    for e in graph.edges:
        parents.setdefault(e.target, []).append(e.source)
    width = max(len(v) for v in layers.values()) if layers else 1
    total = width * BOX_W + (width - 1) * GAP_X
    boxes: dict[str, Box] = {}
    for depth in sorted(layers):
        nodes = layers[depth]

        def centre(n: Node) -> tuple[float, str]:
            xs = [boxes[p].x for p in parents.get(n.id, ()) if p in boxes]
            return (sum(xs) / len(xs) if xs else 0.0), n.id

        ordered = sorted(nodes, key=centre) if depth else nodes
        row_w = len(ordered) * BOX_W + (len(ordered) - 1) * GAP_X
        left = MARGIN + (total - row_w) / 2
        for i, node in enumerate(ordered):
            boxes[node.id] = Box(node, left + i * (BOX_W + GAP_X), MARGIN + depth * (BOX_H + GAP_Y))
    return boxes


def leaking(graph: LicenseGraph, findings: Sequence[Finding]) -> tuple[set[str], set[int]]:
    """Nodes named by ``license.*`` findings, and indexes of edges on subject->node paths."""
    ids = {n.id for n in graph.nodes}
    named = {
        f.node
        for f in findings
        if f.rule_id.startswith("license.") and f.node in ids and f.suppressed_by is None
    }
    from_subject = reachable(graph, graph.subject)
    towards = reaching(graph, named)  # one backward walk: linear in the graph
    edges = {
        i for i, e in enumerate(graph.edges) if e.source in from_subject and e.target in towards
    }
    return named, edges


def _esc(text: object, limit: int | None = None) -> str:
    return html.escape(flatten(text, limit), quote=True)


def _node(box: Box, hot: bool) -> list[str]:
    node = box.node
    fill, stroke, _ = GROUPS[group(node.license, node.resolved)]
    lic = node.license.spdx if node.license.known else (node.license.declared or "unknown")
    if not node.resolved:
        lic = "not resolved"
    kind = {"subject": "this repository", "base": "model", "dataset": "dataset"}[node.role]
    dash = ' stroke-dasharray="5 4"' if not node.resolved else ""
    width = 3 if hot else 1.5
    line = HIGHLIGHT if hot else stroke
    x, y = round(box.x, 1), round(box.y, 1)
    cx = round(box.x + BOX_W / 2, 1)
    out = [
        f'<g class="node{" hot" if hot else ""}">',
        f"<title>{_esc(node.id)} — {_esc(lic)}</title>",
        f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" '
        f'stroke="{line}" stroke-width="{width}"{dash}/>',
        f'<text x="{cx}" y="{y + 22}" text-anchor="middle" class="id">'
        f"{_esc(node.id, LABEL_CHARS)}</text>",
        f'<text x="{cx}" y="{y + 41}" text-anchor="middle" class="lic">'
        f"{_esc(kind)} · {_esc(lic, LABEL_CHARS - 10)}</text>",
    ]
    if hot:
        out.append(
            f'<circle cx="{round(box.x + BOX_W - 4, 1)}" cy="{y + 4}" r="9" fill="{HIGHLIGHT}"/>'
            f'<text x="{round(box.x + BOX_W - 4, 1)}" y="{y + 8.5}" text-anchor="middle" '
            f'class="badge">!</text>'
        )
    return [*out, "</g>"]


def _ports(graph: LicenseGraph, boxes: dict[str, Box]) -> dict[int, float]:
    """Where each edge meets its downstream box: spread along the bottom, in upstream x order."""
    incoming: dict[str, list[int]] = {}
    for i, e in enumerate(graph.edges):
        if e.source in boxes and e.target in boxes:
            incoming.setdefault(e.source, []).append(i)
    ports: dict[int, float] = {}
    for source, edges in incoming.items():
        edges.sort(key=lambda i: boxes[graph.edges[i].target].x)
        for k, i in enumerate(edges):
            ports[i] = boxes[source].x + BOX_W * (k + 1) / (len(edges) + 1)
    return ports


def render(graph: LicenseGraph, findings: Sequence[Finding], uid: str) -> str:
    """The graph as one ``<svg>`` element; ``uid`` keeps marker ids unique in the page."""
    boxes = layout(graph)
    ports = _ports(graph, boxes)
    hot_nodes, hot_edges = leaking(graph, findings)
    right = max((b.x for b in boxes.values()), default=0) + BOX_W + MARGIN
    bottom = max((b.y for b in boxes.values()), default=0) + BOX_H + MARGIN
    uid = "".join(ch for ch in uid if ch.isalnum()) or "g"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" role="img" '
        f'viewBox="0 0 {round(right)} {round(bottom)}" width="{round(right)}" '
        f'height="{round(bottom)}" aria-label="license graph">',
        "<defs>",
        *(
            f'<marker id="{uid}-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" '
            f'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" '
            f'fill="{colour}"/></marker>'
            for name, colour in (("arrow", "#57606a"), ("hot", HIGHLIGHT))
        ),
        "</defs>",
    ]
    for i, e in enumerate(graph.edges):
        src, dst = boxes.get(e.source), boxes.get(e.target)
        if src is None or dst is None:
            continue
        hot = i in hot_edges
        # Terms flow downstream: the arrow points from the upstream repo to the one made from it.
        x1, y1 = dst.x + BOX_W / 2, dst.y
        x2, y2 = ports.get(i, src.x + BOX_W / 2), src.y + BOX_H
        mid = (y1 + y2) / 2
        colour, width = (HIGHLIGHT, 3) if hot else ("#57606a", 1.5)
        dash = ' stroke-dasharray="6 4"' if e.inferred else ""
        out.append(
            f'<path class="edge{" hot" if hot else ""}" d="M{x1:.1f},{y1:.1f} C{x1:.1f},{mid:.1f} '
            f'{x2:.1f},{mid:.1f} {x2:.1f},{y2 + 2:.1f}" fill="none" stroke="{colour}" '
            f'stroke-width="{width}"{dash} marker-end="url(#{uid}-{"hot" if hot else "arrow"})"/>'
        )
        out.append(
            f'<text x="{(x1 + x2) / 2:.1f}" y="{mid + 4:.1f}" text-anchor="middle" '
            f'class="rel">{_esc(e.relation)}</text>'
        )
    for box in boxes.values():
        out += _node(box, box.node.id in hot_nodes)
    return "\n".join([*out, "</svg>"])


def legend() -> str:
    """The colour key, as HTML."""
    items = [
        f'<span class="key"><i style="background:{fill};border-color:{stroke}"></i>'
        f"{html.escape(label)}</span>"
        for fill, stroke, label in GROUPS.values()
    ]
    items.append(
        f'<span class="key"><i style="background:#fff;border:3px solid {HIGHLIGHT}"></i>'
        "named by a license finding (red edges: the path its terms take)</span>"
    )
    items.append(
        '<span class="key">arrows point from a repository to the one made from '
        "it; dashed: relation inferred, or repository not resolved</span>"
    )
    return '<p class="legend">' + "".join(items) + "</p>"
