"""Generate the ``adapters.safetensors`` of the example adapters in ``examples/hub/``.

Run from the repository root: ``python scripts/make_example_adapters.py``. Deterministic (fixed
seeds, float16, sorted tensor names), so re-running it rewrites byte-identical files.

The tensors have the exact names and shapes mlx-lm gives a rank-r LoRA on
``self_attn.q_proj`` and ``self_attn.v_proj`` of the last two blocks (78 and 79) of the real
Apertus-70B architecture (``examples/hub/swiss-ai/Apertus-70B-Instruct-2509/config.json``:
hidden 8192, 64 heads of 128, 8 KV heads): ``model.layers.N.self_attn.q_proj.lora_a`` is
``8192 x r``, ``lora_b`` ``r x 8192``; for ``v_proj`` ``lora_b`` is ``r x 1024``
(``mlx_lm/tuner/lora.py``: ``LoRALinear``). Values look trained: ``lora_a`` as mlx-lm
initialises it (uniform in +-1/sqrt(in)), ``lora_b`` small and nonzero (it starts at zero).

- ``apertus-math-lora`` and ``apertus-math-orca-lora``: rank 16, as their configs say.
- ``apertus-math-drift-lora``: rank 8 while its config and card say 16 (the drifted example).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

ROOT = Path(__file__).resolve().parents[1]
HUB = ROOT / "examples" / "hub"
BASE = HUB / "swiss-ai" / "Apertus-70B-Instruct-2509" / "config.json"
EXAMPLES = {
    "Ailiance-fr/apertus-math-lora": (16, 1),
    "Ailiance-fr/apertus-math-orca-lora": (16, 2),
    "Ailiance-fr/apertus-math-drift-lora": (8, 3),
}
LAYERS = (78, 79)


def adapter_tensors(config: dict[str, int], rank: int, seed: int) -> dict[str, np.ndarray]:
    """Trained-looking rank-``rank`` LoRA factors for q_proj and v_proj of ``LAYERS``."""
    hidden = config["hidden_size"]
    head_dim = hidden // config["num_attention_heads"]
    outputs = {
        "self_attn.q_proj": config["num_attention_heads"] * head_dim,
        "self_attn.v_proj": config["num_key_value_heads"] * head_dim,
    }
    rng = np.random.default_rng(seed)
    bound = 1.0 / np.sqrt(hidden)
    tensors: dict[str, np.ndarray] = {}
    for layer in LAYERS:
        for module, out in outputs.items():
            name = f"model.layers.{layer}.{module}"
            tensors[f"{name}.lora_a"] = rng.uniform(-bound, bound, (hidden, rank)).astype(
                np.float16
            )
            tensors[f"{name}.lora_b"] = (rng.standard_normal((rank, out)) * 1e-3).astype(np.float16)
    return dict(sorted(tensors.items()))


def main() -> None:
    """Write the three example adapters."""
    config = json.loads(BASE.read_text())
    for repo, (rank, seed) in EXAMPLES.items():
        target = HUB / repo / "adapters.safetensors"
        target.parent.mkdir(parents=True, exist_ok=True)
        save_file(adapter_tensors(config, rank, seed), str(target))
        print(f"{target.relative_to(ROOT)}: rank {rank}, {target.stat().st_size} bytes")


if __name__ == "__main__":
    main()
