"""Card sync: rewrite named keys of the YAML front matter, every other byte left as it was.

The block is found with the Hub's own regex (``huggingface_hub.repocard.REGEX_YAML_BLOCK``, as
the card stage does). Each top-level key is located by *composing* the YAML (node marks, no
construction: an alias bomb costs nothing); a key that sync changes is replaced by its freshly
dumped ``key: value`` lines, a new key is inserted after ``base_model`` (or at the end of the
block). Other keys, comments, quoting and blank lines are not touched. Keys sync may write:
``base_model``, ``base_model_relation``, ``library_name``, ``datasets``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import yaml
from huggingface_hub.repocard import REGEX_YAML_BLOCK

SYNC_KEYS = ("base_model", "base_model_relation", "datasets", "library_name")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LINES = re.compile(r".*?(?:\r\n|\r|\n)|.+$", re.S)
_YAML_BREAKS = re.compile("[\x85\u2028\u2029]")
Value = str | list[str]
# A new key goes after the first of these that the block has (Hub card order), else at the end.
_ANCHORS = {
    "base_model": ("license",),
    "base_model_relation": ("base_model",),
    "datasets": ("base_model_relation", "base_model", "license"),
    "library_name": ("datasets", "base_model_relation", "base_model", "license"),
}


class FrontMatterError(ValueError):
    """The front matter cannot be edited safely (not YAML, not a mapping, or too large)."""


@dataclass(frozen=True)
class Block:
    """Where the front matter sits: ``lines[start:stop]`` are its YAML lines (0-based)."""

    start: int
    stop: int
    present: bool


def split_lines(text: str) -> list[str]:
    """Lines with their endings (like ``str.splitlines(keepends=True)`` but only CR/LF breaks)."""
    return _LINES.findall(text)


def locate(text: str) -> Block:
    """The front-matter block of a card; ``present`` is False when there is none."""
    m = REGEX_YAML_BLOCK.search(text)
    if m is None:
        return Block(0, 0, False)
    start = len(split_lines(m.group(1)))
    inner = m.group(2)
    return Block(start, start + len(split_lines(inner)) if inner else start, True)


def _compose(text: str) -> yaml.MappingNode | None:
    if len(text) > 256 * 1024:
        raise FrontMatterError("the front matter is larger than 256 KiB")
    if _YAML_BREAKS.search(text):  # YAML breaks lines there, Markdown does not: marks would drift
        raise FrontMatterError("the front matter holds NEL/LS/PS line-break characters")
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise FrontMatterError(
            f"the front matter is not valid YAML ({type(exc).__name__})"
        ) from exc
    if root is None:
        return None
    if not isinstance(root, yaml.MappingNode):
        raise FrontMatterError("the front matter is not a YAML mapping")
    return root


def _spans(lines: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Top-level key -> (first line, stop line) within ``lines``."""
    root = _compose("".join(lines))
    out: dict[str, tuple[int, int]] = {}
    for key, value in root.value if root else ():
        if not isinstance(key, yaml.ScalarNode) or key.start_mark.column != 0:
            continue
        end = value.end_mark
        stop = end.line if end.column == 0 or end.line >= len(lines) else end.line + 1
        while stop > key.start_mark.line + 1 and not lines[stop - 1].strip():
            stop -= 1  # trailing blank lines stay outside the key
        out[str(key.value)] = (key.start_mark.line, min(stop, len(lines)))
    return out


def read(lines: Sequence[str]) -> dict[str, Value | None]:
    """The current values of :data:`SYNC_KEYS` (strings or lists of strings; None if absent)."""
    root = _compose("".join(lines))
    out: dict[str, Value | None] = dict.fromkeys(SYNC_KEYS)
    for key, value in root.value if root else ():
        name = str(getattr(key, "value", ""))
        if name not in out:
            continue
        if isinstance(value, yaml.ScalarNode):
            out[name] = str(value.value).strip() if value.value is not None else None
        elif isinstance(value, yaml.SequenceNode):
            out[name] = [
                str(v.value).strip() for v in value.value if isinstance(v, yaml.ScalarNode)
            ]
    return out


def _dump(key: str, value: Value, nl: str, indent: str) -> list[str]:
    text = yaml.safe_dump(
        {key: value}, default_flow_style=False, allow_unicode=True, sort_keys=False, width=10_000
    )
    out = []
    for line in text.splitlines():
        if indent and line.startswith("- "):
            line = indent + line
        out.append(line + nl)
    return out


def _list_indent(lines: Sequence[str]) -> str:
    """How the file indents list items under a key ("- x" or "  - x"); Hub cards use none."""
    for line in lines:
        m = re.match(r"^( *)- ", line)
        if m:
            return m.group(1)
    return ""


def rewrite(lines: Sequence[str], updates: Mapping[str, Value], nl: str) -> list[str]:
    """The front-matter lines with ``updates`` applied; other keys are kept byte for byte.

    Raises :class:`FrontMatterError` when the block is not an editable mapping, or when the
    result does not read back with exactly the intended values.
    """
    out = list(lines)
    indent = _list_indent(lines)
    unknown = set(updates) - set(SYNC_KEYS)
    if unknown:
        raise FrontMatterError(f"card sync does not write the key {sorted(unknown)[0]!r}")
    for key in (k for k in SYNC_KEYS if k in updates):
        value = updates[key]
        spans = _spans(out)
        new = _dump(key, value, nl, indent)
        if key in spans:
            start, stop = spans[key]
            out[start:stop] = new
            continue
        anchor = next((spans[k][1] for k in _ANCHORS[key] if k in spans), len(out))
        if anchor == len(out) and out and not out[-1].endswith(("\n", "\r")):
            out[-1] += nl
        out[anchor:anchor] = new
    _verify(lines, out, updates)
    return out


def _verify(old: Sequence[str], new: Sequence[str], updates: Mapping[str, Value]) -> None:
    """The new block reads back the updates, and every other key's lines are unchanged."""
    check = read(new)
    for key, value in updates.items():
        if check.get(key) != value:
            raise FrontMatterError(f"the front matter would not read back {key}: {value!r}")
    before, after = _spans(old), _spans(new)
    kept = [k for k in before if k not in updates]
    if [k for k in after if k not in updates] != kept or any(
        old[before[k][0] : before[k][1]] != new[after[k][0] : after[k][1]] for k in kept
    ):
        raise FrontMatterError("rewriting would change other keys; left as it is")
