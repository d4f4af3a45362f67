"""Turn a declared license (Hub id, SPDX expression, ``other`` + ``license_name``) into a License.

Order of recognition (first hit wins), recorded in ``License.matched_by``:

1. ``other`` (or no ``license:`` but a ``license_name``): the name looked up in the table, else
   ``LicenseRef-<slug>`` with ``known=False`` (docs/legal-basis.md §6.1).
2. a Hub id, case-insensitive (``hub-id``); ``unknown`` is a Hub id with ``known=False``.
3. an SPDX id of a table entry (``spdx``).
4. a prose spelling from the table's aliases, e.g. "Apache License 2.0" (``alias``): understood,
   but not a valid id, so ``hub_id`` is false and the invalid-id rule can still fire.
5. an SPDX expression (``spdx-expression``), parsed by license-expression; see ``expression.py``
   for how AND/OR combine traits.
6. anything else: kept verbatim in ``declared``, ``spdx="NOASSERTION"``, ``known=False``.

Never raises: the input is untrusted card text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from auditor.licenses.expression import combine_and, evaluate
from auditor.licenses.table import NOASSERTION, name_key, table
from auditor.models import License

MEMO_CHARS = 256  # values up to this long are normalised once per process (a few hundred kept)


def _missing() -> License:
    return replace(table().by_id["unknown"], name="No license declared")


def _unrecognised(text: str) -> License:
    return replace(
        table().by_id["unknown"], declared=text, name=text, hub_id=False, matched_by="none"
    )


def _lookup_name(name: str) -> License | None:
    """A known table entry for a free-form name (``license_name``, prose), else None."""
    tbl = table()
    low = name.lower()
    hit = tbl.by_id.get(low) or tbl.by_spdx.get(low) or tbl.by_name.get(name_key(name))
    return hit if hit is not None and hit.known else None


def _other(declared: str | None, license_name: str | None, license_link: str | None) -> License:
    base = table().by_id["other"]
    name = (license_name or "").strip()
    if not name:
        return replace(base, declared=declared, terms_url=license_link, matched_by="hub-id")
    hit = _lookup_name(name) or evaluate(name)
    if hit is not None and hit.known:
        return replace(
            hit,
            declared=declared,
            hub_id=declared is not None,
            matched_by="license-name",
            terms_url=hit.terms_url or license_link,
        )
    slug = name_key(name)
    return replace(
        base,
        declared=declared,
        spdx=f"LicenseRef-{slug}" if slug else "LicenseRef-other",
        name=name,
        terms_url=license_link,
        hub_id=declared is not None,
        matched_by="license-name",
    )


def normalise(
    declared: str | None, *, license_name: str | None = None, license_link: str | None = None
) -> License:
    """Normalise one declared license value (see the module docstring for the order).

    Memoised for short values: a lineage normalises the same few licenses at every node, and a
    process auditing many repos the same few hundred values (the result is a frozen License).
    """
    args = (declared, license_name, license_link)
    if all(a is None or (type(a) is str and len(a) <= MEMO_CHARS) for a in args):
        return _memo(declared, license_name, license_link)
    return _normalise(declared, license_name, license_link)


@lru_cache(maxsize=1024)
def _memo(declared: str | None, license_name: str | None, license_link: str | None) -> License:
    return _normalise(declared, license_name, license_link)


def _normalise(declared: str | None, license_name: str | None, license_link: str | None) -> License:
    text = declared.strip() if isinstance(declared, str) else ""
    low = text.lower()
    has_name = isinstance(license_name, str) and bool(license_name.strip())
    if low == "other" or (not text and has_name):
        return _other(text or None, license_name if has_name else None, license_link)
    if not text:
        return _missing()
    tbl = table()
    hit = tbl.by_id.get(low)
    if hit is not None and hit.hub_id:
        return replace(hit, declared=text, matched_by="hub-id")
    hit = tbl.by_spdx.get(low)
    if hit is not None:
        return replace(hit, declared=text, hub_id=False, matched_by="spdx")
    hit = _lookup_name(text)
    if hit is not None:
        return replace(hit, declared=text, hub_id=False, matched_by="alias")
    return evaluate(text) or _unrecognised(text)


def normalise_many(
    declared: Sequence[str],
    *,
    license_name: str | None = None,
    license_link: str | None = None,
) -> License:
    """Several ``license:`` values on one card: all of them apply (combined as ``AND``)."""
    values = [d for d in declared if isinstance(d, str) and d.strip()]
    if len(values) <= 1:
        return normalise(
            values[0] if values else None, license_name=license_name, license_link=license_link
        )
    parts = [normalise(v, license_name=license_name, license_link=license_link) for v in values]
    spdx = " AND ".join(f"({p.spdx})" if " OR " in p.spdx else p.spdx for p in parts)
    if any(NOASSERTION in p.spdx for p in parts):
        spdx = NOASSERTION
    lic = combine_and(parts, spdx, ", ".join(values))
    by = {p.matched_by for p in parts}
    return replace(lic, matched_by=by.pop() if len(by) == 1 else "spdx-expression")
