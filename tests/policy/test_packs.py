"""The shipped license-chain and eu-ai-act packs: pack examples and behaviour beyond them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.policy import load_policies
from auditor.policy.loader import builtin_dir
from auditor.policy.testing import run_tests

from .helpers import UPSTREAM_LLAMA, findings, statement

APACHE_BASE: dict[str, Any] = {
    "id": "swiss-ai/Apertus-70B-Instruct-2509",
    "kind": "model",
    "role": "base",
    "depth": 1,
    "resolved": True,
    "declared_at": {"file": "README.md", "line": 3},
    "gated_prompt": "Apertus acceptable use policy",
    "license": {
        "declared": "apache-2.0",
        "spdx": "Apache-2.0",
        "name": "Apache License 2.0",
        "known": True,
        "family": "apache",
        "gated_terms": True,
    },
}


def test_every_shipped_example_passes_and_every_rule_has_both_kinds() -> None:
    results, missing = run_tests(builtin_dir())
    assert [r for r in results if not r.ok] == []
    assert missing == []
    rules = {r.id for r in load_policies(["default"]).rules}
    mine = {r for r in rules if r.split(".")[0] in ("license", "aiact", "cop")}
    assert len(mine) == 25  # 14 license-chain (+ lineage-incomplete) + 11 eu-ai-act rules
    for rule in mine:
        kinds = {r.expect for r in results if r.rule == rule}
        assert kinds == {"pass", "fail"}, rule


def test_flowdown_reports_each_missing_llama_duty() -> None:
    found = findings(
        {"subject": {"id": "org/my-assistant"}, "upstream": [UPSTREAM_LLAMA]},
        "license.flowdown-missing",
    )
    needs = sorted(f.message.split("which requires ")[1].split(";")[0][:20] for f in found)
    assert len(found) == 5, [f.message for f in found]  # apache-2.0 subject drops every duty
    assert any(n.startswith('displaying "Built w') for n in needs)
    assert any(n.startswith("a model name startin") for n in needs)
    assert any(n.startswith("the Notice line") for n in needs)
    assert all(f.node == "meta-llama/Llama-3.1-8B-Instruct" for f in found)
    assert all(f.location is not None and f.location.line == 3 for f in found)


def test_flowdown_names_a_few_of_many_nodes_under_one_license_and_counts_the_rest() -> None:
    # Ten nodes under the Llama license: one finding per duty, at the first, naming five others
    # and counting the remaining four (a message never lists a whole lineage).
    nodes = [
        {**UPSTREAM_LLAMA, "id": f"org/llama-derivative-{i}", "depth": 1 + i} for i in range(10)
    ]
    found = findings({"subject": {"id": "org/my-assistant"}, "upstream": nodes},
                     "license.flowdown-missing")  # fmt: skip
    assert len(found) == 5 and {f.node for f in found} == {"org/llama-derivative-0"}
    for f in found:
        named = f.message.split("also reach it through ")[1]
        assert named.count("org/llama-derivative-") == 5, f.message
        assert named.endswith(" and 4 other upstream repositories)"), f.message


def test_flowdown_notice_accepted_in_the_card_text() -> None:
    notice = statement(
        "notice",
        "Llama 3.1 is licensed under the Llama 3.1 Community License, "
        "Copyright (c) Meta Platforms, Inc. All Rights Reserved.",
        90,
    )
    found = findings(
        {
            "subject": {"id": "org/Llama-3.1-helper"},
            "upstream": [UPSTREAM_LLAMA],
            "card": {"statements": [notice]},
        },
        "license.flowdown-missing",
    )
    assert not any("Notice line" in f.message for f in found)
    assert not any("model name" in f.message for f in found)


def test_strict_profile_raises_contested_rules_to_error() -> None:
    sa = {
        "id": "wikimedia/wikipedia",
        "kind": "dataset",
        "role": "dataset",
        "depth": 1,
        "resolved": True,
        "license": {
            "declared": "cc-by-sa-4.0",
            "spdx": "CC-BY-SA-4.0",
            "name": "CC BY-SA 4.0",
            "known": True,
            "sharealike": True,
            "sharealike_compatible": ["CC-BY-SA-4.0"],
        },
    }
    default = findings({"upstream": [sa]}, "license.sharealike-leak")
    strict = findings({"upstream": [sa]}, "license.sharealike-leak", profile="strict")
    assert [f.severity.value for f in default] == ["warning"]
    assert [f.severity.value for f in strict] == ["error"]
    assert "contested" in (default[0].basis or "")


def test_provider_status_drives_severity() -> None:
    lora = findings({"compute": {"provider_presumed": False}})
    provider = findings({"compute": {"provider_presumed": True}})
    sev = {f.rule_id: f.severity.value for f in lora}
    assert sev["aiact.copyright-policy-missing"] == "note"
    assert sev["aiact.training-summary-missing"] == "note"
    assert sev["cop.contact-missing"] == "note"
    psev = {f.rule_id: f.severity.value for f in provider}
    assert psev["aiact.copyright-policy-missing"] == "error"
    assert psev["aiact.training-summary-missing"] == "error"
    assert psev["cop.contact-missing"] == "warning"
    assert "cop.documentation-form-incomplete" in psev
    assert "cop.documentation-form-incomplete" not in sev


def test_copyright_measures_follow_scraping_and_provider_status() -> None:
    own = {
        "subject": {"id": "Ailiance-fr/kicad-lora"},
        "card": {"statements": [statement("scraping-declared", "We scraped GitHub.", 30)]},
    }
    found = findings(own, "cop.copyright-measures-missing")
    assert len(found) == 5 and {f.severity.value for f in found} == {"warning"}
    no_crawl = {
        "compute": {"provider_presumed": True},
        "card": {"statements": [statement("no-web-scraping", "No web scraping.", 30)]},
    }
    found = findings(no_crawl, "cop.copyright-measures-missing")
    assert len(found) == 2 and {f.severity.value for f in found} == {"warning"}
    assert any("machine-readable" in f.message for f in found)
    assert any("infringing use" in f.message for f in found)
    assert not any("robots.txt" in f.message or "paywall" in f.message for f in found)


def test_gated_terms_reported_once_per_distinct_gate() -> None:
    deeper = {**APACHE_BASE, "id": "swiss-ai/Apertus-70B-2509", "depth": 2, "declared_at": None}
    same = findings({"upstream": [APACHE_BASE, deeper]}, "license.gated-terms-dropped")
    assert [f.node for f in same] == ["swiss-ai/Apertus-70B-Instruct-2509"]
    other = {**deeper, "gated_prompt": "Another set of terms"}
    both = findings(
        {"upstream": [APACHE_BASE, other], "card": {"metadata": {"lines": {"base_model": 3}}}},
        "license.gated-terms-dropped",
    )
    assert sorted(f.node for f in both) == [
        "swiss-ai/Apertus-70B-2509",
        "swiss-ai/Apertus-70B-Instruct-2509",
    ]
    assert all(f.location is not None and f.location.line == 3 for f in both)


def test_conflict_with_the_license_file_is_located_in_that_file() -> None:
    found = findings(
        {"card": {"metadata": {"license": ["apache-2.0"]}}},
        "license.conflict-in-card",
        texts={"LICENSE.txt": "\n\nMIT License\n\nCopyright (c) 2026\n"},
    )
    assert len(found) == 1
    assert found[0].location is not None
    assert (found[0].location.file, found[0].location.line) == ("LICENSE.txt", 3)


def test_all_permissive_contradicted_by_an_upstream_sharealike_dataset() -> None:
    sa = {
        "id": "HuggingFaceH4/stack-exchange-preferences",
        "kind": "dataset",
        "role": "dataset",
        "depth": 1,
        "resolved": True,
        "license": {
            "declared": "cc-by-sa-4.0",
            "spdx": "CC-BY-SA-4.0",
            "name": "CC BY-SA 4.0",
            "known": True,
            "sharealike": True,
        },
    }
    claim = statement("all-permissive", "All upstream components are Apache 2.0 / MIT.", 68)
    found = findings(
        {"upstream": [sa], "card": {"statements": [claim]}}, "aiact.statement-contradicted"
    )
    assert len(found) == 1 and found[0].severity.value == "error"
    assert 'dataset "HuggingFaceH4/stack-exchange-preferences" is under CC-BY-SA-4.0' in (
        found[0].message
    )


def test_article_52_for_systemic_risk_notification_is_fine() -> None:
    ok = statement(
        "article-citation",
        "We notify the Commission (Art. 52) when the systemic-risk threshold is met.",
        10,
        "52",
    )
    bad = statement("article-citation", "Risk class: Limited risk (Art. 52)", 11, "52")
    found = findings({"card": {"statements": [ok, bad]}}, "aiact.article-reference-invalid")
    assert [f.location.line for f in found if f.location] == [11]
    assert "Art. 50" in found[0].message


def test_scope_note_without_a_base_says_the_test_does_not_apply() -> None:
    (note,) = findings({}, "aiact.scope")
    assert note.severity.value == "info"
    assert "one-third modifier test does not apply" in note.message


def test_training_summary_incomplete_lists_each_gap(tmp_path: Path) -> None:
    fields = [
        {
            "key": "provider",
            "label": "Provider",
            "value": "Ailiance",
            "location": {"file": "README.md", "line": 34},
        },
        {
            "key": "model-dependencies",
            "label": "Model dependencies",
            "value": "LoRA of org/base <https://huggingface.co/org/base>",
            "location": {"file": "README.md", "line": 40},
        },
    ]
    over = {
        "card": {
            "metadata": {"base_model": ["org/base"]},
            "pst": {"sections": ["1", "1.1", "1.2"], "fields": fields},
        }
    }
    found = findings(over, "aiact.training-summary-incomplete")
    text = " | ".join(f.message for f in found)
    for gap in (
        "no link to the base model",
        "no date of placement",
        "no modality",
        "no training data size",
        "2.1, 2.2, 2.3, 2.4, 2.5, 2.6",
        "section 3.1",
    ):
        assert gap in text
    link = next(f for f in found if "no link" in f.message)
    assert link.location is not None and link.location.line == 40


def test_statement_contradicted_names_at_most_five_upstream_repositories() -> None:
    def sa(i: int) -> dict[str, Any]:
        return {"id": f"org/sa-{i:02d}", "kind": "dataset", "role": "dataset", "depth": 1,
                "resolved": True, "license": {"declared": "cc-by-sa-4.0", "spdx": "CC-BY-SA-4.0",
                                              "name": "CC BY-SA 4.0", "known": True,
                                              "sharealike": True}}

    claim = statement("all-permissive", "All upstream components are Apache 2.0 / MIT.", 68)
    plain = {**sa(99), "id": "org/plain", "license": {"declared": "mit", "spdx": "MIT",
                                                      "name": "MIT", "known": True}}
    found = findings(
        {"card": {"statements": [claim]}, "upstream": [plain] + [sa(i) for i in range(12)]},
        "aiact.statement-contradicted",
    )
    assert len(found) == 1
    named = [f"org/sa-{i:02d}" for i in range(12) if f'"org/sa-{i:02d}"' in found[0].message]
    assert named == [f"org/sa-{i:02d}" for i in range(5)]  # the first five, in upstream order
    assert found[0].message.endswith("other upstream repositories are too")
    few = findings({"card": {"statements": [claim]}, "upstream": [sa(0), sa(1)]},
                   "aiact.statement-contradicted")
    assert "other upstream" not in few[0].message and '"org/sa-01"' in few[0].message
