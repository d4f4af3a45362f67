"""The ``verify`` stage: what an adapter's config and tensors establish (``AdapterEvidence``).

``collect_evidence`` reads ``adapter_config.json`` (``config.py``), the weights' safetensors
header (``auditor.safetensors_header``, ``tensors.py``) and, at level ``load``, loads the
adapter with mlx-lm onto a lazily built skeleton of the base architecture (``mlx.py``, the only
module that imports mlx). It collects facts and never decides pass/fail: that is the policies'
job. Malformed input becomes ``AdapterEvidence.problems``; the kinds are listed in
``PROBLEM_KINDS``.

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
  sorted); ``rank_mismatches`` (PEFT ``rank_pattern`` vs the tensors, per module);
  ``unchecked_tensors`` (vision/audio towers mlx-lm does not build); ``lora_b_all_zero``,
  ``nonfinite``, ``module_norms`` (Frobenius norm of ``scale * A @ B`` per module, 6
  significant digits) from the adapter's own values (``values.py``: cost bounded).
- ``config_lines``: key -> line in the config, dotted (``lora_parameters.rank``) and canonical
  (``rank``, ``scale``, ``alpha``, ``base_model``, ``target_modules``, ``iterations``...).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.files import read_capped

from ..errors import AuditError
from .base import base_layer_count, config_layers
from .config import MAX_CONFIG_BYTES, AdapterConfig, is_local_path, parse_config
from .kinds import FILE_PROBLEMS, PROBLEM_KINDS, UNSAFE_HINTS, Problem

if TYPE_CHECKING:  # imported where the evidence is built (_evidence), never by the worker
    from ..models import AdapterEvidence, RepoSnapshot, VerifyLevel
    from .tensors import TensorSummary

__all__ = ["CONFIG_NAMES", "PROBLEM_KINDS", "WEIGHT_NAMES", "collect_evidence"]

CONFIG_NAMES = ("adapter_config.json",)
WEIGHT_NAMES = ("adapters.safetensors", "adapter_model.safetensors")
"""mlx-lm's and PEFT's weight files, in the order they are looked for."""

UNSAFE_WEIGHTS = ("adapter_model.bin", "adapters.npz")
"""Weight files we recognise but never open (pickle can run code; npz is not safetensors)."""

OpenFile = Callable[[str], Path | None]
BaseConfig = Callable[[str], dict[str, Any] | None]


def collect_evidence(
    snapshot: RepoSnapshot,
    open_file: OpenFile,
    *,
    level: VerifyLevel,
    base_config: BaseConfig,
    read_header: Callable[[str], dict[str, Any] | None] | None = None,
    card_base: str | None = None,
) -> AdapterEvidence:
    """Collect adapter evidence for ``snapshot`` at verification ``level``; never raises.

    ``open_file(name)`` gives a local path for a file of the snapshot (None if absent);
    ``base_config(repo_id)`` the parsed ``config.json`` of a base model (or None). Weights are
    opened only at ``header`` and ``load``; mlx is imported only at ``load``. At ``header``,
    ``read_header(name)`` (when given, e.g. HTTP range reads on the Hub) replaces downloading
    the weights: only the few KB of the header travel. ``card_base`` (the card's first
    ``base_model``) stands in for a base the config names by a local path; the path is still
    reported. At ``load``, a load check that could not run is a ``not-verified`` problem.
    """
    problems: list[Problem] = []
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
    base = _base(cfg, base_config, problems, card_base)
    if base is not None:
        fields["base_resolved"] = True
        fields["base_num_layers"] = base_layer_count(base)
    remote = read_header if level == "header" else None
    saved = cfg.modules_to_save if cfg is not None else ()
    summary = _header(weights_name, open_file, problems, remote, saved) if weights_name else None
    if summary is not None:
        fields.update(_tensor_fields(summary))
    if cfg is not None and base is not None and fields.get("base_num_layers") is not None:
        fields["config_layers"] = config_layers(cfg, fields["base_num_layers"])
    verified = "header" if summary is not None else "none"
    if level == "load" and summary is not None and weights_name is not None:
        path = open_file(weights_name)
        if path is not None:
            from .loadcheck import load_and_check

            verified = load_and_check(cfg, path, summary, base, fields, problems) or verified
    loaded = fields.get("load_ok") is not None
    reported = any(p.kind in FILE_PROBLEMS or p.kind == "not-verified" for p in problems)
    if level == "load" and cfg is not None and weights_name and not loaded and not reported:
        problems.append(_not_verified(problems, weights_name))
    return _evidence(fields, problems, verified)


def _not_verified(problems: list[Problem], weights: str) -> Problem:
    """Why the load check did not run, from the problems that stopped it (fail closed)."""
    reasons = [p.message for p in problems if p.kind != "values-partial"]
    why = reasons[0] if reasons else "the base could not be resolved"
    return _problem("not-verified", f"the mlx-lm load check did not run: {why}", weights)


def _problem(kind: str, message: str, file: str | None = None) -> Problem:
    return Problem(kind, message, file)


def _fetched(
    name: str, open_file: OpenFile, problems: list[Problem], kind: str, how: str = ""
) -> Path | None:
    """The local copy of ``name``, or None with a ``kind`` problem: it could not be fetched."""
    path = open_file(name)
    if path is None:
        said = f"{name} {how} could not be fetched" if how else f"{name} could not be fetched"
        problems.append(_problem(kind, said, name))
    return path


def _evidence(fields: dict[str, Any], problems: list[Problem], verified: str) -> AdapterEvidence:
    """The data model's evidence, from the fields and the plain problem records.

    The only place this package imports the data model: the load-check worker runs
    the check modules without it (``kinds.Problem``; docs/speed.md).
    """
    from ..models import AdapterEvidence, EvidenceProblem, Location

    config_name = fields.pop("config_name", None)
    found = tuple(
        EvidenceProblem(
            kind=p.kind,
            message=p.message,
            location=Location(file=p.file, line=p.line) if p.file else None,
        )
        for p in problems
    )
    return AdapterEvidence(
        config_file=config_name, verified_with=verified, problems=found, **fields
    )


def _read_config(name: str, open_file: OpenFile, problems: list[Problem]) -> AdapterConfig | None:
    try:
        path = _fetched(name, open_file, problems, "config-missing", "is listed but")
        if path is None:
            return None
        with path.open("rb") as fh:
            data = read_capped(fh, MAX_CONFIG_BYTES + 1)
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
    cfg: AdapterConfig | None,
    base_config: BaseConfig,
    problems: list[Problem],
    card_base: str | None = None,
) -> dict[str, Any] | None:
    if cfg is None:
        return None
    file = cfg.file
    name = cfg.base_model
    if name is None or cfg.base_model_is_path:
        usable = card_base if card_base and not is_local_path(card_base) else None
        if usable is None:
            what = "names no base model" if name is None else f"names its base by a path: {name}"
            problems.append(_problem("base-unresolvable", f"the config {what}", file))
            return None
        name = usable  # the card's Hub id; the config's path is still reported by the rules
    try:
        base = base_config(name)
    except Exception as exc:  # an injected lookup (Hub, mirror) may fail in any way
        problems.append(_problem("base-unresolvable", f"{name}: {exc}", file))
        return None
    if not isinstance(base, dict):
        problems.append(_problem("base-unresolvable", f"no config.json found for {name}", file))
        return None
    return base


def _header(
    name: str,
    open_file: OpenFile,
    problems: list[Problem],
    remote: Callable[[str], dict[str, Any] | None] | None = None,
    saved: tuple[str, ...] = (),
) -> TensorSummary | None:
    # The header's modules are imported here: a card-only audit (``--verify none``) never reads
    # the weights, and their import was a tenth of its pipeline's (docs/speed.md).
    from auditor.safetensors_header import HeaderError, header_from_dict, read_header

    from .tensors import summarise

    if name in UNSAFE_WEIGHTS:
        problems.append(_problem("weights-unsupported", UNSAFE_HINTS[name], name))
        return None
    try:
        doc = remote(name) if remote is not None else None
        if doc is not None:
            header = header_from_dict(doc)
        else:
            path = _fetched(name, open_file, problems, "weights-unreadable")
            if path is None:
                return None
            header = read_header(path)
    except HeaderError as exc:
        problems.append(_problem(exc.kind, exc.message, name))
        return None
    except (OSError, ValueError, AuditError) as exc:  # I/O, a remote header error, Hub failure
        problems.append(_problem("weights-unreadable", f"{name}: {exc}", name))
        return None
    summary = summarise(header.tensors, saved)
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
