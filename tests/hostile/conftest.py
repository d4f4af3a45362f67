"""Fixtures: a session mirror of the inputs built at test time (``generated.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import generated
from .harness import EXAMPLE_HUB


@pytest.fixture(scope="session")
def generated_hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty mirror folder; each fixture below adds its repos to it."""
    return tmp_path_factory.mktemp("generated-hub")


@pytest.fixture(scope="session")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside every audited repo, holding files symlinks point to."""
    return tmp_path_factory.mktemp("outside")


@pytest.fixture(scope="session")
def built(generated_hub: Path, outside: Path) -> dict[str, str]:
    """Build every generated input once; builder name -> target id."""
    return {
        "big_card": generated.big_card(generated_hub),
        "chain": generated.chain(generated_hub),
        "symlinks_outside": generated.symlinks_outside(generated_hub, outside),
        "fifos": generated.fifos(generated_hub),
        "wide_lineage": generated.wide_lineage(generated_hub),
        "symlink_loop": generated.symlink_loop(generated_hub),
        "huge_layer_base": generated.huge_layer_base(generated_hub, EXAMPLE_HUB),
        "dense_claims": generated.dense_claims_card(generated_hub, size=40_000),
        "statement_paragraph": generated.statement_paragraph_card(generated_hub),
    }
