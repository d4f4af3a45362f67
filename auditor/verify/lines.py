"""Line numbers of the keys of a JSON document, so findings can point at ``file:line``.

The standard ``json`` module keeps no positions, so this walks the text once with the decoder's
own string scanner. Keys are dotted paths (``lora_parameters.rank``); objects inside arrays use
``*`` for the index. Only called on text that ``json.loads`` already accepted.
"""

from __future__ import annotations

import bisect
from json.decoder import scanstring  # type: ignore[attr-defined]

_SPACE = " \t\r\n"


def key_lines(text: str) -> dict[str, int]:
    """Map each key path of the JSON ``text`` to its first 1-based line."""
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    lines: dict[str, int] = {}
    path: list[str] = []
    containers: list[str] = []
    key: str | None = None
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            value, end = scanstring(text, i + 1)
            j = end
            while j < n and text[j] in _SPACE:
                j += 1
            if containers and containers[-1] == "{" and j < n and text[j] == ":":
                key = value
                lines.setdefault(".".join([*path, key]), bisect.bisect_right(starts, i))
            i = end
            continue
        if c in "{[":
            if containers:
                path.append(key if containers[-1] == "{" and key is not None else "*")
            containers.append(c)
            key = None
        elif c in "}]":
            containers.pop()
            if path and containers:
                path.pop()
        i += 1
    return lines
