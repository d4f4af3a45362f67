"""The architecture matrix through the CLI: every clean adapter verifies, every twin is caught.

Cases come from ``matrix.py`` (real configs, generated tensors). A clean case must be loaded
(``load_ok`` true, ``verified with mlx-lm``) with no ``adapter.*`` finding; a wrong twin must get
its own rule; and no case may exit 0 unless the load check ran or a finding says why it did not.
A representative subset runs in the default suite, the rest is ``slow``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main

from .matrix import Case, cases, write_case

# one of each layout, clean in both formats: quantised base, MoE per expert, MLA (kv_b_proj),
# fused qkv with auto_map, GPT-NeoX, multimodal with transformers' new and old names; the wrong
# twins of three of them. Everything else (23 bases) is in the slow run and the benchmark.
DEFAULT = {
    "llama3.2-1b-4bit",
    "qwen3-moe-30b-a3b",
    "deepseek-v2-lite",
    "phi4-mini",
    "pythia-160m",
    "gemma3-4b-multimodal",
}
DEFAULT_TWINS = {"llama3.2-1b-4bit", "qwen3-moe-30b-a3b", "gemma3-4b-multimodal"}


def _param(case: Case) -> Any:
    default = case.arch in DEFAULT and (case.expect is None or case.arch in DEFAULT_TWINS)
    return pytest.param(case, id=case.id, marks=[] if default else [pytest.mark.slow])


def audit(case: Case, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    folder, mirror, _ = write_case(case, tmp_path)
    out = tmp_path / "report.json"
    args = ["--mirror", str(mirror), "--offline", "--verify", "load", "--format", "json"]
    code = main([*args, "--output", str(out), *extra, str(folder)])
    return code, json.loads(out.read_text())["targets"][0]


@pytest.mark.parametrize("case", [_param(c) for c in cases()])
def test_matrix(case: Case, tmp_path: Path) -> None:
    code, entry = audit(case, tmp_path)
    adapter = entry["evidence"] if "evidence" in entry else entry["facts"]["adapter"]
    found = sorted({f["rule_id"] for f in entry["findings"] if f["rule_id"].startswith("adapter.")})
    loaded = adapter["load_ok"] is not None
    assert loaded or "adapter.not-verified" in found, (found, adapter["problems"])
    if case.expect is None:
        assert adapter["load_ok"] is True, adapter["load_errors"]
        assert adapter["verified_with"].startswith("mlx-lm "), adapter["verified_with"]
        assert found == [], [f["message"] for f in entry["findings"]]
    else:
        assert case.expect in found, (found, adapter["load_errors"], adapter["problems"])
        assert code != 0
