"""Which directories a push or a pull request touches; tree exports; the offline decision."""

from __future__ import annotations

import hashlib
import socket
import subprocess
from pathlib import Path

import pytest

from auditor import git as g
from auditor.cli import main
from auditor.errors import UsageError
from auditor.hooks import changes
from auditor.hooks.run import decide_offline, hub_reachable
from auditor.pipeline import AuditOptions
from hooks.gitrepo import GOOD_CARD, commit_all, git

Z = "0" * 40


def test_parse_updates_ignores_noise() -> None:
    text = f"refs/heads/main {'a' * 40} refs/heads/main {Z}\n\n garbage \n"
    text += f"(delete) {Z} refs/heads/old {'b' * 40}\n"
    ups = changes.parse_updates(text)
    assert [u.local_ref for u in ups] == ["refs/heads/main", "(delete)"]
    assert ups[0].creates and not ups[0].deletes
    assert ups[1].deletes


@pytest.mark.parametrize(
    ("path", "repo_dir"),
    [
        ("README.md", ""),
        ("models/a/README.md", "models/a"),
        ("models/a/policies/house.yaml", "models/a"),
        (".ailiance-audit/rules.yaml", ""),
        ("m/weights/adapters.safetensors", "m/weights"),
    ],
)
def test_repo_dir_of(path: str, repo_dir: str) -> None:
    assert changes.repo_dir_of(path) == repo_dir


def test_looks_like_repo() -> None:
    assert changes.looks_like_repo("", [], "")  # the root of a clone always counts
    assert changes.looks_like_repo("m", ["README.md"], "---\nlicense: mit\n---\n")
    assert changes.looks_like_repo("m", ["README.md"], "\ufeff---\nlicense: mit\n")
    assert changes.looks_like_repo("m", ["adapter_config.json"], "")
    assert changes.looks_like_repo("m", ["a.safetensors", "README.md"], "# no front matter")
    assert not changes.looks_like_repo("docs", ["README.md"], "# Documentation\n")


def test_select_patterns() -> None:
    dirs = ["", "models/a", "models/b", "other/c", "models/a"]
    assert changes.select(dirs, []) == ["", "models/a", "models/b", "other/c"]
    assert changes.select(dirs, ["models/*"]) == ["models/a", "models/b"]
    assert changes.select(dirs, ["."]) == [""]


def monorepo(tmp_path: Path, env: dict[str, str]) -> Path:
    repo = tmp_path / "mono"
    (repo / "models" / "a").mkdir(parents=True)
    (repo / "models" / "b").mkdir(parents=True)
    (repo / "docs").mkdir()
    git(repo, "init", "-q", env=env)
    (repo / "models" / "a" / "README.md").write_text(GOOD_CARD)
    (repo / "models" / "b" / "adapter_config.json").write_text('{"rank": 8}')
    (repo / "docs" / "README.md").write_text("# Docs\n")
    (repo / "tool.py").write_text("print()\n")
    commit_all(repo, "init", env)
    return repo


def update(local: str, remote: str) -> changes.PushUpdate:
    return changes.PushUpdate("refs/heads/main", local, "refs/heads/main", remote)


def test_plan_push_ranges(tmp_path: Path, env: dict[str, str]) -> None:
    repo = monorepo(tmp_path, env)
    root = git(repo, "rev-parse", "HEAD", env=env).strip()
    # A new history: every file is new; the root has no card (no README.md), still audited.
    units = changes.plan_push(repo, [update(root, Z)], "origin")
    assert [(u.subdir, u.sha, u.base) for u in units] == [
        ("models/a", root, None),
        ("models/b", root, None),
    ]
    (repo / "docs" / "README.md").write_text("# Docs, longer\n")
    (repo / "tool.py").write_text("print(1)\n")
    second = commit_all(repo, "docs and code", env)
    assert changes.plan_push(repo, [update(second, root)], "origin") == []
    (repo / "models" / "b" / "adapter_config.json").write_text('{"rank": 16}')
    third = commit_all(repo, "rank", env)
    units = changes.plan_push(repo, [update(third, root)], "origin")
    assert [(u.subdir, u.base) for u in units] == [("models/b", root)]
    assert changes.plan_push(repo, [update(third, root)], "origin", ["models/a"]) == []
    assert changes.plan_push(repo, [update(Z, third)], "origin") == []  # a deletion


def test_plan_push_new_branch_uses_remote_tracking_refs(
    tmp_path: Path, env: dict[str, str]
) -> None:
    repo = monorepo(tmp_path, env)
    root = git(repo, "rev-parse", "HEAD", env=env).strip()
    git(repo, "update-ref", "refs/remotes/origin/main", root, env=env)
    # Pushing a commit the remote already has to a new branch: nothing new.
    assert changes.plan_push(repo, [update(root, Z)], "origin") == []
    (repo / "models" / "a" / "README.md").write_text(GOOD_CARD + "\nMore.\n")
    new = commit_all(repo, "card", env)
    units = changes.plan_push(repo, [update(new, Z)], "origin")
    assert [(u.subdir, u.sha, u.base) for u in units] == [("models/a", new, root)]


def test_deleted_dir_is_not_audited(tmp_path: Path, env: dict[str, str]) -> None:
    repo = monorepo(tmp_path, env)
    root = git(repo, "rev-parse", "HEAD", env=env).strip()
    git(repo, "rm", "-q", "-r", "models/b", env=env)
    git(repo, "commit", "-q", "-m", "drop b", env=env)
    head = git(repo, "rev-parse", "HEAD", env=env).strip()
    assert changes.plan_push(repo, [update(head, root)], "origin") == []


def test_plan_range_and_hook_changed(tmp_path: Path, env: dict[str, str]) -> None:
    repo = monorepo(tmp_path, env)
    base = git(repo, "rev-parse", "HEAD", env=env).strip()
    (repo / "models" / "a" / "README.md").write_text(GOOD_CARD + "\nMore.\n")
    commit_all(repo, "card", env)
    assert [u.subdir for u in changes.plan_range(repo, base, "HEAD")] == ["models/a"]
    assert [u.subdir for u in changes.plan_range(repo, None, "HEAD")] == ["models/a", "models/b"]
    out = subprocess.run(
        ["ailiance-audit", "hook", "changed", "-z", "--base", base],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert out == "models/a\0"
    with pytest.raises(UsageError):
        changes.plan_range(repo, "no-such-ref", "HEAD")


def test_export_tree_is_exact_and_side_effect_free(tmp_path: Path, env: dict[str, str]) -> None:
    repo = monorepo(tmp_path, env)
    (repo / ".gitattributes").write_text("README.md export-ignore\n")
    sha = commit_all(repo, "attributes", env)
    (repo / "models" / "a" / "README.md").write_text("uncommitted edit\n")
    status = git(repo, "status", "--porcelain", env=env)
    dest = tmp_path / "out" / "a"
    assert g.export_tree(repo, sha, "models/a", dest)
    assert (dest / "README.md").read_text() == GOOD_CARD  # committed text, export-ignore ignored
    assert git(repo, "status", "--porcelain", env=env) == status  # index and tree untouched
    assert not list((tmp_path / "out").glob(".*index"))
    assert not g.export_tree(repo, sha, "models/none", tmp_path / "out" / "none")
    assert not g.is_clean(repo, "models/a") and g.is_clean(repo, "models/b")


def test_export_restores_lfs_objects_from_the_local_store(
    tmp_path: Path, env: dict[str, str]
) -> None:
    repo = monorepo(tmp_path, env)
    weights = b"\x08\x00\x00\x00\x00\x00\x00\x00{}      "
    oid = hashlib.sha256(weights).hexdigest()
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(weights)}\n"
    (repo / "models" / "b" / "adapters.safetensors").write_text(pointer)
    missing = pointer.replace(oid, "f" * 64)
    (repo / "models" / "b" / "other.safetensors").write_text(missing)
    sha = commit_all(repo, "weights", env)
    store = repo / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4]
    store.mkdir(parents=True)
    (store / oid).write_bytes(weights)
    dest = tmp_path / "b"
    assert g.export_tree(repo, sha, "models/b", dest)
    assert (dest / "adapters.safetensors").read_bytes() == weights
    assert (dest / "other.safetensors").read_text() == missing  # no object: left as it was


def test_hooks_dir_honours_core_hooks_path(tmp_path: Path, env: dict[str, str]) -> None:
    repo = monorepo(tmp_path, env)
    assert g.hooks_dir(repo) == (repo / ".git" / "hooks").resolve()
    git(repo, "config", "core.hooksPath", ".githooks", env=env)
    assert g.hooks_dir(repo) == (repo / ".githooks").resolve()
    assert main(["hook", "install", "--repo", str(repo)]) == 0
    assert (repo / ".githooks" / "pre-push").exists()


def test_not_a_repository(tmp_path: Path, env: dict[str, str]) -> None:
    assert main(["hook", "install", "--repo", str(tmp_path)]) == 2
    assert main(["hook", "bogus"]) == 2


def test_offline_when_the_hub_does_not_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
        assert hub_reachable()
        options, note = decide_offline(AuditOptions(offline=False))
        assert note is None and options.offline is False
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")  # closed now
    assert not hub_reachable(timeout=0.5)
    options, note = decide_offline(AuditOptions(offline=False))
    assert "unreachable" in (note or "") and options.offline is True
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    options, note = decide_offline(AuditOptions(offline=False))
    assert note is None and options.offline is True


def test_hook_run_outside_a_repository_says_how_to_bypass(
    tmp_path: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["hook", "run", "--repo", str(tmp_path), "--all"]) == 2
    err = capsys.readouterr().err
    assert "not inside a git work tree" in err and "git push --no-verify" in err


def test_units_carry_their_changed_files(tmp_path: Path, env: dict[str, str]) -> None:
    """What changed in each dir, so the hook can load-check only changed adapters."""
    repo = monorepo(tmp_path, env)
    root = git(repo, "rev-parse", "HEAD", env=env).strip()
    (repo / "models" / "a" / "README.md").write_text(GOOD_CARD + "\nMore.\n")
    (repo / "models" / "b" / "adapter_model.bin").write_bytes(b"pickle")
    head = commit_all(repo, "card and pickled weights", env)
    units = {u.subdir: u for u in changes.plan_push(repo, [update(head, root)], "origin")}
    assert units["models/a"].changed == ("models/a/README.md",)
    assert not units["models/a"].adapter_changed  # a card edit stays at the header level
    assert units["models/b"].changed == ("models/b/adapter_model.bin",)
    assert units["models/b"].adapter_changed
    ranged = {u.subdir: u for u in changes.plan_range(repo, root, head)}
    assert ranged["models/b"].adapter_changed and not ranged["models/a"].adapter_changed
