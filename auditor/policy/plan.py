"""Policy stage: compile a rule's CEL expressions into the programs of its :class:`Plan`.

Every expression is rewritten for cel-rust's cost model first (same meaning): ``a.b`` becomes
``a['b']`` and ``upstream.exists(u, …)`` walks by index, and a rule with ``each`` is walked by
index in chunks so no CEL list grows with the size of the lineage. ``policy.loader`` reads the
packs and calls :func:`build`; ``policy.cel`` runs the programs. Errors name the file, the rule
and the line/column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from auditor.errors import PolicyError
from auditor.policy import lean
from auditor.policy.celimport import cel
from auditor.policy.rewrite import fast, rename, substitute_item, tokens
from auditor.policy.rewrite import names as identifiers

_CEL_POS = re.compile(r"<input>:(\d+):(\d+)")


@dataclass(frozen=True)
class Plan:
    """The compiled programs of one rule (see :func:`build`); ``policy.cel`` runs them.

    A rule without ``each`` is ``single`` (whether it fires) and ``rows`` (its one finding row,
    run only when it fires). A rule with ``each``
    is walked by index in chunks: ``select`` gives the indices of the violating candidates in
    ``_chunk_`` and ``rows`` the finding rows of the indices in ``_picked_``, so no CEL list
    ever grows with the size of the lineage (cel-rust copies a comprehension's accumulator on
    every step) and the walk stops once a rule has reported its maximum number of findings.
    """

    when: Any = None
    lets: tuple[tuple[str, Any], ...] = ()
    single: Any = None
    size: Any = None
    each: Any = None
    select: Any = None
    rows: Any = None
    parts: bool = False
    reads: lean.Reads = lean.NOTHING  # what the programs read of the upstream nodes (policy.lean)

    names: frozenset[str] = frozenset()

    @property
    def variables(self) -> frozenset[str]:
        """The names the programs may reference as variables: every identifier of the rule's
        expressions that is not a field or a function (a superset: comprehension variables,
        ``in``), and the engine's node columns; not the engine's own loop variables."""
        return self.names


# CEL has no cost limit here: 8 nested map() over 10 elements is 10^8 evaluations from 250 bytes
# of an untrusted pack. Nesting is bounded at load (the shipped packs need 5, over small lists);
# this bounds the damage, it is not a cost model.
MAX_COMPREHENSION_DEPTH = 5
_MACROS = frozenset({"map", "filter", "exists", "all", "exists_one"})


def comprehension_depth(expr: str) -> int:
    """How deeply comprehension macros (``map``, ``filter``, ``exists``…) nest in ``expr``."""
    return _structure(expr)[1]


def _structure(expr: str) -> tuple[bool, int]:
    """Whether the brackets of ``expr`` balance, and how deeply its comprehensions nest."""
    toks = tokens(expr)
    stack: list[bool] = []  # one entry per open bracket: is it a comprehension macro's "("?
    balanced, deepest = True, 0
    for n, (kind, text, _start, _end) in enumerate(toks):
        if kind != "punct":
            continue
        if text in "([{":
            stack.append(
                text == "("
                and n >= 2
                and toks[n - 1][1] in _MACROS
                and toks[n - 1][0] == "ident"
                and toks[n - 2][1] == "."
            )
            deepest = max(deepest, sum(stack))
        elif text in ")]}":
            if stack:
                stack.pop()
            else:
                balanced = False
    return balanced and not stack, deepest


def checked(expr: str, key: str, file: str, rule_id: str, line: int | None) -> str:
    """``expr`` if its brackets balance and it nests few loops.

    Balanced brackets keep an expression inside the parentheses the plan puts it in; whether it
    compiles is checked with the plan's programs (compiling each expression on its own as well
    would double a git hook's policy start-up), and only when those fail is each expression
    compiled alone, for an error that points at its own line and column.
    """
    balanced, nesting = _structure(expr)
    if not balanced:
        compile_expr(expr, file, rule_id, line)  # the binding's message, with the position
        raise PolicyError(f"{key}: unbalanced brackets", file=file, rule=rule_id, line=line)
    if nesting > MAX_COMPREHENSION_DEPTH:
        raise PolicyError(
            f"{key}: comprehensions nested {nesting} deep (at most {MAX_COMPREHENSION_DEPTH})",
            file=file,
            rule=rule_id,
            line=line,
        )
    return expr


def build(src: dict[str, str], lets: dict[str, str], file: str, rule_id: str,
          line: int | None, deferred: bool = False) -> Plan:
    """Compile a rule's expressions into the programs of its :class:`Plan`.

    Every expression is first rewritten for cel-rust's cost model (same meaning, measured in
    bench/RESULTS.md): field selection ``a.b`` becomes ``a['b']`` (selecting a large map by
    name copies it; indexing does not) and ``upstream.exists(u, …)``/``all`` walk by index
    (iterating a list of large maps copies each element). With ``each``, every ``item`` becomes
    ``<list>[_i_]``: ``item`` is therefore a reserved name in rules.
    """
    reads, names = lean.NOTHING, set[str]()

    def piece(expr: str) -> str:
        """One expression of the rule (or of the engine) as the programs will hold it."""
        nonlocal reads
        out, more = (lean.rewrite(expr, tokens(expr)) if lean.UPSTREAM in expr
                     else (expr, lean.NOTHING))
        reads = lean.Reads(reads.fields | more.fields, reads.whole or more.whole)
        idents = identifiers(expr)
        if out != expr:
            idents |= {lean.COLUMNS, lean.TABLES}
        if not more.whole:
            idents.discard(lean.UPSTREAM)  # read through the columns only
        names.update(idents)
        return out

    def prog(expr: str) -> Any:
        return Deferred(expr) if deferred else compile_expr(expr, file, rule_id, line)

    def plan(**programs: Any) -> Plan:
        return Plan(**programs, reads=reads, names=frozenset(names))

    # A path ``each`` (``upstream``, ``derived.x.y``) is walked in place, by index.
    direct = "each" in src and bool(_PATH.match(src["each"]))
    src = {key: fast(expr) for key, expr in src.items()}
    compiled_lets = tuple((name, prog(piece(fast(expr)))) for name, expr in lets.items())
    when = piece(src["when"]) if "when" in src else None
    each = src.get("each")
    if each is None:
        if "parts" in src:
            raise PolicyError("'parts' needs 'each'", file=file, rule=rule_id, line=line)
        # The finding's fields are a program of their own, compiled and run only when the rule
        # fires (most do not, and messages are most of a pack's text).
        own = {k: piece(v) for k, v in src.items() if k != "when"}
        fields = _fields(own, piece("subject.id"))
        if when is not None and not lets:
            single = prog(f"({when}) ? ({own['violation']}) : false")
            return plan(single=single, rows=prog(f"[{fields}]"))
        return plan(when=prog(when) if when else None, lets=compiled_lets,
                    single=prog(own["violation"]), rows=prog(f"[{fields}]"))
    coll = f"({each})" if direct else "_each_"
    pick = f"{coll}[_i_]"
    default_node = f"type({pick}) == map && 'id' in {pick} ? string({pick}.id) : subject.id"
    if each == lean.UPSTREAM:  # a node is always a map with an id; ``upstream[_i_]`` is primary
        coll, pick = lean.UPSTREAM, f"{lean.UPSTREAM}[_i_]"
        default_node = f"string({pick}['id'])"

    def bind(expr: str) -> str:
        return rename(expr, "item", pick) if coll == lean.UPSTREAM else substitute_item(expr, pick)

    bound = {k: piece(bind(v)) for k, v in src.items() if k not in ("each", "when")}
    violation = bound["violation"]
    fields = _fields(bound, bound.get("node") or piece(default_node))
    parts = bound.get("parts")
    if parts is not None:
        # One finding per violating part of a candidate: parts are small lists, so binding them
        # through a comprehension variable is cheap, and the candidates are still walked by index.
        select = f"_chunk_.filter(_i_, ({parts}).exists(part, ({violation})))"
        rows = f"_picked_.map(_i_, ({parts}).filter(part, ({violation})).map(part, {fields}))"
    else:
        select = f"_chunk_.filter(_i_, ({violation}))"
        rows = f"_picked_.map(_i_, {fields})"
    if not direct:
        # The candidates of one chunk arrive as ``_slice_``, bound once per call.
        select = f"[_slice_].map(_each_, {select})[0]"
        rows = f"[_slice_].map(_each_, {rows})[0]"
    return plan(
        when=prog(when) if when else None,
        lets=compiled_lets,
        size=prog(piece(_size(coll))) if direct else None,
        each=None if direct else prog(piece(each)),
        select=prog(select),
        rows=prog(rows),
        parts=parts is not None,
    )


def _size(coll: str) -> str:
    if coll == lean.UPSTREAM:
        return f"{coll}.size()"  # always a list
    return f"type({coll}) == list ? {coll}.size() : -1"


def _fields(src: dict[str, str], node: str) -> str:
    return (
        f"{{'message': ({src['message']}), 'node': ({node}), "
        f"'location': ({src.get('location', 'null')}), "
        f"'severity': ({src.get('severity_expr') or 'null'}), "
        f"'evidence': ({src.get('evidence', '{}')}), "
        f"'summary': ({src.get('summary', 'null')})}}"
    )


_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
class Deferred:
    """A shipped rule's program, compiled when it first runs.

    A card-only audit runs about half of the shipped programs (the others belong to rules whose
    ``when`` fails or that find nothing), and compiling is most of loading the packs. The
    shipped packs' syntax is checked by their tests; every other pack is compiled when loaded,
    so its errors still point at its file before anything runs.
    """

    __slots__ = ("_program", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._program: Any = None

    def execute(self, context: Any) -> Any:
        """Run the program (compiling it the first time)."""
        if self._program is None:
            self._program = _compile(self.source)
        return self._program.execute(context)

    def compile(self) -> None:
        """Compile the program now, if it was not yet (see :func:`compile_deferred`)."""
        if self._program is None:
            self._program = _compile(self.source)


def compile_deferred(plans: Iterable[Plan]) -> None:
    """Compile the deferred programs of ``plans`` now rather than when they first run: for a
    caller with idle time before it evaluates (the CLI, waiting for the load-check worker)."""
    for plan in plans:
        programs = (plan.when, plan.single, plan.size, plan.each, plan.select, plan.rows)
        for program in (*programs, *(program for _, program in plan.lets)):
            if isinstance(program, Deferred):
                program.compile()


_compile = lru_cache(maxsize=1024)(cel.compile)
"""Programs by source: rules share some (``location`` of the upstream rules), and a program is
only ever executed."""


def compile_expr(expr: str, file: str, rule_id: str, line: int | None) -> Any:
    """One CEL program; a syntax error becomes a :class:`PolicyError` at the pack's line/column."""
    try:
        return _compile(expr)
    except Exception as exc:  # the cel binding raises ValueError; any failure is a policy error
        text = str(exc)
        pos = _CEL_POS.search(text)
        col = int(pos.group(2)) if pos else None
        if pos and line is not None:
            line += int(pos.group(1)) - 1
        detail = text.split("\n", 1)[-1].strip() if "\n" in text else text
        raise PolicyError(
            f"CEL syntax error: {detail}", file=file, rule=rule_id, line=line, column=col
        ) from exc
