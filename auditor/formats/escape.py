"""Formats stage: make untrusted text inert on a terminal, in GitHub-flavoured Markdown and in
Mermaid labels.

Every line the tool prints from untrusted text (reports, error messages echoing a pack's CEL,
``policy test`` case names, the ``card sync`` diff, hook messages) goes through :func:`clean`.

Card text, repo ids, license strings and locations come from the audited repository, and the
Markdown report is posted as a pull-request comment or job summary. Whatever they contain must
render as plain text: no HTML, no links or images, no @-mentions or issue references, no table
or code-span breaks, no math, and no way out of a Mermaid label. Sources of the rules:
GFM spec 0.29 (backslash escapes §2.4, tables, extended autolinks), GitHub's mention and
reference filters (they act on rendered text, hence a zero-width space rather than a backslash),
and Mermaid's entity codes (``#quot;``, ``#<decimal>;``).
"""

from __future__ import annotations

import re

from auditor.lazyre import lazy

# Zero-width space as an entity: visible in the source, invisible when rendered, and it stops
# GitHub from seeing "@user", "#123", "https://" or "www." (they are matched on rendered text).
ZWSP = "&#8203;"
# ASCII punctuation that means something inline in GFM, or to GitHub ($ math, | tables).
_MD_ACTIVE = frozenset("\\`*_[]!#|~$^{}")  # "(" ")" are inert once "[" "]" are escaped
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_BREAK_AFTER = frozenset("@#")  # mentions, team mentions, e-mail autolinks; issue references
# Line breaks, other control characters and bidi overrides (which can reorder what is shown).
_CONTROL = lazy(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
_TERMINAL = lazy(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_URL_SCHEME = lazy(r"://")
_WWW = lazy(r"(?i)\b(www)\.")
_GH_REF = lazy(r"(?i)\b(gh)-(?=\d)")
# Characters left as they are in a Mermaid label; everything else becomes "#<code>;".
_MERMAID_SAFE = lazy(r"[A-Za-z0-9 ._/+:,=()-]")


def clean(text: object) -> str:
    """Untrusted text made inert for a terminal: no control or bidi-override characters.

    Tab and newline stay; ESC (every ANSI/OSC sequence), CR (which overprints a line), the
    other C0 and C1 controls (0x9b is CSI on its own) and bidi overrides are removed.
    """
    return _TERMINAL.sub("", str(text))


def flatten(text: object, limit: int | None = None) -> str:
    """One line: control characters, line breaks and bidi overrides become single spaces."""
    flat = _CONTROL.sub(" ", str(text)).strip()
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return flat


def md_text(text: object, limit: int | None = None) -> str:
    """Untrusted text as inert inline Markdown, safe in a paragraph or a table cell."""
    out: list[str] = []
    for ch in flatten(text, limit):
        if ch in _HTML:
            out.append(_HTML[ch])
        elif ch in _MD_ACTIVE:
            out.append("\\" + ch)
        else:
            out.append(ch)
        if ch in _BREAK_AFTER:
            out.append(ZWSP)
    escaped = "".join(out)
    escaped = _URL_SCHEME.sub(":" + ZWSP + "//", escaped)
    escaped = _WWW.sub(r"\1" + ZWSP + ".", escaped)
    return _GH_REF.sub(r"\1-" + ZWSP, escaped)


def md_code(text: object, table: bool = True, limit: int | None = None) -> str:
    """Untrusted text as a code span; GitHub renders no mention, link or HTML inside one.

    The fence is one backtick longer than the longest backtick run inside (CommonMark §6.1).
    In a table a pipe must still be escaped, even inside a code span (GFM tables extension).
    """
    flat = flatten(text, limit)
    if not flat:
        return ""
    if table:
        flat = flat.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def mermaid_label(text: object, limit: int = 80) -> str:
    """Text for a double-quoted Mermaid label: anything but a few safe characters is an entity.

    Quotes, backticks (markdown strings), ``<``/``>`` (HTML labels), ``#``, ``;``, ``%`` (comments)
    and line breaks can therefore neither end the label nor the fenced block around the diagram.
    """
    return "".join(
        ch if _MERMAID_SAFE.fullmatch(ch) else f"#{ord(ch)};" for ch in flatten(text, limit)
    )
