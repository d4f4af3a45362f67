"""Line numbers of the keys of a JSON document, so findings can point at ``file:line``.

The standard ``json`` module keeps no positions, so this walks the text once: one regular
expression finds each string and each bracket (the characters between them are numbers,
literals, commas and spaces, which carry no key), so the loop runs per token, not per
character. Keys are dotted paths (``lora_parameters.rank``); objects inside arrays use ``*`` for
the index. Only called on text that ``json.loads`` already accepted.
"""

from __future__ import annotations

import re
from json.decoder import scanstring  # type: ignore[attr-defined]

# A string (its body, and the colon after it when it is a key), or a bracket.
_TOKEN = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"([ \t\r\n]*:)?|[{}\[\]]', re.DOTALL)


def key_lines(text: str) -> dict[str, int]:
    """Map each key path of the JSON ``text`` to its first 1-based line."""
    lines: dict[str, int] = {}
    path: list[str] = []
    containers: list[str] = []
    key: str | None = None
    line, counted = 1, 0  # the line of offset ``counted``
    for match in _TOKEN.finditer(text):
        start = match.start()
        c = text[start]
        if c == '"':
            if match.group(2) is not None and containers and containers[-1] == "{":
                body = match.group(1)
                key = scanstring(text, start + 1)[0] if "\\" in body else body
                line += text.count("\n", counted, start)
                counted = start
                lines.setdefault(".".join([*path, key]), line)
        elif c in "{[":
            if containers:
                path.append(key if containers[-1] == "{" and key is not None else "*")
            containers.append(c)
            key = None
        else:
            containers.pop()
            if path and containers:
                path.pop()
    return lines
