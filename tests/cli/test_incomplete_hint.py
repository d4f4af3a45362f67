"""The hint after an incomplete audit names the remedy for what is missing: the load check's
when only the load check did not run, the lookup's (Hub, mirror, cache) otherwise."""

from __future__ import annotations

from auditor.errors import INCOMPLETE_HINT, LOAD_GAP, LOAD_HINT, incomplete_hint


def test_only_the_load_check_missing_gets_its_own_remedy() -> None:
    gap = f"{LOAD_GAP}: the load-check worker stopped (no answer within 120 s)"
    assert incomplete_hint((gap,)) == LOAD_HINT
    assert "--verify header" in LOAD_HINT and "Hub" not in LOAD_HINT


def test_a_lookup_gap_gets_the_lookup_remedy() -> None:
    load = f"{LOAD_GAP} of adapters.safetensors (mlx-lm could not be imported)"
    lookup = "dataset 'acme/private' at its default branch: offline mode is on"
    assert incomplete_hint((lookup,)) == INCOMPLETE_HINT
    assert incomplete_hint((load, lookup)) == INCOMPLETE_HINT  # both: the wider remedy
    assert incomplete_hint(()) == INCOMPLETE_HINT
