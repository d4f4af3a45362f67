"""A Hub run by an attacker: endless bodies, trickled bodies, ``Range`` ignored, gzip bombs. Each
is the target's network problem (exit 3), never exit 4, an unbounded wait or a full disk; and a
hostile directory tree (1,200 levels, 300,000 files under ``.git/``) is walked within bounds.

The loopback Hub (``tests/hub/server.py``) runs in this process; the audit runs in a fresh,
measured process (``harness.run_cli``). Bounds: the time guard, peak RSS, the HF cache's size.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `tests.hub.*`, whatever the import mode
    sys.path.insert(0, str(ROOT))

from tests.hub.fixtures import build_acme  # noqa: E402
from tests.hub.hubdata import HubData  # noqa: E402
from tests.hub.server import HubServer  # noqa: E402

from .harness import Result, run_cli  # noqa: E402

MB = 1 << 20
PEAK_MB = 700  # a normal --verify none audit of the loopback repos peaks near 150 MB
CACHE_MB = 40  # the cap on a card is 16 MB: nothing near the gigabytes the server offers


@pytest.fixture
def hub() -> Iterator[HubServer]:
    data = HubData()
    build_acme(data)
    with HubServer(data) as server:
        yield server


def online(hub: HubServer, home: Path, *args: str, **env: str) -> Result:
    extra = {
        "HF_HUB_OFFLINE": "0",
        "HF_ENDPOINT": hub.url,
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(home / "hub"),
        **env,
    }
    return run_cli([*args, "--format", "json"], mirrors=(), offline=False, extra_env=extra)


def size_mb(folder: Path) -> float:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return total / MB


def assert_network_problem(result: Result, words: str) -> None:
    result.assert_clean()
    assert result.rc == 3, result.stderr[-1000:]
    assert result.peak_mb < PEAK_MB, f"peak RSS {result.peak_mb:.0f} MB"
    target = result.json()["targets"][0]
    said = (target.get("error") or "") + " ".join(target.get("incomplete") or [])
    assert words in said, said


@pytest.mark.parametrize(
    "repo, what",
    [("acme/lora-a", "the subject's card"), ("acme/base-7b", "an upstream's card")],
)
def test_an_endless_card_is_cut_at_its_cap(
    hub: HubServer, tmp_path: Path, repo: str, what: str
) -> None:
    hub.add_fault(f"/{repo}/resolve/*/README.md", action="endless", methods=("GET",))
    result = online(hub, tmp_path / "hf", "acme/lora-a", "--verify", "none")
    assert_network_problem(result, "larger than")
    assert size_mb(tmp_path / "hf") < CACHE_MB, what


def test_a_trickled_answer_ends_at_the_target_deadline(hub: HubServer, tmp_path: Path) -> None:
    hub.add_fault("/acme/lora-a/resolve/*/README.md", action="trickle", methods=("GET",))
    result = online(
        hub, tmp_path / "hf", "acme/lora-a", "--verify", "none", AILIANCE_AUDIT_DEADLINE="4"
    )
    assert_network_problem(result, "deadline")


def test_a_server_ignoring_range_cannot_make_verify_header_buffer_a_file(
    hub: HubServer, tmp_path: Path
) -> None:
    hub.add_fault("/acme/lora-a/resolve/*/adapters.safetensors", action="endless", methods=("GET",))
    result = online(hub, tmp_path / "hf", "acme/lora-a", "--verify", "header")
    assert_network_problem(result, "larger than")


def test_a_gzip_bomb_answer_is_not_inflated_past_the_cap(hub: HubServer, tmp_path: Path) -> None:
    hub.add_fault("/api/models/acme/lora-a", action="gzip-bomb")
    result = online(hub, tmp_path / "hf", "acme/lora-a", "--verify", "none")
    assert_network_problem(result, "larger than")


def deep_tree(root: Path, levels: int) -> Path:
    """``root/d/d/.../d/f.txt``, made with directory file descriptors (no path length limit)."""
    root.mkdir(parents=True)
    (root / "README.md").write_text("---\nlicense: mit\n---\n# Deep\n")
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(levels):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        os.close(os.open("f.txt", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
    finally:
        os.close(fd)
    return root


def remove_deep(root: Path) -> None:
    """Remove a tree too deep for Python's recursive ``shutil.rmtree`` (coreutils' rm walks it
    iteratively), so pytest's own cleanup of ``tmp_path`` does not fail on it."""
    subprocess.run(["rm", "-rf", "--", str(root)], check=True, timeout=120)


@pytest.mark.parametrize("command", [(), ("facts",), ("card", "sync")])
def test_a_1200_deep_directory_is_bounded(tmp_path: Path, command: tuple[str, ...]) -> None:
    root = deep_tree(tmp_path / "deep", 1200)
    try:
        args = [*command, str(root), "--verify", "none", "--offline"]
        result = run_cli(args, mirrors=(), subcommand=bool(command))
    finally:
        remove_deep(root)
    result.assert_clean()
    assert result.rc in (0, 1) and result.peak_mb < PEAK_MB
    assert "RecursionError" not in result.stderr + result.stdout
    if not command:
        assert "repo.listing-truncated" in result.stdout


@pytest.mark.slow
def test_300k_files_under_git_are_never_walked(tmp_path: Path) -> None:
    """A folder whose ``.git`` is not a repository git understands: walked, ``.git`` pruned
    first (the 200,000-entry bound would otherwise be reached and reported)."""
    root = tmp_path / "repo"
    objects = root / ".git" / "objects"
    for i in range(300):
        (objects / f"{i:03d}").mkdir(parents=True)
        for j in range(1000):
            os.close(os.open(objects / f"{i:03d}" / f"{j:04d}", os.O_CREAT | os.O_WRONLY))
    (root / "README.md").write_text("---\nlicense: mit\n---\n# Repo\n")
    result = run_cli([str(root), "--verify", "none", "--format", "json"], mirrors=())
    result.assert_clean()
    target = result.json()["targets"][0]
    assert target["snapshot"]["files"] == ["README.md"]
    assert target["snapshot"]["listing_truncated"] is None
