"""A synthetic Hub mirror on disk for the census (tests and bench/bench_census.py).

The population of bench/simulate_scale.py (the three example adapter cards, bases and datasets
drawn Zipf-style, the same license mixes) written as a directory laid out like the Hub, plus what
a real slice of the Hub has and the in-memory simulation lacks: merges of two bases, quantised
copies, fine-tunes of other adapters (deeper lineages), gated bases with their terms, datasets
missing from the mirror (unresolved upstream). Deterministic for a given size and seed.

    .venv/bin/python bench/synthetic_mirror.py DIR [--repos 5000]
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

from simulate_scale import DATA_LICENSES, LICENSES, TEMPLATES, _zipf

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_HUB = ROOT / "examples" / "hub"
BASES, DATASETS = 20, 200
GATE = "You agree to the acceptable use policy of this model before downloading it."


def _front(fields: dict[str, object]) -> str:
    lines = ["---"]
    for key, value in fields.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines += [f"- {v}" for v in value]
        else:
            lines.append(f"{key}: {value}")
    return "\n".join([*lines, "---", ""])


def _body(text: str) -> str:
    return text.partition("\n---\n")[2]


def _write(repo: Path, files: dict[str, str]) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (repo / name).write_text(text, encoding="utf-8")


def build(root: Path, repos: int = 5000, seed: int = 11) -> list[str]:
    """Write the mirror under ``root``; returns the model repo ids (bases first)."""
    rng = random.Random(seed)
    base_dir = EXAMPLE_HUB / "swiss-ai" / "Apertus-70B-Instruct-2509"
    base_body = _body((base_dir / "README.md").read_text())
    config = (base_dir / "config.json").read_text()
    ids: list[str] = []
    for i in range(BASES):
        rid = f"sim/base-{i}"
        fields: dict[str, object] = {"license": LICENSES[i % len(LICENSES)],
                                     "library_name": "transformers"}  # fmt: skip
        if i % 5 == 1:
            fields["extra_gated_prompt"] = f'"{GATE}"'
        _write(root / rid, {"README.md": _front(fields) + base_body, "config.json": config})
        ids.append(rid)
    for i in range(DATASETS):
        if i % 23 == 22:
            continue  # named by cards but absent from the mirror: an unresolved upstream node
        lic = DATA_LICENSES[i % len(DATA_LICENSES)]
        _write(root / "datasets" / "sim" / f"data-{i}",
               {"README.md": _front({"license": lic}) + f"# dataset {i}\n"})  # fmt: skip
    templates = [(EXAMPLE_HUB / "Ailiance-fr" / t) for t in TEMPLATES]
    bodies = [_body((t / "README.md").read_text()) for t in templates]
    adapter_config = [(t / "adapter_config.json").read_text() for t in templates]
    for i in range(max(0, repos - BASES)):
        rid = f"sim-org{i % 500}/adapter-{i}"
        kind = rng.random()
        base = f"sim/base-{_zipf(rng, BASES)}"
        data = sorted({_zipf(rng, DATASETS) for _ in range(rng.randint(1, 3))})
        fields = {"license": rng.choice(LICENSES), "base_model": [base],
                  "library_name": "mlx", "datasets": [f"sim/data-{d}" for d in data]}  # fmt: skip
        files = {"adapter_config.json": adapter_config[i % len(templates)]}
        if kind < 0.05:  # a merge of two bases
            fields["base_model"] = sorted({base, f"sim/base-{_zipf(rng, BASES)}"})
            fields["base_model_relation"] = "merge"
            files = {"config.json": config}
        elif kind < 0.10:  # a quantised copy of a base, same license
            fields["base_model_relation"] = "quantized"
            fields["license"] = LICENSES[int(base.rsplit("-", 1)[1]) % len(LICENSES)]
            files = {"config.json": config}
        elif kind < 0.15 and i > 10:  # a fine-tune of an earlier adapter
            fields["base_model"] = [ids[BASES + rng.randrange(i)]]
        files["README.md"] = _front(fields) + bodies[i % len(bodies)]
        _write(root / rid, files)
        ids.append(rid)
    return ids


def main() -> None:
    """Write a mirror (replacing the directory)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--repos", type=int, default=5000)
    args = parser.parse_args()
    shutil.rmtree(args.root, ignore_errors=True)
    print(len(build(args.root, args.repos)), "model repos in", args.root)


if __name__ == "__main__":
    main()
