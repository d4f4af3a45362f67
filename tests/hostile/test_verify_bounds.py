"""--verify load on adapters built to exhaust memory, and under a low address-space limit.

A shape-valid adapter with ``lora_a`` 1 x N and ``lora_b`` N x 1 (rank N) once made the update
norm build two N x N products (N = 100,000: 40 GB, a SIGSEGV under a limit, no report). The
value checks now cost what the tensors cost; an mlx failure is a problem record, and an audit
that cannot even import mlx says the load check did not run. Bounds: exit code, peak RSS,
report written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from .harness import ROOT, run_cli

BASE = ROOT / "tests" / "fixtures" / "adapters" / "hub"
LOW_LIMIT = 600 << 20

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="RLIMIT_AS is enforced on Linux only"
)


def _adapter(folder: Path, n: int) -> Path:
    folder.mkdir()
    config = {
        "model": "tiny-random/llama-4l",
        "fine_tune_type": "lora",
        "num_layers": 1,
        "lora_parameters": {"rank": n, "scale": 1.0, "dropout": 0.0, "keys": ["self_attn.q_proj"]},
    }
    (folder / "adapter_config.json").write_text(json.dumps(config))
    ones = np.ones
    tensors = {
        "model.layers.3.self_attn.q_proj.lora_a": ones((1, n), dtype=np.float16),
        "model.layers.3.self_attn.q_proj.lora_b": ones((n, 1), dtype=np.float16),
    }
    save_file(tensors, str(folder / "adapters.safetensors"))
    card = "---\nlicense: apache-2.0\nbase_model: tiny-random/llama-4l\n---\n# rank N\n"
    (folder / "README.md").write_text(card)
    return folder


def test_rank_n_adapter_costs_what_its_tensors_cost(tmp_path: Path) -> None:
    folder = _adapter(tmp_path / "a", 100_000)
    out = tmp_path / "report.json"
    args = ["--verify", "load", "--format", "json", "--output", str(out), str(folder)]
    result = run_cli(args, mirrors=(BASE,), timeout=120, as_limit=LOW_LIMIT)
    result.assert_clean()
    assert result.peak_mb < 450, f"peak RSS {result.peak_mb:.0f} MB"
    entry = json.loads(out.read_text())["targets"][0]
    adapter = entry["evidence"]
    # the norm of a 1 x 1 update is computed directly, never through N x N Grams
    assert adapter["module_norms"] == {"model.layers.3.self_attn.q_proj": 100_000.0}
    assert adapter["load_ok"] is False  # q_proj takes 64 inputs, not 1: the shape check runs
    assert "adapter.architecture-mismatch" in {f["rule_id"] for f in entry["findings"]}


def test_low_address_space_limit_is_a_finding_not_exit_4(tmp_path: Path) -> None:
    folder = _adapter(tmp_path / "a", 8)
    out = tmp_path / "report.json"
    args = ["--verify", "load", "--format", "json", "--output", str(out), str(folder)]
    result = run_cli(args, mirrors=(BASE,), timeout=120, as_limit=LOW_LIMIT)
    result.assert_clean()
    entry = json.loads(out.read_text())["targets"][0]
    adapter = entry["evidence"]
    ran = adapter["load_ok"] is not None
    ids = {f["rule_id"] for f in entry["findings"]}
    assert ran or "adapter.not-verified" in ids, ids
