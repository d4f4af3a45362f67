"""Find license names mentioned in free text ("released under CC BY-NC 4.0", "Apache 2.0 / MIT").

Matching works on word tokens, not on one giant regular expression (compiling ~300 alternatives
took ~80 ms; this index reads only the first word of each alias up front). Rules:

* whole tokens only, so "MIT" never matches inside "SUBMIT" or "permitted", and "Apache 2.0"
  does not match "Apache 2.0.1" (``2.0.1`` is one token);
* case-insensitive, except all-caps aliases of four letters or fewer ("MIT", "ISC", "PDDL"),
  which are case-sensitive so that German "mit" is not read as a license;
* between two words of an alias the text may put spaces, hyphens, underscores or NBSP, plus the
  punctuation the alias itself has there ("CC BY-SA 4.0" = "CC-BY-SA-4.0";
  "Apache License, Version 2.0");
* at one position the alias with the most words wins; matches never overlap.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from auditor.lazyre import lazy
from auditor.licenses.table import table
from auditor.records import record

# A word: letters/digits, with inner dots ("2.0", "llama3.1") and trailing "+" ("openrail++").
_TOKEN = lazy(r"[^\W_]+(?:\.[^\W_]+)*\+*")
# What may always stand between two words of a license name.
_SEPARATORS = frozenset(" \t\r\n\u00a0-_\u2010\u2011\u2012\u2013\u2014\u2015")


@record
class _Alias:
    words: tuple[str, ...]  # casefolded, or verbatim when case_sensitive
    allowed: tuple[frozenset[str], ...]  # what may stand before word i+1 (separators included)
    case_sensitive: bool
    key: str
    tail: str = ""  # closing punctuation the alias ends with, e.g. ")"


def _alias(text: str, key: str) -> _Alias | None:
    matches = list(_TOKEN.finditer(text))
    if not matches:
        return None
    sensitive = text.isalpha() and text.isupper() and len(text) <= 4
    words = tuple(m.group() if sensitive else m.group().casefold() for m in matches)
    allowed = tuple(
        _SEPARATORS | frozenset(text[a.end() : b.start()]) for a, b in itertools.pairwise(matches)
    )
    tail = text[matches[-1].end() :].strip()
    return _Alias(words=words, allowed=allowed, case_sensitive=sensitive, key=key, tail=tail)


@lru_cache(maxsize=1)
def _firsts() -> dict[str, list[tuple[str, str]]]:
    """First word (casefolded) -> the aliases ``(text, id)`` starting with it, in table order.

    Only the first words are read up front: a card names a handful of them, and building every
    alias (its words and separators) was 5 ms of each run for the ~300 aliases (docs/speed.md);
    :func:`_aliases` builds a first word's group when a text has that word.
    """
    by_first: dict[str, list[tuple[str, str]]] = {}
    for text, key in table().aliases:
        first = _TOKEN.search(text)
        if first is not None:
            by_first.setdefault(first.group().casefold(), []).append((text, key))
    return by_first


_BUILT: dict[str, tuple[_Alias, ...]] = {}


def _aliases(first: str) -> tuple[_Alias, ...]:
    """The aliases starting with the word ``first`` (casefolded), most words first."""
    built = _BUILT.get(first)
    if built is None:
        group = [a for text, key in _firsts()[first] if (a := _alias(text, key)) is not None]
        built = _BUILT[first] = tuple(sorted(group, key=lambda a: (-len(a.words), a.words)))
    return built


def _matches(
    alias: _Alias, text: str, spans: list[re.Match[str]], folded: list[str], i: int
) -> bool:
    if i + len(alias.words) > len(folded):
        return False
    for offset, word in enumerate(alias.words):
        n = i + offset
        if (spans[n].group() if alias.case_sensitive else folded[n]) != word:
            return False
        if offset:
            gap = text[spans[n - 1].end() : spans[n].start()]
            if gap != " " and not set(gap) <= alias.allowed[offset - 1]:
                return False
    return True


def scan_text(text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping ``(start, end, id)`` of license mentions in ``text``, in text order.

    ``id`` is what :func:`~auditor.licenses.normalise` accepts: the SPDX id (or
    ``LicenseRef-…``) of the table entry, or its Hub id when SPDX has none (``bsd``, ``gpl``).
    """
    if not isinstance(text, str) or not text:
        return []
    index = _firsts()
    # Casefold every word in one pass over strings (no match objects); most words start no
    # alias, and the match objects (for offsets) are built only when one does.
    folded = [word.casefold() for word in _TOKEN.findall(text)]
    hits = [i for i, word in enumerate(folded) if word in index]
    if not hits:
        return []
    spans = list(_TOKEN.finditer(text))
    out: list[tuple[int, int, str]] = []
    after = 0  # matches never overlap: a word inside one found is not read again
    for i in hits:
        if i < after:
            continue
        for alias in _aliases(folded[i]):
            if _matches(alias, text, spans, folded, i):
                end = spans[i + len(alias.words) - 1].end()
                if alias.tail and text.startswith(alias.tail, end):
                    end += len(alias.tail)
                out.append((spans[i].start(), end, alias.key))
                after = i + len(alias.words)
                break
    return out
