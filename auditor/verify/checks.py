"""Level ``load``: the skeleton load and the value checks, answered as plain data.

``run_check`` is what runs where mlx is (this process, or the load-check worker of
``worker.py``): it imports mlx, borrows the base's skeleton from the process's
:class:`~auditor.verify.skeletons.SkeletonCache`, loads the adapter with mlx-lm and checks its
values. Its answer is JSON-able data (``Answer``) so that it crosses a process boundary as JSON,
never as a pickle: the worker reads hostile weights, the CLI never unpickles what it sends.
Every failure is a problem record; an environment where mlx cannot even be imported (a memory
limit, a broken install) yields "the load check could not run", never a crash or a silent pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .config import AdapterConfig
from .tensors import TensorSummary

Answer = dict[str, Any]
"""``{"verified": str | None, "fields": {...}, "problems": [[kind, message, file], ...]}``."""


def run_check(
    cfg: AdapterConfig | None,
    weights: str,
    summary: TensorSummary,
    base: dict[str, Any] | None,
    scale: float | None,
) -> Answer:
    """Skeleton load (when the base and config allow), then value checks."""
    fields: dict[str, Any] = {}
    problems: list[list[Any]] = []
    answer: Answer = {"verified": None, "fields": fields, "problems": problems}
    try:
        from . import mlx

        mlx.mlx_lm_version()  # imports mlx-lm: a failure here is "could not run", not a crash
    except (ImportError, OSError, MemoryError) as exc:  # e.g. under a low address-space limit
        why = f"mlx could not be imported ({type(exc).__name__}: {exc})"
        problems.append(["not-verified", f"the mlx-lm load check did not run: {why}", None])
        return answer
    path = Path(weights)
    scales: dict[str, float] = {}
    if cfg is not None and base is not None:
        if cfg.fine_tune_type not in ("lora", "dora", "full"):
            message = f"{cfg.fine_tune_type} adapters are not loadable with mlx-lm"
            problems.append(["unsupported-adapter-type", message, cfg.file])
        else:
            try:
                outcome = mlx.load_onto_skeleton(cfg, path, summary, base)
            except MemoryError as exc:
                problems.append(["load-failed", f"out of memory: {exc}", path.name])
                return answer
            except ImportError as exc:  # mlx-lm (or the mlx it imports) is not importable
                why = f"mlx-lm could not be imported ({type(exc).__name__}: {exc})"
                problems.append(["not-verified", f"the load check did not run: {why}", None])
                return answer
            problems.extend([p.kind, p.message, p.file] for p in outcome.problems)
            if outcome.load_ok is not None:
                answer["verified"] = outcome.verified_with
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
        checks = mlx.check_values(mlx.adapter_arrays(path, summary), scale, scales)
    except (Exception, MemoryError) as exc:  # mlx raises RuntimeError on data it cannot read
        problems.append(["load-failed", f"{type(exc).__name__}: {exc}", path.name])
        return answer
    fields.update(
        lora_b_all_zero=checks.lora_b_all_zero,
        nonfinite=checks.nonfinite,
        module_norms=checks.module_norms,
    )
    if checks.partial:
        listed = "; ".join(checks.partial[:3])
        more = f" (+{len(checks.partial) - 3} more)" if len(checks.partial) > 3 else ""
        problems.append(["values-partial", f"{listed}{more}", path.name])
    return answer
