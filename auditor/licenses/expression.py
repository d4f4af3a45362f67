"""SPDX license expressions: parse with license-expression, resolve symbols, combine traits.

Symbols resolve through the shipped table first (so ``llama3.1`` or ``LicenseRef-hf-openrail`` get
their traits), then through the SPDX list bundled with license-expression (traits approximated
from the ScanCode category, ``foss_under_ai_act="human"``).

How traits combine (a documented contract: policies rely on it):

* ``A AND B``: every term applies, so the union of restrictions and duties, ``commercial_use``
  only if all allow it, the worst FOSS verdict, and the ShareAlike targets both accept
  (intersection of the non-empty lists).
* ``A OR B``: the licensee may pick, so the traits of the most permissive choice (fewest
  restrictions; ties keep expression order). ``spdx`` is still the whole expression.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from auditor.lazyre import lazy
from auditor.licenses.table import NOASSERTION, table
from auditor.models import License

if TYPE_CHECKING:
    from license_expression import Licensing

# license-expression is imported where an expression is parsed, not with this module: most cards
# declare a Hub or SPDX id the table answers, and the import costs ~10 ms of every run's start.

_LICENSE_REF = lazy(r"^(?:DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+$")
_FOSS_RANK = {"yes": 0, "human": 1, "no": 2}
_RESTRICTIONS = (
    "noncommercial",
    "noderivatives",
    "sharealike",
    "use_restrictions",
    "mau_limit",
    "gated_terms",
    "notice_required",
    "attribution",
)
# ScanCode category -> (family, traits) for SPDX ids the table does not list.
_CATEGORY_TRAITS: dict[str, tuple[str, ...]] = {
    "Permissive": ("attribution",),
    "Copyleft": ("sharealike", "attribution"),
    "Copyleft Limited": ("sharealike", "attribution"),
}


@lru_cache(maxsize=1)
def licensing() -> Licensing:
    """The SPDX licensing of license-expression (built once, ~25 ms)."""
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


@lru_cache(maxsize=1)
def _categories() -> dict[str, str]:
    from license_expression import get_license_index

    out: dict[str, str] = {}
    for entry in get_license_index():
        for key in (entry.get("spdx_license_key"), *(entry.get("other_spdx_license_keys") or ())):
            if key:
                out.setdefault(str(key).lower(), str(entry.get("category") or "Unstated License"))
    return out


def _from_spdx_list(spdx: str) -> License:
    category = _categories().get(spdx.lower(), "Unstated License")
    traits = _CATEGORY_TRAITS.get(category, ())
    flags: dict[str, Any] = dict.fromkeys(traits, True)
    return License(
        declared=None,
        spdx=spdx,
        name=spdx,
        known=True,
        family=category.lower().replace(" ", "-"),
        sharealike_compatible=(spdx,) if "sharealike" in traits else (),
        terms_url=f"https://spdx.org/licenses/{spdx}.html",
        **flags,
    )


@lru_cache(maxsize=4096)
def resolve_symbol(key: str) -> License | None:
    """One license id -> template License; ``None`` when it is neither in the table nor SPDX."""
    tbl = table()
    low = key.lower()
    hit = tbl.by_spdx.get(low) or tbl.by_id.get(low)
    if hit is not None and hit.known:
        return hit
    from license_expression import ExpressionError, LicenseSymbol

    try:
        parsed = licensing().parse(key, validate=True)
    except ExpressionError:
        parsed = None
    if isinstance(parsed, LicenseSymbol):
        canonical = str(parsed.key)
        return tbl.by_spdx.get(canonical.lower()) or _from_spdx_list(canonical)
    if _LICENSE_REF.match(key):  # syntactically valid, but nobody knows its terms
        return License(declared=None, spdx=key, name=key, known=False, family="other")
    return None


def combine_and(parts: Sequence[License], spdx: str, declared: str | None) -> License:
    """All of ``parts`` apply at once (``AND``, or several Hub license values)."""
    flags: dict[str, Any] = {t: any(getattr(p, t) for p in parts) for t in _RESTRICTIONS}
    compatible: set[str] | None = None
    for part in parts:
        if part.sharealike and part.sharealike_compatible:
            mine = set(part.sharealike_compatible)
            compatible = mine if compatible is None else compatible & mine
    families = {p.family for p in parts}
    return License(
        declared=declared,
        spdx=spdx,
        name=" AND ".join(p.name for p in parts),
        known=all(p.known for p in parts),
        hub_id=all(p.hub_id for p in parts),
        family=families.pop() if len(families) == 1 else "mixed",
        commercial_use=all(p.commercial_use for p in parts),
        foss_under_ai_act=max((p.foss_under_ai_act for p in parts), key=_FOSS_RANK.__getitem__),
        sharealike_compatible=tuple(sorted(compatible or ())),
        duties=tuple(dict.fromkeys(d for p in parts for d in p.duties)),
        notice_text="\n".join(p.notice_text for p in parts if p.notice_text) or None,
        attribution_text=next((p.attribution_text for p in parts if p.attribution_text), None),
        name_prefix=next((p.name_prefix for p in parts if p.name_prefix), None),
        terms_url=next((p.terms_url for p in parts if p.terms_url), None),
        matched_by="spdx-expression",
        **flags,
    )


def _permissiveness(lic: License) -> tuple[int, ...]:
    """Sort key: smaller is more permissive (what a licensee would pick under OR)."""
    restrictions = tuple(int(getattr(lic, t)) for t in _RESTRICTIONS)
    return (int(not lic.known), *restrictions, _FOSS_RANK[lic.foss_under_ai_act], len(lic.duties))


def choose_or(parts: Sequence[License], spdx: str, declared: str | None) -> License:
    """The licensee picks one of ``parts`` (``OR``): the most permissive one's traits."""
    best = min(parts, key=_permissiveness)
    return replace(
        best,
        declared=declared,
        spdx=spdx,
        name=" OR ".join(p.name for p in parts),
        known=all(p.known for p in parts),
        hub_id=False,
        matched_by="spdx-expression",
    )


def _evaluate(node: Any) -> License | None:
    from license_expression import AND, OR, LicenseSymbol, LicenseWithExceptionSymbol

    if isinstance(node, LicenseWithExceptionSymbol):
        base = resolve_symbol(str(node.license_symbol.key))
        if base is None:
            return None
        spdx = f"{base.spdx} WITH {node.exception_symbol.key}"
        return replace(base, spdx=spdx, name=f"{base.name} WITH {node.exception_symbol.key}")
    if isinstance(node, LicenseSymbol):
        return resolve_symbol(str(node.key))
    if isinstance(node, AND | OR):
        parts = [_evaluate(arg) for arg in node.args]
        if any(p is None for p in parts):
            return None
        ok = [p for p in parts if p is not None]
        op = " AND " if isinstance(node, AND) else " OR "
        spdx = op.join(
            f"({p.spdx})" if isinstance(a, AND | OR) else p.spdx
            for a, p in zip(node.args, ok, strict=True)
        )
        return combine_and(ok, spdx, None) if isinstance(node, AND) else choose_or(ok, spdx, None)
    return None


def evaluate(text: str) -> License | None:
    """Parse an SPDX expression (ids resolved through the table); ``None`` if it is not one."""
    try:
        # validate=False: Hub ids and LicenseRef-hf-* are resolved by our table, not by SPDX.
        tree = licensing().parse(text, validate=False)
    except Exception:  # third-party parser on untrusted card text: any failure = not one
        return None
    lic = _evaluate(tree) if tree is not None else None
    if lic is None:
        return None
    if lic.matched_by != "spdx-expression":
        lic = replace(lic, matched_by="spdx")
    # Hub family ids (bsd, gpl, ...) have no SPDX id: an expression using one cannot be asserted.
    spdx = NOASSERTION if NOASSERTION in lic.spdx else lic.spdx
    # An expression is never itself a Hub id (a bare Hub id was recognised before this point).
    return replace(lic, declared=text, spdx=spdx, hub_id=False)
