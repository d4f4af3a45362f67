"""Policy stage: compile a rule's CEL expressions into the programs of its :class:`Plan`.

Every expression is rewritten for cel-rust's cost model first (same meaning): ``a.b`` becomes
``a['b']`` and ``upstream.exists(u, …)`` walks by index, and a rule with ``each`` is walked by
index in chunks so no CEL list grows with the size of the lineage. ``policy.loader`` reads the
packs and calls :func:`build`; ``policy.cel`` runs the programs. Errors name the file, the rule
and the line/column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from auditor.errors import PolicyError
from auditor.policy import lean
from auditor.policy.celimport import cel

_CEL_POS = re.compile(r"<input>:(\d+):(\d+)")


@dataclass(frozen=True)
class Plan:
    """The compiled programs of one rule (see :func:`build`); ``policy.cel`` runs them.

    A rule without ``each`` is one program giving zero or one finding row. A rule with ``each``
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
    node_fields: frozenset[str] | None = frozenset()  # None: whole upstream nodes (policy.lean)

    @property
    def variables(self) -> frozenset[str]:
        """The names the programs reference (comprehension variables included)."""
        programs = [self.when, self.single, self.size, self.each, self.select, self.rows]
        programs += [program for _name, program in self.lets]
        return frozenset(v for p in programs if p is not None for v in p.variables())


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
    toks = _tokens(expr)
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


def build(
    src: dict[str, str], lets: dict[str, str], file: str, rule_id: str, line: int | None
) -> Plan:
    """Compile a rule's expressions into the programs of its :class:`Plan`.

    Every expression is first rewritten for cel-rust's cost model (same meaning, measured in
    bench/RESULTS.md): field selection ``a.b`` becomes ``a['b']`` (selecting a large map by
    name copies it; indexing does not) and ``upstream.exists(u, …)``/``all`` walk by index
    (iterating a list of large maps copies each element). With ``each``, every ``item`` becomes
    ``<list>[_i_]``: ``item`` is therefore a reserved name in rules.
    """
    node_fields: set[str] | None = set()

    def prog(expr: str) -> Any:
        nonlocal node_fields
        expr, fields = lean.rewrite(expr, _tokens(expr))
        node_fields = None if fields is None or node_fields is None else node_fields | fields
        return compile_expr(expr, file, rule_id, line)

    # A path ``each`` (``upstream``, ``derived.x.y``) is walked in place, by index.
    direct = "each" in src and bool(_PATH.match(src["each"]))
    src = {key: fast(expr) for key, expr in src.items()}
    compiled_lets = tuple((name, prog(fast(expr))) for name, expr in lets.items())
    when = src.get("when")
    each = src.get("each")
    if each is None:
        if "parts" in src:
            raise PolicyError("'parts' needs 'each'", file=file, rule=rule_id, line=line)
        body = f"({src['violation']}) ? [{_fields(src, 'subject.id')}] : []"
        if when is not None and not lets:
            single = prog(f"({when}) ? ({body}) : []")
            return Plan(single=single, node_fields=_frozen(node_fields))
        return Plan(when=prog(when) if when else None, lets=compiled_lets, single=prog(body),
                    node_fields=_frozen(node_fields))
    coll = f"({each})" if direct else "_each_"
    pick = f"{coll}[_i_]"
    default_node = f"type({pick}) == map && 'id' in {pick} ? string({pick}.id) : subject.id"
    if each == lean.UPSTREAM:  # a node is always a map with an id; ``upstream[_i_]`` is primary
        coll, pick = lean.UPSTREAM, f"{lean.UPSTREAM}[_i_]"
        default_node = f"string({pick}.id)"
    bound = {k: rename(v, "item", pick) if coll == lean.UPSTREAM else substitute_item(v, pick)
             for k, v in src.items() if k not in ("each", "when")}
    violation = bound["violation"]
    fields = _fields(bound, bound.get("node") or default_node)
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
    return Plan(
        when=prog(when) if when else None,
        lets=compiled_lets,
        size=prog(_size(coll)) if direct else None,
        each=None if direct else prog(each),
        select=prog(select),
        rows=prog(rows),
        parts=parts is not None,
        node_fields=_frozen(node_fields),
    )


def _size(coll: str) -> str:
    if coll == lean.UPSTREAM:
        return f"{coll}.size()"  # always a list
    return f"type({coll}) == list ? {coll}.size() : -1"


def _frozen(fields: set[str] | None) -> frozenset[str] | None:
    return None if fields is None else frozenset(fields)


def _fields(src: dict[str, str], node: str) -> str:
    return (
        f"{{'message': ({src['message']}), 'node': ({node}), "
        f"'location': ({src.get('location', 'null')}), "
        f"'severity': ({src.get('severity_expr') or 'null'}), "
        f"'evidence': ({src.get('evidence', '{}')}), "
        f"'summary': ({src.get('summary', 'null')})}}"
    )


_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
# CEL tokens that matter for rewriting: string literals (kept whole), numbers (``1.5`` is not a
# field selection), identifiers, and the punctuation around selections and calls.
_TOKEN = re.compile(
    r"""(?P<str>[rRbB]{0,2}('\'\'\'[\s\S]*?\'\'\'|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))"""
    r"|(?P<num>\d[\w]*(?:\.\d[\w]*)?)"
    r"|(?P<ident>[A-Za-z_]\w*)"
    r"|(?P<punct>\S)"
)
# Lists whose elements are whole repository nodes: the only ones big enough for the way a
# comprehension iterates them to matter.
LARGE_LISTS = ("upstream", "edges")


def _tokens(expr: str) -> list[tuple[str, str, int, int]]:
    """(kind, text, start, end) of every token of ``expr``; whitespace is skipped."""
    return [(m.lastgroup or "", m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(expr)]


def substitute_item(expr: str, replacement: str) -> str:
    """Replace the identifier ``item`` (not a field ``.item``, not inside strings)."""
    return rename(expr, "item", f"({replacement})")


def rename(expr: str, name: str, replacement: str) -> str:
    """Replace the identifier ``name`` (not a field ``.name``, not inside strings)."""
    out, pos, prev = [], 0, ""
    for kind, text, start, end in _tokens(expr):
        if kind == "ident" and text == name and prev != ".":
            out.append(expr[pos:start] + replacement)
            pos = end
        prev = text
    out.append(expr[pos:])
    return "".join(out)


def fast(expr: str) -> str:
    """``expr`` rewritten for cel-rust's cost model, with the same meaning (see :func:`build`)."""
    return bracket_fields(walk_by_index(expr))


def bracket_fields(expr: str) -> str:
    """``a.b`` -> ``a['b']``, except calls (``s.size()``, ``lists.range(…)``) and ``has(a.b)``."""
    toks = _tokens(expr)
    out, pos = [], 0
    parens: list[bool] = []  # one entry per open "(": is it has()'s?
    for n, (kind, text, start, _end) in enumerate(toks):
        if kind == "punct" and text == "(":
            parens.append(n > 0 and toks[n - 1][1] == "has" and (n < 2 or toks[n - 2][1] != "."))
        elif kind == "punct" and text == ")" and parens:
            parens.pop()
        if not (kind == "punct" and text == "." and 0 < n < len(toks) - 1):
            continue
        before, name, after = toks[n - 1], toks[n + 1], toks[n + 2] if n + 2 < len(toks) else None
        ends_operand = before[0] in ("ident", "str") or before[1] in (")", "]")
        if name[0] != "ident" or not ends_operand:
            continue
        if after is not None and after[1] == "(":
            continue  # a call: member function or namespaced function
        if after is not None and after[1] == ")" and parens and parens[-1]:
            continue  # has(a.b) needs a selection
        out.append(expr[pos:start] + f"['{name[1]}']")
        pos = name[3]
    out.append(expr[pos:])
    return "".join(out)


def walk_by_index(expr: str) -> str:
    """``upstream.exists(u, P)`` -> ``lists.range(upstream.size()).exists(_u_, P')``.

    ``P'`` is ``P`` with ``u`` replaced by ``upstream[_u_]``. Also ``all``; only over
    :data:`LARGE_LISTS`, and only when ``u`` is not bound again inside ``P``. Comprehensions that
    build lists (``filter``, ``map``) are left alone: their results would be lists of nodes,
    which no rewrite makes cheap.
    """
    if not any(f"{name}." in expr for name in LARGE_LISTS):
        return expr
    toks = _tokens(expr)
    for n in range(len(toks) - 5):
        if toks[n][1] not in LARGE_LISTS:
            continue
        head, dot, macro, paren, var, comma = (t[1] for t in toks[n : n + 6])
        if not (
            dot == "."
            and macro in ("exists", "all")
            and paren == "("
            and toks[n + 4][0] == "ident"
            and comma == ","
            and (n == 0 or toks[n - 1][1] != ".")
        ):
            continue
        close = _closing(toks, n + 3)
        if close is None:
            return expr
        body = expr[toks[n + 5][3] : toks[close][2]]
        if re.search(rf"\(\s*{var}\s*,", body):
            continue  # rebound inside: leave this one as written
        index = f"_{var}_"
        new_body = rename(body, var, f"{head}[{index}]")
        rewritten = f"lists.range({head}.size()).{macro}({index},{new_body})"
        return walk_by_index(expr[: toks[n][2]] + rewritten + expr[toks[close][3] :])
    return expr


def _closing(toks: list[tuple[str, str, int, int]], open_at: int) -> int | None:
    depth = 0
    for n in range(open_at, len(toks)):
        if toks[n][1] == "(":
            depth += 1
        elif toks[n][1] == ")":
            depth -= 1
            if depth == 0:
                return n
    return None


def compile_expr(expr: str, file: str, rule_id: str, line: int | None) -> Any:
    """One CEL program; a syntax error becomes a :class:`PolicyError` at the pack's line/column."""
    try:
        return cel.compile(expr)
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
