"""The generated sections, read back by the audit's own card parser and policies.

What sync writes must say exactly what the evidence says (no more): the training table parses to
the evidence's values, placeholders stay gaps, upstream licenses are never read as this repo's
own license, and no compliance statement is invented.
"""

from __future__ import annotations

import re

from sync_factories import SUBJECT, evidence, facts, llama_chain, node

from auditor.card import parse_card
from auditor.models import CardClaims, Edge, Facts, RepoKind
from auditor.policy import evaluate, load_policies
from auditor.sync import chain, notices, summary, training
from auditor.sync.common import GAP

FRONT = "---\nlicense: apache-2.0\nbase_model: meta-llama/Llama-3.1-8B-Instruct\n---\n\n"
# Statement kinds a generated section must never produce: they are the provider's to make.
NOT_OURS = {
    "authorised-representative", "eu-established", "tdm-optout", "robots-txt", "copyright-policy",
    "copyright-contact", "contact", "no-web-scraping", "scraping-declared", "paywall",
    "piracy-exclusion", "no-licensed-data", "no-pii", "all-permissive", "open-source-exemption",
}  # fmt: skip


def card_of(f: Facts, *sections: str) -> CardClaims:
    """Parse a card made of the front matter and the given generated sections."""
    makers = {
        "training": lambda: training.render(f, []),
        "chain": lambda: chain.render(f),
        "notices": lambda: notices.render(f),
        "summary": lambda: summary.render(f, 2),
    }
    body = []
    for name in sections:
        rendered = makers[name]()
        assert rendered is not None
        body += [f"## {rendered.title}", "", *rendered.body, ""]
    return parse_card(FRONT + "\n".join(body))


def values(claims: CardClaims) -> dict[str, object]:
    return {c.name: c.value for c in claims.hyperparameters}


def test_training_table_reads_back_as_the_evidence() -> None:
    claims = card_of(facts([], []), "training")
    assert values(claims) == {
        "base_model": "meta-llama/Llama-3.1-8B-Instruct",
        "method": "lora",
        "library": "mlx-lm",
        "rank": 16,
        "scale": 2.0,
        "alpha": 32,
        "dropout": 0.05,
        "target_modules": ["self_attn.q_proj", "self_attn.v_proj"],
        "num_layers": 2,
        "optimizer": "adam",
        "learning_rate": 1e-05,
        "iterations": 500,
        "batch_size": 1,
        "grad_accumulation": 1,
        "max_seq_length": 1024,
        "trainable_params": 819200,
    }
    assert len([c for c in claims.hyperparameters if c.name == "rank"]) == 1


def test_mlx_alpha_that_disagrees_with_scale_is_not_stated() -> None:
    f = facts([], [], evidence(alpha=16.0))  # 16 / 16 = 1.0, but mlx-lm applies scale 2.0
    rendered = training.render(f, [])
    assert rendered is not None and not any(r.startswith("| Alpha ") for r in rendered.body)
    assert any("does not read" in line for line in rendered.body)
    assert "alpha" not in values(card_of(f, "training"))


def test_values_the_config_does_not_record_are_gaps_not_claims() -> None:
    ev = evidence(format="peft", weights_format="peft", hyperparameters={}, rank=8,
                  tensor_ranks=(8,), scale=4.0, alpha=32.0, scale_divisor=8.0)  # fmt: skip
    f = facts([], [], ev)
    rendered = training.render(f, [])
    assert rendered is not None
    assert "| Optimizer | not recorded in adapter_config.json | — |" in rendered.body
    assert len(rendered.gaps) == 6
    got = values(card_of(f, "training"))
    assert got["alpha"] == 32 and got["scale"] == 4.0 and got["library"] == "peft"
    assert not {"optimizer", "learning_rate", "iterations", "max_seq_length"} & set(got)


def test_rows_the_evidence_does_not_cover_are_carried_as_the_publishers() -> None:
    old = [("Hardware", "Apple M3 Ultra 512 GB"), ("Optimizer", "Adam, LR 1e-5"),
           ("Rank", "8"), ("Epochs", "3")]  # fmt: skip
    rendered = training.render(facts([], []), old)
    assert rendered is not None
    assert "| Hardware | Apple M3 Ultra 512 GB |" in rendered.body
    assert "| Epochs | 3 |" in rendered.body  # not established: kept, as the publisher's
    assert not any("Adam, LR" in line or line.startswith("| Rank | 8") for line in rendered.body)


def test_chain_names_upstream_licenses_without_claiming_them_for_this_repo() -> None:
    upstream, edges = llama_chain()
    claims = card_of(facts(upstream, edges), "chain", "notices", "summary")
    subject = [m for m in claims.license_mentions if m.about_subject]
    assert {m.license for m in subject} == {"Apache-2.0"}
    assert {m.context for m in subject} == {"chain-subject"}
    assert [r.component for r in claims.chain_rows if r.is_subject] == ["This repository"]
    assert len(claims.chain_rows) == 5
    # Only the direct base is named as a base model (the front matter declares it).
    assert {c.value for c in claims.base_models_in_prose} <= {"meta-llama/Llama-3.1-8B-Instruct"}
    assert not NOT_OURS & {s.kind for s in claims.statements}


def test_llama_notices_discharge_the_duties_sync_can_and_report_the_rest() -> None:
    upstream, edges = llama_chain()
    rendered = notices.render(facts(upstream, edges))
    assert rendered is not None
    card = FRONT + "\n".join([f"## {rendered.title}", "", *rendered.body])
    f = facts(upstream, edges, card=card)
    kinds = {s.kind for s in f.card.statements}
    assert {"built-with-llama", "notice"} <= kinds
    flow = [
        x.message for x in evaluate(f, load_policies()) if x.rule_id == "license.flowdown-missing"
    ]
    assert not any("Built with Llama" in m or "Notice line" in m for m in flow), flow
    assert any('starting with "Llama"' in m for m in flow)  # the name is the publisher's call
    assert not any("gated with extra terms" in x.message for x in evaluate(f, load_policies()))


def test_apache_chain_writes_no_notice_claim() -> None:
    base = "swiss-ai/Apertus-70B-Instruct-2509"
    upstream = [node(base, "apache-2.0")]
    f = facts(upstream, [Edge(source=SUBJECT, target=base, relation="adapter_of")])
    assert notices.render(f) is None  # nothing to notice: no gate, no notice line, no NOTICE file
    claims = card_of(f, "chain", "summary")
    assert "notice" not in {s.kind for s in claims.statements}


def test_gaps_stay_gaps_for_the_training_summary_rules() -> None:
    upstream, edges = llama_chain()
    claims = card_of(facts(upstream, edges), "summary")
    assert claims.pst is not None
    assert {"1.1", "1.2", "1.3", "2.1", "2.2", "2.2.1", "2.2.2", "2.3", "2.4", "2.5", "2.6",
            "3.1", "3.2", "3.3"} <= set(claims.pst.sections)  # fmt: skip
    keys = {fld.key for fld in claims.pst.fields}
    assert keys == {"model-dependencies", "modality", "size-bucket", "size-alternative",
                    "public-datasets"}  # fmt: skip
    assert not NOT_OURS & {s.kind for s in claims.statements}
    rendered = summary.render(facts(upstream, edges), 2)
    assert rendered is not None
    f = facts(upstream, edges, card=FRONT + "\n".join(["## s", "", *rendered.body]))
    missing = {x.message for x in evaluate(f, load_policies())
               if x.rule_id == "aiact.training-summary-incomplete"}  # fmt: skip
    assert any("no provider identification" in m for m in missing)
    assert any("no date of placement" in m for m in missing)
    assert any("no link to the base model" in m for m in missing)
    assert not any("size bucket" in m or "modality" in m for m in missing)


def test_summary_lists_declared_datasets_and_peft_modality_is_a_gap() -> None:
    data = "org/data"
    upstream = [node(data, "mit", role="dataset", kind=RepoKind.DATASET)]
    ev = evidence(format="peft", weights_format="peft", hyperparameters={})
    f = facts(upstream, [Edge(source=SUBJECT, target=data, relation="trained_on")], ev)
    rendered = summary.render(f, 2)
    assert rendered is not None
    body = "\n".join(rendered.body)
    assert "- **Publicly available datasets used:** `org/data` (mit, " in body
    assert f"- **Modality:**\n  _{GAP}_" in body and "Training data size:** ☒" not in body


def test_hostile_upstream_ids_stay_inside_their_cell() -> None:
    bad = 'evil/x`]"<b>|@octocat</b>'
    upstream = [node(bad, "mit")]
    f = facts(upstream, [Edge(source=SUBJECT, target=bad, relation="adapter_of")])
    body = chain.render(f).body
    row = next(line for line in body if "octocat" in line)
    # A code span (HTML inside is shown as text) with its pipe escaped: five cells, not six.
    assert row.startswith('| ``evil/x`]"<b>\\|@octocat</b>`` | mit |')
    assert len(re.split(r"(?<!\\)\|", row.strip("|"))) == 5
