"""Facts stage: assemble the one JSON-able document per target that policies see.

Everything a rule may want is here, already computed as data (never as a decision): the subject
node, its upstream nodes with license traits, the card's claims, the adapter evidence and the
compute estimate, plus ``derived`` conveniences that would be awkward in CEL: file lists, the
normalised form of every license id the card or a LICENSE file names, numbers formatted for
messages, the training-summary size as a number. Which of these makes a finding is decided only
by the policy packs. ``derive`` works on a :class:`Facts` alone so that pack tests
(``policy/testing.py``) get the same ``derived`` as a real run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields, replace
from typing import Any

from auditor.facts_pst import pst_links, pst_size
from auditor.lazyre import lazy
from auditor.licenses import normalise, scan_text, table
from auditor.models import (
    AdapterEvidence,
    CardClaims,
    ComputeEstimate,
    Facts,
    License,
    LicenseGraph,
    RepoSnapshot,
    base_edges,
)
from auditor.models.codec import dump
from auditor.numbers import sci as sci  # re-exported (tests)

ReadText = Callable[[str], str | None]

_LICENSE_FILE = lazy(r"^(LICEN[CS]E|COPYING)([._-].*)?$", re.IGNORECASE)
_NOTICE_FILE = lazy(r"^NOTICE([._-].*)?$", re.IGNORECASE)
_SUMMARY_FILE = lazy(r"(public[_-]?summary|training[_-]?(content|data)[_-]?summary)", re.I)
_POLICY_FILE = lazy(r"(copyright[_-]?policy|code[_-]?of[_-]?practice)", re.IGNORECASE)
_SPDX_WORD = lazy(r"[A-Za-z0-9][A-Za-z0-9.+-]*")
_OPERATORS = {"and", "or", "with"}
MAX_FILE_CHARS = 64 << 10
"""How much of a LICENSE or NOTICE file is read: their license and notice lines come first."""


def build_facts(
    snapshot: RepoSnapshot,
    claims: CardClaims,
    graph: LicenseGraph,
    evidence: AdapterEvidence,
    compute: ComputeEstimate,
    read_text: ReadText | None = None,
) -> Facts:
    """The facts document of one audited repo.

    ``read_text(name)`` returns a file of the audited repo (or None); when given, the LICENSE and
    NOTICE files are read so the packs can compare them with the card.
    """
    facts = Facts(
        subject=graph.nodes[0],
        upstream=graph.nodes[1:],
        edges=graph.edges,
        card=claims,
        adapter=evidence,
        compute=compute,
        files=snapshot.files,
    )
    top = [f for f in snapshot.files if "/" not in f]
    texts = {}
    if read_text is not None:
        for name in [f for f in top if _LICENSE_FILE.match(f) or _NOTICE_FILE.match(f)][:8]:
            text = read_text(name)
            if text is not None:
                texts[name] = text[:MAX_FILE_CHARS]
    listing = (snapshot.listing_truncated,) if snapshot.listing_truncated else ()
    derived = derive(facts, walk_problems=graph.problems, texts=texts, listing_problems=listing)
    return replace(facts, derived=derived)


def derive(
    facts: Facts,
    *,
    walk_problems: Sequence[str] = (),
    texts: dict[str, str] | None = None,
    listing_problems: Sequence[str] = (),
) -> dict[str, Any]:
    """The ``derived`` section of a facts document (data only; see the module docstring)."""
    texts = texts or {}
    card, subject = facts.card, facts.subject
    top = [f for f in facts.files if "/" not in f]
    license_files = [f for f in top if _LICENSE_FILE.match(f)]
    notice_files = [f for f in top if _NOTICE_FILE.match(f)]
    file_licenses = _file_licenses({f: texts[f] for f in license_files if f in texts})
    mentioned = [m.license for m in card.license_mentions]
    mentioned += [r.license for r in card.chain_rows if r.license]
    mentioned += [f["license"] for f in file_licenses]
    return {
        "license_files": license_files,
        "notice_files": notice_files,
        "summary_files": [f for f in facts.files if _SUMMARY_FILE.search(f)],
        "policy_files": [f for f in facts.files if _POLICY_FILE.search(f)],
        "claim_values": _claim_values(card),
        "statement_kinds": sorted({s.kind for s in card.statements}),
        "bases": [e.target for e in base_edges(subject.id, facts.edges)],
        "datasets": [e.target for e in facts.edges if e.relation == "trained_on"],
        # How the subject relates to its bases (adapter_of, finetune_of, merge_of, quantized_of).
        "base_relations": sorted(
            {e.relation for e in facts.edges if e.source == subject.id} - {"trained_on"}
        ),
        "walk_problems": list(walk_problems),
        # Why the subject's file listing is partial (a directory past the listing's caps).
        "listing_problems": list(listing_problems),
        "subject_name": subject.id.rstrip("/").rsplit("/", 1)[-1],
        "subject_org": subject.id.split("/", 1)[0] if "/" in subject.id else "",
        "declared_licenses": _declared(card),
        "subject_license_ids": _license_ids(subject.license, card.metadata.license),
        "license_traits": {k: dump(normalise(k)) for k in sorted(set(mentioned))},
        "license_file_licenses": file_licenses,
        "notice_text": " ".join(
            " ".join(texts[f].split()).lower() for f in notice_files if f in texts
        ),
        "compute_text": _compute_text(facts.compute),
        "pst_size": pst_size(card),
        "pst_field_links": pst_links(card),
        **_upstream_indexes(facts),
    }


# The boolean traits of a license (``License`` fields), for ``upstream_by_trait``.
_TRAITS = tuple(f.name for f in fields(License) if f.type in (bool, "bool"))


LICENSE_NODES_NAMED = 6
"""Nodes ``derived.license_nodes`` keeps per license: the shallowest and five to name."""


def _upstream_indexes(facts: Facts) -> dict[str, Any]:
    """Indexes into ``upstream`` (positions), so rules need not scan a large lineage.

    ``upstream_by_trait``: for each boolean license trait, the positions of the upstream nodes
    whose license has it. ``upstream_by_statement``: for each statement kind found on an
    upstream card, the positions of those nodes. ``upstream_by_role``: the positions of the
    nodes of each role (``base``, ``dataset``). ``gate_depth``: for each gate prompt, the
    shallowest depth at which an upstream node is gated with it. ``license_nodes``: for each
    known license, the first six resolved upstream nodes under it, shallowest first (a duty owed
    to one licensor through several nodes is one duty; a message names a few, not thousands), and
    ``license_node_count`` how many there are in all. Lists of whole nodes are what
    CEL is slow to build (docs/writing-rules.md); lists of positions are cheap.
    """
    by_trait: dict[str, list[int]] = {t: [] for t in _TRAITS}
    by_statement: dict[str, list[int]] = {}
    by_role: dict[str, list[int]] = {}
    gate_depth: dict[str, int] = {}
    by_license: dict[str, list[str]] = {}
    for i, node in enumerate(facts.upstream):
        by_role.setdefault(node.role, []).append(i)
        if node.resolved and node.license.known:
            by_license.setdefault(node.license.spdx, []).append(node.id)
        for trait in _TRAITS:
            if getattr(node.license, trait):
                by_trait[trait].append(i)
        for kind in sorted({s.kind for s in node.statements}):
            by_statement.setdefault(kind, []).append(i)
        prompt = node.gated_prompt
        if prompt is not None:
            gate_depth[prompt] = min(node.depth, gate_depth.get(prompt, node.depth))
    return {
        "upstream_by_trait": by_trait,
        "upstream_by_statement": dict(sorted(by_statement.items())),
        "upstream_by_role": dict(sorted(by_role.items())),
        "gate_depth": dict(sorted(gate_depth.items())),
        "license_nodes": {k: v[:LICENSE_NODES_NAMED] for k, v in sorted(by_license.items())},
        "license_node_count": {k: len(v) for k, v in sorted(by_license.items())},
    }


def _claim_values(card: CardClaims) -> dict[str, list[Any]]:
    """Distinct values stated for each hyperparameter; lists compared as sets (order is noise)."""
    values: dict[str, list[Any]] = {}
    for claim in card.hyperparameters:
        value = sorted(claim.value) if isinstance(claim.value, list) else claim.value
        seen = values.setdefault(claim.name, [])
        if value not in seen:
            seen.append(value)
    return values


def _hub_id_for(lic: License) -> str | None:
    """The Hub id a prose spelling stands for ("Apache 2.0" -> ``apache-2.0``), if any."""
    ids = [k for k, v in table().by_id.items() if v.hub_id and v.spdx == lic.spdx and v.known]
    return min(ids, key=len) if ids else None


def _declared(card: CardClaims) -> list[dict[str, Any]]:
    """Each ``license:`` value as the license table reads it."""
    meta = card.metadata
    out = []
    for value in meta.license:
        lic = normalise(value, license_name=meta.license_name, license_link=meta.license_link)
        out.append(
            {
                "value": value,
                "spdx": lic.spdx,
                "name": lic.name,
                "known": lic.known,
                "hub_id": lic.hub_id,
                "matched_by": lic.matched_by,
                "suggestion": _hub_id_for(lic) if lic.known else None,
            }
        )
    return out


def _license_ids(lic: License, declared: Iterable[str]) -> list[str]:
    """Lower-cased ids that name the subject's license: declared values and SPDX components."""
    words = {w.lower() for w in _SPDX_WORD.findall(lic.spdx)} - _OPERATORS
    words |= {d.strip().lower() for d in declared if d.strip()}
    words |= {normalise(d).spdx.lower() for d in declared if d.strip()}
    words.discard("noassertion")
    return sorted(words)


def _file_licenses(texts: dict[str, str]) -> list[dict[str, Any]]:
    """The first license a LICENSE file names (its title), with the line it is on."""
    out = []
    for name in sorted(texts):
        text = texts[name][:4000]
        hits = scan_text(text)
        if hits:
            start, _, key = hits[0]
            out.append({"file": name, "license": key, "line": text.count("\n", 0, start) + 1})
    return out


def _compute_text(compute: ComputeEstimate) -> dict[str, str]:
    """Every number of the compute estimate, formatted for the aiact.scope message."""
    fields = "base_parameters base_tokens base_flop ft_tokens ft_flop one_third_threshold ratio"
    out = {name: sci(getattr(compute, name)) for name in fields.split()}
    out["assumptions"] = "; ".join(compute.assumptions) if compute.assumptions else "none"
    return out
