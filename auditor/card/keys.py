"""Prefilter keys: which of some literal fragments a text has, as their alternation finds them.

The statement and parameter prefilters are sets of lower-case fragments ("scrap", "licensed
data", "rank"...). What they report was always ``set(regex.findall(text))`` for the alternation
of the fragments, longest first; ``sre`` tries every alternative at almost every position of the
text (their first letters cover most of the alphabet), which made the whole-card statement
prefilter the costliest single pattern call of a card (docs/speed.md, "Census per repo, round
5"). A substring test per fragment is several times cheaper and gives the same set, except where
one found fragment hides another: a fragment inside a longer one ("terms" in "gemma terms"), or
overlapping the end of one matched before it ("iter" in "liter", after "lit"). Every string that
can hide a fragment this way (its *witnesses*) is known from the fragments alone, so
:meth:`Keys.found` runs the alternation only for a text that holds one of them, and otherwise
returns the substring tests' set, which is then exactly what the alternation finds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from auditor.card.lazyre import lazy


def _witnesses(key: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    """Every string whose presence can keep the alternation from reporting ``key``: another key
    containing it, or another key whose end overlaps its start, followed by its rest."""
    found = set()
    for other in keys:
        if other == key:
            continue
        if key in other:
            found.add(other)
        # An overlap is a proper suffix of ``other`` that is a proper prefix of ``key``: it
        # starts at an occurrence of key's first letter (a loop over those, not over lengths).
        start = other.find(key[0], 1)
        while start != -1:
            if len(other) - start < len(key) and key.startswith(other[start:]):
                found.add(other + key[len(other) - start :])
            start = other.find(key[0], start + 1)
    return tuple(sorted(found))


class Keys:
    """Literal fragments, and which of them a text has (:meth:`found`)."""

    __slots__ = ("_witnesses", "keys", "regex")

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = tuple(sorted(set(keys), key=lambda k: (-len(k), k)))
        self.regex = lazy("|".join(re.escape(k) for k in self.keys))
        """The alternation (longest first): what :meth:`found` reports, and its fallback."""
        self._witnesses: dict[str, tuple[str, ...]] | None = None  # on first use (1 ms: start-up)

    def found(self, text: str) -> set[str]:
        """``set(self.regex.findall(text))``, by substring tests when nothing hides a key."""
        present = {k for k in self.keys if k in text}
        witnesses = self._witnesses
        if witnesses is None:
            keys = self.keys
            witnesses = self._witnesses = {k: w for k in keys if (w := _witnesses(k, keys))}
        for key in present:
            for witness in witnesses.get(key, ()):
                if witness in text:
                    return set(self.regex.findall(text))
        return present
