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
from functools import lru_cache

from auditor.lazyre import lazy
from auditor.licenses.table import table
from auditor.records import record

# A word: letters/digits, with inner dots ("2.0", "llama3.1") and trailing "+" ("openrail++").
_TOKEN = lazy(r"[^\W_]+(?:\.[^\W_]+)*\+*")
_WORDS = lazy(f"({_TOKEN.pattern})")  # split by it: the words and what stands between them
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


def _matches(alias: _Alias, parts: list[str], folded: list[str], i: int) -> bool:
    if i + len(alias.words) > len(folded):
        return False
    for offset, word in enumerate(alias.words):
        n = i + offset
        if (parts[2 * n + 1] if alias.case_sensitive else folded[n]) != word:
            return False
        if offset:
            gap = parts[2 * n]  # between word n - 1 and word n
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
    # One split gives the words (odd items, as strings: no match objects) and what lies between
    # them (even items); offsets are summed only for a text where some word starts an alias.
    parts = _WORDS.split(text)
    folded = [word.casefold() for word in parts[1::2]]
    hits = [i for i, word in enumerate(folded) if word in index]
    if not hits:
        return []
    ends = list(itertools.accumulate(map(len, parts)))  # ends[2 * i + 1]: where word i ends
    out: list[tuple[int, int, str]] = []
    after = 0  # matches never overlap: a word inside one found is not read again
    for i in hits:
        if i < after:
            continue
        for alias in _aliases(folded[i]):
            if _matches(alias, parts, folded, i):
                end = ends[2 * (i + len(alias.words)) - 1]
                if alias.tail and text.startswith(alias.tail, end):
                    end += len(alias.tail)
                out.append((ends[2 * i], end, alias.key))
                after = i + len(alias.words)
                break
    return out
