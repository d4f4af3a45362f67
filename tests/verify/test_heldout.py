"""The held-out set through the CLI: each case gets the result written for it in advance.

Architectures the matrix does not cover and PEFT-extras combinations (``heldout.py``,
``data/heldout.json``). A clean case must load (``verified with mlx-lm``) with no ``adapter.*``
finding; a wrong case must get its rule and a non-zero exit. One case of each kind runs in the
default suite, the rest is ``slow``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main

from .heldout import architectures, cases, extras, write_extra
from .matrix import Case, write_case

pytestmark = pytest.mark.mlx
DEFAULT = {"internlm2-chat-1.8b-peft-clean", "qwen1.5-moe-a2.7b-mlx-lm-wrong-hidden"}
DEFAULT_EXTRAS = {"qwen2.5-7b-regex-layers-norms"}


def _audit(folder: Path, mirror: Path) -> tuple[int, dict[str, Any]]:
    out = folder.parent / "report.json"
    args = ["--mirror", str(mirror), "--offline", "--verify", "load", "--format", "json"]
    code = main([*args, "--output", str(out), str(folder)])
    return code, json.loads(out.read_text())["targets"][0]


def _check(code: int, entry: dict[str, Any], expect: str | None) -> None:
    adapter = entry["evidence"]
    found = sorted({f["rule_id"] for f in entry["findings"] if f["rule_id"].startswith("adapter.")})
    assert adapter["load_ok"] is not None or "adapter.not-verified" in found, adapter["problems"]
    if expect is None:
        assert adapter["load_ok"] is True, (adapter["load_errors"], adapter["problems"])
        assert adapter["verified_with"].startswith("mlx-lm "), adapter["verified_with"]
        assert found == [], [f["message"] for f in entry["findings"]]
    else:
        assert expect in found, (found, adapter["load_errors"], adapter["problems"])
        assert code != 0


def _marks(name: str, default: set[str]) -> Any:
    return [] if name in default else [pytest.mark.slow]


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.id, marks=_marks(c.id, DEFAULT)) for c in cases()]
)
def test_heldout_architecture(case: Case, tmp_path: Path) -> None:
    folder, mirror, _ = write_case(case, tmp_path, architectures())
    _check(*_audit(folder, mirror), case.expect)


@pytest.mark.parametrize(
    "extra", [pytest.param(e, id=e["id"], marks=_marks(e["id"], DEFAULT_EXTRAS)) for e in extras()]
)
def test_heldout_peft_extra(extra: dict[str, Any], tmp_path: Path) -> None:
    folder, mirror = write_extra(extra, tmp_path)
    _check(*_audit(folder, mirror), extra["expect"])
