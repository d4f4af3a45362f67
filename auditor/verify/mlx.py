"""Load an adapter with mlx-lm onto a lazily built skeleton of its base architecture.

With ``skeletons.py``, ``values.py`` and the worker (``worker.py``), the only modules that import
mlx or mlx_lm, and only inside functions, so a card-only audit never pays for them
(docs/architecture.md, "Verifying a large adapter without the base's weights"). mlx arrays are
lazy: ``Model(ModelArgs.from_dict(config))`` allocates nothing until evaluated, and we never
evaluate a base parameter. Skeletons are borrowed from a per-process cache (``skeletons.py``):
built once per base config, restored after each adapter. mlx-lm's own ``linear_to_lora_layers``
and ``load_adapters`` (which, since mlx-lm PR #1727, lists every tensor whose name or shape does
not fit) check mlx-lm adapters. PEFT adapters are checked tensor by tensor against the modules
of the same skeleton (``peft.py``), since their names follow transformers' module tree.

Never executes code from the audited repositories: ``base.refusal`` refuses a ``model_file``,
and a ``model_type`` mlx-lm does not ship is never looked for anywhere else.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from . import skeletons
from .base import config_layers, refusal
from .config import AdapterConfig
from .kinds import Problem
from .skeletons import Skeleton, SkeletonCache
from .tensors import TensorSummary, peft_to_mlx_name
from .values import ValueChecks, check_values

__all__ = ["LoadOutcome", "ValueChecks", "adapter_arrays", "check_values", "load_onto_skeleton"]

MAX_LOAD_ERRORS = 50
MAX_LOAD_RANK = 65536
"""A config rank above any real layer width is capped for the loader (mlx-lm would otherwise
build rank x width factors for every wrapped layer); the tensors then do not fit, as they
would not have with the config's rank."""


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
    rank_mismatches: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()
    module_scales: dict[str, float] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


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
    cfg: AdapterConfig,
    weights: Path,
    summary: TensorSummary,
    base: Mapping[str, Any],
    cache: SkeletonCache | None = None,
) -> LoadOutcome:
    """Borrow the base skeleton (``cache``: the process's by default), convert it per ``cfg``
    and load the adapter with mlx-lm; the skeleton is restored for the next adapter."""
    outcome = LoadOutcome()
    refused = refusal(base)
    if refused is not None:
        outcome.problems.append(Problem(*refused))
        return outcome
    try:
        with (cache or skeletons.DEFAULT).borrow(base, _build) as skeleton:
            _check(cfg, weights, summary, skeleton, outcome)
    except _NotBuilt as exc:
        outcome.problems.append(Problem(exc.kind, exc.message))
    return outcome


def _check(
    cfg: AdapterConfig, weights: Path, summary: TensorSummary, skeleton: Skeleton, out: LoadOutcome
) -> None:
    model = skeleton.model
    out.base_num_layers = len(model.layers)
    out.config_layers = config_layers(cfg, out.base_num_layers)
    out.base_modules = skeleton.base_modules
    out.verified_with = mlx_lm_version()
    if summary.format == "peft":
        _check_peft(cfg, model, summary, out)
        return
    try:
        _run_loader(model, _mlx_adapter_config(cfg), weights, out)
    except Exception as exc:  # mlx raises plain RuntimeError/ValueError for unreadable data
        out.load_ok = False
        out.load_errors = (f"{type(exc).__name__}: {exc}",)
    if cfg.fine_tune_type != "full":
        out.config_modules = _lora_modules(model, skeleton.base_modules)


def _check_peft(cfg: AdapterConfig, model: Any, summary: TensorSummary, out: LoadOutcome) -> None:
    from . import peft

    result = peft.check(cfg, model, summary)
    out.load_ok = not result.errors
    out.load_errors = _capped(sorted(result.errors))
    out.rank_mismatches = _capped(sorted(result.rank_mismatches))
    out.unchecked = _capped(result.unchecked)
    out.module_scales = result.scales
    out.config_modules = result.config_modules
    if not result.patterns_evaluated:
        out.problems.append(
            Problem(
                "values-partial",
                "rank_pattern/alpha_pattern/target_modules patterns were not fully "
                "evaluated (time budget, or a pattern Python's re syntax does not accept)",
            )
        )


class _NotBuilt(Exception):
    """mlx-lm cannot build this base: the problem kind and message."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


def _build(config: dict[str, Any]) -> Any:
    """The skeleton of ``config`` (quantization already left out), or :class:`_NotBuilt`."""
    from mlx_lm.utils import _get_classes

    try:
        model_class, args_class = _get_classes(config)
    except (ValueError, ImportError):
        model_type = config.get("model_type")
        if config.get("auto_map"):  # only the repository's own code (never run) can build it
            raise _NotBuilt(
                "remote-code-refused",
                f"mlx-lm has no architecture for model_type {model_type!r} and the base config "
                "points to custom code (auto_map); ailiance-audit never runs code from an "
                "audited repository",
            ) from None
        raise _NotBuilt(
            "unsupported-model-type", f"mlx-lm has no architecture for model_type {model_type!r}"
        ) from None
    try:
        return model_class(args_class.from_dict(config))
    except Exception as exc:  # any constructor error means the config does not fit the class
        raise _NotBuilt(
            "base-config-invalid",
            f"mlx-lm cannot build model_type {config.get('model_type')!r} from this "
            f"config: {type(exc).__name__}: {exc}",
        ) from None


def _mlx_adapter_config(cfg: AdapterConfig) -> dict[str, Any]:
    """The adapter config mlx-lm's loader gets: the file's own values, defaults filled in."""
    params: dict[str, Any] = {
        "rank": min(cfg.rank or 8, MAX_LOAD_RANK),
        # the scale does not change names or shapes; a missing one is reported by config.py
        "scale": cfg.scale if cfg.scale is not None else 1.0,
        "dropout": 0.0,
    }
    if cfg.keys is not None:
        params["keys"] = list(cfg.keys)
    return {
        "fine_tune_type": cfg.fine_tune_type or "lora",
        "num_layers": cfg.num_layers if cfg.num_layers is not None else 16,  # CONFIG_DEFAULTS
        "lora_parameters": params,
    }


def _run_loader(
    model: Any, mlx_config: dict[str, Any], weights: Path, outcome: LoadOutcome
) -> None:
    from mlx_lm.tuner.utils import load_adapters

    with tempfile.TemporaryDirectory(prefix="ailiance-verify-") as tmp:
        folder = Path(tmp)
        (folder / "adapter_config.json").write_text(json.dumps(mlx_config))
        (folder / "adapters.safetensors").symlink_to(weights.resolve())
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
    return _capped(lines)


def _capped(lines: list[str]) -> tuple[str, ...]:
    if len(lines) > MAX_LOAD_ERRORS:
        rest = len(lines) - MAX_LOAD_ERRORS
        lines = [*lines[:MAX_LOAD_ERRORS], f"... and {rest} more"]
    return tuple(lines)


def _lora_modules(model: Any, paths: tuple[str, ...]) -> tuple[str, ...]:
    """Block-relative paths of the modules mlx-lm's conversion wrapped with LoRA/DoRA.

    Only the wrappable paths of each block are looked at (a wrapped module sits where a
    wrappable one was), and the walk outside the blocks does not enter them: the same answer as
    walking every module, without walking thousands of them.
    """
    blocks = {
        path
        for layer in model.layers
        for path in paths
        if (found := _at(layer, path)) is not None and "lora_a" in found
    }
    return tuple(sorted(blocks | _top_lora(model)))


def _at(module: Any, path: str) -> Any:
    """The submodule at a dotted path (list indices as numbers), or None."""
    for part in path.split("."):
        try:
            module = module[int(part)] if isinstance(module, list) else module[part]
        except (KeyError, IndexError, ValueError, TypeError):
            return None
    return module


def _top_lora(model: Any) -> set[str]:
    """Paths of wrapped modules outside the blocks (``lm_head``, ``embed_tokens``...)."""
    from mlx.utils import tree_flatten

    def is_module(value: Any) -> bool:
        return hasattr(value, "children") and hasattr(value, "named_modules")

    inside = {id(layer) for layer in model.layers}
    found: set[str] = set()
    stack: list[tuple[str, Any]] = [("", model)]
    while stack:
        prefix, module = stack.pop()
        if prefix and "lora_a" in module:
            found.add(prefix)
        children = tree_flatten(module.children(), is_leaf=is_module)
        for name, child in cast(list[tuple[str, Any]], children):
            if is_module(child) and id(child) not in inside:
                stack.append((f"{prefix}.{name}" if prefix else name, child))
    return found
