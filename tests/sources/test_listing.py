"""What a local directory is, through the real CLI: git's view of a checkout (a ``.venv`` never
crowds the card out), files read by path, a reached cap is a finding (never a false "missing"),
a modified work tree and the Hub id of ``origin`` are what the report says was audited."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from safetensors.numpy import save

from auditor.cli import main
from auditor.sources.listing import MAX_FILES

CARD = "---\nlicense: mit\n---\n# A LoRA\n"
FALSE_MISSING = {"card.missing", "adapter.files-missing"}


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("AILIANCE_AUDIT_MIRROR", raising=False)


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """A folder for trees of many files: in memory (/dev/shm) where there is one, since
    creating 20,000 files on a loaded disk costs seconds."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="ailiance-listing-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def git(repo: Path, *args: str) -> str:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=T", "-c", "user.email=t@example.org", *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return done.stdout


def lora(root: Path) -> Path:
    """A card, an mlx-lm adapter config and its (small, real) weights."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text(CARD)
    config = {"fine_tune_type": "lora", "num_layers": 1, "lora_parameters": {"rank": 8}}
    (root / "adapter_config.json").write_text(json.dumps(config))
    prefix = "model.layers.0.self_attn.q_proj"
    tensors = {
        f"{prefix}.lora_a": np.full((64, 8), 0.01, dtype=np.float32),
        f"{prefix}.lora_b": np.full((8, 64), 0.02, dtype=np.float32),
    }
    (root / "adapters.safetensors").write_bytes(save(tensors, metadata={"format": "mlx"}))
    return root


def clone(root: Path) -> Path:
    lora(root)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "card")
    return root


def many_files(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"f{i:05d}.py").touch()


def audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main([*args, "--offline", "--verify", "none", "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def rule_ids(report: dict[str, Any]) -> set[str]:
    return {f["rule_id"] for f in report["targets"][0]["findings"]}


def test_a_clone_with_an_ignored_venv_of_20k_files_is_listed_as_git_sees_it(
    scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = clone(scratch / "my-lora")
    (repo / ".gitignore").write_text(".venv/\n")
    many_files(repo / ".venv" / "lib", 20_000)
    code, report = audit(capsys, str(repo))
    snap = report["targets"][0]["snapshot"]
    assert code in (0, 1) and not rule_ids(report) & FALSE_MISSING, rule_ids(report)
    assert snap["listing_truncated"] is None and "repo.listing-truncated" not in rule_ids(report)
    assert set(snap["files"]) == {
        ".gitignore",
        "README.md",
        "adapter_config.json",
        "adapters.safetensors",
    }
    assert snap["modified"] is True  # .gitignore is untracked: not the commit's tree


def test_a_clone_with_a_venv_git_does_not_ignore_reads_the_card_by_path(
    scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = clone(scratch / "my-lora")
    many_files(repo / ".venv" / "lib", 20_000)  # untracked and not ignored: listed, capped
    code, report = audit(capsys, str(repo))
    assert code in (0, 1) and not rule_ids(report) & FALSE_MISSING
    assert "repo.listing-truncated" in rule_ids(report)
    assert report["targets"][0]["claims"]["present"] is True


def test_a_folder_past_the_cap_is_a_finding_not_missing_files(
    scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = lora(scratch / "aaa")  # no .git: walked; "checkpoints" sorts before the adapter
    many_files(sub / "checkpoints", MAX_FILES + 1)
    code, report = audit(capsys, str(sub))
    assert code in (0, 1) and not rule_ids(report) & FALSE_MISSING
    assert "repo.listing-truncated" in rule_ids(report)
    assert {"README.md", "adapter_config.json"} <= set(report["targets"][0]["snapshot"]["files"])


def test_a_folder_like_tmp_audits_with_a_documented_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unreadable folders, FIFOs, sockets, dangling links and link loops are not files."""
    top = tmp_path / "tmp"
    (top / "locked").mkdir(parents=True)
    (top / "locked" / "x").write_text("x")
    (top / "locked").chmod(0)
    os.mkfifo(top / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(top / "sock"))
    (top / "dangling").symlink_to(tmp_path / "nowhere")
    (top / "loop").symlink_to(top / "loop")
    (top / "up").symlink_to(tmp_path)
    try:
        code, report = audit(capsys, str(top))
    finally:
        sock.close()
        (top / "locked").chmod(0o700)
    assert code == 1 and "card.missing" in rule_ids(report)  # it has no card, truly
    # Only the regular file (readable to root, who runs CI): no FIFO, socket or link entries.
    assert set(report["targets"][0]["snapshot"]["files"]) <= {"locked/x"}


def test_a_modified_work_tree_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = clone(tmp_path / "my-lora")
    sha = git(repo, "rev-parse", "HEAD").strip()
    _, report = audit(capsys, str(repo))
    snap = report["targets"][0]["snapshot"]
    assert (snap["revision"], snap["modified"]) == (sha, False)
    (repo / "README.md").write_text(CARD + "\nAn edit not committed.\n")
    _, report = audit(capsys, str(repo))
    assert report["targets"][0]["snapshot"]["modified"] is True
    main([str(repo), "--offline", "--verify", "none"])
    assert f"{sha}-modified)" in "".join(capsys.readouterr().out.split())  # the text header


@pytest.mark.parametrize(
    "url, repo_id, kind",
    [
        ("https://huggingface.co/Ailiance-fr/apertus-lora", "Ailiance-fr/apertus-lora", "model"),
        ("git@hf.co:Ailiance-fr/apertus-lora.git", "Ailiance-fr/apertus-lora", "model"),
        ("https://huggingface.co/datasets/acme/data", "acme/data", "dataset"),
        ("https://github.com/acme/other", "my-lora", "model"),  # not the Hub: the folder name
    ],
)
def test_the_subject_id_comes_from_a_hub_origin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, repo_id: str, kind: str
) -> None:
    repo = clone(tmp_path / "my-lora")
    git(repo, "remote", "add", "origin", url)
    _, report = audit(capsys, str(repo))
    snap = report["targets"][0]["snapshot"]
    assert (snap["repo_id"], snap["kind"]) == (repo_id, kind)


def test_a_mirror_matches_repo_ids_without_regard_to_case(tmp_path: Path) -> None:
    # The Hub resolves meta-llama/llama-3.1-8b to meta-llama/Llama-3.1-8B; a mirror must too,
    # or a card that writes its base in lower case loses its whole upstream chain.
    from auditor.models import RepoKind
    from auditor.sources.local import MirrorSource

    repo = tmp_path / "Org-A" / "Model-X"
    repo.mkdir(parents=True)
    (repo / "README.md").write_text("---\nlicense: mit\n---\n")
    (tmp_path / "datasets" / "Org-A" / "Data-Y").mkdir(parents=True)
    mirror = MirrorSource(tmp_path)
    snap = mirror.resolve("org-a/model-x", RepoKind.MODEL, None)
    assert snap is not None and snap.repo_id == "Org-A/Model-X"
    assert mirror.path(snap, "README.md") == (repo / "README.md").resolve()
    data = mirror.resolve("ORG-A/data-y", RepoKind.DATASET, None)
    assert data is not None and data.repo_id == "Org-A/Data-Y"
    assert mirror.resolve("org-a/model-z", RepoKind.MODEL, None) is None
    assert mirror.resolve("org-a/data-y", RepoKind.MODEL, None) is None  # kinds stay apart
