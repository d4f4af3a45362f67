"""Where the load check runs: the skeleton cache, and the CLI's load-check worker process.

The cache: N adapters on one base build one skeleton, each gets its own findings, and an
adapter checked after another never meets the other's LoRA wrappers. The worker: the same
report as in process, and a worker that dies or hangs is a could-not-check finding and an
incomplete target (exit 3), never a pass. No timing assertions (hang guards only).
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import mlx.core  # noqa: F401  (mlx loaded: cli.main in this process checks in process)
import pytest

from auditor import cli
from auditor.prestart import LOAD_CHECK, drop
from auditor.verify import skeletons
from auditor.verify.mlx import _build

from .helpers import FIXTURE_HUB, evidence, fixture
from .matrix import architectures

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ["Ailiance-fr/apertus-math-lora", "Ailiance-fr/apertus-math-drift-lora"]
ARGS = ["--offline", "--mirror", "examples/hub", "--format", "json"]
HANG_GUARD = 300


@pytest.fixture
def in_process() -> None:
    """No load-check worker in this process (a CLI test may have started one)."""
    drop(LOAD_CHECK)


@pytest.mark.usefixtures("in_process")
def test_one_skeleton_for_many_adapters_on_one_base() -> None:
    skeletons.DEFAULT.clear()
    before = skeletons.DEFAULT.builds
    names = ["mlx-llama-lora", "wrong-module", "drift-rank", "mlx-llama-dora", "peft-llama-lora"]
    found = {name: fixture(name) for name in names}
    again = fixture("mlx-llama-lora")
    assert skeletons.DEFAULT.builds - before == 1  # all five on tiny-random/llama-4l
    assert found["mlx-llama-lora"].load_ok and found["mlx-llama-dora"].load_ok
    assert found["peft-llama-lora"].load_ok
    assert found["wrong-module"].load_ok is False
    assert any("qkv_proj" in e for e in found["wrong-module"].load_errors)
    assert found["drift-rank"].load_ok is False
    assert again == found["mlx-llama-lora"]  # the checks in between left nothing behind


@pytest.mark.usefixtures("in_process")
def test_a_wrong_adapter_after_a_clean_one_is_still_caught(tmp_path: Path) -> None:
    # The clean adapter wraps q_proj and v_proj. This one's config wraps q_proj only, but its
    # weights still hold v_proj factors: on a skeleton that kept the previous wrappers they
    # would load. On the restored skeleton they are not adapter parameters.
    folder = tmp_path / "q-only"
    shutil.copytree(FIXTURE_HUB / "fixtures" / "mlx-llama-lora", folder)
    config = json.loads((folder / "adapter_config.json").read_text())
    config["lora_parameters"]["keys"] = ["self_attn.q_proj"]
    (folder / "adapter_config.json").write_text(json.dumps(config))
    assert fixture("mlx-llama-lora").load_ok
    after_clean = evidence(folder)
    skeletons.DEFAULT.clear()
    alone = evidence(folder)  # on a freshly built skeleton
    assert after_clean.load_ok is False
    assert any("v_proj.lora_a: not an adapter parameter" in e for e in after_clean.load_errors)
    assert after_clean.load_errors == alone.load_errors


def test_a_cache_keeps_its_capacity() -> None:
    cache = skeletons.SkeletonCache(capacity=1)
    base = json.loads((FIXTURE_HUB / "tiny-random" / "llama-4l" / "config.json").read_text())
    other = {**base, "num_hidden_layers": 2}
    for config in (base, other, base):
        with cache.borrow(config, _build) as skeleton:
            assert len(skeleton.model.layers) == config["num_hidden_layers"]
    assert (cache.builds, len(cache)) == (3, 1)
    with cache.borrow({**base, "quantization": {"bits": 4}}, _build):
        pass  # quantization is not part of the key
    assert cache.builds == 3


def test_building_changes_neither_the_base_config_nor_its_key() -> None:
    # mlx-lm's Gemma-3 ModelArgs fills in the nested text_config while it builds
    config = architectures()["gemma3-4b-multimodal"]["config"]
    before = copy.deepcopy(config)
    cache = skeletons.SkeletonCache()
    for _ in range(2):
        with cache.borrow(config, _build):
            pass
    assert config == before and cache.builds == 1


def _cli(script: str, *args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run ``script`` (which prints one JSON line last) in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        env={**_env(), **(env or {})},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9"}


WITH_WORKER = """
import contextlib, io, json, sys
from auditor.cli import main
from auditor.prestart import LOAD_CHECK, get
out = sys.argv[1]
code = main([*sys.argv[2:], "--output", out])
print(json.dumps({"code": code, "worker": get(LOAD_CHECK) is not None,
                  "mlx_in_cli": "mlx" in sys.modules}))
"""


@pytest.mark.usefixtures("in_process")
def test_the_worker_gives_the_report_of_the_in_process_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    with_worker = tmp_path / "worker.json"
    seen = _cli(WITH_WORKER, str(with_worker), *ARGS, *EXAMPLES)
    assert seen == {"code": 1, "worker": True, "mlx_in_cli": False}
    in_process = tmp_path / "in-process.json"
    assert cli.main([*ARGS, "--output", str(in_process), *EXAMPLES]) == 1
    report = json.loads(with_worker.read_text())
    assert report == json.loads(in_process.read_text())
    evidence = [t["evidence"] for t in report["targets"]]
    assert all(e["verified_with"].startswith("mlx-lm ") for e in evidence)
    assert [e["load_ok"] for e in evidence] == [True, False]  # the drift example is caught


BROKEN_WORKER = """
import json, os, signal, sys
from auditor.cli import main
from auditor.prestart import LOAD_CHECK, get, prestart
prestart(LOAD_CHECK)
process = get(LOAD_CHECK)[0]
if sys.argv[1] == "stall":  # a worker that never answers (as a hostile check would hang)
    os.kill(process.pid, signal.SIGSTOP)
else:  # a worker that died (killed as the kernel kills at a memory limit)
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    import auditor.prestart as p
    p.prestart = lambda *a: True  # keep the dead one: main() would start a fresh worker
out = sys.argv[2]
code = main([*sys.argv[3:], "--output", out])
print(json.dumps({"code": code, "worker_left": get(LOAD_CHECK) is not None}))
"""


@pytest.mark.parametrize("how", ["died", "stall"])
def test_a_stopped_worker_is_could_not_check_and_incomplete(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "report.json"
    env = {"AILIANCE_AUDIT_LOAD_SECONDS": "2"}
    seen = _cli(BROKEN_WORKER, how, str(out), *ARGS, *EXAMPLES, env=env)
    assert seen == {"code": 3, "worker_left": False}  # exit 3: incomplete; the worker is gone
    first, second = json.loads(out.read_text())["targets"]
    assert first["incomplete"] and "load-check worker stopped" in first["incomplete"][0]
    assert first["evidence"]["verified_with"] == "header" and first["evidence"]["load_ok"] is None
    assert "adapter.not-verified" in {f["rule_id"] for f in first["findings"]}
    # the next target's check ran in the CLI process: checked (its drift caught), complete
    assert second["evidence"]["load_ok"] is False and not second["incomplete"]
