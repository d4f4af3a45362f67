"""A PEFT adapter whose ``modules_to_save`` entry matches every tensor name.

PEFT matches a ``modules_to_save`` entry as a plain suffix of the module path, so the entry
``"t"`` claims every module whose name ends in ``t`` as a saved full copy. An adapter from a
stranger can pair that with up to the header's 200,000 entries; each claimed copy is looked up
in the base's skeleton. The lookups use an index built once per check (a scan of the whole
skeleton per tensor made this quadratic). Bounds: exit code, peak RSS, the time guard, and a
report whose error lines are capped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from .harness import ROOT, run_cli

BASE = ROOT / "examples" / "hub"  # an 80-block base: a scan per tensor would be slow
COPIES = 50_000

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="RLIMIT_AS is enforced on Linux only"
)


def test_suffix_matched_saved_copies_stay_bounded(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    folder.mkdir()
    config = {
        "peft_type": "LORA",
        "base_model_name_or_path": "swiss-ai/Apertus-70B-2509",
        "r": 4,
        "lora_alpha": 8,
        "target_modules": ["q_proj"],
        "modules_to_save": ["t"],
    }
    (folder / "adapter_config.json").write_text(json.dumps(config))
    one = np.ones((1,), dtype=np.float16)
    tensors = {f"base_model.model.model.w{i}t.weight": one for i in range(COPIES)}
    q = "base_model.model.model.layers.79.self_attn.q_proj"
    tensors[q + ".lora_A.weight"] = np.ones((4, 8192), dtype=np.float16)
    tensors[q + ".lora_B.weight"] = np.ones((8192, 4), dtype=np.float16)
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    card = "---\nlicense: apache-2.0\nbase_model: swiss-ai/Apertus-70B-2509\n---\n# saved copies\n"
    (folder / "README.md").write_text(card)
    out = tmp_path / "report.json"
    args = ["--verify", "load", "--format", "json", "--output", str(out), str(folder)]
    result = run_cli(args, mirrors=(BASE,), timeout=300)
    result.assert_clean()
    assert result.peak_mb < 600, f"peak RSS {result.peak_mb:.0f} MB"
    entry = json.loads(out.read_text())["targets"][0]
    adapter = entry["evidence"]
    assert adapter["load_ok"] is False  # no such modules in the base: said, not passed
    assert "adapter.architecture-mismatch" in {f["rule_id"] for f in entry["findings"]}
    assert 0 < len(adapter["load_errors"]) < COPIES  # capped, not one line per copy
