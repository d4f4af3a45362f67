"""License names in card text, through the shared license table (``auditor.licenses``).

The card stage never decides what a license *is*; it only finds where one is named and asks the
license table for the normalised id (SPDX id or ``LicenseRef-…``).
"""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache

from auditor.licenses import normalise, scan_text


@lru_cache(maxsize=512)
def _spdx(key: str) -> str:
    """The normalised id of a table key that ``scan_text`` returned."""
    return normalise(key).spdx


def mentions(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, normalised id)`` of every license named in ``text``."""
    return [(start, end, _spdx(key)) for start, end, key in scan_text(text)]


def mentions_many(texts: list[str]) -> list[list[tuple[int, int, str]]]:
    """:func:`mentions` for many texts in one scan (one regex pass instead of one per text).

    The texts are joined with a "|" line between them, which no license alias can span.
    """
    joined = "\n|\n".join(texts)
    starts: list[int] = []
    offset = 0
    for text in texts:
        starts.append(offset)
        offset += len(text) + 3
    out: list[list[tuple[int, int, str]]] = [[] for _ in texts]
    for start, end, spdx in mentions(joined):
        i = bisect_right(starts, start) - 1
        out[i].append((start - starts[i], end - starts[i], spdx))
    return out


def license_of(text: str) -> str | None:
    """The license a cell names: one id, several joined with ``AND``, or ``None``."""
    found: list[str] = []
    for _, _, spdx in mentions(text):
        if spdx not in found:
            found.append(spdx)
    if not found and 0 < len(text) <= 80:
        lic = normalise(text)
        if lic.known:
            found.append(lic.spdx)
    return " AND ".join(found) if found else None
