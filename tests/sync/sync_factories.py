"""Hand-built facts for the section tests: evidence, graph nodes and facts documents.

Licenses come from the real license table (``auditor.licenses.normalise``), so the tests see the
duties, notice lines and attribution texts that the shipped data gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from auditor.card import parse_card
from auditor.facts import build_facts
from auditor.licenses import normalise
from auditor.models import (
    AdapterEvidence,
    ComputeEstimate,
    Edge,
    Facts,
    LicenseGraph,
    Node,
    RepoKind,
    RepoSnapshot,
)

SUBJECT = "org/demo-lora"


def evidence(**changes: Any) -> AdapterEvidence:
    """mlx-lm evidence shaped like the bundled example (rank 16, scale 2.0, 2 layers)."""
    base: dict[str, Any] = {
        "present": True,
        "config_file": "adapter_config.json",
        "weights_file": "adapters.safetensors",
        "format": "mlx-lm",
        "weights_format": "mlx-lm",
        "fine_tune_type": "lora",
        "rank": 16,
        "tensor_ranks": (16,),
        "config_ranks": (16,),
        "scale": 2.0,
        "config_scale": 2.0,
        "scale_divisor": 16.0,
        "alpha": 32.0,
        "dropout": 0.05,
        "target_modules": ("self_attn.q_proj", "self_attn.v_proj"),
        "tensor_modules": ("self_attn.q_proj", "self_attn.v_proj"),
        "num_layers": 2,
        "layers": (78, 79),
        "base_num_layers": 80,
        "trainable_parameters": 819200,
        "dtype": "float16",
        "base_model": "meta-llama/Llama-3.1-8B-Instruct",
        "hyperparameters": {
            "optimizer": "adam",
            "learning_rate": 1e-05,
            "iterations": 500,
            "batch_size": 1,
            "grad_accumulation": 1,
            "max_seq_length": 1024,
            "seed": 42,
        },
    }
    base.update(changes)
    return AdapterEvidence(**base)


def node(
    repo_id: str,
    license_id: str,
    *,
    role: str = "base",
    depth: int = 1,
    kind: RepoKind = RepoKind.MODEL,
    **changes: Any,
) -> Node:
    """An upstream node under a license of the table."""
    return Node(
        id=repo_id,
        kind=kind,
        role=role,  # type: ignore[arg-type]
        depth=depth,
        resolved=True,
        origin="mirror",
        license=normalise(license_id),
        card_file="README.md",
        **changes,
    )


def facts(
    upstream: Sequence[Node],
    edges: Sequence[Edge],
    ev: AdapterEvidence | None = None,
    card: str = "---\nlicense: apache-2.0\n---\n",
) -> Facts:
    """A facts document for SUBJECT (built by the facts stage itself, derived data included)."""
    claims = parse_card(card)
    subject = Node(
        id=SUBJECT,
        kind=RepoKind.MODEL,
        role="subject",
        depth=0,
        resolved=True,
        origin="local",
        license=normalise(claims.metadata.license[0] if claims.metadata.license else None),
        card_file="README.md",
    )
    graph = LicenseGraph(subject=SUBJECT, nodes=(subject, *upstream), edges=tuple(edges))
    snapshot = RepoSnapshot(
        repo_id=SUBJECT,
        kind=RepoKind.MODEL,
        origin="local",
        location="/tmp/x",
        files=("README.md", "adapter_config.json", "adapters.safetensors"),
    )
    return build_facts(snapshot, claims, graph, ev or evidence(), ComputeEstimate())


def llama_chain() -> tuple[list[Node], list[Edge]]:
    """A Llama 3.1 adapter trained on a CC-BY-SA dataset, with an OpenRAIL model upstream."""
    base = "meta-llama/Llama-3.1-8B-Instruct"
    root = "meta-llama/Llama-3.1-8B"
    data = "org/stack-data"
    rail = "bigscience/bloom"
    upstream = [
        node(base, "llama3.1", gated_prompt="LLAMA 3.1 COMMUNITY LICENSE AGREEMENT ..."),
        node(data, "cc-by-sa-4.0", role="dataset", kind=RepoKind.DATASET),
        node(root, "llama3.1", depth=2, gated_prompt="LLAMA 3.1 COMMUNITY LICENSE AGREEMENT ..."),
        node(rail, "bigscience-bloom-rail-1.0", depth=2),
    ]
    edges = [
        Edge(source=SUBJECT, target=base, relation="adapter_of"),
        Edge(source=SUBJECT, target=data, relation="trained_on"),
        Edge(source=base, target=root, relation="finetune_of"),
        Edge(source=base, target=rail, relation="merge_of"),
    ]
    return upstream, edges
