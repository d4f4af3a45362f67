"""Policy stage: a rule with ``each`` as one program over all its candidates (``plan.Plan.fused``),
and the probe that spares compiling it when it would find nothing.

``policy.plan`` builds the rule's expressions into these texts; ``policy.programs`` runs the probe
first. The probe is the walk without its finding rows: whether any candidate (any part of one)
violates. Most rules find nothing on most repositories, and the rows (messages, locations) are
most of a rule's text; compiling costs the CEL binding about 6 µs per token, so a card-only
audit then compiles only the probe (docs/speed.md).
"""

from __future__ import annotations

MAX_FINDINGS_PER_RULE, FUSED = 200, "_item_"


def at_once(coll: str, var: str, violation: str, fields: str, parts: str | None
            ) -> tuple[str, str]:
    """The rows of every candidate in ``coll`` (bound to ``var``) in one program: a list of
    rows, or with ``parts`` one list of rows per candidate (each part computed once); and its
    probe, true when some candidate violates (false: the program gives no rows).

    The candidate's reads (``card['hyperparameters'][_i_]['name']``, a node's table row) stay
    where the rule wrote them, each evaluated where it is read: cel-rust indexes a map or list
    without copying it, but binding a record to a name (``[rec].map(v, …)``) copies it twice,
    and that cost more than all the reads it saved (docs/speed.md, census round 5)."""
    if parts is None and violation.strip() == "true":  # every candidate: no filter to copy them
        return f"{coll}.map({var}, {fields})", f"{coll}.size() > 0"
    if parts is None:
        test = f"({violation})"
        return (f"{coll}.filter({var}, {test}).map({var}, {fields})",
                f"{coll}.exists({var}, {test})")
    body = f"({parts}).filter(part, ({violation})).map(part, {fields})"
    return (f"{coll}.map({var}, {body})",
            f"{coll}.exists({var}, ({parts}).exists(part, ({violation})))")


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
