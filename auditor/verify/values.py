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

CHUNK_ELEMENTS = 1024 * 1024
"""Elements per slice of a large factor when it is cast or tested (4 MB of float32)."""

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
    arrays: dict[str, Any], scale: float | None, scales: Mapping[str, float] | None = None
) -> ValueChecks:
    """All-zero ``lora_b``, NaN/Inf, and per-module norms of ``scale * A @ B``.

    ``arrays`` are mlx-lm-layout ``mx.array``s (lazy); ``scales`` gives a module's own scale
    where it differs from ``scale`` (PEFT ``alpha_pattern``/``rank_pattern``). Norms are rounded
    to 6 significant digits so reports are byte-stable; modules with non-finite values get none.

    Memory: ``arrays`` is consumed, one tensor at a time in name order, and each tensor is
    released once its checks are done. A factor pair on the Gram route leaves only its ``r x r``
    Gram matrix behind, so at most one factor of the adapter is resident (the every-expert
    LoRA of two DeepSeek-V3 blocks is 72 MB in bf16; its largest factor 29 MB).
    """
    import mlx.core as mx

    checks = ValueChecks(nonfinite=False)
    examined = _within_budget(arrays, checks.partial)
    routes = _routes(arrays, examined)
    b_zero: list[bool] = []
    held: dict[str, Any] = {}  # per factor: its Gram matrix, or the factor (product route)
    norms: dict[str, float] = {}
    unbounded: list[str] = []
    for name in sorted(examined):
        array = arrays.pop(name)
        if not _all(mx.isfinite, array):
            checks.nonfinite = True
        if name.endswith(".lora_b"):
            b_zero.append(not _any(lambda x: x != 0, array))
        module, _, leaf = name.rpartition(".")
        route = routes.get(module)
        if route is None or leaf not in ("lora_a", "lora_b"):
            continue
        if route == "unbounded":
            unbounded.append(module)
            routes.pop(module)
            continue
        large = array.size > CHUNK_ELEMENTS
        held[name] = _gram(array, name.endswith(".lora_a")) if route == "gram" else array
        del array
        a, b = held.get(f"{module}.lora_a"), held.get(f"{module}.lora_b")
        if a is None or b is None:
            continue
        del held[f"{module}.lora_a"], held[f"{module}.lora_b"]
        total = mx.sum(a * b) if route == "gram" else _product(a, b)
        norm = math.sqrt(max(float(cast(float, total.item())), 0.0))
        if math.isfinite(norm):
            factor = (scales or {}).get(module, scale if scale is not None else 1.0)
            norms[module] = float(f"{norm * factor:.6g}")
        if large:  # small buffers are worth keeping for the next tensors
            _release(mx)
    _release(mx)
    checks.lora_b_all_zero = all(b_zero) if b_zero else None
    checks.module_norms = dict(sorted(norms.items()))
    checks.partial.extend(
        f"{module}: update norm not computed (shapes too large)" for module in sorted(unbounded)
    )
    return checks


def update_norm(a: Any, b: Any) -> float | None:
    """``||A B||_F`` for an mlx-lm factor pair, by the cheaper exact way; None if unbounded.

    2-D (``LoRALinear``): ``a`` is ``in x r``, ``b`` is ``r x out``, the update is ``a @ b``.
    3-D (``LoRASwitchLinear``): per expert ``a`` is ``r x in``, ``b`` is ``out x r``, the
    update is ``b @ a``. Shapes that do not chain give None (the shape checks report them).
    """
    import mlx.core as mx

    route = _route(tuple(a.shape), tuple(b.shape))
    if route is None or route == "unbounded":
        return None
    total = mx.sum(_gram(a, True) * _gram(b, False)) if route == "gram" else _product(a, b)
    return math.sqrt(max(float(cast(float, total.item())), 0.0))


def _within_budget(arrays: Mapping[str, Any], partial: list[str]) -> set[str]:
    """The names examined, in name order until ``MAX_VALUE_ELEMENTS`` (sizes only, no read)."""
    budget, examined = MAX_VALUE_ELEMENTS, set()
    for name in sorted(arrays):
        size = arrays[name].size
        if size > budget:
            partial.append(f"{name}: not examined (value-check budget reached)")
            continue
        budget -= size
        examined.add(name)
    return examined


def _routes(arrays: Mapping[str, Any], examined: set[str]) -> dict[str, str]:
    """Per module with both factors examined: ``gram``, ``product`` or ``unbounded``."""
    out: dict[str, str] = {}
    for name in examined:
        if not name.endswith(".lora_a"):
            continue
        module = name[: -len(".lora_a")]
        if f"{module}.lora_b" in examined:
            route = _route(tuple(arrays[name].shape), tuple(arrays[f"{module}.lora_b"].shape))
            if route is not None:
                out[module] = route
    return out


def _route(a: tuple[int, ...], b: tuple[int, ...]) -> str | None:
    """How ``||A B||`` is computed for these shapes (None: they do not chain)."""
    if len(a) == 2 and len(b) == 2 and a[1] == b[0]:
        (n_in, rank), n_out, experts = a, b[1], 1
    elif len(a) == 3 and len(b) == 3 and a[0] == b[0] and a[1] == b[2]:
        experts, rank, n_in = a
        n_out = b[1]
    else:
        return None
    if min(rank * rank, n_in * n_out) * experts > MAX_PRODUCT_ELEMENTS:
        return "unbounded"
    return "gram" if rank * rank <= n_in * n_out else "product"


def _gram(x: Any, is_a: bool) -> Any:
    """The ``r x r`` Gram matrix of one factor (per expert for 3-D), evaluated, in float32.

    ``||F S||^2 = sum((F^T F) * (S S^T))``: for 2-D the update is ``a @ b`` (F = a, S = b), for
    3-D it is ``b @ a`` per expert (F = b, S = a). 3-D factors are cast in slices of experts
    (each expert's product is unchanged), so no float32 copy of a whole factor is made.
    """
    import mlx.core as mx

    def one(part: Any) -> Any:
        part = part.astype(mx.float32)
        inner_first = (x.ndim == 2) == is_a  # F: contract over rows; S: over columns
        g = part.swapaxes(-1, -2) @ part if inner_first else part @ part.swapaxes(-1, -2)
        mx.eval(g)
        return g

    if x.ndim == 2:
        return one(x)
    step = max(1, CHUNK_ELEMENTS // max(1, x.shape[1] * x.shape[2]))
    return mx.concatenate([one(x[i : i + step]) for i in range(0, x.shape[0], step)])


def _product(a: Any, b: Any) -> Any:
    """``sum((A B)^2)`` from the product itself (its size is bounded by the route)."""
    import mlx.core as mx

    first, second = (a, b) if a.ndim == 2 else (b, a)
    delta = first.astype(mx.float32) @ second.astype(mx.float32)
    return mx.sum(delta * delta)


def _all(test: Any, array: Any) -> bool:
    """``test`` holds everywhere, checked in slices along the first axis (bounded temporaries)."""
    return all(bool(test(part).all().item()) for part in _slices(array))


def _any(test: Any, array: Any) -> bool:
    return any(bool(test(part).any().item()) for part in _slices(array))


def _slices(array: Any) -> Any:
    if array.ndim < 2 or array.size <= CHUNK_ELEMENTS:
        yield array
        return
    step = max(1, CHUNK_ELEMENTS // max(1, array.size // array.shape[0]))
    for i in range(0, array.shape[0], step):
        yield array[i : i + step]


def _release(mx: Any) -> None:
    """Return freed buffers to the system (mlx keeps them cached for reuse otherwise)."""
    clear = getattr(mx, "clear_cache", None)
    if clear is not None:
        clear()
