"""Claims in a card's fenced code blocks: merge and training recipes, and LoRA configs.

Cards embed the recipe that built the weights. A mergekit YAML names every parent (``models: -
model: org/name``, ``slices: - sources: - model: …``, ``base_model:``) and the ``merge_method``; an
axolotl YAML names the ``base_model`` it trained; a ``LoraConfig(r=16, lora_alpha=32, …)`` call,
a ``lora_config = {...}`` dict or a ``peft_config`` states the adapter's rank, alpha, dropout,
target modules and layers. Each becomes a claim with its line, like a table row would.

Blocks are read line by line with regular expressions, never with a YAML or Python parser: a card
is untrusted text and the recipe is only ever a claim, checked against the files elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from auditor.card.document import SrcLine
from auditor.card.lazyre import lazy
from auditor.card.values import PARSERS
from auditor.models import Claim, ClaimValue, Location, Statement, is_repo_id

# "  - model: org/name", "base_model: org/name", "merge_method: slerp" (quotes allowed).
_YAML = lazy(r"^\s*(?:-\s+)?(base_model|model|merge_method)\s*:\s*['\"]?([^\s'\"#,\]}]+)")
# Keys that make a YAML block a training recipe (axolotl and similar trainers).
_TRAINING_KEYS = lazy(
    r"^\s*(?:datasets|adapter|lora_r|sequence_len|micro_batch_size|num_epochs|learning_rate)\s*:",
    re.M,
)
_LORA_OPEN = lazy(
    r"\bLoraConfig\s*\(|\b(?:lora|peft)_config\s*=\s*(?:\{|dict\s*\()|\bpeft_config\s*[:=]\s*\{"
)
_LORA_KEY = lazy(
    r"""['"]?\b(r|lora_r|lora_alpha|lora_dropout|target_modules|layers_to_transform)\b['"]?"""
    r"""\s*[=:]\s*(\[[^\]\n]{0,400}\]?|[-+\w.'"]+)"""
)
_LORA_NAMES = {
    "r": "rank",
    "lora_r": "rank",
    "lora_alpha": "alpha",
    "lora_dropout": "dropout",
    "target_modules": "target_modules",
    "layers_to_transform": "layers",
}
_MAX_CALL_LINES = 40  # a LoraConfig call spans a few lines; stop reading after this many


def _claim(name: str, value: ClaimValue, raw: str, file: str, line: int) -> Claim:
    return Claim(
        name=name,
        value=value,
        raw=raw[:200],
        source="code",
        location=Location(file=file, line=line),
    )


def recipe_lineage(
    blocks: Sequence[tuple[SrcLine, ...]], file: str
) -> tuple[list[Claim], list[Statement]]:
    """Parents named by merge recipes and the base of training recipes, and each merge method.

    A ``model:`` entry counts only in a block with a ``merge_method``; a ``base_model:`` in a
    block that is a merge or a training recipe. Only Hub repo ids are kept (a local path names
    nothing the audit can follow).
    """
    bases: list[Claim] = []
    merges: list[Statement] = []
    for block in blocks:
        found = [
            (m.group(1), m.group(2), line, text) for line, text in block if (m := _YAML.match(text))
        ]
        method = next(((v, line, text) for k, v, line, text in found if k == "merge_method"), None)
        training = bool(_TRAINING_KEYS.search("\n".join(text for _, text in block)))
        if method is None and not training:
            continue
        if method is not None:
            where = Location(file=file, line=method[1])
            merges.append(
                Statement(
                    kind="merge-recipe",
                    text=method[2].strip()[:400],
                    value=method[0],
                    location=where,
                )
            )
        for key, value, line, text in found:
            keep = key == "base_model" or (key == "model" and method is not None)
            if keep and is_repo_id(value):
                bases.append(_claim("base_model", value, text.strip(), file, line))
    return bases, merges


def lora_config_claims(blocks: Sequence[tuple[SrcLine, ...]], file: str) -> list[Claim]:
    """Rank, alpha, dropout, target modules and layers of each LoRA config in the code."""
    out: list[Claim] = []
    for block in blocks:
        i = 0
        while i < len(block):
            if not _LORA_OPEN.search(block[i][1]):
                i += 1
                continue
            call = block[i : i + _MAX_CALL_LINES]
            for j, (line, text) in enumerate(call):
                out.extend(_lora_keys(text, line, file))
                if _balanced(call[: j + 1]):
                    break
            i += j + 1
    return out


def _lora_keys(text: str, line: int, file: str) -> list[Claim]:
    out = []
    for m in _LORA_KEY.finditer(text):
        name = _LORA_NAMES[m.group(1)]
        raw = m.group(2)
        if name == "target_modules" and raw[:1] not in "['\"":
            continue  # target_modules=modules: a variable, not a claim
        value = PARSERS[name](raw.strip("[]'\""))
        if value is not None:
            out.append(_claim(name, value, m.group(0), file, line))
    return out


def _balanced(lines: Sequence[SrcLine]) -> bool:
    """Have the brackets opened on the config's first line all closed by the last of ``lines``?"""
    depth = sum(text.count(c) for _, text in lines for c in "([{")
    return depth <= sum(text.count(c) for _, text in lines for c in ")]}")
