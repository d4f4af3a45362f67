"""normalise(): Hub ids, SPDX expressions, other + license_name, unknown strings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from auditor.licenses import normalise, normalise_many

REALWORLD = Path(__file__).resolve().parents[2] / ".." / "shared" / "realworld"


def test_spdx_expressions() -> None:
    assert normalise("apache-2.0").spdx == "Apache-2.0"
    gpl = normalise("GPL-3.0")
    assert (gpl.spdx, gpl.sharealike, gpl.known) == ("GPL-3.0-only", True, True)
    either = normalise("MIT OR Apache-2.0")
    assert either.spdx == "MIT OR Apache-2.0" and either.known
    assert either.matched_by == "spdx-expression" and not either.hub_id
    assert normalise("mit or apache-2.0").spdx == "MIT OR Apache-2.0"  # case normalised
    later = normalise("GPL-3.0+")
    assert later.spdx == "GPL-3.0-or-later" and later.sharealike
    assert normalise("Apache-2.0 WITH LLVM-exception").spdx == "Apache-2.0 WITH LLVM-exception"


def test_or_takes_the_most_permissive_choice_and_keeps_the_expression() -> None:
    lic = normalise("CC-BY-NC-4.0 OR MIT")
    assert lic.spdx == "CC-BY-NC-4.0 OR MIT"
    assert not lic.noncommercial and lic.commercial_use and lic.family == "mit"


def test_and_takes_the_union_of_restrictions() -> None:
    lic = normalise("CC-BY-SA-4.0 AND CC-BY-NC-4.0")
    assert lic.sharealike and lic.noncommercial and not lic.commercial_use
    assert lic.foss_under_ai_act == "no" and lic.family == "mixed"
    assert lic.sharealike_compatible == ("CC-BY-SA-4.0", "GPL-3.0-only", "GPL-3.0-or-later")
    nested = normalise("MIT AND (GPL-2.0 OR BSD-2-Clause)")
    assert nested.spdx == "MIT AND (GPL-2.0-only OR BSD-2-Clause)"
    assert not nested.sharealike  # the OR branch picks BSD-2-Clause


def test_hub_ids_inside_an_expression_resolve_through_the_table() -> None:
    lic = normalise("apache-2.0 AND llama3.1")
    assert lic.spdx == "Apache-2.0 AND LicenseRef-scancode-llama-3.1-license-2024"
    assert lic.known and lic.use_restrictions and lic.mau_limit


def test_spdx_id_outside_the_table_is_known_with_approximate_traits() -> None:
    lic = normalise("0BSD")
    assert lic.known and lic.spdx == "0BSD" and lic.foss_under_ai_act == "human"
    weak = normalise("MPL-1.1")
    assert weak.sharealike and weak.sharealike_compatible == ("MPL-1.1",)


@pytest.mark.parametrize("text", ["my special license", "MIT/Apache-2.0", "apache 3.0", "(("])
def test_unknown_strings_are_kept_verbatim_and_flagged(text: str) -> None:
    lic = normalise(text)
    assert lic.declared == text and lic.spdx == "NOASSERTION"
    assert not lic.known and not lic.hub_id and lic.matched_by == "none"


def test_missing_and_unknown() -> None:
    for value in (None, "", "   "):
        lic = normalise(value)
        assert lic.spdx == "NOASSERTION" and not lic.known and lic.declared is None
    unknown = normalise("unknown")
    assert unknown.hub_id and not unknown.known and unknown.foss_under_ai_act == "no"


def test_prose_spelling_is_understood_but_not_an_id() -> None:
    lic = normalise("Apache License 2.0")
    assert lic.spdx == "Apache-2.0" and lic.known
    assert not lic.hub_id and lic.matched_by == "alias"


def test_other_with_license_name() -> None:
    llama4 = normalise("other", license_name="llama4", license_link="https://x/LICENSE")
    assert llama4.spdx == "LicenseRef-scancode-llama-4-license-2025"
    assert llama4.known and llama4.matched_by == "license-name" and llama4.declared == "other"
    qwen = normalise("other", license_name="qwen-research")
    assert qwen.noncommercial and qwen.known
    custom = normalise("other", license_name="ACME Model License v2", license_link="https://a/l")
    assert custom.spdx == "LicenseRef-acme-model-license-v2" and not custom.known
    assert custom.name == "ACME Model License v2" and custom.terms_url == "https://a/l"
    bare = normalise("other")
    assert bare.spdx == "NOASSERTION" and not bare.known and bare.hub_id
    no_field = normalise(None, license_name="llama4")
    assert no_field.known and not no_field.hub_id  # a name without `license: other`


def test_several_hub_values_all_apply() -> None:
    lic = normalise_many(["apache-2.0", "cc-by-nc-4.0"])
    assert lic.spdx == "Apache-2.0 AND CC-BY-NC-4.0" and lic.noncommercial
    assert normalise_many(["mit"]).spdx == "MIT"
    assert normalise_many([]).spdx == "NOASSERTION"
    assert normalise_many(["mit", "nonsense"]).spdx == "NOASSERTION"


def _front_matter(path: Path) -> dict[str, object]:
    text = path.read_text("utf-8")
    block = text.split("---", 2)[1]
    data = yaml.safe_load(block)
    assert isinstance(data, dict)
    return data


@pytest.mark.realworld
@pytest.mark.parametrize(
    ("case", "relative", "spdx", "trait"),
    [
        (
            "R8",
            "datasets/HuggingFaceH4__stack-exchange-preferences/README.blame-content.excerpt.md",
            "CC-BY-SA-4.0",
            "sharealike",
        ),
        (
            "R9",
            "datasets/flwrlabs__alpaca-gpt4/README.reconstructed.md",
            "CC-BY-NC-4.0",
            "noncommercial",
        ),
    ],
)
def test_realworld_dataset_licenses(case: str, relative: str, spdx: str, trait: str) -> None:
    path = REALWORLD / relative
    if not REALWORLD.is_dir():
        pytest.skip(f"{case}: ../shared/realworld is absent (third-party corpus, not in repo)")
    meta = _front_matter(path)
    lic = normalise(str(meta["license"]))
    assert lic.spdx == spdx and lic.known and getattr(lic, trait)
    assert lic.foss_under_ai_act == ("no" if trait == "noncommercial" else "yes")


@given(st.text(), st.one_of(st.none(), st.text()), st.one_of(st.none(), st.text()))
def test_normalise_never_raises(declared: str, name: str | None, link: str | None) -> None:
    lic = normalise(declared, license_name=name, license_link=link)
    assert lic.spdx


@given(
    st.lists(
        st.sampled_from(
            [
                "mit",
                "apache-2.0",
                "gpl",
                "(",
                "AND",
                "OR",
                "WITH",
                "llama3",
                "LicenseRef-x",
                "cc-by-sa-4.0",
                "other",
                "unknown",
                ")",
            ]
        )
    )
)
def test_normalise_never_raises_on_expression_shaped_input(words: list[str]) -> None:
    lic = normalise(" ".join(words))
    assert isinstance(lic.known, bool)
