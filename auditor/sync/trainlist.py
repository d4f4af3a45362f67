"""Card sync: the training hyperparameters as the Hugging Face Trainer writes them.

A Trainer card lists its hyperparameters as bullets under ``### Training hyperparameters``
(``- learning_rate: 2e-05``). Sync updates that list where it stands instead of adding a second
Training section: a bullet stays byte-identical unless the evidence (``adapter_config.json``, the
tensors) records the same hyperparameter with another value, in which case only its value is
rewritten; what the evidence establishes and the list lacks (LoRA rank, alpha, dropout, target
modules) is appended in the same ``key: value`` form. Bullets the evidence does not cover (the
learning rate a PEFT config does not record, ``lr_scheduler_type``…) are the author's and are
kept; what neither states is a note for a person, never a "not recorded" line in the card.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from auditor.card import parse_card
from auditor.card.text import clean
from auditor.card.values import canonical, label_key
from auditor.models import AdapterEvidence, Facts
from auditor.sync.common import Rendered, number
from auditor.sync.training import NOT_RECORDED, alpha_shown, plain

# Claim name -> the key written for it, in the order new bullets are appended.
KEYS = {
    "rank": "lora_r",
    "alpha": "lora_alpha",
    "scale": "lora_scale",
    "dropout": "lora_dropout",
    "target_modules": "lora_target_modules",
    "learning_rate": "learning_rate",
    "batch_size": "train_batch_size",
    "grad_accumulation": "gradient_accumulation_steps",
    "iterations": "training_steps",
    "max_seq_length": "max_seq_length",
    "optimizer": "optimizer",
    "seed": "seed",
}
_ARGUMENTS = ("learning_rate", "batch_size", "grad_accumulation", "iterations", "optimizer")
_BULLET = re.compile(r"^(?P<lead>\s*[-*+]\s+)(?P<label>[^:]+?)(?P<sep>\s*:\s*)(?P<value>.*?)\s*$")


def evidence_values(ev: AdapterEvidence) -> dict[str, str]:
    """Claim name -> value, for what the adapter's files establish (tensors first)."""
    out: dict[str, str] = {}
    ranks = sorted(set(ev.tensor_ranks)) or ([ev.rank] if ev.rank is not None else [])
    if ranks:
        out["rank"] = ", ".join(map(str, ranks))
    if alpha_shown(ev) and ev.alpha is not None:
        out["alpha"] = plain(ev.alpha)
    if ev.scale is not None and ev.format == "mlx-lm":  # PEFT derives it from alpha and r
        out["scale"] = number(ev.scale)
    if ev.dropout is not None:
        out["dropout"] = number(ev.dropout)
    modules = ev.tensor_modules or ev.target_modules
    if modules:
        out["target_modules"] = ", ".join(modules)
    for name in ("learning_rate", "batch_size", "grad_accumulation", "iterations",
                 "max_seq_length", "optimizer", "seed"):  # fmt: skip
        if ev.hyperparameters.get(name) is not None:
            out[name] = plain(ev.hyperparameters[name])
    return out


def _owner(label: str) -> str | None:
    """The claim name a bullet's label states, if sync owns it (``seed`` by its key)."""
    name = canonical(label)
    if name in KEYS:
        return name
    return next((n for n, key in KEYS.items() if label_key(key) == label_key(label)), None)


def _read(key: str, value: str) -> object:
    """The value the audit reads from ``- key: value`` (so equal values are left alone)."""
    claims = parse_card(f"## Training hyperparameters\n\n- {key}: {value}\n").hyperparameters
    return claims[0].value if claims else clean(value).lower()


def _agrees(key: str, card_value: str, evidence: str) -> bool:
    return _read(key, card_value) == _read(key, evidence)


def render_list(facts: Facts, old: Sequence[str]) -> Rendered | None:
    """The ``training`` list: ``old`` (the list's raw lines) updated from the evidence."""
    ev = facts.adapter
    if not ev.present or ev.config_file is None:
        return None
    values = evidence_values(ev)
    body: list[str] = []
    stated: set[str] = set()
    for raw in old:
        m = _BULLET.match(raw)
        name = _owner(m["label"]) if m else None
        if m is None or name is None:
            body.append(raw)
            if m is not None and (claim := canonical(m["label"])):
                stated.add(claim)
            continue
        stated.add(name)
        if name in values and not _agrees(m["label"], m["value"], values[name]):
            raw = f"{m['lead']}{m['label']}{m['sep']}{values[name]}"
        body.append(raw)
    lead = next((m["lead"] for raw in old if (m := _BULLET.match(raw))), "- ")
    body += [f"{lead}{KEYS[name]}: {value}" for name, value in values.items() if name not in stated]
    gaps = tuple(
        f"training hyperparameters: {name.replace('_', ' ')} is {NOT_RECORDED} and the card "
        "does not state it"
        for name in _ARGUMENTS
        if name not in values and name not in stated
    )
    return Rendered(role="training", title="Training hyperparameters", body=tuple(body), gaps=gaps)


def is_list(inner: Sequence[str]) -> bool:
    """Whether a marked training region holds a bullet list (not a table)."""
    lines = [ln.rstrip("\r\n") for ln in inner if ln.strip()]
    return bool(lines) and all(_BULLET.match(ln) for ln in lines)
