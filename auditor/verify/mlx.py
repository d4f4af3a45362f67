"""Load an adapter with mlx-lm onto a lazily built skeleton of its base architecture.

The only module that imports mlx or mlx_lm, and only inside functions, so a card-only audit never
pays for them (ARCHITECTURE.md, "Verifying a 70B adapter without 140 GB"). mlx arrays are lazy:
``Model(ModelArgs.from_dict(config))`` allocates nothing until evaluated, and we never evaluate a
base parameter. mlx-lm's own ``linear_to_lora_layers`` and ``load_adapters`` (which, since mlx-lm
PR #1727, lists every tensor whose name or shape does not fit) do the checking. PEFT adapters are
first mapped to the mlx-lm layout (names via ``tensors.peft_to_mlx_name``, factors transposed).

Never executes code named by a config: ``model_file``, ``auto_map`` and ``trust_remote_code`` are
refused before anything is imported.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ..models import EvidenceProblem
from .base import config_layers, refusal
from .config import AdapterConfig
from .tensors import TensorSummary, peft_to_mlx_name

MAX_LOAD_ERRORS = 50


@dataclass
class LoadOutcome:
    """What the skeleton load established."""

    verified_with: str = "header"
    base_num_layers: int | None = None
    config_layers: tuple[int, ...] = ()
    config_modules: tuple[str, ...] = ()
    base_modules: tuple[str, ...] = ()
    load_ok: bool | None = None
    load_errors: tuple[str, ...] = ()
    problems: list[EvidenceProblem] = field(default_factory=list)


@dataclass
class ValueChecks:
    """Value checks on the adapter's own tensors (never the base's)."""

    lora_b_all_zero: bool | None = None
    nonfinite: bool | None = None
    module_norms: dict[str, float] = field(default_factory=dict)


def mlx_lm_version() -> str:
    """``mlx-lm <version>``, the ``verified_with`` value of a skeleton load."""
    import mlx_lm

    return f"mlx-lm {mlx_lm.__version__}"


def adapter_arrays(weights: Path, summary: TensorSummary) -> dict[str, Any]:
    """The adapter's tensors in mlx-lm layout (lazy ``mx.array``s; PEFT names mapped)."""
    import mlx.core as mx

    loaded = cast(dict[str, Any], mx.load(str(weights)))
    if summary.format != "peft":
        return loaded
    out: dict[str, Any] = {}
    for name, array in loaded.items():
        mapped = peft_to_mlx_name(name)
        if mapped is None:
            out[name] = array  # no mlx twin: the loader will report it by its own name
        else:
            out[mapped[0]] = array.T if mapped[1] else array
    return out


def load_onto_skeleton(
    cfg: AdapterConfig, weights: Path, summary: TensorSummary, base: Mapping[str, Any]
) -> LoadOutcome:
    """Build the base skeleton, convert it per ``cfg`` and load the adapter with mlx-lm."""
    outcome = LoadOutcome()
    refused = refusal(base)
    if refused is not None:
        outcome.problems.append(EvidenceProblem(kind=refused[0], message=refused[1]))
        return outcome
    model = _skeleton(base, outcome)
    if model is None:
        return outcome
    outcome.base_num_layers = len(model.layers)
    outcome.config_layers = config_layers(cfg, outcome.base_num_layers)
    outcome.base_modules = _linear_paths(model)
    mlx_config = _mlx_adapter_config(cfg, model)
    outcome.verified_with = mlx_lm_version()
    try:
        arrays = adapter_arrays(weights, summary)
        _run_loader(model, mlx_config, arrays, weights, summary, outcome)
    except Exception as exc:  # mlx raises plain RuntimeError/ValueError for unreadable data
        outcome.load_ok = False
        outcome.load_errors = (f"{type(exc).__name__}: {exc}",)
    if cfg.fine_tune_type != "full":
        outcome.config_modules = _lora_modules(model)
    return outcome


def _skeleton(base: Mapping[str, Any], outcome: LoadOutcome) -> Any:
    from mlx_lm.utils import _get_classes

    # quantization changes storage, not the logical Linear shapes LoRA factors are built from
    # (LoRALinear.from_base un-packs QuantizedLinear dims), and needs weights we do not have
    config = {k: v for k, v in base.items() if k not in ("quantization", "quantization_config")}
    try:
        model_class, args_class = _get_classes(config)
    except (ValueError, ImportError):
        outcome.problems.append(
            EvidenceProblem(
                kind="unsupported-model-type",
                message=f"mlx-lm has no architecture for model_type {base.get('model_type')!r}",
            )
        )
        return None
    try:
        return model_class(args_class.from_dict(config))
    except Exception as exc:  # any constructor error means the config does not fit the class
        outcome.problems.append(
            EvidenceProblem(
                kind="base-config-invalid",
                message=f"mlx-lm cannot build model_type {base.get('model_type')!r} from this "
                f"config: {type(exc).__name__}: {exc}",
            )
        )
        return None


def _mlx_adapter_config(cfg: AdapterConfig, model: Any) -> dict[str, Any]:
    """The adapter config mlx-lm's loader gets: the file's values, PEFT ones mapped."""
    total = len(model.layers)
    if cfg.format == "peft":
        chosen = cfg.layers_to_transform
        # mlx-lm adapts the last N blocks; cover from the lowest requested one, the loader only
        # checks tensors that exist, and config_layers keeps the exact requested set
        num_layers = total - min(chosen) if chosen else total
        keys = _peft_keys(cfg, model)
        ftt = "dora" if cfg.fine_tune_type == "dora" else "lora"
    else:
        num_layers = cfg.num_layers if cfg.num_layers is not None else 16  # CONFIG_DEFAULTS
        keys = list(cfg.keys) if cfg.keys is not None else None
        ftt = cfg.fine_tune_type or "lora"
    params: dict[str, Any] = {
        "rank": cfg.rank or 8,
        # the scale does not change names or shapes; a missing one is reported by config.py
        "scale": cfg.scale if cfg.scale is not None else 1.0,
        "dropout": 0.0,
    }
    if keys is not None:
        params["keys"] = keys
    return {"fine_tune_type": ftt, "num_layers": num_layers, "lora_parameters": params}


def _peft_keys(cfg: AdapterConfig, model: Any) -> list[str] | None:
    """mlx-lm keys (block-relative paths) for PEFT ``target_modules``; None = every Linear.

    PEFT matches a list entry against the end of a module name (``peft.tuners.tuners_utils.
    check_target_module_exists``). A regex string is not evaluated (an untrusted pattern could
    backtrack for minutes), so it is treated like ``all-linear``: every tensor is still checked.
    """
    if not cfg.target_modules or cfg.target_regex or cfg.target_modules == ("all-linear",):
        return None
    targets = cfg.target_modules
    return [p for p in _linear_paths(model) if any(p == t or p.endswith("." + t) for t in targets)]


def _linear_paths(model: Any) -> tuple[str, ...]:
    """Block-relative paths of the modules mlx-lm can wrap (its ``get_keys_for_lora`` types)."""
    import mlx.nn as nn

    wrappable = tuple(
        getattr(nn, name)
        for name in ("Linear", "QuantizedLinear", "Embedding", "QuantizedEmbedding")
    )
    return tuple(
        sorted(
            {
                path
                for layer in model.layers
                for path, module in layer.named_modules()
                if isinstance(module, wrappable)
                or hasattr(module, "to_lora")
                or type(module).__name__ in ("SwitchLinear", "QuantizedSwitchLinear")
            }
        )
    )


def _run_loader(
    model: Any,
    mlx_config: dict[str, Any],
    arrays: dict[str, Any],
    weights: Path,
    summary: TensorSummary,
    outcome: LoadOutcome,
) -> None:
    import mlx.core as mx
    from mlx_lm.tuner.utils import load_adapters

    with tempfile.TemporaryDirectory(prefix="ailiance-verify-") as tmp:
        folder = Path(tmp)
        (folder / "adapter_config.json").write_text(json.dumps(mlx_config))
        target = folder / "adapters.safetensors"
        if summary.format == "peft":
            mx.save_safetensors(str(target), arrays)
        else:
            target.symlink_to(weights.resolve())
        try:
            load_adapters(model, str(folder))
        except ValueError as exc:
            outcome.load_ok = False
            outcome.load_errors = _error_lines(str(exc))
            return
        except KeyError as exc:
            outcome.load_ok = False
            outcome.load_errors = (f"KeyError: {exc}",)
            return
    outcome.load_ok = True


def _error_lines(message: str) -> tuple[str, ...]:
    """One entry per bad tensor from mlx-lm's message (capped, with a count of the rest)."""
    # sorted: mlx-lm reports in the file's dict order, reports must be byte-stable
    lines = sorted(line.strip() for line in message.splitlines()[1:] if line.strip()) or [message]
    if len(lines) > MAX_LOAD_ERRORS:
        rest = len(lines) - MAX_LOAD_ERRORS
        lines = [*lines[:MAX_LOAD_ERRORS], f"... and {rest} more"]
    return tuple(lines)


def _lora_modules(model: Any) -> tuple[str, ...]:
    """Block-relative paths of the modules mlx-lm's conversion wrapped with LoRA/DoRA."""
    return tuple(
        sorted(
            {
                path
                for layer in model.layers
                for path, module in layer.named_modules()
                if "lora_a" in module
            }
        )
    )


def check_values(arrays: Mapping[str, Any], scale: float | None) -> ValueChecks:
    """All-zero ``lora_b``, NaN/Inf, and per-module norms of the update ``scale * A @ B``.

    ``||A B||_F^2 = sum((A^T A) * (B B^T))`` needs only r x r products, so a 70B adapter's
    norms cost kilobytes, not the ``in x out`` delta. Norms are rounded to 6 significant
    digits so reports are byte-stable; modules with non-finite values get no norm.
    """
    import mlx.core as mx

    checks = ValueChecks(nonfinite=False)
    b_zero: list[bool] = []
    for name in sorted(arrays):
        array = arrays[name].astype(mx.float32)
        if not bool(mx.all(mx.isfinite(array)).item()):
            checks.nonfinite = True
        if name.endswith(".lora_b"):
            b_zero.append(not bool(mx.any(array != 0).item()))
    checks.lora_b_all_zero = all(b_zero) if b_zero else None
    for module in sorted({n.rsplit(".", 1)[0] for n in arrays if n.endswith(".lora_a")}):
        a, b = arrays.get(f"{module}.lora_a"), arrays.get(f"{module}.lora_b")
        if a is None or b is None or a.ndim not in (2, 3) or a.ndim != b.ndim:
            continue
        norm = _update_norm(a.astype(mx.float32), b.astype(mx.float32))
        if norm is not None and math.isfinite(norm):
            checks.module_norms[module] = float(f"{norm * (scale or 1.0):.6g}")
    return checks


def _update_norm(a: Any, b: Any) -> float | None:
    if a.ndim == 2:  # mlx LoRALinear: delta = a @ b with a in x r, b r x out
        p, q = a.T @ a, b @ b.T
    else:  # LoRASwitchLinear: per expert delta = b @ a with a r x in, b out x r
        p, q = b.swapaxes(-1, -2) @ b, a @ a.swapaxes(-1, -2)
    if p.shape != q.shape:
        return None
    import mlx.core as mx

    total = float(cast(float, mx.sum(p * q).item()))
    return math.sqrt(max(total, 0.0))
