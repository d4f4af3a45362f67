"""Formats stage: the tables of the HTML report (findings by pack, revisions, claims vs evidence).

Helpers return HTML strings; every value from the report passes through :func:`esc` (``html.escape``
after control and bidi characters are flattened, ``auditor.formats.escape.flatten``). The only
URLs written into attributes are Hub pages built from ids that match the Hub's id grammar
(``auditor.formats.common.hub_url``) and ``https`` help links of plain shape.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from auditor.formats import common, rules
from auditor.formats.escape import flatten
from auditor.models import AdapterEvidence, CardClaims, Finding, TargetReport

MESSAGE_LIMIT = 2000
_SAFE_URL = re.compile(r"^https://[A-Za-z0-9.-]+(?:/[A-Za-z0-9._~%/#?=&+-]*)?$")


def esc(text: object, limit: int | None = None) -> str:
    """Report text as inert HTML (one line, escaped, optionally shortened)."""
    return html.escape(flatten("" if text is None else text, limit), quote=True)


def link(url: str | None, label: str) -> str:
    """``label`` (already escaped) as a link when ``url`` is a plain https URL, else as text."""
    if url is None or not _SAFE_URL.match(url):
        return label
    return f'<a href="{html.escape(url, quote=True)}" rel="noopener noreferrer">{label}</a>'


def _basis_fix(f: Finding) -> str:
    basis, fix = f.basis, f.fix
    parts = []
    if basis:
        parts.append(f'<p class="basis"><b>Basis</b> {esc(basis, MESSAGE_LIMIT)}</p>')
    if fix:
        parts.append(f'<p class="fix"><b>Fix</b> {esc(fix, MESSAGE_LIMIT)}</p>')
    if f.help_uri:
        url = rules.doc_url(f.help_uri)
        parts.append(f'<p class="help">{link(url, esc("rule documentation"))}</p>')
    return "".join(parts) or "—"


def findings_by_pack(findings: Sequence[Finding], states: Sequence[str | None]) -> str:
    """Active findings, one table per policy pack, most severe first."""
    packs: dict[str, list[tuple[Finding, str | None]]] = {}
    for f, state in zip(findings, states, strict=True):
        packs.setdefault(f.pack or "other", []).append((f, state))
    out = []
    for pack in sorted(packs):
        rows = []
        for f, state in packs[pack]:
            where = esc(str(f.location)) if f.location else "—"
            title = f.title
            badge = f' <span class="state">{esc(state)}</span>' if state else ""
            rows.append(
                f'<tr class="sev-{f.severity.value}"><td><span class="sev">'
                f"{esc(f.severity.value)}</span>{badge}</td>"
                f"<td><code>{esc(f.rule_id)}</code><br/><small>{esc(title, 200)}</small></td>"
                f"<td>{esc(f.message, MESSAGE_LIMIT)}<br/><small>{where} · node "
                f"<code>{esc(f.node, 120)}</code></small></td>"
                f"<td>{_basis_fix(f)}</td></tr>"
            )
        out.append(
            f'<h4>{esc(pack)} <small>({len(rows)})</small></h4><table class="findings">'
            "<thead><tr><th>Severity</th><th>Rule</th><th>Finding</th>"
            "<th>Legal basis and fix</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        )
    return "".join(out)


def waived(findings: Sequence[Finding]) -> str:
    """Findings suppressed by a waiver, with the waiver's reason, owner and expiry."""
    rows = []
    for f in findings:
        w = f.suppressed_by
        if w is None:
            continue
        rows.append(
            f"<tr><td><code>{esc(f.rule_id)}</code></td><td>{esc(f.message, MESSAGE_LIMIT)}</td>"
            f"<td>{esc(w.reason, 400)} ({esc(w.owner, 80)}, expires {esc(w.expires, 20)})</td></tr>"
        )
    if not rows:
        return ""
    return (
        f"<h4>Waived ({len(rows)})</h4><table><thead><tr><th>Rule</th><th>Finding</th>"
        "<th>Waiver</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def revisions(target: TargetReport) -> str:
    """Every repository the audit read, with the exact revision (or that it was not pinned)."""
    rows = []
    nodes = target.graph.nodes if target.graph else ()
    for node in nodes:
        name = esc(node.id, 120)
        url = common.hub_url(node.id, node.kind, node.origin)
        rev = f"<code>{esc(node.revision)}</code>" if node.revision else "not pinned"
        origin = esc(node.origin or ("—" if node.resolved else "not resolved"))
        rows.append(
            f"<tr><td>{link(url, f'<code>{name}</code>')}</td><td>{esc(node.role)}</td>"
            f"<td>{origin}</td><td>{rev}</td></tr>"
        )
    if not rows and target.snapshot is not None:
        snap = target.snapshot
        rev = f"<code>{esc(snap.revision)}</code>" if snap.revision else "not pinned"
        rows.append(
            f"<tr><td><code>{esc(snap.repo_id)}</code></td><td>subject</td>"
            f"<td>{esc(snap.origin)}</td><td>{rev}</td></tr>"
        )
    if not rows:
        return ""
    return (
        "<table><thead><tr><th>Repository</th><th>Role</th><th>Read from</th>"
        "<th>Revision</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _card_values(claims: CardClaims | None, flagged: set[int]) -> dict[str, list[str]]:
    """Card claims per name, as HTML; claims on a line an adapter finding cites are marked."""
    out: dict[str, list[str]] = {}
    for c in claims.hyperparameters if claims else ():
        value = ", ".join(c.value) if isinstance(c.value, list) else c.value
        item = esc(f"{value} (line {c.location.line or '?'})", 300)
        if c.location.line in flagged:
            item = f'<mark title="cited by a finding">{item}</mark>'
        out.setdefault(c.name, []).append(item)
    return out


def _config_values(ev: AdapterEvidence) -> dict[str, object]:
    values: dict[str, object] = {
        "rank": ev.rank,
        "scale": ev.config_scale if ev.config_scale is not None else ev.scale,
        "alpha": ev.alpha,
        "dropout": ev.dropout,
        "target_modules": ", ".join(ev.config_modules or ev.target_modules) or None,
        "num_layers": ev.num_layers,
        "base_model": ev.base_model,
        "method": ev.fine_tune_type,
        "library": ev.format,
    }
    values.update(ev.hyperparameters)
    return {k: v for k, v in values.items() if v is not None}


def _tensor_values(ev: AdapterEvidence) -> dict[str, object]:
    values: dict[str, object] = {
        "rank": ", ".join(map(str, ev.tensor_ranks)) or None,
        "target_modules": ", ".join(ev.tensor_modules) or None,
        "num_layers": f"{len(ev.layers)} (blocks {', '.join(map(str, ev.layers))})"
        if ev.layers
        else None,
        "trainable_params": ev.trainable_parameters,
        "library": ev.weights_format,
    }
    return {k: v for k, v in values.items() if v is not None}


def claims_vs_evidence(
    claims: CardClaims | None, ev: AdapterEvidence, findings: Sequence[Finding] = ()
) -> str:
    """Side by side: what the card says, what the config records, what the tensors hold.

    Claims on a card line that an ``adapter.*`` finding points at are marked (the finding says
    what is wrong; the table only shows where).
    """
    card_file = claims.file if claims else "README.md"
    flagged = {
        f.location.line
        for f in findings
        if f.rule_id.startswith("adapter.")
        and f.location
        and f.location.file == card_file
        and f.location.line is not None
    }
    card = _card_values(claims, flagged)
    config, tensors = _config_values(ev), _tensor_values(ev)
    names = sorted(set(card) | set(config) | set(tensors))
    rows = []
    for name in names:
        said = "<br/>".join(card.get(name, [])) or "—"
        rows.append(
            f"<tr><td><code>{esc(name)}</code></td><td>{said}</td>"
            f"<td>{esc(config.get(name, '—'), 300)}</td><td>{esc(tensors.get(name, '—'), 300)}</td>"
            "</tr>"
        )
    where = esc(ev.config_file or "adapter config")
    weights = esc(ev.weights_file or "weights")
    return (
        f'<table class="claims"><thead><tr><th>Field</th><th>Card says</th><th>{where}</th>'
        f"<th>Tensors ({weights})</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        f'<p class="small">Verified with {esc(ev.verified_with)}'
        + (
            f"; loads onto the base: {'yes' if ev.load_ok else 'no'}"
            if ev.load_ok is not None
            else ""
        )
        + "</p>"
    )
