"""Hostile inputs built at test time: too big to commit, or things git cannot carry.

Each builder writes a repo (or a few) into a mirror folder laid out like the Hub and returns the
target id. Sizes are real: the big card is 50 MB on disk.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .make_corpus import ADAPTER_CONFIG, CARD

BIG_CARD_BYTES = 50 * 1024 * 1024
CHAIN_DEPTH = 1000
# Neutral prose: no license names, hyperparameters or headings, so the size itself is the attack.
_FILLER = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
    "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.\n\n"
)


def _repo(mirror: Path, repo_id: str) -> Path:
    folder = mirror / repo_id
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def big_card(mirror: Path) -> str:
    """A 50 MB README: a normal card, then 50 MB of prose (streamed to disk, never in memory)."""
    folder = _repo(mirror, "generated/card-50mb")
    with (folder / "README.md").open("w", encoding="utf-8") as fh:
        fh.write(CARD)
        block = _FILLER * 1024
        written = len(CARD)
        while written < BIG_CARD_BYTES:
            fh.write(block)
            written += len(block)
    return "generated/card-50mb"


def chain(mirror: Path, depth: int = CHAIN_DEPTH) -> str:
    """``generated/chain-0`` -> ``chain-1`` -> ... -> ``chain-<depth>``: a 1,000-deep lineage."""
    for i in range(depth):
        _repo(mirror, f"generated/chain-{i}").joinpath("README.md").write_text(
            f"---\nlicense: apache-2.0\nbase_model: generated/chain-{i + 1}\n---\n# link {i}\n"
        )
    _repo(mirror, f"generated/chain-{depth}").joinpath("README.md").write_text(
        "---\nlicense: mit\n---\n# the end of the chain\n"
    )
    return "generated/chain-0"


def symlinks_outside(mirror: Path, outside: Path) -> str:
    """Every file of the repo is a symlink leaving it: to a secret, /etc, /dev/zero, the root."""
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret-card.md").write_text("---\nlicense: mit\n---\n# SECRET-OUTSIDE-CARD\n")
    (outside / "secret.json").write_text(json.dumps(dict(ADAPTER_CONFIG, model="SECRET")))
    folder = _repo(mirror, "generated/symlinks-outside")
    (folder / "README.md").symlink_to(outside / "secret-card.md")
    (folder / "adapter_config.json").symlink_to(os.path.relpath(outside / "secret.json", folder))
    (folder / "adapters.safetensors").symlink_to("/dev/zero")
    (folder / "LICENSE").symlink_to("/etc/passwd")
    (folder / "root").symlink_to("/")
    (folder / "parent").symlink_to("..")
    return "generated/symlinks-outside"


def fifos(mirror: Path) -> str:
    """README.md and adapter_config.json are named pipes: opening one would block forever."""
    folder = _repo(mirror, "generated/fifos")
    os.mkfifo(folder / "README.md")
    os.mkfifo(folder / "adapter_config.json")
    os.mkfifo(folder / ".ailiance-audit.yaml")
    return "generated/fifos"


def symlink_loop(mirror: Path) -> str:
    """A repo holding a self-referencing symlink and a two-link cycle, next to a real card."""
    folder = _repo(mirror, "generated/symlink-loop")
    (folder / "README.md").write_text(CARD)
    (folder / "self").symlink_to("self")
    (folder / "ping").symlink_to("pong")
    (folder / "pong").symlink_to("ping")
    return "generated/symlink-loop"


def huge_layer_base(mirror: Path, example_hub: Path) -> str:
    """An adapter whose base config declares 10^9 layers (a size only, nothing to download)."""
    base = json.loads((example_hub / "swiss-ai/Apertus-70B-Instruct-2509/config.json").read_text())
    base["num_hidden_layers"] = 10**9
    folder = _repo(mirror, "generated/billion-layer-base")
    (folder / "config.json").write_text(json.dumps(base))
    (folder / "README.md").write_text("---\nlicense: apache-2.0\n---\n# base\n")
    adapter = _repo(mirror, "generated/adapter-on-billion-layers")
    (adapter / "README.md").write_text(
        CARD.replace("swiss-ai/Apertus-70B-Instruct-2509", "generated/billion-layer-base")
    )
    (adapter / "adapter_config.json").write_text(
        json.dumps(dict(ADAPTER_CONFIG, model="generated/billion-layer-base"))
    )
    weights = example_hub / "Ailiance-fr/apertus-math-lora/adapters.safetensors"
    (adapter / "adapters.safetensors").write_bytes(weights.read_bytes())
    return "generated/adapter-on-billion-layers"


def statement_paragraph_card(mirror: Path, lines: int = 3000) -> str:
    """One paragraph of thousands of lines, each with three compliance statements."""
    body = "\n".join(
        f"All upstream components are Apache 2.0 / MIT, part {i}. No web scraping by us, part {i}."
        f" Parts are licensed under CC-BY-SA-4.0 ({i})."
        for i in range(lines)
    )
    folder = _repo(mirror, "generated/statement-paragraph")
    (folder / "README.md").write_text(CARD + body + "\n")
    return "generated/statement-paragraph"


def dense_claims_card(mirror: Path, size: int = 60_000) -> str:
    """A card whose body restates hyperparameters, licenses and bases over and over."""
    chunk = (
        "| rank | 16 |\n| alpha | 32 |\n\nThe adapter uses rank 8 with AdamW. Released under "
        "CC BY-NC 4.0. Finetuned from meta-llama/Llama-2-7b.\n\n## Notes {i}\n\n"
    )
    body: list[str] = []
    i = 0
    while sum(len(b) for b in body) < size:
        body.append(chunk.replace("{i}", str(i)))
        i += 1
    folder = _repo(mirror, "generated/dense-claims")
    (folder / "README.md").write_text(CARD + "| Parameter | Value |\n|---|---|\n" + "".join(body))
    return "generated/dense-claims"


def wide_lineage(mirror: Path, count: int = 1000) -> str:
    """A card declaring ``count`` datasets (none resolvable offline): a wide, shallow graph."""
    folder = _repo(mirror, "generated/wide-lineage")
    datasets = "".join(f"- nobody/dataset-{i}\n" for i in range(count))
    (folder / "README.md").write_text(
        f"---\nlicense: apache-2.0\nbase_model: swiss-ai/Apertus-70B-Instruct-2509\n"
        f"datasets:\n{datasets}---\n# wide\n"
    )
    return "generated/wide-lineage"
