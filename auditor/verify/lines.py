"""Line numbers of the keys of a JSON document, so findings can point at ``file:line``.

The standard ``json`` module keeps no positions, so this walks the text once. One regular
expression splits it into tokens, each a string (a key when a colon follows) or a bracket, with
the text before it; that text holds only numbers, literals, commas and spaces, which carry no
key, and its newlines give the line. So the loop runs per token, not per character (it did: a
third of the adapter config's parse, per census repo). Keys are dotted paths
(``lora_parameters.rank``); objects inside arrays use ``*`` for the index. Only called on text
that ``json.loads`` already accepted.
"""

from __future__ import annotations

import json
import re

_TOKEN = re.compile(
    r'([^"{}\[\]]*)(?:"([^"\\]*(?:\\.[^"\\]*)*)"([ \t\r\n]*:)?|([{}\[\]]))', re.DOTALL
)
"""(text before the token, string body, the colon after a key, bracket)."""


def key_lines(text: str) -> dict[str, int]:
    """Map each key path of the JSON ``text`` to its first 1-based line."""
    lines: dict[str, int] = {}
    path: list[str] = []
    containers: list[str] = []
    key: str | None = None
    line = 1
    for before, body, colon, bracket in _TOKEN.findall(text):
        line += before.count("\n")
        if bracket:
            if bracket in "{[":
                if containers:
                    path.append(key if containers[-1] == "{" and key is not None else "*")
                containers.append(bracket)
                key = None
            else:
                containers.pop()
                if path and containers:
                    path.pop()
        elif colon and containers and containers[-1] == "{":
            # A key with escapes is decoded as json.loads decodes it (a string's raw text can
            # hold no newline: JSON forbids control characters in strings).
            key = json.loads(f'"{body}"') if "\\" in body else body
            lines.setdefault(".".join([*path, key]), line)
            line += colon.count("\n")
    return lines
