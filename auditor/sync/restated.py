"""Card sync: prose that restates hyperparameters, kept from contradicting the evidence.

The drift this fixes, seen on real published cards: a generated "Benchmark roadmap" paragraph says
"(rank 16, alpha 32, scale 2.0, AdamW LR 1e-5, 500 iters)" while the config says ``adam``. Sync
does not rewrite a person's paragraph. When a hyperparameter stated in running text (outside the
generated sections and outside tables) contradicts the evidence, sync wraps the smallest span
that restates it in *inline* markers: the enclosing parenthesis when it lists two or more
hyperparameters, else the value's own words. Inside those markers, and only there, each value
that disagrees with the evidence is replaced by the evidence's value in the same short form
("AdamW" -> "adam"); agreeing values and the surrounding words are kept. Later syncs re-check
the marked span, so it cannot drift again. Values the evidence does not establish (epochs, …)
are never touched, and a restatement sync cannot locate is reported for a person to fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from auditor.card import parse_card
from auditor.models import AdapterEvidence, Claim, ClaimValue
from auditor.sync.common import number
from auditor.sync.training import alpha_shown, plain

ROLE = "restated"
BEGIN = f"<!-- ailiance-audit:begin {ROLE} -->"
END = f"<!-- ailiance-audit:end {ROLE} -->"
_INLINE = re.compile(re.escape(BEGIN) + r"(.*?)" + re.escape(END), re.S)
_SOURCES = frozenset({"prose", "list", "rendered"})


@dataclass(frozen=True)
class Expected:
    """What the evidence says for one claim name, how to compare, and how to write it."""

    value: ClaimValue
    tolerance: float
    write: Callable[[ClaimValue], str]


def expected(ev: AdapterEvidence) -> dict[str, Expected]:
    """The evidence values a prose restatement is checked against."""
    out: dict[str, Expected] = {}
    rank = ev.tensor_ranks[0] if len(ev.tensor_ranks) == 1 else ev.rank
    if rank is not None:
        out["rank"] = Expected(rank, 0.0, lambda v: f"rank {v}")
    if ev.scale is not None:
        out["scale"] = Expected(ev.scale, 0.005, lambda v: f"scale {number(float(v))}")  # type: ignore[arg-type]
    alpha = ev.alpha if alpha_shown(ev) else None
    if alpha is None and ev.format == "mlx-lm" and ev.scale is not None and ev.scale_divisor:
        alpha = ev.scale * ev.scale_divisor  # what alpha/rank must be for mlx-lm's scale
    if alpha is not None:
        out["alpha"] = Expected(alpha, 0.005, lambda v: f"alpha {plain(v)}")
    if ev.dropout is not None:
        out["dropout"] = Expected(ev.dropout, 1e-6, lambda v: f"dropout {number(float(v))}")  # type: ignore[arg-type]
    forms: dict[str, Callable[[ClaimValue], str]] = {
        "optimizer": lambda v: str(v),
        "learning_rate": lambda v: f"LR {number(float(v))}",  # type: ignore[arg-type]
        "iterations": lambda v: f"{v} iters",
        "batch_size": lambda v: f"batch size {v}",
        "grad_accumulation": lambda v: f"grad accumulation {v}",
        "max_seq_length": lambda v: f"max seq length {v}",
    }
    for name, write in forms.items():
        value = ev.hyperparameters.get(name)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            out[name] = Expected(value, 1e-6, write)
    return out


def differs(claim: ClaimValue, want: Expected) -> bool:
    """Whether a stated value contradicts the evidence (numbers with a relative tolerance)."""
    a, b = claim, want.value
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() != b.lower()
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) > want.tolerance * abs(float(b)) + 1e-12
    return False


def _paren(text: str, pos: int, lo: int, hi: int) -> tuple[int, int] | None:
    """The span inside the innermost parenthesis around ``pos`` within ``[lo, hi)``."""
    depth = 0
    start = None
    for i in range(pos - 1, lo - 1, -1):
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            if depth == 0:
                start = i + 1
                break
            depth -= 1
    if start is None:
        return None
    depth = 0
    for i in range(pos, hi):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            if depth == 0:
                return start, i
            depth -= 1
    return None


def _paragraph(text: str, pos: int) -> tuple[int, int]:
    lo = text.rfind("\n\n", 0, pos)
    hi = text.find("\n\n", pos)
    return (0 if lo < 0 else lo + 2), (len(text) if hi < 0 else hi)


def _offsets(text: str) -> list[int]:
    starts = [0]
    starts += [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    return starts


def _locate(text: str, starts: list[int], claim: Claim) -> int | None:
    line = (claim.location.line or 0) - 1
    if not 0 <= line < len(starts):
        return None
    stop = starts[line + 1] if line + 1 < len(starts) else len(text)
    col = text.find(claim.raw, starts[line], stop)
    return None if col < 0 else col


def _new_spans(
    text: str, claims: list[Claim], want: dict[str, Expected], skip: set[int]
) -> tuple[list[tuple[int, int]], list[str]]:
    """Spans to wrap in inline markers, and restatements that could not be located."""
    starts = _offsets(text)
    inline = [m.span() for m in _INLINE.finditer(text)]
    spans: list[tuple[int, int]] = []
    notes: list[str] = []
    for claim in claims:
        w = want.get(claim.name)
        if w is None or not differs(claim.value, w) or (claim.location.line or 0) in skip:
            continue
        pos = _locate(text, starts, claim)
        if pos is None or "/" in claim.raw:
            notes.append(
                f"line {claim.location.line}: the card says {claim.name} "
                f"{claim.raw!r}; fix it by hand (the evidence says {w.write(w.value)})"
            )
            continue
        if any(a <= pos < b for a, b in inline):
            continue  # already marked: rewritten below
        lo, hi = _paragraph(text, pos)
        paren = _paren(text, pos, lo, hi)
        inside = [
            c
            for c in claims
            if paren and (p := _locate(text, starts, c)) is not None and paren[0] <= p < paren[1]
        ]
        span = paren if paren and len(inside) >= 2 else (pos, pos + len(claim.raw))
        line_start = text.rfind("\n", 0, span[0]) + 1
        if not text[line_start : span[0]].strip():
            notes.append(
                f"line {claim.location.line}: the card says {claim.name} "
                f"{claim.raw!r} at the start of a line; fix it by hand"
            )
            continue
        if span not in spans:
            spans.append(span)
    return spans, notes


def _rewrite(text: str, want: dict[str, Expected]) -> str:
    """Replace, inside each inline-marked span, the values that contradict the evidence."""
    claims = [c for c in parse_card(text).hyperparameters if c.source in _SOURCES]
    starts = _offsets(text)
    edits: list[tuple[int, int, str]] = []
    for m in _INLINE.finditer(text):
        first = len([s for s in starts if s <= m.start(1)])
        last = len([s for s in starts if s <= m.end(1)])
        cursor = m.start(1)
        for claim in claims:
            w = want.get(claim.name)
            if w is None or not first <= (claim.location.line or 0) <= last:
                continue
            pos = text.find(claim.raw, cursor, m.end(1))
            if pos < 0:
                continue
            cursor = pos + len(claim.raw)
            if differs(claim.value, w):
                edits.append((pos, cursor, w.write(w.value)))
    for start, stop, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[stop:]
    return text


def sync_restated(text: str, ev: AdapterEvidence, skip: set[int]) -> tuple[str, list[str]]:
    """The card text with contradicting prose restatements marked and corrected.

    ``skip`` holds 1-based lines of the generated sections (their values are already right).
    """
    want = expected(ev)
    if not want:
        return text, []
    claims = [c for c in parse_card(text).hyperparameters if c.source in _SOURCES]
    spans, notes = _new_spans(text, claims, want, skip)
    for start, stop in sorted(spans, reverse=True):
        text = text[:start] + BEGIN + text[start:stop] + END + text[stop:]
    return _rewrite(text, want), notes
