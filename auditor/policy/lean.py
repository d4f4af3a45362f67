"""Policy stage: the upstream nodes as the CEL binding receives them, one column per field.

Handing a Python value to the CEL binding costs about 1.5 µs per string and per map key (it
tries the numeric types first, and each failed try raises a Python exception), and a node is a
map of 15 keys holding a license map of 25 more, the same few licenses on thousands of nodes.
So the engine hands the nodes over as columns, ``_upstream_`` (field name -> one value per
node), in which every field but a few numbers and the id holds row numbers into
``_tables_`` (field name -> its distinct values, each converted once). Every expression that
reads a node's field (``upstream[i].license.spdx``, ``item.kind`` over ``each: upstream``,
after the rewrites of ``policy.rewrite``) is rewritten to read the columns
(``_tables_['license'][_upstream_['license'][i]]['spdx']``), which gives the same value, and
``upstream.size()`` to the size of a column. The columns are built from the facts' own
objects, without dumping each node (docs/speed.md has the numbers).

Rules see nothing of this. A rule that uses whole nodes as values (``[upstream[i]]``,
``upstream.filter(…)``, a node compared or printed, ``has(item.x)``) also gets ``upstream``
as the list of node maps, converted in full.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, NamedTuple

from auditor.models import Facts, Node
from auditor.models.codec import dump, names
from auditor.policy.rewrite import Token, closing

COLUMNS = "_upstream_"
TABLES = "_tables_"
UPSTREAM = "upstream"
PLAIN = frozenset({"id", "depth", "resolved", "gated"})
"""Fields handed over as values (unique ids, numbers, booleans); the others go by row number."""
FIELDS = frozenset(names(Node))



class Reads(NamedTuple):
    """What an expression reads of the upstream nodes."""

    fields: frozenset[str]
    whole: bool  # it uses whole nodes (``upstream`` as the list of node maps)


NOTHING = Reads(frozenset(), False)


MAX_NESTING = 32
"""Node indexes nested deeper than this inside one another are left as written (whole nodes):
the rewrite recurses into an index, and a stranger's pack must not exhaust the stack."""


def rewrite(expr: str, tokens: Sequence[Token], depth: int = 0) -> tuple[str, Reads]:
    """``expr`` reading the node columns instead of the nodes, and what it reads of them.

    ``tokens`` are ``expr``'s (``policy.rewrite.tokens``). Where ``upstream`` is not indexed
    by a literal field name (and not ``upstream.size()``), it is left as written and the
    expression is marked as using whole nodes.
    """
    if UPSTREAM not in expr:
        return expr, NOTHING
    if depth > MAX_NESTING:
        return expr, Reads(frozenset(), True)
    if any(tokens[n][1] == "(" and tokens[n + 1][1] == UPSTREAM and tokens[n + 2][1] == ","
           for n in range(len(tokens) - 2)):
        return expr, Reads(frozenset(), True)  # a macro binds the name: leave it as written
    out: list[str] = []
    fields: set[str] = set()
    pos, whole, n = 0, False, 0
    while n < len(tokens):
        kind, text, start, _end = tokens[n]
        if kind != "ident" or text != UPSTREAM or (n > 0 and tokens[n - 1][1] == "."):
            n += 1
            continue
        close = _bracket(tokens, n + 1)
        if close is None:  # not indexed: ``upstream.size()`` reads no node, anything else does
            if [t[1] for t in tokens[n + 1 : n + 5]] == [".", "size", "(", ")"]:
                out.append(expr[pos:start] + f"{COLUMNS}['id'].size()")
                pos = tokens[n + 4][3]
                n += 5
            else:
                whole, n = True, n + 1
            continue
        name = _field(tokens, close + 1)
        if name is None:  # the node itself is the value: ``[upstream[i]]``, ``type(…)``
            whole, n = True, n + 1
            continue
        index, inner = rewrite(
            expr[tokens[n + 1][3] : tokens[close][2]],
            [(k, t, s - tokens[n + 1][3], e - tokens[n + 1][3])
             for k, t, s, e in tokens[n + 2 : close]],
            depth + 1,
        )
        fields |= inner.fields | {name}
        whole = whole or inner.whole
        column = f"{COLUMNS}['{name}'][{index}]"
        value = column if name in PLAIN or name not in FIELDS else f"{TABLES}['{name}'][{column}]"
        out.append(expr[pos:start] + value)
        pos = tokens[close + 3][3]
        n = close + 4
    out.append(expr[pos:])
    return "".join(out), Reads(frozenset(fields), whole)


def _bracket(tokens: Sequence[Token], at: int) -> int | None:
    """Position of the ``]`` closing a ``[`` at ``at`` (None when there is no ``[`` there)."""
    if at >= len(tokens) or tokens[at][1] != "[":
        return None
    return closing(tokens, at)


def _field(tokens: Sequence[Token], at: int) -> str | None:
    """The field name of a ``['name']`` selection at ``at`` (None if there is none)."""
    sel = [t[1] for t in tokens[at : at + 3]]
    if len(sel) == 3 and sel[0] == "[" and tokens[at + 1][0] == "str" and sel[2] == "]":
        literal = sel[1]
        if len(literal) >= 2 and literal[0] in "'\"" and literal[-1] == literal[0]:
            name = literal[1:-1]
            if name.isidentifier():
                return name
    return None


def columns(facts: Facts, reads: Reads) -> dict[str, Any]:
    """The CEL input for what the rules read of ``facts.upstream`` (see the module doc)."""
    nodes = facts.upstream
    names = sorted((reads.fields & FIELDS) | {"id"})
    cols: dict[str, list[Any]] = {}
    tables: dict[str, list[Any]] = {}
    for name in names:
        values = [getattr(node, name) for node in nodes]
        if name in PLAIN:
            cols[name] = values
        else:
            cols[name], tables[name] = _rows(values)
    document: dict[str, Any] = {COLUMNS: cols, TABLES: tables}
    if reads.whole:
        document[UPSTREAM] = dump(facts.upstream)
    return document


def _rows(values: list[Hashable]) -> tuple[list[int], list[Any]]:
    """Each value's row number in the table of the distinct values (as JSON-able data)."""
    by_id: dict[int, int] = {}  # most nodes share the very same objects (one License per id)
    by_value: dict[Hashable, int] = {}
    rows: list[int] = []
    table: list[Any] = []
    for value in values:
        row = by_id.get(id(value))
        if row is None:
            row = by_value.get(value)
            if row is None:
                row = by_value[value] = len(table)
                table.append(dump(value))
            by_id[id(value)] = row
        rows.append(row)
    return rows, table

