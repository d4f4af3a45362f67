"""Card sync: a training-content summary skeleton in the AI Office template's order (1.1 … 3.3).

Template of 24 July 2025 (C(2025) 5235; docs/legal-basis.md §3): the section numbers and titles are
the template's, so the card parser recognises them (``auditor.card.pst``). Fields the evidence
establishes are filled: model dependencies (the base from ``adapter_config.json``), the modality
of an mlx-lm LoRA (its trainer trains language models on text), the size bucket from the
fine-tuning token upper bound (iterations × batch × max sequence length, all from the config),
and the public datasets declared in ``datasets:``. Every other field is marked
"TO BE COMPLETED BY THE PROVIDER" and written so that the audit still reports it as missing.

Labels avoid the words the parser takes for compliance statements (a crawling, opt-out or
authorised-representative claim): a placeholder must never read as an answer.
"""

from __future__ import annotations

from auditor.models import AdapterEvidence, Facts, Node, RepoKind
from auditor.sync.common import Rendered, code, filled_field, gap_field, grouped, hub_link, text

TITLE = "Public summary of training content (AI Office template, 24 July 2025)"
_BILLION = 1e9


def _tokens(ev: AdapterEvidence) -> tuple[int, str] | None:
    """Upper bound of the tokens processed, when all three factors are in the mlx-lm config."""
    if ev.format != "mlx-lm":
        return None
    hp = ev.hyperparameters
    factors = [hp.get(k) for k in ("iterations", "batch_size", "max_seq_length")]
    if not all(isinstance(f, int) and not isinstance(f, bool) and f > 0 for f in factors):
        return None
    iters, batch, seq = (int(f) for f in factors)  # type: ignore[arg-type]
    how = f"{iters} iterations × batch size {batch} × max sequence length {seq}"
    return iters * batch * seq, how


def _general(facts: Facts, level: int) -> list[str]:
    """Section 1: provider (1.1), model (1.2), modalities and size (1.3)."""
    ev = facts.adapter
    h = "#" * level
    out = [f"{h}# 1. General information", "", f"{h}## 1.1. Provider identification", ""]
    out += gap_field("Provider name and contact details")
    out += gap_field(
        "Authorised representative name and contact details",
        "write “Not applicable” when no representative is needed",
    )
    out += ["", f"{h}## 1.2. Model identification", ""]
    out += gap_field("Versioned model name(s)")
    base = ev.base_model if ev.base_model and not ev.base_model_is_path else None
    if base:
        kind = "LoRA adapter" if ev.fine_tune_type in ("lora", "dora") else "fine-tune"
        link = hub_link(base)
        out += filled_field(
            "Model dependencies",
            f"{kind} of the general-purpose AI model {code(base)}"
            + (f" ({link})" if link else "")
            + "; link to that model's public summary of training content: _TO BE COMPLETED BY "
            "THE PROVIDER_",
        )
    else:
        out += gap_field("Model dependencies")
    out += gap_field("Date of placement of the model on the Union market")
    return [*out, "", *_modalities(ev, level)]


def _modalities(ev: AdapterEvidence, level: int) -> list[str]:
    """Section 1.3: the modality and size an mlx-lm config establishes; the rest are gaps."""
    out = [
        f"{'#' * level}## 1.3. Modalities, overall training data size and other characteristics",
        "",
    ]
    if ev.format == "mlx-lm":
        out += filled_field(
            "Modality",
            "☒ Text ☐ Image ☐ Audio ☐ Video ☐ Other (the mlx-lm "
            "trainer fine-tunes language models on text)",
        )
    else:
        out += gap_field("Modality")
    size = _tokens(ev)
    if size is not None and size[0] < _BILLION:
        out += filled_field(
            "Training data size",
            "☒ Less than 1 billion tokens ☐ 1 billion to "
            "10 trillion tokens ☐ More than 10 trillion tokens",
        )
        out += filled_field(
            "Approximate size in alternative units",
            f"at most {grouped(size[0])} tokens processed in fine-tuning "
            f"({size[1]}, from adapter_config.json)",
        )
    else:
        out += gap_field("Training data size")
    for label in (
        "Types of content",
        "Latest date of data acquisition or collection",
        "Linguistic characteristics",
        "Other characteristics",
    ):
        out += gap_field(label)
    return out


def _datasets(facts: Facts) -> list[Node]:
    return [n for n in facts.upstream if n.role == "dataset" and n.depth == 1]


def _sources(facts: Facts, level: int) -> list[str]:
    h = "#" * level
    out = [f"{h}# 2. List of data sources", "", f"{h}## 2.1. Publicly available datasets", ""]
    listed = []
    for node in _datasets(facts):
        lic = (
            text(node.license.declared, 60)
            if node.resolved and node.license.declared
            else ("license not established")
        )
        link = hub_link(node.id.removeprefix("datasets/"), node.kind == RepoKind.DATASET)
        listed.append(f"{code(node.id)} ({lic}{', ' + link if link else ''})")
    if listed:
        out += filled_field("Publicly available datasets used", "; ".join(listed))
    else:
        out += gap_field("Publicly available datasets used")
    out += gap_field("General description of the other publicly available data")
    out += [
        "",
        f"{h}## 2.2. Private non-publicly available datasets obtained from third parties",
        "",
        f"{h}### 2.2.1. Datasets commercially licensed by rightsholders or their representatives",
        "",
    ]
    out += gap_field("Commercially licensed datasets and their modalities")
    out += ["", f"{h}### 2.2.2. Other private datasets obtained from third parties", ""]
    out += gap_field("Other private third-party datasets and their modalities")
    sections = (
        (
            "2.3. Data crawled and scraped by or on behalf of the provider",
            "Crawlers, their purpose and behaviour, collection period and main domain names",
        ),
        ("2.4. User data", "Data from user interactions and from the provider's other services"),
        (
            "2.5. Synthetic data",
            "Synthetic data created by or for the provider, and the models used to create it",
        ),
        ("2.6. Other sources of data", "Other sources"),
    )
    for title, label in sections:
        out += ["", f"{h}## {title}", "", *gap_field(label)]
    return out


def _processing(level: int) -> list[str]:
    h = "#" * level
    out = [
        f"{h}# 3. Data processing aspects",
        "",
        f"{h}## 3.1. Respect of reservations of rights from text and data mining exception or "
        "limitation",
        "",
    ]
    out += gap_field(
        "Code of Practice signatory, and measures taken before and during data collection"
    )
    out += ["", f"{h}## 3.2. Removal of illegal content", ""]
    out += gap_field("Measures taken to remove illegal content")
    out += [
        "",
        f"{h}## 3.3. Other information",
        "",
        "Fields filled above come from the repository's adapter_config.json, its tensors and "
        "the datasets declared in the front matter; the provider completes and checks the "
        "rest.",
    ]
    return out


def render(facts: Facts, level: int) -> Rendered | None:
    """The ``training-summary`` section (its sub-headings start one level below ``level``)."""
    if facts.subject.kind != RepoKind.MODEL or not (
        facts.adapter.present or facts.card.metadata.base_model
    ):
        return None
    body = [
        "Generated skeleton: every field marked as to be completed needs the provider's "
        "input before this summary can be relied on.",
        "",
    ]
    body += gap_field("Version of the summary") + gap_field("Last update (DD/MM/YYYY)")
    body += ["", *_general(facts, level), "", *_sources(facts, level), "", *_processing(level)]
    gaps = ("training-content summary: the fields marked TO BE COMPLETED BY THE PROVIDER",)
    return Rendered(role="training-summary", title=TITLE, body=tuple(body), gaps=gaps)
