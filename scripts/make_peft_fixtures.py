"""Write PEFT adapters for ``tests/fixtures/adapters`` with the real ``peft`` library.

Called by ``scripts/make_fixtures.py --peft-python PY``; needs torch, transformers and peft in
that interpreter (not project dependencies). The base is ``tiny-random/llama-4l`` built from its
``config.json`` by transformers; ``lora_B`` is perturbed after ``get_peft_model`` (PEFT starts
it at zero) so the adapters look trained. Seeds are fixed.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from peft import LoraConfig, get_peft_model
from transformers import LlamaConfig, LlamaForCausalLM

HUB = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "adapters" / "hub"
BASE = "tiny-random/llama-4l"
VARIANTS = {
    "fixtures/peft-llama-lora": {
        "r": 8,
        "lora_alpha": 16,
        "target_modules": ["q_proj", "v_proj"],
        "lora_dropout": 0.05,
    },
    "fixtures/peft-llama-rslora": {
        "r": 8,
        "lora_alpha": 16,
        "use_rslora": True,
        "target_modules": "all-linear",
    },
    "fixtures/peft-llama-layers": {
        "r": 4,
        "lora_alpha": 8,
        "target_modules": ["q_proj", "o_proj"],
        "layers_to_transform": [2, 3],
    },
    "fixtures/peft-llama-dora": {
        "r": 4,
        "lora_alpha": 8,
        "use_dora": True,
        "target_modules": ["q_proj", "k_proj"],
    },
}


def make(repo: str, options: dict[str, object]) -> None:
    """Build the base, wrap it with PEFT, perturb lora_B, save the adapter."""
    torch.manual_seed(0)
    config = LlamaConfig(**json.loads((HUB / BASE / "config.json").read_text()))
    model = LlamaForCausalLM(config)
    peft_model = get_peft_model(
        model,
        LoraConfig(task_type="CAUSAL_LM", **options),  # type: ignore[arg-type]
    )
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.normal_(0.0, 0.02)
    peft_model.base_model.model.config.name_or_path = BASE
    peft_model.peft_config["default"].base_model_name_or_path = BASE
    peft_model.save_pretrained(str(HUB / repo))


def main() -> None:
    """Write every variant."""
    for repo, options in VARIANTS.items():
        make(repo, options)
        print("wrote", repo)


if __name__ == "__main__":
    main()
