"""Formats stage: terminal text measured in cells and word-wrapped, for the text report.

The text report used to be drawn by rich, whose import and layout engine cost more CPU than the
rest of a card-only audit's output. This module and textlayout draw the same thing (byte for
byte, for the report's lines, tables and trees) with the few rules the report needs: a word
wraps to the next line when it does not fit, a word longer than a line is folded, blanks at a
break stay at the end of the line unless they overflow it, tabs stop every 8 cells.

Text is a sequence of :data:`Piece` (text, style) pairs; styles are names (``"bold red"``)
that become ANSI SGR codes only when colour is on (textlayout.to_text). Callers pass text
already made inert by ``escape.clean``: nothing here interprets markup or escapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise

from auditor.lazyre import lazy

Piece = tuple[str, str]  # (text, style name; "" for none)
Styled = tuple[Piece, ...]
Line = list[Piece]

_WORD = lazy(r"\s*\S+\s*")  # a word and the blanks around it
TAB = 8


def cell_len(text: str) -> int:
    """Terminal cells ``text`` takes: 2 for wide East Asian characters and emoji, 0 for
    combining marks and controls, 1 otherwise (joined emoji sequences: see _graphemes)."""
    if text.isascii() and text.isprintable():
        return len(text)
    if "\u200d" not in text and "\ufe0f" not in text:
        return sum(map(_char_cells, text))
    return sum(size for _, size in _graphemes(text))


@lru_cache(maxsize=4096)
def _char_cells(ch: str) -> int:
    code = ord(ch)
    if code < 0x20 or 0x7F <= code < 0xA0:
        return 0
    if code < 0x300:
        return 1
    import unicodedata  # only for text beyond Latin

    category = unicodedata.category(ch)
    if category in ("Mn", "Me", "Mc", "Zl", "Zp") or 0x1160 <= code <= 0x11FF:
        return 0  # combining marks, conjoining Hangul vowels and finals, line separators
    if category == "Cf" and not (0x600 <= code <= 0x605 or code in (0x6DD, 0x70F, 0x8E2)):
        return 0  # format characters (zero-width space, joiners), but the prepended marks
    if category != "Cn" and unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    return 1


def _graphemes(text: str) -> list[tuple[int, int]]:
    """(end index, cells) per cluster: a zero-width character joins the one before it; a
    zero-width joiner takes the next character with it (one emoji drawn); the emoji
    presentation selector (U+FE0F) widens a narrow emoji before it to two cells."""
    out: list[tuple[int, int]] = []
    i, n = 0, len(text)
    last = ""  # the last character that took cells, until a selector widened it
    while i < n:
        ch = text[i]
        width = _char_cells(ch)
        if out and (width == 0 or ch == "\u200d"):
            size = out[-1][1]
            i += 2 if ch == "\u200d" else 1
            if ch == "\ufe0f" and last and _char_cells(last) == 1 and _narrow_emoji(last):
                size, last = size + 1, ""
            out[-1] = (min(i, n), size)
            continue
        i += 1
        out.append((i, width))
        last = ch if width else last
    return out


def _narrow_emoji(ch: str) -> bool:
    """Characters a terminal draws one cell wide that become a two-cell emoji with U+FE0F
    (keycap bases, (c), (r), and the symbols from U+203C on; a wider guess is the safe side)."""
    return ch in "0123456789#*\xa9\xae" or ord(ch) >= 0x203C


def _chop(text: str, width: int) -> list[str]:
    """``text`` in pieces of at most ``width`` cells (a wide character is never split)."""
    if text.isascii() and text.isprintable():
        return [text[i : i + width] for i in range(0, len(text), width)]
    pieces, start, cells, prev = [], 0, 0, 0
    for end, size in _graphemes(text):
        if cells + size > width:
            pieces.append(text[start:prev])
            start, cells = prev, 0
        cells += size
        prev = end
    if cells:
        pieces.append(text[start:])
    return pieces


def _breaks(text: str, width: int) -> list[int]:
    """Offsets at which to break ``text`` (one line, no newline) so each part fits ``width``."""
    breaks: list[int] = []
    if cell_len(text) <= width:
        return breaks
    cells = len if text.isascii() and text.isprintable() else cell_len
    used = 0
    match = _WORD.match(text)
    while match:  # word after word from the start (a search would be quadratic on blanks)
        start, word = match.start(), match.group()
        match = _WORD.match(text, match.end())
        length = cells(word.rstrip())
        if width - used >= length:
            used += cells(word)
        elif length > width:  # longer than a line: fold it
            folded = _chop(word, width)
            for i, part in enumerate(folded):
                if start:
                    breaks.append(start)
                if i == len(folded) - 1:
                    used = cells(part)
                else:
                    start += len(part)
        elif used and start:
            breaks.append(start)
            used = cells(word)
    return breaks


def _slice(line: Sequence[Piece], start: int, end: int) -> Line:
    out: Line = []
    pos = 0
    for text, style in line:
        lo, hi = max(start - pos, 0), min(end - pos, len(text))
        if lo < hi:
            out.append((text[lo:hi], style))
        pos += len(text)
    return out


def _fit(line: Line, plain: str, width: int, pad: bool) -> Line:
    """Crop to ``width`` cells (whole clusters, padding a split wide character) and pad."""
    cells = cell_len(plain)
    if cells > width:
        keep, used = 0, 0
        for end, size in _graphemes(plain):
            if used + size > width:
                break
            keep, used = end, used + size
        line, cells = _slice(line, 0, keep), used
        pad = True
    if pad and cells < width:
        line.append((" " * (width - cells), ""))
    return line


def crop(line: Line, width: int) -> Line:
    """``line`` cut at ``width`` cells, as a terminal of that width shows it."""
    plain = "".join(t for t, _ in line)
    return _fit(line, plain, width, pad=False) if cell_len(plain) > width else line


def _expand_tabs(line: Sequence[Piece]) -> Line:
    out: Line = []
    column = 0
    for text, style in line:
        parts = text.split("\t")
        for i, part in enumerate(parts):
            column += cell_len(part)
            if i < len(parts) - 1:
                spaces = TAB - column % TAB
                parts[i] = part + " " * spaces
                column += spaces
        out.append(("".join(parts), style))
    return out


def split_lines(text: Styled) -> list[Line]:
    """``text`` cut at its newlines (a trailing newline leaves an empty last line)."""
    lines: list[Line] = [[]]
    for chunk, style in text:
        for i, part in enumerate(chunk.split("\n")):
            if i:
                lines.append([])
            if part:
                lines[-1].append((part, style))
    return lines


def wrap(text: Styled, width: int, pad: bool = False) -> list[Line]:
    """``text`` word-wrapped to ``width`` cells; with ``pad`` every line is exactly that wide.

    Blanks at a break stay at the end of the line they follow unless they would overflow it.
    """
    out: list[Line] = []
    if width < 1:
        return out  # no room: nothing is drawn (as rich did)
    for raw in split_lines(text):
        line = _expand_tabs(raw) if any("\t" in t for t, _ in raw) else raw
        plain = "".join(t for t, _ in line)
        bounds = [0, *_breaks(plain, width), len(plain)]
        for start, end in pairwise(bounds):
            if end - start > width:  # blanks beyond the width go
                part = plain[start:end]
                end -= min(len(part) - len(part.rstrip()), end - start - width)
            out.append(_fit(_slice(line, start, end), plain[start:end], width, pad))
    return out


def measure(text: Styled) -> tuple[int, int]:
    """(widest word, widest line) in cells: the narrowest and the natural width of ``text``."""
    plain = "".join(t for t, _ in text)
    widest = max(map(cell_len, plain.splitlines()), default=0)
    return max(map(cell_len, plain.split()), default=widest), widest
