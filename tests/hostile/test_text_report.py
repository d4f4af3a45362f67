"""The terminal report on hostile card text: inert and bounded, in colour and without.

Every field the report prints from a repository (node ids, licenses, reasons, walk problems,
findings, waivers, locations, the card's and the config's hyperparameters, the snapshot, the
reasons a target is incomplete or not audited) carries terminal escapes, control characters,
a very long unbroken token, wide and combining characters, joined emoji and tabs. The report
must carry no byte that acts on a terminal, no line wider than the terminal, and grow only
linearly with the text it is given.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from itertools import pairwise

import pytest

from auditor.formats.text import TextFormatter
from auditor.models import (
    AdapterEvidence,
    AuditReport,
    CardClaims,
    Claim,
    Edge,
    Finding,
    License,
    LicenseGraph,
    Location,
    Node,
    RepoKind,
    RepoSnapshot,
    Severity,
    Summary,
    Target,
    TargetReport,
    ToolInfo,
    Waiver,
)

WIDTH = 110  # the report's width off a terminal
LONG = 5_000  # characters of the longest token (far wider than any column)
ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[31mred\x1b[0m\rover\x9b2J\x08\x00\u202eevil\u2066"
PAYLOADS = {
    "escapes": ESCAPES,
    "long token": "A" * LONG,
    "wide": "日本語のモデル" * (LONG // 7),
    "combining": "e\u0301" * (LONG // 2),
    "emoji": "👩\u200d💻❤\ufe0f1\ufe0f" * (LONG // 6),
    "tabs": "a\tb" * (LONG // 3),
    "mixed": f"{ESCAPES} {'Z' * 300}\t日本\u0301 {ESCAPES}\n" * 40,
}
# Bytes that act on a terminal or reorder the text (the injection test's set), and tabs, which
# the layout expands.
_ACTIVE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SGR = re.compile(r"\x1b\[(?:0|1|2|3|31|32|33|36|1;31|1;2)m")


def _cells(line: str) -> int:
    """Cells a terminal gives ``line``, counted independently of the layout: wide East Asian
    characters 2, combining marks 0, a joined emoji as its first part, the emoji selector
    U+FE0F as the one cell it adds to the narrow emoji before it."""
    line = re.sub("\u200d.", "", line)
    return sum(
        1 if c == "\ufe0f"
        else 0 if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf")
        else 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
        for c in line
    )


def _hostile_report(p: str) -> AuditReport:
    """Every field the text report prints from a repository set to ``p`` (or made from it)."""
    lic = License(declared=p, spdx=p, name=p, known=False, sharealike=True, gated_terms=True)
    subject = f"org/{p}"
    nodes = (
        Node(id=subject, kind=RepoKind.MODEL, role="subject", depth=0, resolved=True,
             license=lic),
        Node(id=p, kind=RepoKind.MODEL, role="base", depth=1, resolved=False, reason=p,
             license=lic),
        Node(id=p + "2", kind=RepoKind.DATASET, role="dataset", depth=2, resolved=True,
             license=lic),
    )
    edges = (
        Edge(source=subject, target=p, relation="adapter_of"),
        Edge(source=p, target=p + "2", relation="trained_on"),
    )
    here = Location(file=p, line=7)
    waiver = Waiver(rule="x.y", reason=p, owner=p, expires="2999-01-01")
    findings = (
        Finding(rule_id="license.x", severity=Severity.ERROR, title=p, message=p, node=p,
                location=here, fix=p),
        Finding(rule_id="license.y", severity=Severity.WARNING, title=p, message=p, summary=p,
                node=p, suppressed_by=waiver),
        Finding(rule_id="license.z", severity=Severity.NOTE, title=p, message=p, node=p),
    )
    claims = CardClaims(
        hyperparameters=(
            Claim(name="rank", value=p, raw=p, source="prose", location=here),
            Claim(name="optimizer", value=[p, p], raw=p, source="table", location=here),
        )
    )
    evidence = AdapterEvidence(present=True, format="peft", rank=8, tensor_ranks=(8, 16),
                               tensor_modules=(p,), hyperparameters={"optimizer": p},
                               verified_with=p)
    snapshot = RepoSnapshot(repo_id=subject, kind=RepoKind.MODEL, origin="mirror", location=p,
                            revision=p)
    audited = TargetReport(
        target=Target(spec=subject, repo_id=subject), status="audited", incomplete=(p,),
        snapshot=snapshot, claims=claims, evidence=evidence, findings=findings,
        graph=LicenseGraph(subject=subject, nodes=nodes, edges=edges, problems=(p,)),
    )
    failed = TargetReport(target=Target(spec=p), status="failed", error=p)
    summary = Summary(targets=2, unresolved=1, incomplete=1, error=1, warning=1, note=1,
                      suppressed=1)
    return AuditReport(tool=ToolInfo(version="0.0.0"), policy=(p,), targets=(audited, failed),
                       summary=summary)


@pytest.mark.parametrize("color", [False, True], ids=["plain", "colour"])
@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_hostile_text_is_inert_and_bounded(
    monkeypatch: pytest.MonkeyPatch, name: str, color: bool
) -> None:
    monkeypatch.setattr(shutil, "get_terminal_size", lambda *_: os.terminal_size((WIDTH, 24)))
    payload = PAYLOADS[name]
    out = TextFormatter(color=color).render(_hostile_report(payload))
    shown = _SGR.sub("", out) if color else out  # only our own colour sequences, then nothing
    found = sorted({f"U+{ord(c):04X}" for c in _ACTIVE.findall(shown)})
    assert not found, f"raw control characters {found} reached the terminal"
    lines = shown.splitlines()
    assert max(map(_cells, lines)) <= WIDTH
    # Linear: the payload appears about 25 times; each copy costs at most one line per 20
    # cells of it (the narrowest column the report gives it; a tab takes up to 8 cells) plus
    # a few fixed lines, and a line at most 3 characters per cell (a joined emoji: 3 for 2).
    assert len(lines) <= 25 * (len(payload) * 8 // 20 + 10) + 200
    assert len(out) <= len(lines) * (3 * WIDTH + 1)
    if name == "escapes":
        assert "owned" in shown and "over2J" in shown  # the text is shown, only made inert


def test_deep_lineage_stays_within_the_width() -> None:
    """A chain 200 deep: nodes deeper than the width leaves room for are not drawn (as the
    report always did), and no guide runs past the width."""
    lic = License(declared="mit", spdx="MIT", name="MIT", known=True)
    ids = [f"org/m{i}" for i in range(200)]
    nodes = tuple(
        Node(id=n, kind=RepoKind.MODEL, role="subject" if i == 0 else "base", depth=i,
             resolved=True, license=lic)
        for i, n in enumerate(ids)
    )
    edges = tuple(Edge(source=a, target=b, relation="finetune_of") for a, b in pairwise(ids))
    target = TargetReport(target=Target(spec=ids[0], repo_id=ids[0]), status="audited",
                          graph=LicenseGraph(subject=ids[0], nodes=nodes, edges=edges))
    out = TextFormatter(color=False).render(
        AuditReport(tool=ToolInfo(version="0.0.0"), targets=(target,))
    )
    lines = out.splitlines()
    assert max(map(len, lines)) <= WIDTH
    assert "└── finetune_of org/m20  MIT" in out  # 20 levels deep: 80 cells of guides
    assert len(lines) < 200  # not one line per node: the deepest are not drawn
