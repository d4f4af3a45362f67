"""Card sync: the training hyperparameter table, written from ``adapter_config.json`` and tensors.

Every value comes from the verify stage's evidence (``AdapterEvidence``): the tensors win where
they can say something (rank, adapted modules and layers, trainable parameters), the config says
the rest. What neither records is written as a gap, never guessed. Row labels are the
card parser's canonical labels ("Rank", "Scale", "Layers", …) so the audit reads back exactly the
values written here. An mlx-lm ``alpha`` is written only when it agrees with the scale: mlx-lm
ignores it (its LoRA layers multiply by ``scale`` only), and a disagreeing alpha on the card would
be a false claim.

Rows of the replaced table that state something the evidence does not cover (e.g. "Hardware")
are carried over in a second table, marked as the publisher's statements.
"""

from __future__ import annotations

from collections.abc import Sequence

from auditor.card import parse_card
from auditor.card.text import clean
from auditor.models import AdapterEvidence, Facts, Node
from auditor.sync.common import Rendered, cell, code, grouped, number, table, text

CONFIG = "`adapter_config.json`"
TENSORS = "tensors"
NOT_RECORDED = "not recorded in adapter_config.json"
_HEADER = ("Hyperparameter", "Value", "Established by")
_TRAINING_ARGS = (
    ("Optimizer", "optimizer"),
    ("Learning rate", "learning_rate"),
    ("Iterations", "iterations"),
    ("Batch size", "batch_size"),
    ("Gradient accumulation", "grad_accumulation"),
    ("Max seq length", "max_seq_length"),
)
_EXTRA = {"seed": "Seed", "lr_schedule": "LR schedule"}
_METHODS = {"lora": "LoRA", "dora": "DoRA", "full": "full fine-tune", "qlora": "QLoRA"}
Row = tuple[str, str, str]


def plain(value: object) -> str:
    """A config value as card text: integral numbers without ".0", strings escaped."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return number(value)
    return text(value, 80) if isinstance(value, str) else str(value)


def _ranges(values: Sequence[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``0-2, 5``."""
    out: list[str] = []
    items = sorted(set(values))
    i = 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and items[j + 1] == items[j] + 1:
            j += 1
        out.append(str(items[i]) if i == j else f"{items[i]}-{items[j]}")
        i = j + 1
    return ", ".join(out)


def alpha_shown(ev: AdapterEvidence) -> bool:
    """Whether the card may state alpha: PEFT uses it; mlx-lm only if alpha/rank equals scale."""
    if ev.alpha is None:
        return False
    if ev.format != "mlx-lm":
        return True
    if ev.scale is None or not ev.scale_divisor:
        return False
    return abs(ev.alpha / ev.scale_divisor - ev.scale) <= 0.005 * abs(ev.scale) + 1e-9


def _base_rows(ev: AdapterEvidence, base: Node | None) -> list[Row]:
    if ev.base_model and not ev.base_model_is_path:
        rows = [("Base model", code(ev.base_model), CONFIG)]
    elif ev.base_model:
        rows = [("Base model", "a local path, not a Hub id", CONFIG)]
    else:
        rows = [("Base model", NOT_RECORDED, "—")]
    pinned = base.revision if base is not None else None
    where = f"; the audit resolved it at {code(pinned)}" if pinned else ""
    rows.append(("Base model revision", f"not recorded by the trainer{where}", "—"))
    return rows


def _method(ev: AdapterEvidence) -> Row | None:
    if ev.fine_tune_type is None:
        return None
    method = _METHODS.get(ev.fine_tune_type) or code(ev.fine_tune_type)
    library = {"mlx-lm": "`mlx-lm`", "peft": "PEFT"}.get(ev.format or "")
    return ("Method", f"{method} via {library}" if library else method, CONFIG)


def _shape_rows(ev: AdapterEvidence) -> list[Row]:
    rows: list[Row] = []
    if ev.tensor_ranks:
        agree = (
            ""
            if ev.rank is None
            else (", config agrees" if ev.rank in ev.tensor_ranks else ", config disagrees")
        )
        rows.append(("Rank", ", ".join(map(str, ev.tensor_ranks)), f"{TENSORS}{agree}"))
    elif ev.rank is not None:
        rows.append(("Rank", str(ev.rank), CONFIG))
    if ev.scale is not None:
        how = "lora_alpha / r" if ev.format == "peft" else "lora_parameters.scale"
        if ev.rslora:
            how = "lora_alpha / sqrt(r)"
        rows.append(("Scale", number(ev.scale), f"{CONFIG}: {how}, the multiplier applied"))
    if alpha_shown(ev) and ev.alpha is not None:
        note = " (mlx-lm applies the scale)" if ev.format == "mlx-lm" else ""
        rows.append(("Alpha", plain(ev.alpha) + note, CONFIG))
    if ev.dropout is not None:
        rows.append(("Dropout", number(ev.dropout), CONFIG))
    modules = ev.tensor_modules or ev.target_modules
    if modules:
        rows.append(
            (
                "Target modules",
                ", ".join(code(m) for m in modules),
                TENSORS if ev.tensor_modules else CONFIG,
            )
        )
    if ev.layers:
        total = f" of {ev.base_num_layers}" if ev.base_num_layers else ""
        rows.append(("Layers", f"{len(ev.layers)} (blocks {_ranges(ev.layers)}{total})", TENSORS))
    elif ev.num_layers is not None:
        rows.append(("Layers", "all" if ev.num_layers < 0 else str(ev.num_layers), CONFIG))
    return rows


def _argument_rows(ev: AdapterEvidence) -> list[Row]:
    rows: list[Row] = []
    for label, key in _TRAINING_ARGS:
        value = ev.hyperparameters.get(key)
        if value is None:
            rows.append((label, NOT_RECORDED, "—"))
        else:
            rows.append((label, plain(value), CONFIG))
    for key, label in _EXTRA.items():
        if key in ev.hyperparameters:
            rows.append((label, plain(ev.hyperparameters[key]), CONFIG))
    if ev.trainable_parameters is not None:
        rows.append(("Trainable parameters", grouped(ev.trainable_parameters), TENSORS))
    if ev.dtype:
        rows.append(("Adapter dtype", code(ev.dtype), TENSORS))
    return rows


GENERATED_LABELS = frozenset(
    {"Base model", "Base model revision", "Method", "Rank", "Scale", "Alpha", "Dropout",
     "Target modules", "Layers", "Trainable parameters", "Adapter dtype",
     *(label for label, _ in _TRAINING_ARGS), *_EXTRA.values(), "Stated by the publisher"}
)  # fmt: skip


def carried_rows(rows: Sequence[Sequence[str]], established: frozenset[str]) -> list[Row]:
    """Rows of the replaced table that state only what the evidence does not cover."""
    out: list[Row] = []
    for cells in rows:
        if len(cells) < 2 or not clean(cells[0]) or clean(cells[0]) in GENERATED_LABELS:
            continue
        mini = f"## Training\n\n| Hyperparameter | Value |\n|---|---|\n| {' | '.join(cells)} |\n"
        names = {c.name for c in parse_card(mini).hyperparameters}
        if names & established:
            continue  # it restates a value the generated table gives from the evidence
        out.append((cells[0].strip(), " | ".join(c.strip() for c in cells[1:]), ""))
    return out


def established_names(ev: AdapterEvidence) -> frozenset[str]:
    """Claim names the generated table states from the evidence."""
    names = {"method", "library"} if ev.fine_tune_type else set()
    if ev.base_model and not ev.base_model_is_path:
        names.add("base_model")
    pairs = (("rank", ev.rank or ev.tensor_ranks), ("scale", ev.scale),
             ("alpha", alpha_shown(ev) or None), ("dropout", ev.dropout),
             ("target_modules", ev.tensor_modules or ev.target_modules),
             ("num_layers", ev.layers or ev.num_layers), ("layers", ev.layers or None),
             ("trainable_params", ev.trainable_parameters))  # fmt: skip
    names |= {name for name, value in pairs if value not in (None, (), [])}
    names |= {key for _, key in _TRAINING_ARGS if key in ev.hyperparameters}
    return frozenset(names)


def render(facts: Facts, old_rows: Sequence[Sequence[str]]) -> Rendered | None:
    """The ``training`` section, or None when the repository holds no adapter evidence."""
    ev = facts.adapter
    if not ev.present or ev.config_file is None:
        return None
    base = next((n for n in facts.upstream if n.id == ev.base_model), None)
    rows = _base_rows(ev, base)
    method = _method(ev)
    rows += ([method] if method else []) + _shape_rows(ev) + _argument_rows(ev)
    # The source is parenthesised: the parser reads a row's cells after the label as its value,
    # and drops parentheses from lists of module names (auditor.card.values.parse_modules).
    body = table(
        _HEADER,
        [
            (label, cell(value), f"({source})" if source != "—" else source)
            for label, value, source in rows
        ],
    )
    if ev.alpha is not None and not alpha_shown(ev):
        body += [
            "",
            "adapter_config.json also records an alpha, which mlx-lm does not read; the "
            "multiplier it applies is the scale above.",
        ]
    carried = carried_rows(old_rows, established_names(ev))
    if carried:
        body += [
            "",
            *table(("Stated by the publisher", "Value"), [r[:2] for r in carried]),
            "",
            "_The publisher's statements above are not established by the adapter files._",
        ]
    gaps = tuple(
        f"training table: {label.lower()} is {NOT_RECORDED}"
        for label, value, _ in rows
        if value == NOT_RECORDED
    )
    return Rendered(role="training", title="Training", body=tuple(body), gaps=gaps)
