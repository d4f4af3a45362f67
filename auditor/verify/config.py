"""Parse an ``adapter_config.json`` (mlx-lm or PEFT) into typed facts, with key lines.

mlx-lm writes ``vars(args)`` of its trainer (``mlx_lm/lora.py``: ``save_config``):
``fine_tune_type``, ``num_layers`` (``-1`` = every block; ``lora_layers`` before mlx-lm 0.19),
``lora_parameters`` ``{rank, scale, dropout, keys}`` (an ``alpha`` there is ignored by
mlx-lm), and the training arguments. PEFT writes ``LoraConfig``
(``peft/tuners/lora/config.py``): ``r``, ``lora_alpha``, ``use_rslora``, ``use_dora``,
``target_modules`` (list, regex string or ``"all-linear"``), ``layers_to_transform``,
``rank_pattern``, ``base_model_name_or_path``, ``peft_type``.

The effective scale is what the library multiplies the low-rank product by: mlx-lm ``scale``;
PEFT ``lora_alpha / r``, or ``lora_alpha / sqrt(r)`` with rsLoRA. Malformed input never raises:
``parse_config`` returns problems instead.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from auditor.lazyre import lazy

from .kinds import Problem
from .lines import key_lines

if TYPE_CHECKING:  # the load-check worker unpickles this module's configs: no data model there
    from ..models import ScalarValue

MAX_CONFIG_BYTES = 1024 * 1024
"""Cap on the config file: real ones are a few KB."""

ConfigFormat = Literal["mlx-lm", "peft", "unknown"]

_LOCAL_PATH = lazy(
    r"^(?:/Users/|/home/|/root/|/Volumes/|/mnt/|/private/|~/|[A-Za-z]:[\\/]|\\\\)"
)
# The JSON text of a string that _LOCAL_PATH can match starts with "/", "~", a letter and ":"
# (a drive), or a backslash (a UNC path; or an escape, which may spell any of these): a text
# with none of these after a quote holds no local path, and its document is not walked.
_MAYBE_LOCAL = lazy(r'"(?:[/~\\]|[A-Za-z][:\\])')
_PEFT_KEYS = {"peft_type", "r", "lora_alpha", "target_modules", "base_model_name_or_path"}
_MLX_KEYS = {"lora_parameters", "fine_tune_type", "num_layers", "lora_layers"}
# canonical hyperparameter name -> mlx-lm trainer argument (names follow the card claims)
_MLX_HYPER = {
    "optimizer": "optimizer",
    "learning_rate": "learning_rate",
    "iterations": "iters",
    "batch_size": "batch_size",
    "grad_accumulation": "grad_accumulation_steps",
    "max_seq_length": "max_seq_length",
    "seed": "seed",
}
# canonical name -> dotted key in the file, so rules can point at the right line
_MLX_ALIASES = {
    "rank": "lora_parameters.rank",
    "scale": "lora_parameters.scale",
    "alpha": "lora_parameters.alpha",
    "dropout": "lora_parameters.dropout",
    "target_modules": "lora_parameters.keys",
    "num_layers": "num_layers",
    "base_model": "model",
    "iterations": "iters",
    "grad_accumulation": "grad_accumulation_steps",
}
_PEFT_ALIASES = {
    "rank": "r",
    "alpha": "lora_alpha",
    "scale": "lora_alpha",
    "dropout": "lora_dropout",
    "target_modules": "target_modules",
    "num_layers": "layers_to_transform",
    "base_model": "base_model_name_or_path",
}
PEFT_DEFAULT_R = 8
PEFT_DEFAULT_ALPHA = 8
"""``LoraConfig`` defaults, used when a PEFT config omits ``r`` or ``lora_alpha``."""


@dataclass
class AdapterConfig:
    """The facts one adapter config establishes (see the module docstring for the sources)."""

    file: str
    format: ConfigFormat = "unknown"
    fine_tune_type: str | None = None
    rank: int | None = None
    ranks: tuple[int, ...] = ()
    scale: float | None = None
    config_scale: float | None = None
    alpha: float | None = None
    rslora: bool = False
    dropout: float | None = None
    keys: tuple[str, ...] | None = None
    target_modules: tuple[str, ...] = ()
    target_regex: bool = False
    num_layers: int | None = None
    layers_to_transform: tuple[int, ...] | None = None
    rank_pattern: dict[str, int] = field(default_factory=dict)
    alpha_pattern: dict[str, float] = field(default_factory=dict)
    modules_to_save: tuple[str, ...] = ()
    hyperparameters: dict[str, ScalarValue] = field(default_factory=dict)
    base_model: str | None = None
    base_model_is_path: bool = False
    local_paths: tuple[tuple[str, str], ...] = ()
    lines: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def problem(self, kind: str, message: str, key: str | None = None) -> None:
        """Record a problem, located at ``key``'s line when the file has it."""
        line = self.lines.get(key) if key else None
        self.problems.append(Problem(kind, message, self.file, line))


def parse_config(text: str | bytes, file: str = "adapter_config.json") -> AdapterConfig:
    """Parse the text of an adapter config; problems (never exceptions) for bad input."""
    cfg = AdapterConfig(file=file)
    if len(text) > MAX_CONFIG_BYTES:
        cfg.problem("config-invalid", f"{file} is {len(text)} bytes (cap {MAX_CONFIG_BYTES})")
        return cfg
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            cfg.problem("config-invalid", f"{file} is not UTF-8: {exc.reason}")
            return cfg
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        cfg.problem("config-invalid", f"{file} is not valid JSON: {exc}")
        return cfg
    if not isinstance(doc, dict):
        cfg.problem("config-invalid", f"{file} is not a JSON object")
        return cfg
    cfg.raw = doc
    cfg.lines = key_lines(text)
    cfg.local_paths = tuple(_local_paths(doc, "")) if _MAYBE_LOCAL.search(text) else ()
    if "peft_type" in doc or (_PEFT_KEYS & doc.keys() and not _MLX_KEYS & doc.keys()):
        _parse_peft(cfg, doc)
    elif _MLX_KEYS & doc.keys():
        _parse_mlx(cfg, doc)
    else:
        cfg.problem("config-invalid", f"{file} is neither an mlx-lm nor a PEFT adapter config")
    aliases = _PEFT_ALIASES if cfg.format == "peft" else _MLX_ALIASES
    for canonical, key in aliases.items():
        if key in cfg.lines:
            cfg.lines.setdefault(canonical, cfg.lines[key])
    if cfg.base_model is not None:
        cfg.base_model_is_path = is_local_path(cfg.base_model)
    return cfg


def is_local_path(value: str) -> bool:
    """True when a model reference is a filesystem path rather than a Hub id (``org/name``)."""
    if "://" in value:
        return False
    if _LOCAL_PATH.match(value) or value.startswith(("/", "./", "../", "~")):
        return True
    return value.count("/") > 1 or "\\" in value


def _local_paths(value: Any, key: str) -> list[tuple[str, str]]:
    """``(dotted key, value)`` of every string that is an absolute local path (``*``: array)."""
    if isinstance(value, str):
        return [(key, value)] if _LOCAL_PATH.match(value) else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _local_paths(v, f"{key}.{k}" if key else k)]
    if isinstance(value, list):
        return [p for v in value for p in _local_paths(v, f"{key}.*")]
    return []


def _int(cfg: AdapterConfig, value: Any, key: str, *, minimum: int | None = None) -> int | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not math.isfinite(value))  # json accepts Infinity, NaN
        or value != int(value)
    ):
        cfg.problem("config-invalid", f"{key} must be an integer, not {value!r:.40}", key)
        return None
    if minimum is not None and value < minimum:
        cfg.problem("config-invalid", f"{key} must be >= {minimum}, not {value}", key)
        return None
    return int(value)


def _num(cfg: AdapterConfig, value: Any, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        cfg.problem("config-invalid", f"{key} must be a finite number, not {value!r:.40}", key)
        return None
    return float(value)


def _strings(cfg: AdapterConfig, value: Any, key: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    cfg.problem("config-invalid", f"{key} must be a list of strings, not {value!r:.60}", key)
    return None


def _parse_mlx(cfg: AdapterConfig, doc: dict[str, Any]) -> None:
    cfg.format = "mlx-lm"
    ftt = doc.get("fine_tune_type", "lora")  # mlx-lm's default when the key is absent
    cfg.fine_tune_type = ftt.lower() if isinstance(ftt, str) else None
    if cfg.fine_tune_type not in ("lora", "dora", "full"):
        cfg.problem("config-invalid", f"unknown fine_tune_type {ftt!r:.40}", "fine_tune_type")
    layers_key = "num_layers" if "num_layers" in doc else "lora_layers"
    cfg.num_layers = _int(cfg, doc.get(layers_key), layers_key, minimum=-1)
    params = doc.get("lora_parameters")
    if params is not None and not isinstance(params, dict):
        cfg.problem("config-invalid", "lora_parameters must be an object", "lora_parameters")
        params = None
    params = params or {}
    if cfg.fine_tune_type != "full":
        cfg.rank = _int(cfg, params.get("rank"), "lora_parameters.rank", minimum=1)
        cfg.ranks = (cfg.rank,) if cfg.rank else ()
        cfg.config_scale = _num(cfg, params.get("scale"), "lora_parameters.scale")
        cfg.scale = cfg.config_scale
        cfg.alpha = _num(cfg, params.get("alpha"), "lora_parameters.alpha")
        cfg.dropout = _num(cfg, params.get("dropout"), "lora_parameters.dropout")
        cfg.keys = _strings(cfg, params.get("keys"), "lora_parameters.keys")
        cfg.target_modules = cfg.keys or ()
        if cfg.config_scale is None and "scale" not in params:
            cfg.problem(
                "config-incomplete",
                "lora_parameters has no 'scale': mlx-lm refuses to load it"
                + (" ('alpha' is not read by mlx-lm)" if cfg.alpha is not None else ""),
                "lora_parameters",
            )
    for canonical, key in _MLX_HYPER.items():
        value = doc.get(key)
        if isinstance(value, str | int | float) and not (
            isinstance(value, float) and not math.isfinite(value)
        ):
            cfg.hyperparameters[canonical] = (
                value.lower() if key == "optimizer" and isinstance(value, str) else value
            )
    schedule = doc.get("lr_schedule")
    if isinstance(schedule, dict) and isinstance(schedule.get("name"), str):
        cfg.hyperparameters["lr_schedule"] = schedule["name"]
    model = doc.get("model")
    cfg.base_model = model if isinstance(model, str) and model else None


def _parse_peft(cfg: AdapterConfig, doc: dict[str, Any]) -> None:
    cfg.format = "peft"
    ptype = doc.get("peft_type", "LORA")
    ptype = ptype.lower() if isinstance(ptype, str) else "unknown"
    cfg.rslora = doc.get("use_rslora") is True
    cfg.fine_tune_type = "dora" if ptype == "lora" and doc.get("use_dora") is True else ptype
    cfg.rank = _int(cfg, doc.get("r", PEFT_DEFAULT_R), "r", minimum=1)
    cfg.alpha = _num(cfg, doc.get("lora_alpha"), "lora_alpha")
    cfg.dropout = _num(cfg, doc.get("lora_dropout"), "lora_dropout")
    ranks = _pattern(cfg, doc, "rank_pattern")
    cfg.rank_pattern = {k: int(v) for k, v in ranks.items() if v >= 1 and v == int(v)}
    cfg.alpha_pattern = _pattern(cfg, doc, "alpha_pattern")
    cfg.ranks = tuple(sorted({cfg.rank, *cfg.rank_pattern.values()})) if cfg.rank else ()
    cfg.modules_to_save = _strings(cfg, doc.get("modules_to_save"), "modules_to_save") or ()
    alpha = cfg.alpha if cfg.alpha is not None else float(PEFT_DEFAULT_ALPHA)
    if cfg.rank and ptype == "lora":
        divisor = math.sqrt(cfg.rank) if cfg.rslora else cfg.rank
        cfg.scale = round(alpha / divisor, 12)
    targets = doc.get("target_modules")
    if isinstance(targets, str):
        cfg.target_modules, cfg.target_regex = (targets,), targets != "all-linear"
    else:
        cfg.target_modules = _strings(cfg, targets, "target_modules") or ()
    layers = doc.get("layers_to_transform")
    if isinstance(layers, int) and not isinstance(layers, bool):
        layers = [layers]
    if isinstance(layers, list) and all(isinstance(x, int) and x >= 0 for x in layers):
        cfg.layers_to_transform = tuple(sorted(set(layers)))
    elif layers is not None:
        cfg.problem(
            "config-invalid",
            f"layers_to_transform is invalid: {layers!r:.60}",
            "layers_to_transform",
        )
    model = doc.get("base_model_name_or_path")
    cfg.base_model = model if isinstance(model, str) and model else None


def _pattern(cfg: AdapterConfig, doc: dict[str, Any], key: str) -> dict[str, float]:
    """PEFT ``rank_pattern`` / ``alpha_pattern``: module-name pattern -> number."""
    value = doc.get(key) or {}
    if not isinstance(value, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        for v in value.values()
    ):
        cfg.problem("config-invalid", f"{key} must map module names to numbers", key)
        return {}
    return {str(k): float(v) for k, v in value.items()}  # PEFT takes the first match
