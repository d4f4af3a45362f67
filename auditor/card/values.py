"""Hyperparameter vocabulary: field labels → canonical claim names, and one value parser per name.

Cards name the same parameter many ways ("LoRA _r_", "Rank", "lora_r"; "Cutoff length", "Max seq
length"). :data:`LABELS` maps a normalised label to the canonical claim name used across the
auditor (the same names ``verify`` uses for ``adapter_config.json``), and :data:`PARSERS` turns
the cell text into a typed value (int, float, lower-case name or list of module names). A parser
returns ``None`` when the text does not hold a value of that kind, so a label alone never makes a
claim.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from auditor.card.lazyre import lazy
from auditor.card.text import fold
from auditor.models import ClaimValue

Parser = Callable[[str], ClaimValue | None]

# Aliases are normalised labels (see label_key), "|"-separated.
_ALIASES: dict[str, str] = {
    "rank": "rank|r|lora rank|lora r|adapter rank|lora rank r",
    "alpha": "alpha|lora alpha|alpha lora|lora scaling alpha",
    "scale": "scale|lora scale|scaling|lora scaling|scale factor",
    "dropout": "dropout|lora dropout",
    "target_modules": "target modules|lora target modules|target module|targets|keys|lora keys"
    "|adapted modules|lora modules",
    "num_layers": "num layers|number of layers|lora layers|layers|adapted layers",
    "optimizer": "optimizer|optimiser|optim|optimizer type",
    "learning_rate": "learning rate|lr|peak learning rate|initial learning rate|max learning rate"
    "|peak lr",
    "iterations": "iterations|iters|steps|training steps|max steps|total steps|optimizer steps"
    "|train steps|num steps|training iterations|number of steps",
    "batch_size": "batch size|batch|per device batch size|per device train batch size"
    "|micro batch size|train batch size",
    "grad_accumulation": "gradient accumulation|gradient accumulation steps|grad accumulation"
    "|grad accumulation steps|grad accum|gradient accum",
    "max_seq_length": "max seq length|max sequence length|maximum sequence length|sequence length"
    "|seq length|max length|context length|cutoff length|cutoff len|max seq len|max tokens",
    "trainable_params": "trainable params|trainable parameters|number of trainable parameters"
    "|trainable parameter count",
    "epochs": "epochs|epoch|num epochs|number of epochs|training epochs|num train epochs",
    "method": "method|adapter method|fine tuning method|finetuning method|training method"
    "|finetuning type|fine tuning type|training type|fine tune type|adapter type|peft type"
    "|technique|peft method",
    "library": "library|framework|training framework|training library|trainer",
    "base_model": "base model|base|finetuned from|finetuned from model|fine tuned from"
    "|fine tuned from model|parent model|foundation model|base model id",
}

LABELS: dict[str, str] = {
    alias: name for name, aliases in _ALIASES.items() for alias in aliases.split("|")
}
"""Normalised label (see :func:`label_key`) → canonical claim name."""

_LABEL_NOISE = lazy(r"\[optional\]|\(s\)|\(optional\)", re.I)
_NON_ALNUM = lazy(r"[^a-z0-9]+")


@lru_cache(maxsize=4096)
def label_key(label: str) -> str:
    """Normalise a field label: lower case, words only ("LoRA _r_" → "lora r")."""
    return _NON_ALNUM.sub(" ", _LABEL_NOISE.sub("", label).lower()).strip()


@lru_cache(maxsize=4096)
def canonical(label: str) -> str | None:
    """The canonical claim name of a field label, or ``None`` if it is not a known parameter."""
    key = label_key(label)
    if not key or len(key) > 60:
        return None
    return LABELS.get(key)


# --------------------------------------------------------------------------- value parsers

_NUM = lazy(
    r"(?<![\w.])[-+]?(\d[\d,_]*(?:\.\d+)?(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?)\s*([kmb])?(?![\w.])",
    re.I,
)
_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9}


def _first_number(text: str) -> tuple[float, str] | None:
    m = _NUM.search(text)
    if not m:
        return None
    digits = m.group(1).replace(",", "").replace("_", "")
    try:
        number = float(digits)
    except ValueError:
        return None
    sign = -1.0 if m.group(0).lstrip().startswith("-") else 1.0
    if m.group(2):
        number *= _SUFFIX[m.group(2).lower()]
    return sign * number, digits


def parse_int(text: str) -> int | None:
    """First integer in the text ("42,401,792 / 8,038,558,240" → 42401792; "1.2M" → 1200000)."""
    found = _first_number(text)
    if found is None or found[0] != found[0] or abs(found[0]) > 1e15:
        return None
    value = found[0]
    return int(value) if value == int(value) else None


_TIMES_TEN = lazy(
    r"(\d+(?:\.\d+)?)\s*[x×*·]\s*10\s*(?:\^|\*\*)?\s*\(?\s*([-−⁻]?)\s*([\d⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})"
)
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def parse_float(text: str) -> float | None:
    """First number in the text as a float ("1e-5" → 1e-05, "2 × 10⁻⁴" → 2e-04, "2.0" → 2.0)."""
    if "10" in text and (m := _TIMES_TEN.search(text)):  # "10" first: most values are plain
        sign = "-" if m.group(2) else ""
        return float(f"{m.group(1)}e{sign}{m.group(3).translate(_SUPERSCRIPT)}")
    found = _first_number(text)
    return None if found is None or abs(found[0]) > 1e15 else found[0]


def parse_number(text: str) -> int | float | None:
    """First number, an int when written as one ("32" → 32, "16.0" → 16.0)."""
    found = _first_number(text)
    if found is None or abs(found[0]) > 1e15:
        return None
    value, digits = found
    return int(value) if re.fullmatch(r"\d+", digits) and value == int(value) else value


OPTIMIZERS: dict[str, str] = {
    "adamw": "adamw",
    "adam": "adam",
    "sgd": "sgd",
    "adafactor": "adafactor",
    "muon": "muon",
    "lion": "lion",
    "rmsprop": "rmsprop",
    "adagrad": "adagrad",
    "adadelta": "adadelta",
    "lamb": "lamb",
    "sophia": "sophia",
    "galore": "galore",
    "lomo": "lomo",
}
OPTIMIZER_RE = lazy(
    r"(?<![a-z])(adamw|adam|sgd|adafactor|muon|lion|rmsprop|adagrad|adadelta|lamb|sophia|galore|lomo)"
    r"(?![a-vx-z])",
    re.I,
)

# Each method after the lower-case fragments one of which its pattern cannot match without: a
# pattern is tried (and compiled) only for a text that has one.
_METHODS = (
    (("qlora",), lazy(r"(?<![a-z])qlora(?![a-z])", re.I), "qlora"),
    (("dora",), lazy(r"(?<![a-z])dora(?![a-z])", re.I), "dora"),
    (("rslora", "rs-lora"), lazy(r"(?<![a-z])rs-?lora(?![a-z])", re.I), "rslora"),
    (("lora",), lazy(r"(?<![a-z])lora(?![a-z])", re.I), "lora"),
    (("ia3",), lazy(r"(?<![a-z])ia3(?![a-z])", re.I), "ia3"),
    (("prefix",), lazy(r"prefix[- ]tuning", re.I), "prefix-tuning"),
    (("p-tuning", "p tuning"), lazy(r"p[- ]tuning", re.I), "p-tuning"),
    (("prompt",), lazy(r"prompt[- ]tuning", re.I), "prompt-tuning"),
    (("full",), lazy(r"full(?:[- ]parameter)?[- ]fine[- ]?tun", re.I), "full"),
)

LIBRARY_NAMES = (
    r"mlx[-_]lm|mlx|peft|unsloth|axolotl|trl|llama[-_ ]?factory|torchtune|deepspeed|lit[-_]gpt"
)
LIBRARY_RE = lazy(rf"(?<![\w-])({LIBRARY_NAMES})(?![\w-])", re.I)


def parse_optimizer(text: str) -> str | None:
    """Lower-case optimizer family ("Adam, LR 1e-5" → "adam"; "paged_adamw_8bit" → "adamw")."""
    m = OPTIMIZER_RE.search(text)
    return OPTIMIZERS[m.group(1).lower()] if m else None


def parse_method(text: str) -> str | None:
    """Fine-tuning method ("LoRA via mlx-lm" → "lora", "QLoRA (4-bit NF4)" → "qlora")."""
    folded = fold(text, text.lower())
    return next(
        (
            name
            for keys, pattern, name in _METHODS
            if any(k in folded for k in keys) and pattern.search(text)
        ),
        None,
    )


def parse_library(text: str) -> str | None:
    """Training library ("mlx_lm" → "mlx-lm", "LLaMA-Factory" → "llama-factory")."""
    m = LIBRARY_RE.search(text)
    if not m:
        return None
    return re.sub(r"[-_ ]", "-", m.group(1).lower()).replace("llamafactory", "llama-factory")


_PARENS = lazy(r"\([^)]*\)|\[[^\]]*\]")
_MODULE = lazy(r"^[A-Za-z_][\w.]*$")
_MODULE_SHAPED = lazy(
    r"[_.]|proj|attn|^(?:query|key|value|dense|wqkv|w[123]|fc\d|gate|up|down|qkv|lm_head)$", re.I
)
_NOT_MODULES = frozenset({
    "all", "only", "and", "or", "the", "layers", "layer", "modules", "module", "attention", "mlp",
    "linear", "projections", "projection", "of", "in", "each", "block", "every", "plus", "with",
    "on",
})  # fmt: skip


def parse_modules(text: str) -> list[str] | None:
    """Module names ("q_proj, k_proj (attention only)" → ["q_proj", "k_proj"]; "all linear")."""
    plain = _PARENS.sub(" ", text).replace("'", " ").replace('"', " ")
    if re.fullmatch(r"\s*all[- _]?linear(?: layers)?\s*\.?\s*", plain, re.I):
        return ["all-linear"]
    tokens = [t for t in re.split(r"[\s,;/|+]+|\band\b", plain) if t]
    names = [t.strip(".") for t in tokens if _MODULE.match(t.strip("."))]
    names = [n for n in names if n.lower() not in _NOT_MODULES]
    # Words of a sentence ("todos los principales") are not module names: a list counts only when
    # one of its items is shaped like one (q_proj, self_attn.q_proj, query_key_value, Wqkv, fc1).
    return names if any(_MODULE_SHAPED.search(n) for n in names) else None


def parse_layers(text: str) -> list[str] | None:
    """A list or range of layer indices ("0-15", "28, 29, 30") as strings."""
    items = re.findall(r"-?\d+(?:\s*[-–]\s*\d+)?", text)
    return [re.sub(r"\s+", "", i) for i in items] or None


REPO_ID = r"(?<![\w./:@-])[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}(?<![.-])"
_REPO_RE = lazy(REPO_ID)
_HF_URL = lazy(r"huggingface\.co/(?!datasets/|spaces/)([\w.-]+/[\w.-]+)")
_PLACEHOLDER = lazy(r"more information needed|^\W*$|^(?:n/?a|none|todo|tbd|unknown)\W*$", re.I)
_NAME = lazy(r"^([A-Z][\w.+-]*(?: [A-Z0-9][\w.+-]*){0,3})(?:$|[\s,(;]| - )")


def parse_base(text: str) -> str | None:
    """A base model: the repo id if one is given (also from a hub URL), else a short name."""
    if _PLACEHOLDER.search(text.strip()):
        return None
    if m := _HF_URL.search(text):
        return m.group(1).rstrip(".")
    no_urls = re.sub(r"<?\w+://\S+", " ", text)
    if m := _REPO_RE.search(no_urls):
        return m.group(0)
    if m := _NAME.match(no_urls.strip()):
        return m.group(1)
    return None


PARSERS: dict[str, Parser] = {
    "rank": parse_int,
    "alpha": parse_number,
    "scale": parse_float,
    "dropout": parse_float,
    "target_modules": parse_modules,
    "num_layers": parse_int,
    "layers": parse_layers,
    "optimizer": parse_optimizer,
    "learning_rate": parse_float,
    "iterations": parse_int,
    "batch_size": parse_int,
    "grad_accumulation": parse_int,
    "max_seq_length": parse_int,
    "trainable_params": parse_int,
    "epochs": parse_int,
    "method": parse_method,
    "library": parse_library,
    "base_model": parse_base,
}
"""Canonical claim name → parser of a cell or phrase into the claim's typed value."""


def parse_value(name: str, text: str) -> ClaimValue | None:
    """Parse ``text`` as the value of ``name``; ``None`` if it holds no such value."""
    return PARSERS[name](text)
