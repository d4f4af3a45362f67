"""Text units: cleaned sentences and labelled fields, each able to map an offset back to a line.

Extractors never see raw Markdown. :func:`clean` drops emphasis, code spans and HTML, and turns
``[text](url)`` into ``text <url>`` so that link targets stay visible (contacts, summary links)
while repo ids in link text are found as plain words. A :class:`Unit` is what one extractor pass
looks at: a sentence of a paragraph (which may span lines: the roadmap sentence "(rank 16, …,
AdamW\\nLR 1e-5, …)" does), one table row, or one "Label: value" line.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import cached_property, lru_cache
from typing import Literal

from auditor.card.document import Block, Heading, SrcLine
from auditor.card.lazyre import lazy
from auditor.records import mutable_record

Source = Literal["table", "prose", "list", "pst", "rendered"]

_AUTOLINK = lazy(r"<(https?://[^>\s]+)>")
_HTML = lazy(r"<br\s*/?>|</?[A-Za-z][^>]{0,200}>", re.I)
_IMAGE = lazy(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = lazy(r"\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_ITALIC = lazy(r"(?<![\w*])[*_](?=\S)([^*_]{1,200}?)(?<=\S)[*_](?![\w*])")
_MARKUP = lazy(r"[*_`~<\[]")
# Where a sentence ends; only the match's end is read (where the next one starts). The stop leads
# the match rather than sitting in a lookbehind, so that sre scans for it instead of trying every
# position: the ends are the same.
_SENTENCE_END = lazy(r"[.!?]\s+(?=[A-Z\"'(\[<])")
_FIELD = lazy(r"^([A-Za-z][^:：.!?]{0,60}?)\s*[:：]\s*(\S.*)$")


def clean(text: str) -> str:
    """Markdown → plain words: no emphasis, code marks or tags; links become ``text <url>``."""
    if not _MARKUP.search(text):  # most cells and lines: nothing to strip
        return " ".join(text.split())
    if "<" in text:
        text = _HTML.sub(" ", _AUTOLINK.sub(r"\1", text))
    if "](" in text:
        text = _LINK.sub(_link, _IMAGE.sub(r"\1", text))
    text = text.replace("**", "").replace("__", "").replace("`", "").replace("~~", "")
    if "*" in text or "_" in text:
        text = _ITALIC.sub(r"\1", text)
    return " ".join(text.split())


# Case-insensitive patterns match these letters as "i", "i" and "s" (and the Kelvin sign as
# "k", which str.lower() already gives): the only non-ASCII letters re.IGNORECASE equates with
# ASCII ones.
_IGNORECASE_ASCII = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def fold(text: str, lower: str) -> str:
    """``lower`` (``text.lower()``) as a case-insensitive pattern sees ``text``: a lower-case
    fragment a pattern needs ("fine", "adapter") is in it whenever the pattern can match."""
    return lower if text.isascii() else text.translate(_IGNORECASE_ASCII).lower()


def _link(m: re.Match[str]) -> str:
    return f"{m.group(1)} <{m.group(2)}>" if m.group(2) else m.group(1)


@lru_cache(maxsize=1024)
def clean_title(title: str) -> str:
    """:func:`clean` of a heading's title: every unit under a heading asks for it again."""
    return clean(title)


def section_title(path: tuple[Heading, ...]) -> str:
    """The innermost heading's cleaned title, lower case ("" at top level)."""
    return clean_title(path[-1].title).lower() if path else ""


@mutable_record
class Unit:
    """One piece of text an extractor looks at, with its line mapping and provenance.

    A working record of one parse, never hashed, shared or changed after it is built: not frozen,
    because a frozen record sets each of its seven fields through ``object.__setattr__``, and a
    card builds some 35 units (3% of a card's parse, docs/speed.md "Census per repo, round 5").
    """

    text: str
    marks: tuple[tuple[int, int], ...]
    source: Source
    path: tuple[Heading, ...]
    label: str | None = None
    value: str | None = None
    raw: str = ""

    @property
    def line(self) -> int:
        """Line of the unit's first character."""
        return self.marks[0][1]

    @cached_property
    def _offsets(self) -> list[int]:
        return [o for o, _ in self.marks]

    def line_at(self, offset: int) -> int:
        """Line of the character at ``offset`` in :attr:`text`."""
        if len(self.marks) == 1:  # a field or a one-line sentence: no search (nor its cache)
            return self.marks[0][1]
        i = bisect_right(self._offsets, offset) - 1
        return self.marks[max(i, 0)][1]


def field_unit(
    label: str, value: str, line: int, source: Source, path: tuple[Heading, ...], raw: str
) -> Unit:
    """A labelled field (table row, "**Label:** value" bullet, rendered "Label value" line)."""
    text = f"{label}: {value}"
    return Unit(text, ((0, line),), source, path, label=label, value=value, raw=raw)


def split_field(text: str) -> tuple[str, str] | None:
    """Split a cleaned "Label: value" line; ``None`` if it is not shaped like one."""
    m = _FIELD.match(text) if ":" in text or "：" in text else None
    if not m or "<http" in m.group(1):
        return None
    return m.group(1).strip(), m.group(2).strip()


def joined(
    lines: tuple[SrcLine, ...], cleaned: bool = False
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Clean and join lines with spaces; return the text and (offset, line) marks.

    ``cleaned``: the lines are :func:`clean` output already (the caller cleaned them to look for
    fields), and are not cleaned a second time."""
    parts: list[str] = []
    marks: list[tuple[int, int]] = []
    offset = 0
    for line, raw in lines:
        cleaned_line = raw if cleaned else clean(raw)
        if not cleaned_line:
            continue
        marks.append((offset, line))
        parts.append(cleaned_line)
        offset += len(cleaned_line) + 1
    return " ".join(parts), tuple(marks)


def sentences(
    text: str, marks: tuple[tuple[int, int], ...], source: Source, path: tuple[Heading, ...]
) -> list[Unit]:
    """Split a joined paragraph into sentence units, re-basing the line marks."""
    if not text or not marks:
        return []
    units: list[Unit] = []
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(text)]
    ends = [*starts[1:], len(text)]
    # A paragraph can have thousands of lines and sentences: find each sentence's marks by
    # bisection, not by scanning them all (quadratic on a hostile card).
    offsets = [o for o, _ in marks]
    for start, end in zip(starts, ends, strict=True):
        chunk = text[start:end].rstrip()
        if not chunk:
            continue
        first = bisect_right(offsets, start)  # the first mark after ``start``
        inner = tuple((o - start, ln) for o, ln in marks[first : bisect_left(offsets, end)])
        unit_marks = ((0, marks[max(first - 1, 0)][1]), *inner)
        units.append(Unit(chunk, unit_marks, source, path, raw=chunk))
    return units


def block_units(block: Block, source: Source) -> list[Unit]:
    """Sentence units of a paragraph, bullet or quote block."""
    text, marks = joined(block.lines)
    return sentences(text, marks, source, block.path)
