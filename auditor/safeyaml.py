"""The one YAML loader for the files the tool reads from users and strangers: policy packs, pack
tests and waiver files.

PyYAML's safe loader constructs only plain types, but an alias is a shared node: a 1 KB
"billion laughs" document is cheap to load and expands to 10^9 values the moment anything walks
it (schema validation, a merge, a dump). Here the document is composed once, its expanded size is
counted over the node graph (each shared node once, so the count costs what the file costs),
and a document above :data:`MAX_NODES`, a recursive alias or nesting too deep for the
constructor is a :class:`YamlError`, never a traceback. Card front matter is composed by the
card stage without construction, which needs no such guard.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["MAX_NODES", "YamlError", "load"]

MAX_NODES = 200_000
"""Scalars, sequences and mappings a document may expand to (aliases counted as expanded)."""

# libyaml's safe loader when present: packs load on every run, a git hook's start-up budget.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlError(ValueError):
    """A document that is not YAML or is too large once expanded; ``line`` is 1-based or None."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line, self.column = line, column


def load(text: str) -> tuple[Any, yaml.Node | None]:
    """The document's data and its root node (for line numbers); :class:`YamlError` if unsafe."""
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        expanded_size(root)
        return loader.construct_document(root), root
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError(
            f"invalid YAML: {exc.problem or exc}",
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        ) from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:  # e.g. a date like 2099-13-45
        raise YamlError(f"invalid YAML: {type(exc).__name__}: {str(exc)[:80]}") from None
    except RecursionError:
        raise YamlError("invalid YAML: nested too deeply") from None
    finally:
        loader.dispose()


def expanded_size(root: yaml.Node, limit: int = MAX_NODES) -> int:
    """How many nodes ``root`` expands to, counting every alias as a copy (iterative, no
    recursion); :class:`YamlError` above ``limit`` or on a recursive alias."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        key = id(node)
        kids = _children(node)
        if closing:
            open_.discard(key)
            sizes[key] = 1 + sum(sizes[id(k)] for k in kids)
            if sizes[key] > limit:
                raise YamlError(f"the document expands to more than {limit} values (aliases)")
            continue
        if key in sizes:
            continue
        open_.add(key)
        stack.append((node, True))
        for kid in kids:
            if id(kid) in open_:
                raise YamlError("a recursive alias")
            if id(kid) not in sizes:
                stack.append((kid, False))
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
