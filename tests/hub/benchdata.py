"""Generated Hub data for the walk benchmark (bench/bench_hub.py) and scale tests.

``generate_mirror(root)`` writes, laid out like a mirror, N adapter repos sharing a few base
models and datasets, and returns what a walk must fetch, so the request count can be compared
with the minimum the data needs. The adapters' cards name their base (``base_model``) and their
training data (``datasets``); bases carry a weights file that a correct walk never touches.
"""

from __future__ import annotations

import json
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from auditor.models import RepoKind
from auditor.sources.base import Source
from tests.hub.hubdata import front_matter

# What the audit reads of every repo when present (auditor.sources.base.METADATA_FILES).
WALK_FILES = ("README.md", "adapter_config.json", "config.json")


@dataclass
class BenchData:
    """The generated repos and what a walk of them needs."""

    adapters: list[str]
    bases: list[str]
    datasets: list[str]
    files: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (kind, id) → files

    @property
    def repos(self) -> int:
        """Distinct repos a walk resolves."""
        return len(self.files)

    @property
    def file_fetches(self) -> int:
        """Distinct metadata files a walk reads."""
        return sum(len(v) for v in self.files.values())

    def minimum_requests(self, per_file: int = 2) -> int:
        """One API call per repo, plus ``per_file`` requests per file (huggingface_hub's
        ``hf_hub_download`` makes a HEAD then a GET; 1 is the protocol's floor)."""
        return self.repos + per_file * self.file_fetches


def _card(meta: dict[str, object], title: str) -> str:
    lines = ["---", *(f"{k}: {json.dumps(v)}" for k, v in meta.items()), "---", "", f"# {title}"]
    return "\n".join(lines) + "\n"


def generate_mirror(
    root: Path, adapters: int = 100, bases: int = 3, datasets: int = 10
) -> BenchData:
    """Write the repos under ``root`` and describe them."""
    base_ids = [f"bench-base/base-{i}" for i in range(bases)]
    data_ids = [f"bench-data/set-{i}" for i in range(datasets)]
    adapter_ids = [f"bench-lab/adapter-{i:03d}" for i in range(adapters)]
    out = BenchData(adapter_ids, base_ids, data_ids)
    for i, base in enumerate(base_ids):
        _write(
            root / base,
            {
                "README.md": _card({"license": "apache-2.0"}, base),
                "config.json": json.dumps({"model_type": "llama", "num_hidden_layers": 4 + i}),
                "model.safetensors": "\0" * 4096,  # stands for the weights: never fetched
            },
        )
        out.files[("model", base)] = ["README.md", "config.json"]
    for ds in data_ids:
        _write(root / "datasets" / ds, {"README.md": _card({"license": "cc-by-4.0"}, ds)})
        out.files[("dataset", ds)] = ["README.md"]
    for i, adapter in enumerate(adapter_ids):
        used = sorted({data_ids[i % datasets], data_ids[(i * 7 + 3) % datasets]})
        _write(
            root / adapter,
            {
                "README.md": _card(
                    {
                        "license": "apache-2.0",
                        "base_model": base_ids[i % bases],
                        "datasets": used,
                        "tags": ["lora"],
                    },
                    adapter,
                ),
                "adapter_config.json": json.dumps({"lora_parameters": {"rank": 8, "scale": 2.0}}),
                "adapters.safetensors": "\0" * 512,
            },
        )
        out.files[("model", adapter)] = ["README.md", "adapter_config.json"]
    return out


def _write(repo: Path, files: dict[str, str]) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (repo / name).write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------- walks


def upstream_of(readme: Path) -> list[tuple[str, RepoKind]]:
    """``base_model`` and ``datasets`` named by a card's front matter (enough for the walk)."""
    meta = front_matter(readme.read_bytes())
    bases, sets = meta.get("base_model") or [], meta.get("datasets") or []
    bases = [bases] if isinstance(bases, str) else bases
    sets = [sets] if isinstance(sets, str) else sets
    return [(str(b), RepoKind.MODEL) for b in bases] + [(str(d), RepoKind.DATASET) for d in sets]


def visit(source: Source, repo_id: str, kind: RepoKind) -> list[tuple[str, RepoKind]]:
    """Resolve one repo, read its metadata files, return its upstream repos."""
    snap = source.resolve(repo_id, kind, None)
    if snap is None:
        raise LookupError(f"{kind.value} {repo_id} not found")
    upstream: list[tuple[str, RepoKind]] = []
    for name in WALK_FILES:
        path = source.path(snap, name)
        if name == "README.md" and path is not None:
            upstream = upstream_of(path)
    return upstream


def walk_sequential(
    source: Source, targets: list[tuple[str, RepoKind]]
) -> set[tuple[str, RepoKind]]:
    """Breadth-first walk in one thread, each repo visited once."""
    seen, queue = set(targets), deque(targets)
    while queue:
        for up in visit(source, *queue.popleft()):
            if up not in seen:
                seen.add(up)
                queue.append(up)
    return seen


def walk_concurrent(
    source: Source, targets: list[tuple[str, RepoKind]], workers: int = 32
) -> set[tuple[str, RepoKind]]:
    """The same walk on a thread pool: upstream repos are submitted as soon as a card names
    them; the walk's ``seen`` set and the source's single-flight both de-duplicate."""
    seen = set(targets)
    with ThreadPoolExecutor(workers) as pool:
        pending = {pool.submit(visit, source, *t) for t in targets}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                for up in future.result():
                    if up not in seen:
                        seen.add(up)
                        pending.add(pool.submit(visit, source, *up))
    return seen
