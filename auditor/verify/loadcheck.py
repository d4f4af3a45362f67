"""Level ``load``: the skeleton load and the value checks, with every failure a problem record.

Kept apart from ``__init__`` so that mlx is imported only here, only at level ``load``, and so
that an environment where mlx cannot even be imported (a memory limit, a broken install) yields
"the load check could not run" instead of a crash: fail closed, never a silent pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..models import EvidenceProblem, Location
from .config import AdapterConfig
from .tensors import TensorSummary


def _problem(kind: str, message: str, file: str | None = None) -> EvidenceProblem:
    return EvidenceProblem(
        kind=kind, message=message, location=Location(file=file) if file else None
    )


def load_and_check(
    cfg: AdapterConfig | None,
    weights: Path,
    summary: TensorSummary,
    base: dict[str, Any] | None,
    fields: dict[str, Any],
    problems: list[EvidenceProblem],
) -> str | None:
    """Skeleton load (when the base and config allow), then value checks; the verifier or None."""
    try:
        from . import mlx
    except (ImportError, OSError, MemoryError) as exc:  # e.g. under a low address-space limit
        why = f"mlx could not be imported ({type(exc).__name__}: {exc})"
        problems.append(_problem("not-verified", f"the mlx-lm load check did not run: {why}"))
        return None
    verified: str | None = None
    scales: dict[str, float] = {}
    if cfg is not None and base is not None:
        if cfg.fine_tune_type not in ("lora", "dora", "full"):
            message = f"{cfg.fine_tune_type} adapters are not loadable with mlx-lm"
            problems.append(_problem("unsupported-adapter-type", message, cfg.file))
        else:
            try:
                outcome = mlx.load_onto_skeleton(cfg, weights, summary, base)
            except MemoryError as exc:
                problems.append(_problem("load-failed", f"out of memory: {exc}", weights.name))
                return None
            except ImportError as exc:  # mlx-lm (or the mlx it imports) is not importable
                why = f"mlx-lm could not be imported ({type(exc).__name__}: {exc})"
                problems.append(_problem("not-verified", f"the load check did not run: {why}"))
                return None
            problems.extend(outcome.problems)
            if outcome.load_ok is not None:
                verified = outcome.verified_with
                scales = outcome.module_scales  # PEFT module paths, as adapter_arrays names them
                fields.update(
                    base_num_layers=outcome.base_num_layers,
                    config_layers=outcome.config_layers,
                    load_ok=outcome.load_ok,
                    load_errors=outcome.load_errors,
                    base_modules=outcome.base_modules,
                    rank_mismatches=outcome.rank_mismatches,
                    unchecked_tensors=outcome.unchecked,
                )
                if outcome.config_modules:
                    fields["config_modules"] = outcome.config_modules
    try:
        arrays = mlx.adapter_arrays(weights, summary)
        checks = mlx.check_values(arrays, fields.get("scale"), scales)
    except (Exception, MemoryError) as exc:  # mlx raises RuntimeError on data it cannot read
        problems.append(_problem("load-failed", f"{type(exc).__name__}: {exc}", weights.name))
        return verified
    fields.update(
        lora_b_all_zero=checks.lora_b_all_zero,
        nonfinite=checks.nonfinite,
        module_norms=checks.module_norms,
    )
    if checks.partial:
        listed = "; ".join(checks.partial[:3])
        more = f" (+{len(checks.partial) - 3} more)" if len(checks.partial) > 3 else ""
        problems.append(_problem("values-partial", f"{listed}{more}", weights.name))
    return verified
