"""Lineage references of one card: which upstream repos it names, and how it relates to them.

The graph stage follows these references. A base comes from ``base_model`` (or, when the front
matter declares none, from the Hub ids the body names: prose, links, merge and training recipes);
a dataset from ``datasets``. The relation uses the Hub's ``base_model_relation`` vocabulary
(adapter, finetune, merge, quantized): declared by the card or its ``base_model:<relation>:<id>``
tags, else inferred from the repo's own files, name and card (``_inferred_relation``). Rules whose
premise is training (a fine-tune declaring no datasets) do not hold for a quantisation or a merge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from auditor.lazyre import lazy
from auditor.models import CardClaims, Location, Relation, RepoKind, RepoSnapshot, is_repo_id
from auditor.records import record

_HUB_URL = lazy(r"^https?://(?:www\.)?huggingface\.co/([\w.-]+/[\w.-]+?)/?$")
# Files that make a repo an adapter (mlx-lm and PEFT layouts).
_ADAPTER_FILES = frozenset(
    {
        "adapter_config.json",
        "adapters.safetensors",
        "adapter_model.safetensors",
        "adapter_model.bin",
    }
)
# The Hub's base_model_relation vocabulary (also the tag prefix "base_model:<relation>:<id>").
_RELATIONS: dict[str, Relation] = {
    "adapter": "adapter_of",
    "finetune": "finetune_of",
    "merge": "merge_of",
    "quantized": "quantized_of",
}


@record
class Ref:
    """One reference from a card to an upstream repo."""

    target: str
    kind: RepoKind
    relation: Relation
    inferred: bool
    location: Location | None
    unresolvable: str | None = None  # why the walk must not look it up (a name without an org)
    stated_license: str | None = None  # the license the card itself names for it (last resort)


_QUANT_NAME = lazy(
    r"(?:^|[-_.])(?:gguf|ggml|gptq|awq|exl2|int[48]|[2-8]-?bits?|bnb|nf4|fp8|llamafile"
    r"|q[2-8]_k(?:_[sml])?|q[2-8]_[01])(?:$|[-_.])",
    re.I,
)
_QUANT_FILE = lazy(r"\.(?:gguf|ggml|llamafile)$|^quantize_config\.json$", re.I)
# A base the body names without its org ("based on LLaMA"): an unresolved node, never a guess.
_BARE = "named without its org in the card body; no org is guessed"
_MERGE_TAGS = frozenset({"merge", "mergekit", "lazymergekit"})


def _inferred_relation(snapshot: RepoSnapshot | None, claims: CardClaims) -> Relation:
    """The relation to a base when the card does not state it, from the repo's own evidence.

    Adapter files make an adapter; a quantisation marker in the repo name (-GGUF, -AWQ, -GPTQ,
    -4bit, -bnb-4bit, -Int4, llamafile), quantised files (.gguf, quantize_config.json) or a
    ``quantized_by`` with a card sentence saying it was quantised make a quantisation; several
    bases, a merge tag, a mergekit recipe or mergekit_config.yml make a merge; else a fine-tune.
    """
    meta = claims.metadata
    paths = snapshot.files if snapshot else ()
    files = {f.rsplit("/", 1)[-1] for f in paths}
    kinds = {s.kind for s in claims.statements}
    name = snapshot.repo_id.rsplit("/", 1)[-1] if snapshot else ""
    if files & _ADAPTER_FILES:
        return "adapter_of"
    if (
        _QUANT_NAME.search(name)
        or any(_QUANT_FILE.search(f) for f in files)
        or ("quantized_by" in meta.lines and "quantization" in kinds)
    ):
        return "quantized_of"
    tags = {t.lower() for t in meta.tags}
    if (
        len(meta.base_model) > 1
        or tags & _MERGE_TAGS
        or "merge-recipe" in kinds
        or "mergekit_config.yml" in files
    ):
        return "merge_of"
    return "finetune_of"


def _base_relations(
    snapshot: RepoSnapshot | None, claims: CardClaims, bases: Sequence[str]
) -> dict[str, tuple[Relation, bool]]:
    """base id -> (relation, inferred): base_model_relation, then Hub tags, then inference."""
    meta = claims.metadata
    declared = _RELATIONS.get((meta.base_model_relation or "").strip().lower())
    tagged: dict[str, Relation] = {}
    for tag in meta.tags:
        parts = tag.split(":", 2)
        if len(parts) == 3 and parts[0] == "base_model" and parts[1] in _RELATIONS:
            tagged.setdefault(parts[2], _RELATIONS[parts[1]])
    guess = _inferred_relation(snapshot, claims)
    out: dict[str, tuple[Relation, bool]] = {}
    for base in bases:
        if declared:
            out[base] = (declared, False)
        elif base in tagged:
            out[base] = (tagged[base], False)
        else:
            out[base] = (guess, True)
    return out


def _hub_id(ref: str) -> str:
    """A base given as a Hub URL ("https://huggingface.co/org/name") is that repo id."""
    m = _HUB_URL.match(ref.strip())
    return m.group(1) if m else ref.strip()


def references(snapshot: RepoSnapshot | None, claims: CardClaims) -> list[Ref]:
    """The card's upstream references: ``base_model`` and ``datasets`` from the front matter.

    A card without ``base_model`` that names its base in the body (prose, a link, a merge or
    training recipe) gets those Hub ids as inferred references, at the line that names them, so
    the chain rules see the parents' licenses (a NonCommercial parent of a merge included).
    """
    meta = claims.metadata

    def where(field: str) -> Location:
        return Location(file=claims.file, line=meta.lines.get(field))

    bases = {_hub_id(b): where("base_model") for b in meta.base_model}
    from_body = not bases
    if from_body:
        for claim in claims.base_models_in_prose:
            value = str(claim.value)
            if is_repo_id(value) and value.lower() not in {b.lower() for b in bases}:
                bases[value] = claim.location
    refs = [
        Ref(
            base,
            RepoKind.MODEL,
            rel,
            inferred or from_body,
            bases[base],
            _BARE if from_body and "/" not in base else None,
            stated_license(claims, base),
        )
        for base, (rel, inferred) in _base_relations(snapshot, claims, list(bases)).items()
    ]
    for dataset in meta.datasets:
        target = dataset.strip().removeprefix("datasets/")
        refs.append(Ref(target, RepoKind.DATASET, "trained_on", False, where("datasets"),
                        stated_license=stated_license(claims, target)))  # fmt: skip
    return [r for r in refs if r.target]


def stated_license(claims: CardClaims, target: str) -> str | None:
    """The license this card names for ``target`` ("trained on org/data, released under
    CC-BY-SA", "org/base: apache-2.0"): a mention in a sentence that names the target and is
    not about these weights. Evidence of last resort, used only when the target cannot be
    resolved."""
    key = target.lower()
    for mention in claims.license_mentions:
        if mention.subject != "weights" and key in mention.text.lower():
            return mention.license
    return None
