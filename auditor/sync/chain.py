"""Card sync: the license-chain table, written from the license graph (``Facts.upstream``).

One row per upstream repository (base models transitively, declared training datasets) with its
license as its own card declares it, the traits the license table gives it, and what it requires
of whoever redistributes a derivative (docs/legal-basis.md §6.2-6.5); the last row is this
repository. Below the table, the duties are grouped by license, and what the chain cannot establish
is listed as a gap: undeclared training data (``license.lineage-undeclared`` needs a person or
``--dataset``) and upstream repositories whose license could not be read. The column order
(Component | License) is the one the card parser reads as a chain table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from auditor.card.license_names import license_of
from auditor.models import Edge, Facts, License, Node, RepoKind
from auditor.sync.common import GAP, Rendered, code, table, text

DUTIES = {
    "license-copy": "include a copy of the license",
    "change-notices": "mark modified files",
    "attribution": "keep the copyright and attribution notices",
    "aup-compliance": "comply with its acceptable use policy",
    "use-restrictions-flowdown": "pass its use restrictions on to users",
    "no-improving-other-llms": "do not use it or its outputs to improve other LLMs",
    "eu-multimodal-exclusion": "check its EU exclusion for multimodal models",
    "source-offer": "offer the corresponding source",
    "network-source-offer": "offer the source to network users",
    "computational-use-only": "use it for computational analysis only",
}
_NOTICE_FILE = ("notice",)


def _has_notice_file(node: Node) -> bool:
    return any(f.split("/")[-1].lower().split(".")[0] in _NOTICE_FILE for f in node.files)


def duties(node: Node) -> list[str]:
    """What a node's license (and gate) requires of a redistributed derivative, in words."""
    lic = node.license
    out: list[str] = []
    for duty in lic.duties:
        if duty in DUTIES:
            out.append(DUTIES[duty])
        elif duty == "notice-file" and lic.notice_text:
            out.append("reproduce its notice line (see the notices below)")
        elif duty == "notice-file" and _has_notice_file(node):
            out.append("carry its notice file forward")
        elif duty in ("built-with-llama", "built-with-qwen") and lic.attribution_text:
            out.append(f"display “{lic.attribution_text}”")
        elif duty == "llama-name-prefix" and lic.name_prefix:
            out.append(f"start the model name with “{lic.name_prefix}”")
    if lic.sharealike:
        out.append("license adaptations under the same or a compatible license")
    if lic.noncommercial:
        out.append("no commercial use")
    if lic.noderivatives:
        out.append("do not share adaptations")
    if node.gated or node.gated_prompt:
        out.append("its gate's extra terms apply (see below)")
    return out


def traits(lic: License, gated: bool = False) -> str:
    """A license's traits as short words."""
    flags = (
        (lic.sharealike, "ShareAlike"),
        (lic.noncommercial, "NonCommercial"),
        (lic.noderivatives, "NoDerivatives"),
        (lic.use_restrictions, "use restrictions"),
        (lic.mau_limit, "user-count clause"),
        (lic.attribution, "attribution"),
        (lic.notice_required, "notice"),
        (gated or lic.gated_terms, "gated terms"),
    )
    words = [word for on, word in flags if on]
    if lic.foss_under_ai_act in ("yes", "no"):
        words.append("open-source under the AI Act: " + lic.foss_under_ai_act)
    return "; ".join(words) or "—"


def license_cell(node: Node) -> str:
    """The license as the node's card declares it (the parser reads this column)."""
    if not node.resolved:
        return "not established (not resolved)"
    if node.license.declared:
        return text(node.license.declared, 80)
    return "not declared"


def _relation(node: Node, edges: Sequence[Edge], subject: str) -> str:
    parts = []
    for e in edges:
        if e.target != node.id:
            continue
        who = "this repository" if e.source == subject else code(e.source)
        role = "training data" if e.relation == "trained_on" else "base"
        parts.append(f"{role} of {who} (`{e.relation}`)")
    return "; ".join(parts) or "—"


def _grouped(upstream: Sequence[Node]) -> list[str]:
    """One bullet per upstream license: who is under it and what it requires."""
    by_license: dict[str, list[Node]] = {}
    for node in upstream:
        if node.resolved and node.license.known:
            by_license.setdefault(node.license.spdx, []).append(node)
    out = []
    for spdx, nodes in by_license.items():
        asks = list(dict.fromkeys(d for n in nodes for d in duties(n)))
        who = ", ".join(code(n.id) for n in nodes)
        out.append(f"- Upstream {text(spdx, 80)} ({who}): " + ("; ".join(asks) or "no duty") + ".")
    return out


def _gaps(facts: Facts) -> list[str]:
    out = []
    tuned = facts.adapter.present or bool(facts.card.metadata.base_model)
    if tuned and not any(n.role == "dataset" for n in facts.upstream):
        out.append(
            "Training data: not declared (`datasets:` is empty), so its licenses "
            "cannot be established"
        )
    out += [
        f"{code(n.id)}: license not established"
        for n in facts.upstream
        if not n.resolved or not n.license.known
    ]
    return out


PUBLISHER = "stated by the publisher"
_SUBJECT_WORDS = re.compile(r"\bthis (?:repo(?:sitory)?|model|adapter)\b", re.I)


def carried_rows(facts: Facts, old_rows: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    """Rows of the card's chain table that sync does not own, kept as the publisher wrote them.

    Sync owns the rows of the repositories in the graph (their id is in the component) and the
    subject's row (bold, or "this repository/model/adapter"); a row it wrote before has five
    cells and is owned unless marked as the publisher's. Everything else (an author's
    "Training data (internal curation)" row) is the publisher's statement and stays.
    """
    ids = [n.id.lower() for n in facts.upstream]
    out: list[tuple[str, ...]] = []
    for cells in old_rows:
        if len(cells) < 2 or not cells[0].strip():
            continue
        component = cells[0].strip()
        if len(cells) >= 5 and cells[2].strip() != PUBLISHER:
            continue
        if component.startswith("**") or _SUBJECT_WORDS.search(component):
            continue
        if any(i in component.lower() for i in ids):
            continue
        out.append((component, cells[1].strip(), PUBLISHER, "—", "—"))
    return out


def render(facts: Facts, old_rows: Sequence[Sequence[str]] = ()) -> Rendered:
    """The ``license-chain`` section (rows the sync does not own are carried over)."""
    subject = facts.subject
    rows: list[tuple[str, ...]] = []
    for node in facts.upstream:
        kind = "dataset" if node.kind == RepoKind.DATASET else "model"
        rows.append((
            code(node.id), license_cell(node), f"{kind}, " + _relation(node, facts.edges,
                                                                        subject.id),
            traits(node.license, node.gated), "; ".join(duties(node)) or "—",
        ))  # fmt: skip
    rows += carried_rows(facts, old_rows)
    declared = ", ".join(facts.card.metadata.license) or "not declared"
    # An id the audit does not know is written so that it is not read back as a license
    # statement of its own (it would contradict the front matter it copies).
    read_back = license_of(declared) if declared != "not declared" else None
    unknown = " (not a license id the audit knows)" if read_back == "NOASSERTION" else ""
    rows.append(("**This repository**", f"**{text(declared, 80)}**{unknown}", "—",
                 traits(subject.license), "—"))  # fmt: skip
    body = table(("Component", "License", "Relation", "Traits", "Requires downstream"), rows)
    grouped = _grouped(facts.upstream)
    if grouped:
        body += [
            "",
            "What the upstream licenses ask of anyone who redistributes these weights:",
            "",
            *grouped,
        ]
    gaps = _gaps(facts)
    if gaps:
        body += ["", "Not established by the audit:", "", *(f"- {g}: _{GAP}_." for g in gaps)]
    return Rendered(
        role="license-chain",
        title="License chain",
        body=tuple(body),
        gaps=tuple(f"license chain: {g}" for g in gaps),
    )
