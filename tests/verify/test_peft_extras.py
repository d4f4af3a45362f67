"""PEFT's extras on real architectures: patterns, saved modules, regex targets, embeddings.

Each test starts from a clean matrix adapter (``matrix.py``) and changes what PEFT would write
for the feature, then audits it through the CLI: the clean form verifies with no adapter
finding, the wrong form gets its specific rule.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

from auditor.cli import main
from auditor.verify.patterns import Matcher

from .matrix import Case, write_case

PEFT = "adapter_model.safetensors"


def prepared(tmp_path: Path, arch: str) -> tuple[Path, Path, dict[str, Any], dict[str, Any]]:
    folder, mirror, _ = write_case(Case(arch, "peft", "clean", None), tmp_path)
    config = json.loads((folder / "adapter_config.json").read_text())
    return folder, mirror, config, dict(load_file(str(folder / PEFT)))


def save(folder: Path, config: dict[str, Any], tensors: dict[str, Any]) -> None:
    (folder / "adapter_config.json").write_text(json.dumps(config, indent=2))
    save_file(tensors, str(folder / PEFT))


def audit(folder: Path, mirror: Path, *extra: str) -> tuple[int, dict[str, Any], set[str]]:
    out = folder.parent / "report.json"
    args = ["--mirror", str(mirror), "--offline", "--verify", "load", "--format", "json"]
    code = main([*args, "--output", str(out), *extra, str(folder)])
    entry = json.loads(out.read_text())["targets"][0]
    found = {f["rule_id"] for f in entry["findings"] if f["rule_id"].startswith("adapter.")}
    return code, entry, found


def _rerank(tensors: dict[str, Any], module: str, rank: int) -> None:
    rng = np.random.default_rng(1)
    for name in [n for n in tensors if f".{module}.lora_" in n]:
        shape = tensors[name].shape
        new = (rank, shape[1]) if ".lora_A." in name else (shape[0], rank)
        tensors[name] = (rng.standard_normal(new) * 0.01).astype(np.float16)


def test_rank_pattern_is_checked_per_module(tmp_path: Path) -> None:
    folder, mirror, config, tensors = prepared(tmp_path / "a", "llama3.1-8b")
    _rerank(tensors, "q_proj", 4)
    save(folder, {**config, "rank_pattern": {"q_proj": 4}, "alpha_pattern": {"q_proj": 8}}, tensors)
    _, entry, found = audit(folder, mirror)
    assert found == set() and entry["evidence"]["load_ok"] is True
    norms = entry["evidence"]["module_norms"]
    assert norms and all(v > 0 for v in norms.values())
    save(folder, {**config, "rank_pattern": {"v_proj": 4}}, tensors)  # wrong module
    code, entry, found = audit(folder, mirror)
    assert "adapter.rank-mismatch" in found and code != 0
    assert any("rank_pattern" in f["message"] for f in entry["findings"])
    _rerank(tensors, "v_proj", 4)  # every rank is one the config names, on the wrong module
    save(folder, {**config, "rank_pattern": {"q_proj": 4}}, tensors)
    _, entry, found = audit(folder, mirror)
    assert "adapter.rank-mismatch" in found
    assert any(
        "v_proj: rank 4, r (no rank_pattern entry)" in f["message"] for f in entry["findings"]
    )


def test_modules_to_save_are_recognised_and_shape_checked(tmp_path: Path) -> None:
    folder, mirror, config, tensors = prepared(tmp_path / "a", "pythia-160m")
    head = np.zeros((50304, 768), dtype=np.float16)
    head[0, 0] = 1
    save(
        folder,
        {**config, "modules_to_save": ["embed_out"]},
        {**tensors, "base_model.model.embed_out.weight": head},
    )
    _, entry, found = audit(folder, mirror)
    assert found == set() and entry["evidence"]["load_ok"] is True, found
    wrong = {**tensors, "base_model.model.embed_out.weight": head[:, :512]}
    save(folder, {**config, "modules_to_save": ["embed_out"]}, wrong)
    _, entry, found = audit(folder, mirror)
    assert "adapter.architecture-mismatch" in found
    assert "embed_out.weight" in " ".join(entry["evidence"]["load_errors"])


def test_regex_target_modules_are_matched_as_peft_does(tmp_path: Path) -> None:
    folder, mirror, config, tensors = prepared(tmp_path / "a", "qwen2.5-7b")
    save(folder, {**config, "target_modules": r".*\.(q_proj|v_proj)"}, tensors)
    _, entry, found = audit(folder, mirror)
    assert found == set() and entry["evidence"]["load_ok"] is True, found
    save(folder, {**config, "target_modules": r".*\.q_proj"}, tensors)  # v_proj not targeted
    _, entry, found = audit(folder, mirror)
    assert "adapter.architecture-mismatch" in found
    assert "not matched by the target_modules regex" in " ".join(entry["evidence"]["load_errors"])


def test_backtracking_regex_is_bounded(tmp_path: Path) -> None:
    folder, mirror, config, tensors = prepared(tmp_path / "a", "qwen2.5-7b")
    save(folder, {**config, "target_modules": "(.|.)*Z"}, tensors)  # backtracking in re
    code, entry, found = audit(folder, mirror)
    assert code == 1 and entry["evidence"]["load_ok"] is False  # matches nothing: said so
    assert "adapter.architecture-mismatch" in found
    out_of_time = Matcher(budget=0.0)
    assert out_of_time.fullmatch(".*", "q_proj") is None and out_of_time.exhausted
    broken = Matcher()
    assert broken.fullmatch("(", "q_proj") is None and broken.exhausted  # does not compile


def test_embedding_and_lm_head_lora(tmp_path: Path) -> None:
    folder, mirror, config, tensors = prepared(tmp_path / "a", "llama3.1-8b")
    rng = np.random.default_rng(2)
    lora = lambda *s: (rng.standard_normal(s) * 0.01).astype(np.float16)  # noqa: E731
    extra = {
        "base_model.model.model.embed_tokens.lora_embedding_A": lora(8, 128256),
        "base_model.model.model.embed_tokens.lora_embedding_B": lora(4096, 8),
        "base_model.model.lm_head.lora_A.weight": lora(8, 4096),
        "base_model.model.lm_head.lora_B.weight": lora(128256, 8),
    }
    targets = [*config["target_modules"], "embed_tokens", "lm_head"]
    save(folder, {**config, "target_modules": targets}, {**tensors, **extra})
    _, entry, found = audit(folder, mirror)
    assert found == set() and entry["evidence"]["load_ok"] is True, found
    extra["base_model.model.lm_head.lora_B.weight"] = lora(32000, 8)  # another vocabulary
    save(folder, {**config, "target_modules": targets}, {**tensors, **extra})
    _, _, found = audit(folder, mirror)
    assert "adapter.architecture-mismatch" in found


def test_pickle_weights_get_a_conversion_hint(tmp_path: Path) -> None:
    folder, mirror, _, _ = prepared(tmp_path / "a", "llama3.2-1b")
    (folder / PEFT).rename(folder / "adapter_model.bin")
    _, entry, found = audit(folder, mirror)
    messages = " ".join(f["message"] for f in entry["findings"])
    assert "adapter.files-invalid" in found and "safe_serialization=True" in messages


def test_local_path_base_falls_back_to_the_card(tmp_path: Path) -> None:
    folder, mirror, config, tensors = prepared(tmp_path / "a", "mistral-7b")
    save(folder, {**config, "base_model_name_or_path": "/home/someone/models/mistral"}, tensors)
    _, entry, found = audit(folder, mirror)
    assert entry["evidence"]["load_ok"] is True and entry["evidence"]["base_model_is_path"]
    assert {"adapter.local-path-leak", "adapter.base-unresolvable"} <= found
    assert "adapter.not-verified" not in found


def test_unverifiable_load_is_said_and_fails_under_strict(tmp_path: Path) -> None:
    folder, mirror, config, _ = prepared(tmp_path / "a", "mistral-7b")
    base = mirror / config["base_model_name_or_path"] / "config.json"
    base.write_text(json.dumps({**json.loads(base.read_text()), "model_type": "brand_new"}))
    code, entry, found = audit(folder, mirror)
    assert "adapter.not-verified" in found and entry["evidence"]["load_ok"] is None
    warning = [f for f in entry["findings"] if f["rule_id"] == "adapter.not-verified"]
    assert warning[0]["severity"] == "warning" and "brand_new" in warning[0]["message"]
    text = folder.parent / "report.txt"
    main(["--mirror", str(mirror), "--offline", "--output", str(text), str(folder)])
    assert "verified with" not in text.read_text()
    code, entry, _ = audit(folder, mirror, "--policy", "strict")
    severities = {
        f["severity"] for f in entry["findings"] if f["rule_id"] == "adapter.not-verified"
    }
    assert severities == {"error"} and code != 0
