"""The shipped license table: complete, consistent, valid SPDX (docs/legal-basis.md §6.1)."""

from __future__ import annotations

import re
import time
from importlib import resources

import pytest
import yaml
from license_expression import get_spdx_licensing

from auditor.licenses import normalise, table
from auditor.licenses.table import _index, _NotPlain, _plain, name_key, raw_entries
from auditor.models import License
from auditor.models.codec import dump, load

# legal-basis §6.1 / the Hub's allowed list.
HUB_IDS = [
    "apache-2.0",
    "mit",
    "openrail",
    "bigscience-openrail-m",
    "creativeml-openrail-m",
    "bigscience-bloom-rail-1.0",
    "bigcode-openrail-m",
    "afl-3.0",
    "artistic-2.0",
    "bsl-1.0",
    "bsd",
    "bsd-2-clause",
    "bsd-3-clause",
    "bsd-3-clause-clear",
    "c-uda",
    "cc",
    "cc0-1.0",
    "cc-by-2.0",
    "cc-by-2.5",
    "cc-by-3.0",
    "cc-by-4.0",
    "cc-by-sa-3.0",
    "cc-by-sa-4.0",
    "cc-by-nc-2.0",
    "cc-by-nc-3.0",
    "cc-by-nc-4.0",
    "cc-by-nd-4.0",
    "cc-by-nc-nd-3.0",
    "cc-by-nc-nd-4.0",
    "cc-by-nc-sa-2.0",
    "cc-by-nc-sa-3.0",
    "cc-by-nc-sa-4.0",
    "cdla-sharing-1.0",
    "cdla-permissive-1.0",
    "cdla-permissive-2.0",
    "wtfpl",
    "ecl-2.0",
    "epl-1.0",
    "epl-2.0",
    "etalab-2.0",
    "eupl-1.1",
    "eupl-1.2",
    "agpl-3.0",
    "gfdl",
    "gpl",
    "gpl-2.0",
    "gpl-3.0",
    "lgpl",
    "lgpl-2.1",
    "lgpl-3.0",
    "isc",
    "h-research",
    "intel-research",
    "lppl-1.3c",
    "ms-pl",
    "apple-ascl",
    "apple-amlr",
    "mpl-2.0",
    "odc-by",
    "odbl",
    "openrail++",
    "osl-3.0",
    "postgresql",
    "ofl-1.1",
    "ncsa",
    "unlicense",
    "zlib",
    "pddl",
    "lgpl-lr",
    "deepfloyd-if-license",
    "fair-noncommercial-research-license",
    "llama2",
    "llama3",
    "llama3.1",
    "llama3.2",
    "llama3.3",
    "llama4",
    "gemma",
    "unknown",
    "other",
]
NOT_ESTABLISHED = {"unknown", "other"}

EXPECTED_SPDX = {
    "apache-2.0": "Apache-2.0",
    "mit": "MIT",
    "bsd-3-clause": "BSD-3-Clause",
    "bsl-1.0": "BSL-1.0",
    "cc0-1.0": "CC0-1.0",
    "pddl": "PDDL-1.0",
    "wtfpl": "WTFPL",
    "cc-by-sa-4.0": "CC-BY-SA-4.0",
    "cc-by-nc-4.0": "CC-BY-NC-4.0",
    "cc-by-nc-nd-3.0": "CC-BY-NC-ND-3.0",
    "gpl-2.0": "GPL-2.0-only",
    "gpl-3.0": "GPL-3.0-only",
    "agpl-3.0": "AGPL-3.0-only",
    "lgpl-2.1": "LGPL-2.1-only",
    "odbl": "ODbL-1.0",
    "odc-by": "ODC-By-1.0",
    "c-uda": "C-UDA-1.0",
    "etalab-2.0": "etalab-2.0",
    "ms-pl": "MS-PL",
    "lppl-1.3c": "LPPL-1.3c",
    "bsd": "NOASSERTION",
    "cc": "NOASSERTION",
    "llama2": "LicenseRef-scancode-llama-2-license-2023",
    "llama3.1": "LicenseRef-scancode-llama-3.1-license-2024",
    "llama4": "LicenseRef-scancode-llama-4-license-2025",
    "gemma": "LicenseRef-scancode-gemma-tou-2024-04-01",
    "bigscience-openrail-m": "LicenseRef-scancode-bigscience-open-rail-m",
    "creativeml-openrail-m": "LicenseRef-scancode-stable-diffusion-2022-08-22",
    "bigcode-openrail-m": "LicenseRef-scancode-bigcode-open-rail-m-v1",
    "bigscience-bloom-rail-1.0": "LicenseRef-scancode-bigscience-rail-1.0",
    "openrail++": "LicenseRef-hf-openrail-pp",
}


def test_every_hub_id_is_in_the_table() -> None:
    tbl = table()
    missing = [h for h in HUB_IDS if h not in tbl.by_id]
    assert missing == []
    assert set(HUB_IDS) <= tbl.hub_ids


@pytest.mark.parametrize("hub_id", sorted(set(HUB_IDS) - NOT_ESTABLISHED))
def test_every_hub_id_normalises_to_known(hub_id: str) -> None:
    lic = normalise(hub_id)
    assert lic.known, hub_id
    assert lic.hub_id and lic.matched_by == "hub-id"
    assert lic.declared == hub_id
    assert normalise(hub_id.upper()).spdx == lic.spdx  # Hub ids are case-insensitive


@pytest.mark.parametrize(("hub_id", "spdx"), sorted(EXPECTED_SPDX.items()))
def test_sample_hub_ids_map_to_expected_spdx(hub_id: str, spdx: str) -> None:
    assert normalise(hub_id).spdx == spdx


def test_every_spdx_id_is_valid_or_a_well_formed_licenseref() -> None:
    licensing = get_spdx_licensing()
    for entry in table().entries:
        if entry.spdx == "NOASSERTION":
            continue
        if entry.spdx.startswith("LicenseRef-hf-"):
            assert re.fullmatch(r"LicenseRef-hf-[A-Za-z0-9.-]+", entry.spdx), entry.spdx
            continue
        # Raises ExpressionError for an id license-expression does not know.
        assert licensing.parse(entry.spdx, validate=True).render() == entry.spdx


def test_sharealike_compatible_ids_are_valid_spdx() -> None:
    licensing = get_spdx_licensing()
    for entry in table().entries:
        for spdx in entry.sharealike_compatible:
            assert licensing.parse(spdx, validate=True).render() == spdx, (entry.name, spdx)


def test_entries_are_internally_consistent() -> None:
    for raw in raw_entries():
        lic = table().by_id[raw["id"]]
        assert load(License, dump(lic)) == lic  # every field has a legal value
        assert lic.commercial_use == (not lic.noncommercial), raw["id"]
        if lic.noncommercial or lic.noderivatives:
            assert lic.foss_under_ai_act == "no", raw["id"]  # GL §83, legal-basis §6.1
        if lic.sharealike:
            assert lic.sharealike_compatible, raw["id"]  # a policy needs the targets
        if lic.sharealike and lic.spdx != "NOASSERTION":
            assert lic.spdx in lic.sharealike_compatible, raw["id"]


def test_no_alias_points_at_two_entries() -> None:
    owner: dict[str, str] = {}
    for raw in raw_entries():
        names = [raw["id"], raw["name"], *(raw.get("aliases") or ())]
        for name in names:
            key = name_key(str(name))
            assert owner.setdefault(key, raw["id"]) == raw["id"], (name, owner[key], raw["id"])


def test_legal_facts_from_section_6() -> None:
    sa4, sa3 = normalise("cc-by-sa-4.0"), normalise("cc-by-sa-3.0")
    assert sa4.sharealike_compatible == ("CC-BY-SA-4.0", "GPL-3.0-only", "GPL-3.0-or-later")
    assert sa3.sharealike_compatible == (
        "CC-BY-SA-3.0",
        "CC-BY-SA-4.0",
        "GPL-3.0-only",
        "GPL-3.0-or-later",
    )
    # One-way: GPL-3.0 does not accept BY-SA for its adaptations (legal-basis §6.2).
    assert "CC-BY-SA-4.0" not in normalise("gpl-3.0").sharealike_compatible
    assert not normalise("cdla-sharing-1.0").sharealike  # results of computational use exempt
    llama = normalise("llama3.1")
    assert llama.notice_text == (
        "Llama 3.1 is licensed under the Llama 3.1 Community License, "
        "Copyright © Meta Platforms, Inc. All Rights Reserved."
    )
    assert llama.attribution_text == "Built with Llama" and llama.name_prefix == "Llama"
    assert {"built-with-llama", "llama-name-prefix", "notice-file", "license-copy"} <= set(
        llama.duties
    )
    assert llama.mau_limit and llama.foss_under_ai_act == "no"
    assert normalise("llama3").attribution_text == "Built with Meta Llama 3"
    gemma = normalise("gemma")
    assert gemma.notice_text == (
        "Gemma is provided under and subject to the Gemma Terms of Use "
        "found at ai.google.dev/gemma/terms"
    )
    assert "use-restrictions-flowdown" in gemma.duties and gemma.commercial_use
    rail = normalise("bigscience-openrail-m")
    assert rail.use_restrictions and not rail.noncommercial and rail.family == "openrail"
    assert normalise("apache-2.0").notice_required


def test_loading_is_fast() -> None:
    """A hang guard; bench/bench_startup.py measures start-up (wall-clock bounds are flaky here)."""
    raws = raw_entries()
    start = time.perf_counter()
    _index(raws)
    raw_entries()
    assert time.perf_counter() - start < 2.0  # ~10 ms with libyaml


def test_the_table_loads_to_what_pyyaml_constructs() -> None:
    text = resources.files("auditor.licenses").joinpath("licenses.yaml").read_text("utf-8")
    assert raw_entries() == yaml.safe_load(text)["licenses"]


@pytest.mark.parametrize(
    "text",
    ["a: 1", "a: null", "a: 1.5", "base: &b {x: 'y'}\nother:\n  <<: *b\n  z: on", ""],
)
def test_nodes_other_than_strings_booleans_lists_and_maps_are_left_to_pyyaml(text: str) -> None:
    with pytest.raises(_NotPlain):
        _plain(yaml.compose(text, Loader=yaml.SafeLoader))
