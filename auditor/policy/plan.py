"""Policy stage: compile a rule's CEL expressions into the programs of its :class:`Plan`.

Every expression is rewritten for cel-rust's cost model first (same meaning): ``a.b`` becomes
``a['b']`` and ``upstream.exists(u, …)`` walks by index, and a rule with ``each`` is walked by
index in chunks so no CEL list grows with the size of the lineage. ``policy.loader`` reads the
packs and calls :func:`build`; ``policy.cel`` runs the programs. Errors name the file, the rule
and the line/column.
"""

from __future__ import annotations

from typing import Any

from auditor.errors import PolicyError
from auditor.lazyre import lazy
from auditor.policy import lean
from auditor.policy import paths as facts_paths
from auditor.policy.programs import Deferred as Deferred  # re-exported (tests)
from auditor.policy.programs import Probed
from auditor.policy.programs import compile_expr as compile_expr  # re-exported (loader)
from auditor.policy.rewrite import fast, rename, substitute_item, tokens
from auditor.policy.rewrite import names as identifiers
from auditor.policy.walk import MAX_FINDINGS_PER_RULE as MAX_FINDINGS_PER_RULE  # re-exported
from auditor.policy.walk import at_once, computed
from auditor.policy.walk import fields as row_fields
from auditor.records import record


@record
class Plan:
    """The compiled programs of one rule (see :func:`build`); ``policy.cel`` runs them.

    A rule without ``each`` is ``single`` (whether it fires) and ``rows`` (its one finding row,
    run only when it fires). A rule with ``each`` is walked by index in chunks: ``select`` gives
    the indices of the violating candidates in ``_chunk_`` and ``rows`` the finding rows of the
    indices in ``_picked_``, so no CEL list ever grows with the size of the lineage (cel-rust
    copies a comprehension's accumulator on every step) and the walk stops at the findings cap.
    ``fused`` is that walk as one program, for at most :data:`MAX_FINDINGS_PER_RULE` candidates
    (the indices of a path in ``_chunk_``, or the computed list itself): the chunked walk's two
    or three programs, round trip of a computed list between CEL and Python values and parts
    computed twice cost more than the rule's own work on a census-sized audit, and so few
    candidates give every violating one's rows anyway (the cap is not reached). ``policy.cel``
    walks in chunks when it gives no list or fails (the chunked walk then reports the error).
    A ``fused`` walk may first run a probe (``policy.walk``), so that a rule that finds nothing
    never compiles its finding rows.
    """

    when: Any = None
    lets: tuple[tuple[str, Any], ...] = ()
    single: Any = None
    size: Any = None
    each: Any = None
    select: Any = None
    rows: Any = None
    parts: bool = False
    fused: Any = None
    inline_lets: bool = False  # ``fused`` binds the lets itself, and runs before them
    reads: lean.Reads = lean.NOTHING  # what the programs read of the upstream nodes (policy.lean)
    paths: frozenset[tuple[str, ...]] = frozenset()  # what they select of the facts (paths.py)

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
    # What the rule selects of the facts, read from its own expressions (their tokens are
    # cached: the rewrites below read them too), and the engine's default node.
    selected = {("subject", "id")}.union(
        *(facts_paths.paths(tokens(e)) for e in (*src.values(), *lets.values())))

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
        return Plan(**programs, reads=reads, names=frozenset(names), paths=frozenset(selected))

    # A path ``each`` (``upstream``, ``derived.x.y``) is walked in place, by index.
    direct = "each" in src and bool(_PATH.match(src["each"]))
    src = {key: fast(expr) for key, expr in src.items()}
    let_texts = [(name, piece(fast(expr))) for name, expr in lets.items()]
    compiled_lets = tuple((name, prog(text)) for name, text in let_texts)
    when = piece(src["when"]) if "when" in src else None
    each = src.get("each")
    if each is None:
        if "parts" in src:
            raise PolicyError("'parts' needs 'each'", file=file, rule=rule_id, line=line)
        # The finding's fields are a program of their own, compiled and run only when the rule
        # fires (most do not, and messages are most of a pack's text).
        own = {k: piece(v) for k, v in src.items() if k != "when"}
        fields = row_fields(own, piece("subject.id"))
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
    fields = row_fields(bound, bound.get("node") or piece(default_node))
    parts = bound.get("parts")
    if parts is not None:
        # One finding per violating part of a candidate: parts are small lists, so binding them
        # through a comprehension variable is cheap, and the candidates are still walked by index.
        select = f"_chunk_.filter(_i_, ({parts}).exists(part, ({violation})))"
        rows = f"_picked_.map(_i_, ({parts}).filter(part, ({violation})).map(part, {fields}))"
    else:
        select = f"_chunk_.filter(_i_, ({violation}))"
        rows = f"_picked_.map(_i_, {fields})"
    fused, probe = at_once("_chunk_", "_i_", violation, fields, parts)
    if not direct:
        # The candidates of one chunk arrive as ``_slice_``, bound once per call.
        select = f"[_slice_].map(_each_, {select})[0]"
        rows = f"[_slice_].map(_each_, {rows})[0]"
        each = piece(each)
        fused, probe = computed(bound, pick, each)
    # The lets bound inside the one program, evaluated first, as when they go through Python
    # (unless the path walked is a let: its size is read before the lets are).
    inline = bool(lets) and not (direct and src["each"].split(".")[0] in lets)
    for name, text in reversed(let_texts if inline else []):
        fused = f"[{text}].map({name}, {fused})[0]"
        probe = f"[{text}].map({name}, {probe})[0]"
    # The probe spares compiling the walk's rows when nothing violates; a rule that fires
    # compiles both, so it pays only when it is at most half of the walk (policy.walk). A path
    # walked is at least probed for candidates (a card without hyperparameters), unless the walk
    # binds lets (their errors are reported even without candidates).
    if 2 * len(probe) > len(fused):
        probe = "_chunk_.size() > 0" if direct and not inline else ""
    walk = Probed(fused, probe) if probe else Deferred(fused)
    return plan(
        when=prog(when) if when else None,
        lets=compiled_lets,
        size=prog(piece(_size(coll))) if direct else None,
        each=None if direct else prog(each),
        select=prog(select),
        rows=prog(rows),
        parts=parts is not None,
        fused=walk,
        inline_lets=inline,
    )


def _size(coll: str) -> str:
    if coll == lean.UPSTREAM:
        return f"{coll}.size()"  # always a list
    return f"type({coll}) == list ? {coll}.size() : -1"


_PATH = lazy(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
