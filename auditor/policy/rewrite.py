"""Policy stage: rewrite CEL expressions for cel-rust's cost model, with the same meaning.

``a.b`` becomes ``a['b']`` (selecting a large map by name copies it; indexing does not) and
``upstream.exists(u, …)``/``all`` walk by index (iterating a list of large maps copies each
element); ``policy.plan`` applies them to every expression before compiling it, and
``policy.lean`` then points the upstream nodes' fields at their columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from auditor.lazyre import lazy

# CEL tokens that matter for rewriting: string literals (kept whole), numbers (``1.5`` is not a
# field selection), identifiers, and the punctuation around selections and calls.
_TOKEN = lazy(
    r"""(?P<str>[rRbB]{0,2}('\'\'\'[\s\S]*?\'\'\'|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))"""
    r"|(?P<num>\d[\w]*(?:\.\d[\w]*)?)"
    r"|(?P<ident>[A-Za-z_]\w*)"
    r"|(?P<punct>\S)"
)
# Names an expression may read as variables: identifiers outside string literals and numbers,
# not selected as a field (``a.b``) and not called (``size(x)``).
_NAMES = lazy(
    _TOKEN.pattern.split("|(?P<ident>")[0].replace("?P<str>", "").replace("?P<num>", "")
    + r"|(\.\s*)?([A-Za-z_]\w*)(\s*\()?"
)
# Lists whose elements are whole repository nodes: the only ones big enough for the way a
# comprehension iterates them to matter.
LARGE_LISTS = ("upstream", "edges")


Token = tuple[str, str, int, int]


@lru_cache(maxsize=2048)
def tokens(expr: str) -> tuple[Token, ...]:
    """(kind, text, start, end) of every token of ``expr``; whitespace is skipped.

    Kept per expression: loading the shipped packs tokenizes many expressions more than once
    (checks, rewrites), and tokenizing is a third of that load's own work.
    """
    return tuple(
        (m.lastgroup or "", m.group(), *m.span()) for m in _TOKEN.finditer(expr)
    )


def names(expr: str) -> set[str]:
    """The identifiers ``expr`` may read as variables (a superset: comprehension variables and
    ``in`` too); cheaper than :func:`tokens`, which builds a tuple per token."""
    return {name for *_lit, sel, name, call in _NAMES.findall(expr) if name and not (sel or call)}


def substitute_item(expr: str, replacement: str) -> str:
    """Replace the identifier ``item`` (not a field ``.item``, not inside strings)."""
    return rename(expr, "item", f"({replacement})")


def rename(expr: str, name: str, replacement: str) -> str:
    """Replace the identifier ``name`` (not a field ``.name``, not inside strings)."""
    out, pos, prev = [], 0, ""
    for kind, text, start, end in tokens(expr):
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
    toks = tokens(expr)
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
    for _ in range(MAX_WALKS):  # a loop, not recursion: a stranger's pack may hold thousands
        walked = _walk_first(expr)
        if walked is None:
            break
        expr = walked
    return expr


MAX_WALKS = 64
"""Comprehensions rewritten per expression; any beyond stay as written (same meaning, slower)."""


def _walk_first(expr: str) -> str | None:
    """``expr`` with its first walk rewritten (see :func:`walk_by_index`); None if it has none."""
    if not any(f"{name}." in expr for name in LARGE_LISTS):
        return None
    toks = tokens(expr)
    for n in range(len(toks) - 5):
        if toks[n][1] not in LARGE_LISTS:
            continue
        head, dot, macro, paren, var, comma = (t[1] for t in toks[n : n + 6])
        if not (dot == "." and macro in ("exists", "all") and paren == "("
                and toks[n + 4][0] == "ident" and comma == ","
                and (n == 0 or toks[n - 1][1] != ".")):
            continue
        close = closing(toks, n + 3)
        if close is None:
            return None
        body = expr[toks[n + 5][3] : toks[close][2]]
        if re.search(rf"\(\s*{var}\s*,", body):
            continue  # rebound inside: leave this one as written
        index = f"_{var}_"
        new_body = rename(body, var, f"{head}[{index}]")
        rewritten = f"lists.range({head}.size()).{macro}({index},{new_body})"
        return expr[: toks[n][2]] + rewritten + expr[toks[close][3] :]
    return None


def closing(toks: Sequence[Token], at: int) -> int | None:
    """Position of the bracket closing the one opened at ``at``, counting every kind of bracket
    (None when it is never closed): the comprehensions this module rewrites, and the selections
    ``policy.lean`` and ``policy.paths`` read."""
    depth = 0
    for n in range(at, len(toks)):
        if toks[n][0] == "punct" and toks[n][1] in "([{":
            depth += 1
        elif toks[n][0] == "punct" and toks[n][1] in ")]}":
            depth -= 1
            if depth == 0:
                return n
    return None
