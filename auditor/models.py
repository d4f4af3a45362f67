"""Data model: the frozen pydantic objects the pipeline stages exchange.

Stages talk only through these types (docs/architecture.md, "Data model"). Everything here is
JSON-able: the JSON report is ``AuditReport.model_dump(mode="json")`` and the facts document
that policies see is ``Facts.model_dump(mode="json")``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"

ScalarValue = int | float | str | bool
ClaimValue = int | float | str | list[str]


class Frozen(BaseModel):
    """Base class: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# Hub repo ids: "name" or "org/name" (HF naming rules). Here, in the data model, because the
# sources stage and the graph stage both need it and stages share only this module.
_REPO_ID = re.compile(r"^(?:[A-Za-z0-9][\w.-]{0,95}/)?[A-Za-z0-9][\w.-]{0,95}$")


def is_repo_id(text: str) -> bool:
    """True when ``text`` is shaped like a Hub repo id (``org/name``), with no ``..``."""
    return bool(_REPO_ID.match(text)) and ".." not in text


class RepoKind(StrEnum):
    """What kind of Hub repository a node is."""

    MODEL = "model"
    DATASET = "dataset"


class Severity(StrEnum):
    """Finding severity, ordered error > warning > note > info: the one declaration of the
    vocabulary (rule packs, ``--fail-on``, report counts and formats all derive from it).

    ``info`` records a fact and asks nothing of the reader (the training-compute estimate), so
    ``--fail-on note`` stays usable on a clean repository.
    """

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Numeric order: higher is more severe."""
        return {"info": 0, "note": 1, "warning": 2, "error": 3}[self.value]


# ``--fail-on`` levels: a severity (the run fails on findings at or above it) or never.
FAIL_ON: dict[str, int] = {**{s.value: s.rank for s in Severity}, "never": 99}

# ``--verify`` levels: what the verify stage reads (nothing, safetensors headers, a load).
VerifyLevel = Literal["none", "header", "load"]
VERIFY_LEVELS: tuple[VerifyLevel, ...] = get_args(VerifyLevel)

# A node's place in the lineage, and how a repository was made from an upstream one.
Role = Literal["subject", "base", "dataset"]
Relation = Literal["adapter_of", "finetune_of", "merge_of", "quantized_of", "trained_on"]


class Location(Frozen):
    """A place in an audited file; ``line`` is 1-based."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


# --------------------------------------------------------------------------- sources


class Target(Frozen):
    """What the user asked to audit: a Hub id (``org/name``, ``datasets/org/name``) or a path."""

    spec: str
    repo_id: str | None = None
    kind: RepoKind = RepoKind.MODEL
    path: str | None = None
    revision: str | None = None


class RepoSnapshot(Frozen):
    """A repository pinned where possible to a revision, with its file listing."""

    repo_id: str
    kind: RepoKind
    origin: Literal["local", "git", "mirror", "cache", "hub"]
    location: str
    revision: str | None = None
    files: tuple[str, ...] = ()
    gated: bool = False
    ref: str | None = None  # the revision asked for (branch, tag, refs/pr/N); revision is its sha
    # A git work tree whose files differ from ``revision`` (uncommitted or untracked changes).
    modified: bool = False
    # Why the file listing stopped early (a cap was reached): ``files`` is partial. Files the audit
    # reads are still looked up by path; this is a finding, never a reason to call a file missing.
    listing_truncated: str | None = None


# --------------------------------------------------------------------------- card


class Claim(Frozen):
    """One fact a card states, e.g. ``rank = 16`` from a table row, with where it was said."""

    name: str
    value: ClaimValue
    raw: str
    source: Literal["table", "prose", "list", "pst", "front-matter", "rendered", "code"]
    location: Location


class LicenseMention(Frozen):
    """A license named in the card body, normalised, with its sentence."""

    license: str
    text: str
    context: Literal["prose", "chain-subject", "chain-upstream", "license-section"]
    about_subject: bool  # about these weights: the only mentions license.conflict-in-card reads
    location: Location
    # Whom the sentence is about (auditor.card.subjects): these weights, the code, the docs, a
    # dataset, results/outputs, an upstream model, or "unknown" (no cue either way).
    subject: Literal["weights", "code", "docs", "dataset", "results", "upstream", "unknown"] = (
        "unknown"
    )


class ChainRow(Frozen):
    """A row of a "License chain" table."""

    component: str
    license_text: str
    license: str | None
    is_subject: bool
    location: Location


class Statement(Frozen):
    """A compliance statement recognised in the card (kinds are listed in docs/facts.md)."""

    kind: str
    text: str
    value: str | None = None
    location: Location


class Section(Frozen):
    """A Markdown heading of the card body."""

    title: str
    level: int
    line: int


class CardProblem(Frozen):
    """Something wrong with the card as a document (becomes a ``card.*`` finding)."""

    kind: Literal[
        "missing",
        "front-matter-missing",
        "front-matter-invalid",
        "field-type",
        "truncated",
        "flattened",
        "unreadable",
    ]
    message: str
    location: Location


class CardMetadata(Frozen):
    """The YAML front matter, normalised once into strict types."""

    license: tuple[str, ...] = ()
    license_name: str | None = None
    license_link: str | None = None
    base_model: tuple[str, ...] = ()
    base_model_relation: str | None = None
    datasets: tuple[str, ...] = ()
    library_name: str | None = None
    tags: tuple[str, ...] = ()
    pipeline_tag: str | None = None
    language: tuple[str, ...] = ()
    gated: bool = False
    extra_gated_prompt: str | None = None
    lines: dict[str, int] = Field(default_factory=dict)


class PstField(Frozen):
    """A field of the AI Office training-content summary template found in the card."""

    key: str
    label: str
    value: str
    location: Location


class PstSummary(Frozen):
    """The training-content summary (template of 2025-07-24) as found in the card."""

    sections: tuple[str, ...] = ()
    fields: tuple[PstField, ...] = ()
    links: tuple[str, ...] = ()


class CardClaims(Frozen):
    """Everything a card claims, each with its file and line."""

    file: str = "README.md"
    present: bool = True
    metadata: CardMetadata = CardMetadata()
    hyperparameters: tuple[Claim, ...] = ()
    base_models_in_prose: tuple[Claim, ...] = ()
    license_mentions: tuple[LicenseMention, ...] = ()
    chain_rows: tuple[ChainRow, ...] = ()
    statements: tuple[Statement, ...] = ()
    sections: tuple[Section, ...] = ()
    pst: PstSummary | None = None
    dialects: tuple[str, ...] = ()
    problems: tuple[CardProblem, ...] = ()


# --------------------------------------------------------------------------- licenses and graph


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


class LicenseGraph(Frozen):
    """The lineage of the subject: nodes in walk order, edges, walk problems (cycles, depth)."""

    subject: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...] = ()
    problems: tuple[str, ...] = ()


# --------------------------------------------------------------------------- verification


class EvidenceProblem(Frozen):
    """A problem found while collecting adapter evidence (never a pass/fail decision)."""

    kind: str
    message: str
    location: Location | None = None


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
    hyperparameters: dict[str, ScalarValue] = Field(default_factory=dict)
    base_model: str | None = None
    base_model_is_path: bool = False
    base_resolved: bool = False
    local_paths: tuple[str, ...] = ()
    verified_with: str = "none"
    load_ok: bool | None = None
    load_errors: tuple[str, ...] = ()
    lora_b_all_zero: bool | None = None
    nonfinite: bool | None = None
    module_norms: dict[str, float] = Field(default_factory=dict)
    config_lines: dict[str, int] = Field(default_factory=dict)
    problems: tuple[EvidenceProblem, ...] = ()
    # Derived data for the adapter-integrity rules (see auditor/verify/__init__.py).
    config_ranks: tuple[int, ...] = ()
    scale_divisor: float | None = None
    target_module_names: tuple[str, ...] = ()
    config_modules: tuple[str, ...] = ()
    config_layers: tuple[int, ...] = ()
    tensor_module_names: tuple[str, ...] = ()
    module_ranks: dict[str, int] = Field(default_factory=dict)
    tensor_count: int | None = None
    local_path_keys: tuple[str, ...] = ()
    base_modules: tuple[str, ...] = ()
    rank_mismatches: tuple[str, ...] = ()
    unchecked_tensors: tuple[str, ...] = ()


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


# ------------------------------------------------------------------ facts, findings, report


class Facts(Frozen):
    """The one document per target that policies see (``ailiance-audit facts TARGET``)."""

    schema_version: str = SCHEMA_VERSION
    subject: Node
    upstream: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = ()
    card: CardClaims
    adapter: AdapterEvidence
    compute: ComputeEstimate
    files: tuple[str, ...] = ()
    derived: dict[str, Any] = Field(default_factory=dict)


class Waiver(Frozen):
    """A suppression declared in the audited repo's ``.ailiance-audit.yaml``."""

    rule: str
    node: str | None = None
    reason: str
    owner: str
    expires: str
    location: Location | None = None


class Finding(Frozen):
    """One rule violation, with its evidence and location."""

    rule_id: str
    severity: Severity
    title: str
    message: str
    node: str
    location: Location | None = None
    tags: tuple[str, ...] = ()
    basis: str | None = None
    fix: str | None = None
    pack: str | None = None
    help_uri: str | None = None
    # A one-line form of ``message`` for the terminal and Markdown (the full text stays here).
    summary: str | None = None
    evidence: dict[str, str] = Field(default_factory=dict)
    suppressed_by: Waiver | None = None
    fingerprint: str = ""


def finding_order(f: Finding) -> tuple[int, str, str, str, int, str]:
    """The report order of findings: most severe first, then rule id, node, file, line, message."""
    loc = f.location or Location(file="")
    return (-f.severity.rank, f.rule_id, f.node, loc.file, loc.line or 0, f.message)


class TargetReport(Frozen):
    """Everything the audit established for one target."""

    target: Target
    status: Literal["audited", "unresolved", "failed", "interrupted"]
    error: str | None = None
    # Why the audit of this target is incomplete: upstream repos or files it could not look at
    # (network, rate limit, no access, offline cache miss). Empty: the audit ran completely.
    incomplete: tuple[str, ...] = ()
    snapshot: RepoSnapshot | None = None
    graph: LicenseGraph | None = None
    claims: CardClaims | None = None
    evidence: AdapterEvidence | None = None
    compute: ComputeEstimate | None = None
    findings: tuple[Finding, ...] = ()
    # Baseline comparison (--baseline; auditor/baseline.py): fingerprints of the findings that are
    # new and of those already present, and the baseline's findings that are gone.
    baseline_new: tuple[str, ...] = ()
    baseline_unchanged: tuple[str, ...] = ()
    baseline_fixed: tuple[Finding, ...] = ()


class Summary(Frozen):
    """Counts over all targets (suppressed findings are counted apart)."""

    targets: int = 0
    unresolved: int = 0
    incomplete: int = 0
    error: int = 0
    warning: int = 0
    note: int = 0
    info: int = 0
    suppressed: int = 0


class ToolInfo(Frozen):
    """Which tool produced the report."""

    name: str = "ailiance-audit"
    version: str


class AuditReport(Frozen):
    """The result of one run: one entry per target plus a summary."""

    schema_version: str = SCHEMA_VERSION
    tool: ToolInfo
    policy: tuple[str, ...] = ()
    targets: tuple[TargetReport, ...] = ()
    summary: Summary = Summary()
    # What --baseline compared against ("git ref main (sha)", "report FILE"); None: no baseline.
    baseline: str | None = None
