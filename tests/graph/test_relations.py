"""How a card relates to its bases (the Hub's base_model_relation vocabulary) and the bases the
walk takes from the card body when the front matter declares none."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auditor.card import parse_card
from auditor.graph import build_graph
from auditor.models import CardClaims, CardMetadata, Location, RepoKind, Statement

from .test_graph import FakeHub, card, model, snap


def relation_of(repo: str, claims: CardClaims, files: tuple[str, ...] = ()) -> tuple[str, bool]:
    graph = build_graph(snap(repo, files=files), claims, FakeHub({}))
    edge = next(e for e in graph.edges if e.relation != "trained_on")
    return edge.relation, edge.inferred


@pytest.mark.parametrize(
    "name", ["Orbit-7B-GGUF", "Orbit-7B-AWQ", "Orbit-13B-chat-GPTQ", "Orbit-8B-Instruct-4bit",
             "orbit-8b-bnb-4bit", "Orbit-VL-Chat-Int4", "orbit-9b-it-llamafile"],
)
def test_quantisation_names_make_quantized_of(name: str) -> None:
    assert relation_of(f"q/{name}", card(base_model=("acme-ai/Orbit",))) == ("quantized_of", True)


def test_quantised_files_make_quantized_of() -> None:
    claims = card(base_model=("acme-ai/Orbit",))
    assert relation_of("q/orbit", claims, ("orbit.Q4_K_M.gguf",))[0] == "quantized_of"
    assert relation_of("q/orbit", claims, ("quantize_config.json",))[0] == "quantized_of"


def test_quantized_by_needs_a_sentence_saying_so() -> None:
    lines = {"base_model": 3, "quantized_by": 9}
    fine_tune = CardClaims(metadata=CardMetadata(base_model=("acme-ai/Orbit",), lines=lines))
    assert relation_of("me/orbit-dpo", fine_tune)[0] == "finetune_of"
    said = Statement(kind="quantization", text="quantized by me", location=Location(file="R"))
    quant = replace(fine_tune, statements=(said,))
    assert relation_of("me/orbit-dpo", quant)[0] == "quantized_of"


def test_merges_from_tags_recipes_and_several_bases() -> None:
    assert relation_of("m/x", card(base_model=("a/one", "b/two")))[0] == "merge_of"
    assert relation_of("m/x", card(base_model=("a/one",), tags=("mergekit",)))[0] == "merge_of"
    recipe = ("mergekit_config.yml",)
    assert relation_of("m/x", card(base_model=("a/one",)), recipe)[0] == "merge_of"


def test_declared_relation_wins_and_adapter_files_win_over_names() -> None:
    declared = card(base_model=("a/one",), base_model_relation="finetune")
    assert relation_of("q/Orbit-GGUF", declared) == ("finetune_of", False)
    files = ("adapter_config.json",)
    assert relation_of("me/Orbit-GGUF-lora", card(base_model=("a/one",)), files)[0] == "adapter_of"


def test_a_base_given_as_a_hub_url_is_that_repo() -> None:
    hub = FakeHub(dict([model("acme-ai/genz", card(license=("mit",)))]))
    claims = card(base_model=("https://huggingface.co/acme-ai/genz",))
    graph = build_graph(snap("q/genz-GPTQ"), claims, hub)
    assert [n.id for n in graph.nodes] == ["q/genz-GPTQ", "acme-ai/genz"]
    assert graph.nodes[1].resolved


def test_body_bases_are_followed_when_the_front_matter_has_none() -> None:
    text = (
        "---\nlicense: cc-by-4.0\ntags: [merge]\n---\n# Merge\n\n```yaml\nslices:\n  - sources:\n"
        "      - model: acme-ai/Orbit-7B\n      - model: nc-lab/Research-7B\nmerge_method: slerp\n"
        "base_model: acme-ai/Orbit-7B\n```\n\nIt is based on LLaMA.\n"
    )
    hub = FakeHub(
        dict(
            [
                model("acme-ai/Orbit-7B", card(license=("apache-2.0",))),
                model("nc-lab/Research-7B", card(license=("cc-by-nc-4.0",))),
            ]
        )
    )
    graph = build_graph(snap("me/merge"), parse_card(text), hub)
    edges = {(e.target, e.relation, e.inferred, e.location.line if e.location else None)
             for e in graph.edges}
    assert ("nc-lab/Research-7B", "merge_of", True, 11) in edges
    assert ("acme-ai/Orbit-7B", "merge_of", True, 10) in edges
    nodes = {n.id: n for n in graph.nodes}
    assert nodes["nc-lab/Research-7B"].license.noncommercial
    # A name without an org is an unresolved node; the walk never looks it up or guesses an org.
    assert not nodes["LLaMA"].resolved and "no org is guessed" in (nodes["LLaMA"].reason or "")
    assert ("LLaMA", RepoKind.MODEL) not in hub.calls


def test_front_matter_bases_are_not_extended_from_the_body() -> None:
    text = "---\nbase_model: acme-ai/Orbit-7B\n---\n# X\n\nA fine-tuned version of other/Thing.\n"
    graph = build_graph(snap("me/ft"), parse_card(text), FakeHub({}))
    assert [e.target for e in graph.edges] == ["acme-ai/Orbit-7B"]


def test_an_unresolved_upstreams_license_stated_by_the_card_is_last_resort_evidence() -> None:
    text = (
        "---\nlicense: apache-2.0\nbase_model: acme-ai/Orbit-7B\ndatasets: [acme-data/forum]\n---\n"
        "# X\n\nTrained on acme-data/forum, whose posts are released under CC-BY-SA-4.0.\n"
        "This adapter is released under Apache 2.0.\n"
    )
    graph = build_graph(snap("me/lora"), parse_card(text), FakeHub({}))
    nodes = {n.id: n for n in graph.nodes}
    data = nodes["acme-data/forum"]
    assert not data.resolved
    assert data.license.spdx == "CC-BY-SA-4.0" and data.license.sharealike
    assert data.license.matched_by == "card-prose"
    # Nothing stated for the base: it stays unknown, and the subject's own sentence is not used.
    assert nodes["acme-ai/Orbit-7B"].license.matched_by != "card-prose"
