"""The ``verify`` stage: what an adapter's config and tensors establish (``AdapterEvidence``).

``collect_evidence`` reads ``adapter_config.json`` (``config.py``), the weights' safetensors
header (``safetensors.py``, ``tensors.py``) and, at level ``load``, loads the adapter with mlx-lm
onto a lazily built skeleton of the base architecture (``mlx.py``, the only module that imports
mlx). It collects facts and never decides pass/fail: that is the policies' job. Malformed input
becomes ``AdapterEvidence.problems``; the kinds are listed in ``PROBLEM_KINDS``.

What the evidence fields mean (config = adapter_config.json, tensors = the weights header):

- ``format`` / ``weights_format``: mlx-lm or PEFT, from the config / from tensor names.
- ``rank`` (config), ``config_ranks`` (rank plus PEFT ``rank_pattern`` values), ``tensor_ranks``
  (inner dimensions found), ``module_ranks`` (full module name -> rank).
- ``scale``: the effective scale the library applies (mlx-lm ``scale``; PEFT ``alpha/r`` or
  ``alpha/sqrt(r)``); ``config_scale``: the literal mlx-lm ``scale`` value; ``alpha`` as written;
  ``scale_divisor``: ``r`` or ``sqrt(r)`` (rsLoRA), so rules can turn a card's alpha into a scale.
- ``target_modules`` (config, as written), ``target_module_names`` (their last components),
  ``config_modules`` (block-relative modules the config wraps: mlx-lm ``keys``, or at level load
  what mlx-lm's conversion wrapped on the base), ``tensor_modules`` / ``tensor_module_names``
  (from the weights), ``base_modules`` (every wrappable module of a base block; level load).
- ``num_layers`` (config), ``config_layers`` (block indices it adapts on the base, needs the
  base's config), ``layers`` (indices in the weights), ``base_num_layers``.
- ``hyperparameters``: training arguments under the card parser's names (optimizer,
  learning_rate, iterations, batch_size, grad_accumulation, max_seq_length, seed, lr_schedule).
- ``local_paths`` / ``local_path_keys``: absolute local paths found anywhere in the config.
- ``verified_with``: ``mlx-lm <version>`` when the skeleton load ran, ``header`` when only the
  header was read, ``none`` otherwise; ``load_ok`` / ``load_errors`` (one line per bad tensor,
  sorted); ``lora_b_all_zero``, ``nonfinite``, ``module_norms`` (Frobenius norm of
  ``scale * A @ B`` per module, 6 significant digits) from the adapter's own values.
- ``config_lines``: key -> line in the config, dotted (``lora_parameters.rank``) and canonical
  (``rank``, ``scale``, ``alpha``, ``base_model``, ``target_modules``, ``iterations``...).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from ..errors import AuditError
from ..models import AdapterEvidence, EvidenceProblem, Location, RepoSnapshot
from .base import base_layer_count, config_layers
from .config import MAX_CONFIG_BYTES, AdapterConfig, parse_config
from .safetensors import HeaderError, header_from_dict, read_header
from .tensors import TensorSummary, summarise

__all__ = ["CONFIG_NAMES", "PROBLEM_KINDS", "WEIGHT_NAMES", "collect_evidence"]

CONFIG_NAMES = ("adapter_config.json",)
WEIGHT_NAMES = ("adapters.safetensors", "adapter_model.safetensors")
"""mlx-lm's and PEFT's weight files, in the order they are looked for."""

UNSAFE_WEIGHTS = ("adapter_model.bin", "adapters.npz")
"""Weight files we recognise but never open (pickle can run code; npz is not safetensors)."""

PROBLEM_KINDS = {
    "config-missing": "weights are present but there is no adapter_config.json",
    "config-invalid": "the config is not JSON, not an object, or a value has the wrong type",
    "config-incomplete": "a value mlx-lm needs (lora_parameters.scale) is absent",
    "weights-missing": "a config is present but no adapters.safetensors/adapter_model.safetensors",
    "weights-unsupported": "only a pickle/npz weight file is present; it is never opened",
    "weights-unreadable": "the weight file could not be fetched or read",
    "header-invalid": "the safetensors header is truncated, not UTF-8/JSON, or malformed",
    "header-too-large": "the header length or entry count exceeds the cap",
    "dtype-invalid": "a tensor has a dtype safetensors does not define",
    "offsets-invalid": "data_offsets overlap, leave gaps, or disagree with shapes or file size",
    "tensors-unrecognised": "tensor names that are neither mlx-lm nor PEFT adapter parameters",
    "rank-inconsistent": "a module's A and B factors have different inner dimensions",
    "base-unresolvable": "the config names no base, a local path, or a base that was not found",
    "remote-code-refused": "the base config asks for custom code (auto_map, model_file, ...)",
    "unsupported-model-type": "mlx-lm has no architecture for the base's model_type",
    "base-config-invalid": "mlx-lm cannot build the base architecture from its config.json",
    "unsupported-adapter-type": "a PEFT type other than LoRA/DoRA: not loadable with mlx-lm",
    "load-failed": "reading the adapter tensors failed before the architecture check",
}

OpenFile = Callable[[str], Path | None]
BaseConfig = Callable[[str], dict[str, Any] | None]


def collect_evidence(
    snapshot: RepoSnapshot,
    open_file: OpenFile,
    *,
    level: Literal["none", "header", "load"],
    base_config: BaseConfig,
    read_header: Callable[[str], dict[str, Any] | None] | None = None,
) -> AdapterEvidence:
    """Collect adapter evidence for ``snapshot`` at verification ``level``; never raises.

    ``open_file(name)`` gives a local path for a file of the snapshot (None if absent);
    ``base_config(repo_id)`` the parsed ``config.json`` of a base model (or None). Weights are
    opened only at ``header`` and ``load``; mlx is imported only at ``load``. At ``header``,
    ``read_header(name)`` (when given, e.g. HTTP range reads on the Hub) replaces downloading
    the weights: only the few KB of the header travel.
    """
    problems: list[EvidenceProblem] = []
    names = set(snapshot.files)
    config_name = next((n for n in CONFIG_NAMES if n in names), None)
    weights_name = next((n for n in (*WEIGHT_NAMES, *UNSAFE_WEIGHTS) if n in names), None)
    cfg = _read_config(config_name, open_file, problems) if config_name else None
    fields: dict[str, Any] = {"present": bool(config_name or weights_name)}
    fields.update(config_name=config_name, weights_file=weights_name)
    if cfg is not None:
        fields.update(_config_fields(cfg))
        problems.extend(cfg.problems)
        if weights_name is None:
            problems.append(_problem("weights-missing", "no adapter weights file in the repo"))
    elif weights_name is not None:
        problems.append(_problem("config-missing", "weights without adapter_config.json"))
    if level == "none" or not fields["present"]:
        return _evidence(fields, problems, "none")
    base = _base(cfg, base_config, problems)
    if base is not None:
        fields["base_resolved"] = True
        fields["base_num_layers"] = base_layer_count(base)
    remote = read_header if level == "header" else None
    summary = _header(weights_name, open_file, problems, remote) if weights_name else None
    if summary is not None:
        fields.update(_tensor_fields(summary))
    if cfg is not None and base is not None and fields.get("base_num_layers") is not None:
        fields["config_layers"] = config_layers(cfg, fields["base_num_layers"])
    verified = "header" if summary is not None else "none"
    if level == "load" and summary is not None and weights_name is not None:
        path = open_file(weights_name)
        if path is not None:
            verified = _load(cfg, path, summary, base, fields, problems) or verified
    return _evidence(fields, problems, verified)


def _problem(kind: str, message: str, file: str | None = None) -> EvidenceProblem:
    return EvidenceProblem(
        kind=kind, message=message, location=Location(file=file) if file else None
    )


def _evidence(
    fields: dict[str, Any], problems: list[EvidenceProblem], verified: str
) -> AdapterEvidence:
    config_name = fields.pop("config_name", None)
    return AdapterEvidence(
        config_file=config_name, verified_with=verified, problems=tuple(problems), **fields
    )


def _read_config(
    name: str, open_file: OpenFile, problems: list[EvidenceProblem]
) -> AdapterConfig | None:
    try:
        path = open_file(name)
        if path is None:
            problems.append(
                _problem("config-missing", f"{name} is listed but could not be fetched", name)
            )
            return None
        with path.open("rb") as fh:
            data = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        problems.append(_problem("config-invalid", f"{name} could not be read: {exc}", name))
        return None
    return parse_config(data, file=name)


def _config_fields(cfg: AdapterConfig) -> dict[str, Any]:
    divisor = None
    if cfg.rank:
        divisor = math.sqrt(cfg.rank) if cfg.rslora else float(cfg.rank)
    targets = [t for t in cfg.target_modules if not cfg.target_regex and t != "all-linear"]
    return {
        "format": cfg.format,
        "fine_tune_type": cfg.fine_tune_type,
        "rank": cfg.rank,
        "config_ranks": cfg.ranks,
        "scale": cfg.scale,
        "config_scale": cfg.config_scale,
        "scale_divisor": divisor,
        "alpha": cfg.alpha,
        "rslora": cfg.rslora,
        "dropout": cfg.dropout,
        "target_modules": cfg.target_modules,
        "target_module_names": tuple(sorted({t.rsplit(".", 1)[-1] for t in targets})),
        "config_modules": tuple(sorted(cfg.keys)) if cfg.keys else (),
        "num_layers": cfg.num_layers,
        "hyperparameters": cfg.hyperparameters,
        "base_model": cfg.base_model,
        "base_model_is_path": cfg.base_model_is_path,
        "local_paths": tuple(v for _, v in cfg.local_paths),
        "local_path_keys": tuple(k for k, _ in cfg.local_paths),
        "config_lines": cfg.lines,
    }


def _base(
    cfg: AdapterConfig | None, base_config: BaseConfig, problems: list[EvidenceProblem]
) -> dict[str, Any] | None:
    if cfg is None:
        return None
    file = cfg.file
    if cfg.base_model is None:
        problems.append(_problem("base-unresolvable", "the config names no base model", file))
        return None
    if cfg.base_model_is_path:
        problems.append(
            _problem("base-unresolvable", f"the base model is a local path: {cfg.base_model}", file)
        )
        return None
    try:
        base = base_config(cfg.base_model)
    except Exception as exc:  # an injected lookup (Hub, mirror) may fail in any way
        problems.append(_problem("base-unresolvable", f"{cfg.base_model}: {exc}", file))
        return None
    if not isinstance(base, dict):
        problems.append(
            _problem("base-unresolvable", f"no config.json found for {cfg.base_model}", file)
        )
        return None
    return base


def _header(
    name: str,
    open_file: OpenFile,
    problems: list[EvidenceProblem],
    remote: Callable[[str], dict[str, Any] | None] | None = None,
) -> TensorSummary | None:
    if name in UNSAFE_WEIGHTS:
        problems.append(
            _problem("weights-unsupported", f"{name} is not safetensors; not opened", name)
        )
        return None
    try:
        doc = remote(name) if remote is not None else None
        if doc is not None:
            header = header_from_dict(doc)
        else:
            path = open_file(name)
            if path is None:
                problems.append(
                    _problem("weights-unreadable", f"{name} could not be fetched", name)
                )
                return None
            header = read_header(path)
    except HeaderError as exc:
        problems.append(_problem(exc.kind, exc.message, name))
        return None
    except (OSError, ValueError, AuditError) as exc:  # I/O, a remote header error, Hub failure
        problems.append(_problem("weights-unreadable", f"{name}: {exc}", name))
        return None
    summary = summarise(header.tensors)
    if summary.unrecognised and summary.format != "unknown":
        listed = ", ".join(summary.unrecognised[:5])
        problems.append(_problem("tensors-unrecognised", f"not adapter tensors: {listed}", name))
    problems.extend(
        _problem("rank-inconsistent", f"{module}: A and B ranks differ", name)
        for module in summary.inconsistent
    )
    return summary


def _tensor_fields(summary: TensorSummary) -> dict[str, Any]:
    return {
        "weights_format": summary.format,
        "tensor_ranks": summary.ranks,
        "module_ranks": summary.module_ranks,
        "tensor_modules": summary.modules,
        "tensor_module_names": tuple(sorted({m.rsplit(".", 1)[-1] for m in summary.modules})),
        "layers": summary.layers,
        "trainable_parameters": summary.parameters,
        "tensor_count": len(summary.tensors) + len(summary.unrecognised),
        "dtype": summary.dtype,
    }


def _load(
    cfg: AdapterConfig | None,
    weights: Path,
    summary: TensorSummary,
    base: dict[str, Any] | None,
    fields: dict[str, Any],
    problems: list[EvidenceProblem],
) -> str | None:
    """Value checks, then the skeleton load when the base and config allow; the verifier."""
    from . import mlx

    try:
        checks = mlx.check_values(mlx.adapter_arrays(weights, summary), fields.get("scale"))
    except Exception as exc:  # mlx raises RuntimeError on data it cannot read
        problems.append(_problem("load-failed", f"{type(exc).__name__}: {exc}", weights.name))
        return None
    fields.update(
        lora_b_all_zero=checks.lora_b_all_zero,
        nonfinite=checks.nonfinite,
        module_norms=checks.module_norms,
    )
    if cfg is None or base is None:
        return None
    if cfg.fine_tune_type not in ("lora", "dora", "full"):
        problems.append(
            _problem(
                "unsupported-adapter-type",
                f"{cfg.fine_tune_type} adapters are not loadable with mlx-lm",
                cfg.file,
            )
        )
        return None
    outcome = mlx.load_onto_skeleton(cfg, weights, summary, base)
    problems.extend(outcome.problems)
    if outcome.load_ok is None:
        return None
    fields.update(
        base_num_layers=outcome.base_num_layers,
        config_layers=outcome.config_layers,
        load_ok=outcome.load_ok,
        load_errors=outcome.load_errors,
        base_modules=outcome.base_modules,
    )
    if outcome.config_modules:
        fields["config_modules"] = outcome.config_modules
    return outcome.verified_with
