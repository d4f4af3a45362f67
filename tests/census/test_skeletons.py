"""``--verify load``: the adapters of one base are one batch, and a batch builds its base's mlx
skeleton once. Builds are counted where mlx-lm constructs a model class (``_get_classes`` is the
one door every skeleton goes through), not timed. Each test audits its own copy of the examples
whose base config carries a key of its own, so a skeleton cached by an earlier test (a process
cache keyed by the config's content) is not this test's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from census_helpers import ROOT, table

from auditor.cli import main

EXAMPLES = ROOT / "examples" / "hub"
BASE_CONFIG = Path("swiss-ai", "Apertus-70B-Instruct-2509", "config.json")
ADAPTERS = [  # three adapters of one base (swiss-ai/Apertus-70B-Instruct-2509)
    "Ailiance-fr/apertus-math-drift-lora",
    "Ailiance-fr/apertus-math-lora",
    "Ailiance-fr/apertus-math-orca-lora",
]


def census_counting_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A ``--verify load`` census of the three adapters; the model types of every skeleton built."""
    import mlx_lm.utils

    real = mlx_lm.utils._get_classes
    builds: list[str] = []

    def counting(config: dict[str, Any]) -> tuple[Any, Any]:
        model_class, args_class = real(config)

        def build(args: Any) -> Any:
            builds.append(str(config.get("model_type")))
            return model_class(args)

        return build, args_class

    monkeypatch.setattr(mlx_lm.utils, "_get_classes", counting)
    mirror = tmp_path / "hub"
    shutil.copytree(EXAMPLES, mirror)
    config = json.loads((mirror / BASE_CONFIG).read_text())
    config["census_test"] = str(tmp_path)  # not a field of the architecture: ignored by mlx-lm
    (mirror / BASE_CONFIG).write_text(json.dumps(config))
    listing = tmp_path / "repos.txt"
    listing.write_text("\n".join(ADAPTERS) + "\n")
    out = tmp_path / "out"
    code = main(["census", "--mirror", str(mirror), "--offline", "--from-file", str(listing),
                 "--out", str(out), "--scheduler", "sync", "--verify", "load",
                 "--no-progress"])  # fmt: skip
    assert code == 0
    rows = table(out, "repos")
    assert sorted(str(r["id"]) for r in rows) == ADAPTERS
    assert len(list((out / "repos").glob("*.parquet"))) == 1  # one batch: one base
    return builds


@pytest.mark.mlx
def test_a_bases_adapters_are_one_batch_built_on_its_skeleton(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds = census_counting_builds(tmp_path, monkeypatch)
    assert builds and set(builds) == {"apertus"} and len(builds) <= len(ADAPTERS), builds


@pytest.mark.mlx
def test_one_skeleton_per_base_per_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    builds = census_counting_builds(tmp_path, monkeypatch)
    assert len(builds) == 1, builds
