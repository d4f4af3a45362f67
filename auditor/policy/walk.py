"""Policy stage: a rule with ``each`` as one program over all its candidates (``plan.Plan.fused``),
and the probe that spares compiling it when it would find nothing.

``policy.plan`` builds the rule's expressions into these texts; ``policy.programs`` runs the probe
first. The probe is the walk without its finding rows: whether any candidate (any part of one)
violates. Most rules find nothing on most repositories, and the rows (messages, locations) are
most of a rule's text; compiling costs the CEL binding about 6 µs per token, so a card-only
audit then compiles only the probe (docs/speed.md).
"""

from __future__ import annotations

from auditor.policy import lean
from auditor.policy.rewrite import bind_repeated

MAX_FINDINGS_PER_RULE, FUSED = 200, "_item_"
BOUND = ("_v0_", "_v1_", "_v2_", "_v3_")
"""The engine's names for the reads :func:`at_once` binds."""


def at_once(coll: str, var: str, violation: str, fields: str, parts: str | None,
            reads: tuple[str, ...] = ()) -> tuple[str, str]:
    """The rows of every candidate in ``coll`` (bound to ``var``) in one program: a list of
    rows, or with ``parts`` one list of rows per candidate (each part computed once); and its
    probe, true when some candidate violates (false: the program gives no rows).

    ``reads`` are the expressions that read the candidate ``var`` indexes: each one repeated in
    a comprehension's body is evaluated once there (:func:`rewrite.bind_repeated`)."""

    def once(body: str) -> str:
        return bind_repeated(body, reads, BOUND) if reads else body

    if parts is None:
        test = once(f"({violation})")
        return (f"{coll}.filter({var}, {test}).map({var}, {once(fields)})",
                f"{coll}.exists({var}, {test})")
    body = f"({parts}).filter(part, ({violation})).map(part, {fields})"
    return (f"{coll}.map({var}, {once(body)})",
            f"{coll}.exists({var}, {once(f'({parts}).exists(part, ({violation}))')})")


def reads_of(coll: str, pick: str) -> tuple[str, ...]:
    """What the programs read of the candidate ``pick`` (``coll[_i_]``): itself, or over
    ``upstream`` each field's column or table value as ``policy.lean`` writes them. Each of them
    evaluates without error for every index the engine walks (a column holds one value per
    node, a table one row per distinct value)."""
    if coll != lean.UPSTREAM:
        return (pick,)
    index = pick[len(lean.UPSTREAM):]
    columns = {name: f"{lean.COLUMNS}['{name}']{index}" for name in sorted(lean.FIELDS)}
    return (*(f"{lean.TABLES}['{name}'][{column}]" for name, column in columns.items()
              if name not in lean.PLAIN), *columns.values())


def computed(bound: dict[str, str], pick: str, each: str) -> tuple[str, str]:
    """A computed ``each`` as one program (``null`` past the cap) and its probe (true past the
    cap: the program then decides): the candidate is ``_item_`` where the chunked programs
    index ``_each_`` (both names are the engine's)."""
    item = {k: v.replace(f"({pick})", f"({FUSED})") for k, v in bound.items()}
    default = f"type({FUSED}) == map && 'id' in {FUSED} ? string({FUSED}.id) : subject.id"
    row = fields(item, item.get("node") or default)
    body, probe = at_once("_each_", FUSED, item["violation"], row, item.get("parts"))
    head = (f"[{each}].map(_each_, type(_each_) == list "
            f"&& _each_.size() <= {MAX_FINDINGS_PER_RULE} ? ")
    return f"{head}{body} : null)[0]", f"{head}{probe} : true)[0]"


def fields(src: dict[str, str], node: str) -> str:
    """A finding row: the rule's message, node and other fields, as one CEL map. A rule's own
    expression is parenthesised (it cannot break out of its slot); a default is not (each pair
    of parentheses costs the CEL parser about as much as a few tokens)."""

    def value(key: str, default: str) -> str:
        return f"({src[key]})" if key in src else default

    severity = f"({src['severity_expr']})" if src.get("severity_expr") else "null"
    return (
        f"{{'message': ({src['message']}), 'node': ({node}), "
        f"'location': {value('location', 'null')}, 'severity': {severity}, "
        f"'evidence': {value('evidence', '{}')}, 'summary': {value('summary', 'null')}}}"
    )
