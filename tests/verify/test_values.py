"""Value checks: exact update norms at a cost bounded by the tensor sizes."""

from __future__ import annotations

import mlx.core as mx
import numpy as np
import pytest

from auditor.verify import values
from auditor.verify.values import check_values, update_norm


@pytest.mark.parametrize(("n_in", "rank", "n_out"), [(64, 8, 32), (1, 500, 1), (3, 40, 5)])
def test_norm_is_exact_by_either_route(n_in: int, rank: int, n_out: int) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n_in, rank)), rng.standard_normal((rank, n_out))
    want = float(np.linalg.norm(a @ b))
    got = update_norm(mx.array(a.astype(np.float32)), mx.array(b.astype(np.float32)))
    assert got == pytest.approx(want, rel=1e-4)


def test_switch_norm_matches_per_expert_products() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 8, 16)), rng.standard_normal((4, 12, 8))  # E r in, E out r
    want = float(np.sqrt(sum(np.linalg.norm(b[e] @ a[e]) ** 2 for e in range(4))))
    got = update_norm(mx.array(a.astype(np.float32)), mx.array(b.astype(np.float32)))
    assert got == pytest.approx(want, rel=1e-4)


def test_unbounded_products_are_not_computed_and_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(values, "MAX_PRODUCT_ELEMENTS", 100)
    a, b = mx.ones((20, 20)), mx.ones((20, 20))  # both routes need 400 elements
    assert update_norm(a, b) is None
    checks = check_values({"m.lora_a": a, "m.lora_b": b}, 1.0)
    assert checks.module_norms == {} and any("not computed" in p for p in checks.partial)


def test_budget_per_adapter_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(values, "MAX_VALUE_ELEMENTS", 10)
    checks = check_values({"m.lora_a": mx.ones((4, 2)), "m.lora_b": mx.ones((2, 4))}, 2.0)
    assert checks.partial == ["m.lora_b: not examined (value-check budget reached)"]
    assert checks.module_norms == {}


def test_module_scale_overrides_the_adapter_scale() -> None:
    a, b = mx.ones((2, 1)), mx.ones((1, 2))  # ||a b|| = 2
    checks = check_values({"m.lora_a": a, "m.lora_b": b}, 2.0, {"m": 0.5})
    assert checks.module_norms == {"m": 1.0}
