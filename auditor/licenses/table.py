"""Load the shipped license table (``licenses.yaml``) into lookup indexes.

The YAML file is the knowledge (docs/legal-basis.md §6); this module only turns each entry into a
template :class:`License` and indexes it by Hub id, SPDX id and prose alias. Loaded once per
process.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from auditor import derived
from auditor.lazyre import lazy
from auditor.models import License
from auditor.records import record

NOASSERTION = "NOASSERTION"

_TRAITS = (
    "sharealike",
    "noncommercial",
    "noderivatives",
    "use_restrictions",
    "attribution",
    "notice_required",
    "gated_terms",
    "mau_limit",
)
_COPIED = (
    "name",
    "family",
    "foss_under_ai_act",
    "notice_text",
    "terms_url",
    "attribution_text",
    "name_prefix",
)
_NON_WORD = lazy(r"[^a-z0-9]+")


@lru_cache(maxsize=4096)  # the index asks for each name three times, normalise once per lookup
def name_key(text: str) -> str:
    """Compare license names loosely: lower case, every run of non-alphanumerics -> ``-``.

    ``+`` is meaningful ("GPL-3.0+" is or-later, "openrail++" is not "openrail"), so it is kept
    as the word ``plus``.
    """
    return _NON_WORD.sub("-", text.lower().replace("+", "-plus-")).strip("-")


@record
class Table:
    """The indexed license table. Templates have ``declared=None``; callers copy them."""

    entries: tuple[License, ...]
    hub_ids: frozenset[str]
    by_id: dict[str, License]
    by_spdx: dict[str, License]
    by_name: dict[str, License]
    aliases: tuple[tuple[str, str], ...]  # (prose spelling, id that normalise() accepts)


def _template(raw: dict[str, Any]) -> License:
    spdx = str(raw["spdx"])
    traits = set(raw.get("traits") or ())
    unknown = traits.difference(_TRAITS)
    if unknown:  # a typo in the data must not silently drop a trait
        raise ValueError(f"licenses.yaml {raw['id']}: unknown traits {sorted(unknown)}")
    fields: dict[str, Any] = {k: raw[k] for k in _COPIED if raw.get(k) is not None}
    fields.update({t: t in traits for t in _TRAITS})
    if "terms_url" not in fields and spdx != NOASSERTION and not spdx.startswith("LicenseRef-"):
        fields["terms_url"] = f"https://spdx.org/licenses/{spdx}.html"
    for key in ("notice_text",):
        if key in fields:  # YAML folded scalars: keep the exact one-line notice
            fields[key] = " ".join(str(fields[key]).split())
    return License(
        declared=None,
        spdx=spdx,
        known=bool(raw.get("known", True)),
        hub_id=bool(raw.get("hub", True)),
        commercial_use=bool(raw.get("commercial_use", True)),
        sharealike_compatible=tuple(raw.get("sharealike_compatible") or ()),
        duties=tuple(raw.get("duties") or ()),
        **fields,
    )


def scan_key(entry: License, entry_id: str) -> str:
    """The id scan_text reports for an entry: its SPDX id, or the Hub id when SPDX has none."""
    return entry_id if entry.spdx == NOASSERTION else entry.spdx


def _index(raws: list[dict[str, Any]]) -> Table:
    entries: list[License] = []
    hub_ids: set[str] = set()
    by_id: dict[str, License] = {}
    by_spdx: dict[str, License] = {}
    by_name: dict[str, License] = {}
    aliases: list[tuple[str, str]] = []
    for raw in raws:
        entry_id = str(raw["id"]).lower()
        tpl = _template(raw)
        entries.append(tpl)
        by_id[entry_id] = tpl
        if tpl.hub_id:
            hub_ids.add(entry_id)
        also = {name_key(s): s for s in raw.get("spdx_also") or ()}
        if tpl.spdx != NOASSERTION:
            by_spdx.setdefault(tpl.spdx.lower(), tpl)
        for other in also.values():
            by_spdx.setdefault(other.lower(), replace(tpl, spdx=other))
        names = [entry_id, tpl.name, *(raw.get("aliases") or ())]
        if tpl.spdx != NOASSERTION:
            names.append(tpl.spdx)
        for name in names:
            variant = also.get(name_key(name))  # "GPL-3.0-or-later" keeps its own SPDX id
            by_name.setdefault(name_key(name), by_spdx[variant.lower()] if variant else tpl)
        aliases.extend(
            (str(alias), also.get(name_key(alias), scan_key(tpl, entry_id)))
            for alias in raw.get("aliases") or ()
        )
    return Table(
        entries=tuple(entries),
        hub_ids=frozenset(hub_ids),
        by_id=by_id,
        by_spdx=by_spdx,
        by_name=by_name,
        aliases=tuple(aliases),
    )


_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_BOOLS = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}


class _NotPlain(Exception):
    """A node :func:`_plain` leaves to PyYAML's constructor (a number, a null, a merge key)."""


def _plain(node: yaml.Node | None) -> Any:
    """The data of a composed node made of strings, booleans, lists and mappings only.

    PyYAML's constructor builds the same objects through a generator per node; the table loads
    on every run, and building its 2,500 nodes directly costs about a third less. Anything else
    raises :class:`_NotPlain`, and the caller loads the document the ordinary way.
    """
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _STR:
            return node.value
        if node.tag == _BOOL:
            return _BOOLS[node.value.lower()]
        raise _NotPlain(node.tag)
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item) for item in node.value]
    if isinstance(node, yaml.MappingNode):
        return {_plain(key): _plain(value) for key, value in node.value}
    raise _NotPlain(getattr(node, "tag", None))  # an empty document


def raw_entries(use_cache: bool = True) -> list[dict[str, Any]]:
    """The entries of ``licenses.yaml`` as plain dicts (used by tests to check the data).

    Composing the YAML is most of loading the table (4-6 ms of every run, against well under
    a millisecond for the same data as JSON), so the entries are kept in the cache of derived
    data (``auditor.derived``), keyed by the file's text and this module's code. An entry is
    taken only if it is a list of mappings made of strings, booleans, lists and mappings with
    string keys: the data :func:`_plain` builds, which is also all that is ever written.
    """
    text = Path(__file__).with_name("licenses.yaml").read_text("utf-8")
    key = derived.digest("license-table", text.encode("utf-8"), _code())
    cached = derived.read(key) if use_cache else None
    if isinstance(cached, list) and all(isinstance(e, dict) and _is_plain(e) for e in cached):
        return cached
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~6 ms instead of ~60 ms
    try:
        entries = list(_plain(yaml.compose(text, Loader=loader))["licenses"])
    except _NotPlain:
        return list(yaml.load(text, Loader=loader)["licenses"])
    if _is_plain(entries):
        derived.write(key, entries)
    return entries


@lru_cache(maxsize=1)
def _code() -> str:
    return derived.code_fingerprint([Path(__file__)])


def _is_plain(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is made of strings, booleans, lists and string-keyed mappings only,
    nested at most 8 deep (the table's entries are 3 deep)."""
    if isinstance(value, str | bool):
        return True
    if depth >= 8:
        return False
    if isinstance(value, list):
        return all(_is_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v, depth + 1) for k, v in value.items())
    return False


@lru_cache(maxsize=1)
def table() -> Table:
    """The license table, loaded and indexed once per process."""
    try:
        return _index(raw_entries())
    except Exception:  # an entry of the cache that the index refuses: the file decides
        return _index(raw_entries(use_cache=False))
