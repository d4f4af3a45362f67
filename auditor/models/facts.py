"""The data model: licenses, the lineage graph, adapter evidence and the compute estimate, what
the facts document is made of."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import field, fields
from typing import Any, Literal

from auditor.models.base import (
    Frozen,
    Location,
    Relation,
    RepoKind,
    Role,
    ScalarValue,
    model,
)
from auditor.models.card import Statement


@model
class License(Frozen):
    """A normalised license with the traits policies reason about (docs/legal-basis.md §6)."""

    declared: str | None
    spdx: str
    name: str
    known: bool
    hub_id: bool = False
    family: str = "unknown"
    sharealike: bool = False
    noncommercial: bool = False
    noderivatives: bool = False
    use_restrictions: bool = False
    attribution: bool = False
    notice_required: bool = False
    gated_terms: bool = False
    commercial_use: bool = True
    mau_limit: bool = False
    foss_under_ai_act: Literal["yes", "no", "human"] = "human"
    sharealike_compatible: tuple[str, ...] = ()
    duties: tuple[str, ...] = ()
    notice_text: str | None = None
    terms_url: str | None = None
    attribution_text: str | None = None
    name_prefix: str | None = None
    # "card-prose": an unresolved upstream's license as the child's card states it (low confidence)
    matched_by: Literal[
        "hub-id", "spdx", "spdx-expression", "license-name", "alias", "none", "card-prose"
    ] = "none"


@model
class Node(Frozen):
    """A repository in the license graph: the subject or one of its upstream repos."""

    id: str
    kind: RepoKind
    role: Role
    depth: int
    resolved: bool
    reason: str | None = None
    origin: str | None = None
    revision: str | None = None
    license: License
    gated: bool = False
    gated_prompt: str | None = None
    statements: tuple[Statement, ...] = ()
    files: tuple[str, ...] = ()
    declared_at: Location | None = None
    card_file: str | None = None


@model
class Edge(Frozen):
    """``source`` (downstream) was made from ``target`` (upstream) by ``relation``."""

    source: str
    target: str
    relation: Relation
    inferred: bool = False
    location: Location | None = None


def base_edges(subject: str, edges: Iterable[Edge]) -> list[Edge]:
    """The edges from ``subject`` to the models it was made from (every relation but
    ``trained_on``), in edge order: the pipeline's compute base and the facts' ``bases``."""
    return [e for e in edges if e.source == subject and e.relation != "trained_on"]


@model
class LicenseGraph(Frozen):
    """The lineage of the subject: nodes in walk order, edges, walk problems (cycles, depth)."""

    subject: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...] = ()
    problems: tuple[str, ...] = ()


# --------------------------------------------------------------------------- verification


@model
class EvidenceProblem(Frozen):
    """A problem found while collecting adapter evidence (never a pass/fail decision)."""

    kind: str
    message: str
    location: Location | None = None


@model
class AdapterEvidence(Frozen):
    """What the adapter's config and tensors establish (``verify`` stage)."""

    present: bool = False
    config_file: str | None = None
    weights_file: str | None = None
    format: Literal["mlx-lm", "peft", "unknown"] | None = None
    weights_format: Literal["mlx-lm", "peft", "unknown"] | None = None
    fine_tune_type: str | None = None
    rank: int | None = None
    tensor_ranks: tuple[int, ...] = ()
    scale: float | None = None
    config_scale: float | None = None
    alpha: float | None = None
    rslora: bool = False
    dropout: float | None = None
    target_modules: tuple[str, ...] = ()
    tensor_modules: tuple[str, ...] = ()
    num_layers: int | None = None
    layers: tuple[int, ...] = ()
    base_num_layers: int | None = None
    trainable_parameters: int | None = None
    dtype: str | None = None
    hyperparameters: dict[str, ScalarValue] = field(default_factory=dict)
    base_model: str | None = None
    base_model_is_path: bool = False
    base_resolved: bool = False
    local_paths: tuple[str, ...] = ()
    verified_with: str = "none"
    load_ok: bool | None = None
    load_errors: tuple[str, ...] = ()
    lora_b_all_zero: bool | None = None
    nonfinite: bool | None = None
    module_norms: dict[str, float] = field(default_factory=dict)
    config_lines: dict[str, int] = field(default_factory=dict)
    problems: tuple[EvidenceProblem, ...] = ()
    # Derived data for the adapter-integrity rules (see auditor/verify/__init__.py).
    config_ranks: tuple[int, ...] = ()
    scale_divisor: float | None = None
    target_module_names: tuple[str, ...] = ()
    config_modules: tuple[str, ...] = ()
    config_layers: tuple[int, ...] = ()
    tensor_module_names: tuple[str, ...] = ()
    module_ranks: dict[str, int] = field(default_factory=dict)
    tensor_count: int | None = None
    local_path_keys: tuple[str, ...] = ()
    base_modules: tuple[str, ...] = ()
    rank_mismatches: tuple[str, ...] = ()
    unchecked_tensors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        exact(self)


@model
class ComputeEstimate(Frozen):
    """Training-compute estimate and the AI Act scope test (GL §17, §63-64, §132)."""

    base_model: str | None = None
    base_parameters: float | None = None
    base_tokens: float | None = None
    base_flop: float | None = None
    base_flop_source: str = "unknown"
    ft_tokens: float | None = None
    ft_flop: float | None = None
    one_third_threshold: float | None = None
    ratio: float | None = None
    base_is_gpai: bool | None = None
    base_systemic: bool | None = None
    provider_presumed: bool = False
    assumptions: tuple[str, ...] = ()
    own: bool = False  # the model audited for itself (no base): "base" figures are its own

    def __post_init__(self) -> None:
        exact(self)


def _shapes(cls: type) -> tuple[tuple[str, str], ...]:
    """The fields of ``cls`` that :func:`exact` looks at, with their shape."""
    shapes = {"float | None": "float", "float": "float", "dict[str, float]": "floats"}
    out = [(f.name, shapes[str(f.type)]) for f in fields(cls) if str(f.type) in shapes]
    out += [(f.name, "tuple") for f in fields(cls) if str(f.type).startswith("tuple[")]
    return tuple(out)


def exact(obj: Any) -> None:
    """Give the evidence and the estimate exactly their declared types, as pydantic did.

    Both are built from numbers read in JSON configs and tensor headers or computed (``verify``,
    ``compute``), where a whole number stands for a float (``lora_alpha: 16``) and a list for a
    tuple: the report writes ``16.0``, and a frozen model must hold tuples to be hashable.
    """
    for name, shape in _SHAPES[type(obj)]:
        value = getattr(obj, name)
        if shape == "float":
            if type(value) is int:
                object.__setattr__(obj, name, float(value))
        elif shape == "tuple":
            if type(value) is not tuple:
                object.__setattr__(obj, name, tuple(value))
        elif any(type(v) is int for v in value.values()):
            object.__setattr__(obj, name, {k: float(v) for k, v in value.items()})


_SHAPES = {cls: _shapes(cls) for cls in (AdapterEvidence, ComputeEstimate)}
