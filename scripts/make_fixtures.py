"""Generate ``tests/fixtures/adapters/`` with the real tools (run once; outputs are committed).

Run from the repository root::

    python scripts/make_fixtures.py --peft-python /path/to/venv-with-peft/bin/python

What it makes, under ``tests/fixtures/adapters/hub/`` (laid out like a Hub mirror):

- ``tiny-random/apertus-4l`` and ``tiny-random/llama-4l``: 4-block, 64-wide base models (config,
  random float16 weights from mlx-lm's own model classes, a 512-token BPE tokenizer built with
  ``tokenizers``).
- ``fixtures/mlx-apertus-lora``, ``fixtures/mlx-llama-lora``, ``fixtures/mlx-llama-dora``:
  adapters trained for a few steps by the real trainer, ``python -m mlx_lm lora``, run from the
  hub folder so the configs name their base as ``tiny-random/...`` (a Hub-style id).
- ``fixtures/peft-llama-*``: adapters written by the real ``peft`` library (torch + peft must be
  installed in the interpreter given by ``--peft-python``; they are not project dependencies),
  see ``scripts/make_peft_fixtures.py``.
- Drifted variants derived from the trained adapters (``drift-*``, ``untrained``, ``nan``,
  ``wrong-module``) and config-only cases (``alpha-scale``).

Deterministic inputs (fixed seeds); the trainer's own output is kept as it wrote it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "adapters"
HUB = OUT / "hub"
COMMON = {
    "hidden_size": 64,
    "num_hidden_layers": 4,
    "intermediate_size": 128,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 512,
    "max_position_embeddings": 256,
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "tie_word_embeddings": False,
    "torch_dtype": "float16",
    "bos_token_id": 1,
    "eos_token_id": 2,
}
BASES = {
    "tiny-random/apertus-4l": {
        "architectures": ["ApertusForCausalLM"],
        "model_type": "apertus",
        "mlp_bias": False,
        "attention_bias": False,
        "hidden_act": "xielu",
        "post_norm": False,
        "qk_norm": True,
        **COMMON,
    },
    "tiny-random/llama-4l": {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "mlp_bias": False,
        "attention_bias": False,
        "hidden_act": "silu",
        **COMMON,
    },
}


def corpus() -> list[str]:
    """Deterministic training text: small arithmetic word problems."""
    rng = np.random.default_rng(0)
    lines = []
    for _ in range(160):
        a, b = (int(x) for x in rng.integers(1, 50, 2))
        lines.append(f"Question: what is {a} plus {b}? Answer: {a} plus {b} is {a + b}.")
    return lines


def write_data() -> Path:
    """``data/train.jsonl`` and ``data/valid.jsonl`` in mlx-lm's ``{"text": ...}`` format."""
    data = OUT / "data"
    data.mkdir(parents=True, exist_ok=True)
    lines = corpus()
    for name, part in (("train", lines[:128]), ("valid", lines[128:])):
        text = "".join(json.dumps({"text": t}) + "\n" for t in part)
        (data / f"{name}.jsonl").write_text(text)
    return data


def write_tokenizer(folder: Path) -> None:
    """A 512-token byte-level BPE tokenizer trained on the corpus, usable by transformers."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=["<pad>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus(), trainer=trainer)
    tok.save(str(folder / "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "pad_token": "<pad>",
        "model_max_length": 256,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")


def write_base(repo: str, config: dict[str, object]) -> None:
    """config.json, random float16 weights built by mlx-lm's model class, tokenizer."""
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm.utils import _get_classes

    folder = HUB / repo
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    mx.random.seed(0)
    model_class, args_class = _get_classes(config)
    model = model_class(args_class.from_dict(config))
    weights = {
        k: np.array(v.astype(mx.float32)).astype(np.float16)
        for k, v in tree_flatten(model.parameters())
    }
    save_file(
        dict(sorted(weights.items())), str(folder / "model.safetensors"), metadata={"format": "mlx"}
    )
    write_tokenizer(folder)


def train(repo: str, base: str, lora_config: dict[str, object], iters: int = 20) -> None:
    """Run the real mlx-lm trainer (its ``-c`` config kept in ``train/``) into ``hub/<repo>``."""
    target = HUB / repo
    shutil.rmtree(target, ignore_errors=True)
    config_file = OUT / "train" / f"{repo.split('/')[-1]}.json"
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(json.dumps(lora_config, indent=2) + "\n")
    command = [
        sys.executable,
        "-m",
        "mlx_lm",
        "lora",
        "--model",
        base,
        "--train",
        "--data",
        "../data",
        "--iters",
        str(iters),
        "--batch-size",
        "4",
        "--adapter-path",
        repo,
        "--max-seq-length",
        "64",
        "--steps-per-report",
        "10",
        "--save-every",
        "1000",
        "-c",
        f"../train/{config_file.name}",
    ]
    subprocess.run(command, cwd=HUB, check=True)
    for extra in target.glob("0*_adapters.safetensors"):
        extra.unlink()


def derive(source: str, repo: str, tensors: dict[str, np.ndarray], **config: object) -> None:
    """A drifted copy of ``source``: new tensors, config keys overridden (dotted keys)."""
    folder = HUB / repo
    folder.mkdir(parents=True, exist_ok=True)
    data = json.loads((HUB / source / "adapter_config.json").read_text())
    for key, value in config.items():
        scope = data
        *parents, leaf = key.split("__")
        for p in parents:
            scope = scope[p]
        scope[leaf] = value
    (folder / "adapter_config.json").write_text(json.dumps(data, indent=4) + "\n")
    save_file(dict(sorted(tensors.items())), str(folder / "adapters.safetensors"))


def drifted() -> None:
    """The deliberately drifted variants of ``fixtures/mlx-llama-lora``."""
    src = "fixtures/mlx-llama-lora"
    good = load_file(str(HUB / src / "adapters.safetensors"))
    rank4 = {k: (v[:, :2] if k.endswith("lora_a") else v[:2, :]) for k, v in good.items()}
    derive(src, "fixtures/drift-rank", rank4)  # config rank 4, tensors rank 2
    derive(src, "fixtures/drift-scale", good, lora_parameters__scale=20.0)
    derive(src, "fixtures/drift-layers", {k: v for k, v in good.items() if ".layers.0." not in k})
    untrained = {k: (np.zeros_like(v) if k.endswith("lora_b") else v) for k, v in good.items()}
    derive(src, "fixtures/untrained", untrained)
    nan = dict(good)
    key = sorted(k for k in nan if k.endswith("lora_b"))[0]
    nan[key] = nan[key].copy()
    nan[key][0, 0] = np.nan
    derive(src, "fixtures/nan", nan)
    extra = dict(good)
    extra["model.layers.3.self_attn.qkv_proj.lora_a"] = good[
        "model.layers.3.self_attn.q_proj.lora_a"
    ]
    derive(src, "fixtures/wrong-module", extra)
    folder = HUB / "fixtures" / "alpha-scale"
    folder.mkdir(parents=True, exist_ok=True)
    config = json.loads((HUB / src / "adapter_config.json").read_text())
    config["lora_parameters"] = {"rank": 128, "alpha": 256, "scale": 10.0, "dropout": 0.0}
    (folder / "adapter_config.json").write_text(json.dumps(config, indent=4) + "\n")


def main() -> None:
    """Generate everything (the PEFT part only with ``--peft-python``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peft-python", help="interpreter with torch, transformers and peft")
    args = parser.parse_args()
    write_data()
    for repo, config in BASES.items():
        write_base(repo, config)
    train(
        "fixtures/mlx-apertus-lora",
        "tiny-random/apertus-4l",
        {"num_layers": 2, "lora_parameters": {"rank": 8, "scale": 20.0, "dropout": 0.0}},
    )
    train(
        "fixtures/mlx-llama-lora",
        "tiny-random/llama-4l",
        {
            "num_layers": -1,
            "lora_parameters": {
                "rank": 4,
                "scale": 10.0,
                "alpha": 40,
                "dropout": 0.05,
                "keys": ["self_attn.q_proj", "self_attn.v_proj"],
            },
        },
    )
    train(
        "fixtures/mlx-llama-dora",
        "tiny-random/llama-4l",
        {
            "num_layers": 2,
            "fine_tune_type": "dora",
            "lora_parameters": {"rank": 4, "scale": 2.0, "dropout": 0.0},
        },
        iters=10,
    )
    drifted()
    if args.peft_python:
        # offline: PEFT otherwise tries to fetch the base's config.json from the Hub
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        subprocess.run(
            [args.peft_python, str(ROOT / "scripts" / "make_peft_fixtures.py")], check=True, env=env
        )


if __name__ == "__main__":
    main()
