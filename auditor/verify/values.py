"""Value checks on an adapter's own tensors: all-zero ``lora_b``, NaN/Inf, update norms.

The cost of every check is bounded by the tensor sizes, never by a product of them. The
Frobenius norm of a LoRA update ``A @ B`` (``in x r`` times ``r x out``) is computed the
cheaper of two exact ways: through the ``r x r`` Gram matrices (``sum((A^T A) * (B B^T))``)
when the rank is small, or from the ``in x out`` product itself when that is smaller (a
hostile ``1 x N`` / ``N x 1`` pair would otherwise make two ``N x N`` matrices: 10 GB for
N = 50,000). A norm whose cheaper way still needs more than ``MAX_PRODUCT_ELEMENTS`` is not
computed, and an adapter larger than ``MAX_VALUE_ELEMENTS`` is checked only up to that budget;
both are reported (``ValueChecks.partial``), never silently skipped. mlx raising (an allocation
it cannot make, data it cannot read) becomes a problem record in the caller, never a crash.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

MAX_PRODUCT_ELEMENTS = 16 * 1024 * 1024
"""Largest intermediate (elements) one norm may build: 64 MB of float32."""

MAX_VALUE_ELEMENTS = 2**30
"""Budget of tensor elements examined per adapter (a 2 GB bf16 adapter; real ones are far
smaller): past it, the remaining tensors are not examined and the checks say so."""


@dataclass
class ValueChecks:
    """Value checks on the adapter's own tensors (never the base's)."""

    lora_b_all_zero: bool | None = None
    nonfinite: bool | None = None
    module_norms: dict[str, float] = field(default_factory=dict)
    partial: list[str] = field(default_factory=list)


def check_values(
    arrays: Mapping[str, Any], scale: float | None, scales: Mapping[str, float] | None = None
) -> ValueChecks:
    """All-zero ``lora_b``, NaN/Inf, and per-module norms of ``scale * A @ B``.

    ``arrays`` are mlx-lm-layout ``mx.array``s (lazy); ``scales`` gives a module's own scale
    where it differs from ``scale`` (PEFT ``alpha_pattern``/``rank_pattern``). Norms are rounded
    to 6 significant digits so reports are byte-stable; modules with non-finite values get none.
    """
    import mlx.core as mx

    checks = ValueChecks(nonfinite=False)
    b_zero: list[bool] = []
    budget = MAX_VALUE_ELEMENTS
    examined: set[str] = set()
    for name in sorted(arrays):
        array = arrays[name]
        if array.size > budget:
            checks.partial.append(f"{name}: not examined (value-check budget reached)")
            continue
        budget -= array.size
        examined.add(name)
        if not bool(mx.all(mx.isfinite(array)).item()):
            checks.nonfinite = True
        if name.endswith(".lora_b"):
            b_zero.append(not bool(mx.any(array != 0).item()))
    checks.lora_b_all_zero = all(b_zero) if b_zero else None
    for module in sorted({n.rsplit(".", 1)[0] for n in examined if n.endswith(".lora_a")}):
        a, b = arrays.get(f"{module}.lora_a"), arrays.get(f"{module}.lora_b")
        if a is None or b is None or f"{module}.lora_b" not in examined:
            continue
        norm = update_norm(a, b)
        if norm is None:
            checks.partial.append(f"{module}: update norm not computed (shapes too large)")
        elif math.isfinite(norm):
            factor = (scales or {}).get(module, scale if scale is not None else 1.0)
            checks.module_norms[module] = float(f"{norm * factor:.6g}")
    return checks


def update_norm(a: Any, b: Any) -> float | None:
    """``||A B||_F`` for an mlx-lm factor pair, by the cheaper exact way; None if unbounded.

    2-D (``LoRALinear``): ``a`` is ``in x r``, ``b`` is ``r x out``, the update is ``a @ b``.
    3-D (``LoRASwitchLinear``): per expert ``a`` is ``r x in``, ``b`` is ``out x r``, the
    update is ``b @ a``. Shapes that do not chain give None (the shape checks report them).
    """
    import mlx.core as mx

    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0]:
        (n_in, rank), n_out, experts = a.shape, b.shape[1], 1
        first, second = a, b  # the update is first @ second
    elif a.ndim == 3 and b.ndim == 3 and a.shape[0] == b.shape[0] and a.shape[1] == b.shape[2]:
        experts, rank, n_in = a.shape
        n_out = b.shape[1]
        first, second = b, a
    else:
        return None
    if min(rank * rank, n_in * n_out) * experts > MAX_PRODUCT_ELEMENTS:
        return None
    first, second = first.astype(mx.float32), second.astype(mx.float32)
    if rank * rank <= n_in * n_out:  # ||F S||^2 = sum((F^T F) * (S S^T)), both r x r
        gram = first.swapaxes(-1, -2) @ first
        total = mx.sum(gram * (second @ second.swapaxes(-1, -2)))
    else:
        delta = first @ second
        total = mx.sum(delta * delta)
    return math.sqrt(max(float(cast(float, total.item())), 0.0))
