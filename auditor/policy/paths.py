"""Policy stage: which parts of the facts document the rules read, so only those go to CEL.

Handing a Python value to the CEL binding costs about 1 µs per string, list, map and map key
(docs/speed.md), and on a census-sized audit converting the facts document cost about as much
as running every rule. Most of it is never read: no shipped rule reads a subject's statements
or a card's chain rows, and of a 25-field license map a rule reads a handful of fields. So
every expression is scanned for the paths it selects from the facts variables
(``subject['license']['spdx']``, ``derived['license_traits'][x]['family']``: a computed index
is any key, ``*``), and the document keeps, under each variable, only what some path reaches.
A path that ends anywhere else than at a selection (a value used whole, compared, iterated,
given to ``in`` or ``size()``) keeps everything below it; so does any use of a variable that
is not a plain selection. Rules see the same values: what is left out is never selected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from auditor.policy.rewrite import Token, closing

ROOTS = frozenset({"card", "subject", "adapter", "compute", "derived", "_tables_"})
"""The facts variables that are maps worth pruning (lists and the node columns are not)."""
ANY = "*"
KEYS = "#in"  # a map whose keys are read (``x in m``), not its values
WHOLE: Any = True  # a trie node that keeps everything below it

Path = tuple[str, ...]
Trie = Any  # WHOLE, or dict[str, Trie]


def paths(tokens: Sequence[Token]) -> set[Path]:
    """The paths an expression selects from :data:`ROOTS` (``tokens``: its tokens)."""
    return {_path(tokens, n) for n, token in enumerate(tokens)
            if token[1] in ROOTS and token[0] == "ident" and (n == 0 or tokens[n - 1][1] != ".")}


_ENDS = frozenset(")]},?:&|")
"""Tokens that end the right operand of ``in`` (``&&`` and ``||`` come as two tokens)."""


def _path(tokens: Sequence[Token], n: int) -> Path:
    path, at = [tokens[n][1]], n + 1
    while at < len(tokens):
        text = tokens[at][1]
        if text == "." and at + 1 < len(tokens) and tokens[at + 1][0] == "ident":
            if at + 2 < len(tokens) and tokens[at + 2][1] == "(":
                break  # a method call (``size()``, ``exists(…)``) uses the value whole
            path.append(tokens[at + 1][1])
            at += 2
        elif text == "[":
            close = closing(tokens, at)
            if close is None:
                break
            key = _key(tokens[at + 1 : close])
            path.append(ANY if key is None else key)
            at = close + 1
        else:
            break
    member = n > 0 and tokens[n - 1][1] == "in" and tokens[n - 1][0] == "ident"
    if member and (at == len(tokens) or tokens[at][1] in _ENDS):
        path.append(KEYS)  # ``x in <map>`` reads its keys only
    return tuple(path)


def _key(inside: Sequence[Token]) -> str | None:
    """The key of a ``['literal']`` index (None for any other index)."""
    if len(inside) != 1 or inside[0][0] != "str":
        return None
    text = inside[0][1]
    if len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0] and "\\" not in text:
        body = text[1:-1]
        return body if text[0] not in body else None
    return None


def trie(found: Iterable[Path]) -> dict[str, Trie]:
    """The paths as a tree: root -> key -> ... ; a path's end keeps all below it."""
    root: dict[str, Trie] = {}
    for path in sorted(found, key=len):
        node: Any = root
        for key in path[:-1]:
            if node is WHOLE:
                break
            node = node.setdefault(key, {})
        else:
            if node is not WHOLE:
                node[path[-1]] = WHOLE
    return root


def _merge(a: Trie, b: Trie | None) -> Trie:
    if b is None:
        return a
    if a is WHOLE or b is WHOLE:
        return WHOLE
    out = dict(a)
    for key, sub in b.items():
        out[key] = _merge(out[key], sub) if key in out else sub
    return out


def prune(value: Any, spec: Trie) -> Any:
    """``value`` (JSON-able data) with only what ``spec`` reaches."""
    if spec is WHOLE:
        return value
    children, star, keys = _node(spec)
    if isinstance(value, dict):
        if star is not None:
            return {k: prune(v, children.get(k, star)) for k, v in value.items()}
        # a key nothing selects stays only when the keys are read, with a value nothing reads
        return {k: prune(v, children[k]) if k in children else None
                for k, v in value.items() if k in children or keys}
    if isinstance(value, list) and star is not None and len(spec) == 1:
        return [prune(v, star) for v in value]
    return value  # a scalar, a list searched by ``in``, or a list indexed by a name


_NODES: dict[int, tuple[Trie, dict[str, Trie], Trie | None, bool]] = {}


def _node(spec: dict[str, Trie]) -> tuple[dict[str, Trie], Trie | None, bool]:
    """A trie node as :func:`prune` reads it: each key's spec merged with ``*``'s, ``*``'s, and
    whether the keys are read. A policy's tries prune every target, so each node is worked out
    once (and kept with it, so its id stays its own)."""
    got = _NODES.get(id(spec))
    if got is not None and got[0] is spec:
        return got[1], got[2], got[3]
    star = spec.get(ANY)
    children = {k: _merge(sub, star) for k, sub in spec.items()}
    if len(_NODES) > 4096:
        _NODES.clear()
    _NODES[id(spec)] = (spec, children, star, KEYS in spec)
    return children, star, KEYS in spec
