"""Git plumbing for the pre-push hook, the CI gate and ``--baseline REF``.

Only read-only git commands run against the user's repository; exported trees go through a
throw-away index file (``GIT_INDEX_FILE``) so neither the user's index nor ``.git/worktrees``
is touched. Git LFS smudging is disabled (``GIT_LFS_SKIP_SMUDGE``): a hook must not download.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from auditor.errors import UsageError

GIT_TIMEOUT = 120
# https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md: pointers are < 1024 bytes.
LFS_POINTER_MAX = 1024
LFS_POINTER_HEAD = "version https://git-lfs.github.com/spec/v1"
_LFS_OID = re.compile(r"^oid sha256:([0-9a-f]{64})$", re.MULTILINE)
# Hooks run with GIT_DIR & co. set for the repository that invoked them; an explicit ``-C``
# must win, so these never leak into our own git calls (githooks(5), "ENVIRONMENT").
_REPO_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY")


class GitError(UsageError):
    """A git command failed (not a repository, unknown revision…): exit code 2."""


def git_env(**extra: str) -> dict[str, str]:
    """The environment for our git calls: repository overrides removed, no LFS downloads."""
    env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV}
    env["GIT_LFS_SKIP_SMUDGE"] = "1"
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.update(extra)
    return env


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run ``git -C repo ARGS`` and return stdout; raise :class:`GitError` on failure."""
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
            env=env or git_env(),
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"git {args[0]}: {exc}") from exc
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()
        raise GitError(f"git {args[0]} failed: {detail[-1] if detail else done.returncode}")
    return done.stdout


def toplevel(path: Path) -> Path:
    """The root of the work tree containing ``path``."""
    start = path if path.is_dir() else path.parent
    try:
        return Path(git(start, "rev-parse", "--show-toplevel").strip()).resolve()
    except GitError as exc:
        raise GitError(f"{path}: not inside a git work tree") from exc


def hooks_dir(repo: Path) -> Path:
    """Where git looks for hooks (honours ``core.hooksPath``; relative to the top level)."""
    raw = Path(git(repo, "rev-parse", "--git-path", "hooks").strip())
    return (raw if raw.is_absolute() else repo / raw).resolve()


def rev_parse(repo: Path, ref: str) -> str:
    """The commit sha a ref names; a usage error when it names none."""
    if ref.startswith("-"):
        raise GitError(f"{ref!r} is not a git revision")
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except GitError as exc:
        raise GitError(f"{ref!r} is not a commit of {repo}") from exc


def has_commit(repo: Path, sha: str) -> bool:
    """True when the object exists locally and is a commit."""
    try:
        rev_parse(repo, sha)
    except GitError:
        return False
    return True


def split_z(out: str) -> list[str]:
    """Split NUL-terminated git output (``-z``), dropping empty entries."""
    return [p for p in out.split("\0") if p]


def changed_files(repo: Path, base: str, head: str, *, merge_base: bool = False) -> list[str]:
    """Paths that differ between two commits (``base...head`` when ``merge_base``)."""
    spec = [f"{base}...{head}"] if merge_base else [base, head]
    return split_z(git(repo, "diff", "--name-only", "--no-renames", "-z", *spec, "--"))


def tree_files(repo: Path, sha: str) -> list[str]:
    """Every file path in a commit's tree."""
    return split_z(git(repo, "ls-tree", "-r", "--name-only", "-z", sha))


def work_tree_files(repo: Path) -> list[str]:
    """Tracked files plus untracked ones that are not ignored (what ``git add -A`` would take)."""
    return split_z(git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard"))


def new_commits(repo: Path, sha: str, remote: str | None) -> list[str]:
    """Commits reachable from ``sha`` and from no ref of remote ``remote``, oldest first."""
    exclude = [f"--remotes={remote}"] if remote else []
    out = git(repo, "rev-list", "--topo-order", "--reverse", sha, "--not", *exclude, "--")
    return out.split()


def parents(repo: Path, sha: str) -> list[str]:
    """Parent shas of a commit (empty for a root commit)."""
    return git(repo, "rev-list", "--parents", "-n", "1", sha).split()[1:]


def object_type(repo: Path, spec: str) -> str | None:
    """``blob``/``tree``/``commit`` for ``sha:path`` style specs, ``None`` when absent."""
    try:
        return git(repo, "cat-file", "-t", spec).strip()
    except GitError:
        return None


def show_head(repo: Path, spec: str, limit: int = 4096) -> str:
    """The first ``limit`` characters of a blob (``sha:path``), empty when absent."""
    try:
        return git(repo, "cat-file", "blob", spec)[:limit]
    except GitError:
        return ""


def list_dir(repo: Path, sha: str, subdir: str) -> list[str]:
    """Names directly inside ``subdir`` of a commit's tree (``""`` for the root)."""
    spec = f"{sha}:{subdir}" if subdir else f"{sha}^{{tree}}"
    if object_type(repo, spec) != "tree":
        return []
    return split_z(git(repo, "ls-tree", "--name-only", "-z", spec))


def is_clean(repo: Path, subdir: str) -> bool:
    """True when ``subdir`` of the work tree equals HEAD (no changes, no untracked files)."""
    out = git(repo, "status", "--porcelain", "-z", "--untracked-files=all", "--", subdir or ".")
    return not out


def export_tree(repo: Path, sha: str, subdir: str, dest: Path) -> bool:
    """Write ``subdir`` of commit ``sha`` to ``dest``; ``False`` when it does not exist there.

    ``read-tree`` into a temporary index, then ``checkout-index --prefix``: unlike
    ``git archive`` this ignores ``export-ignore``/``export-subst`` attributes, so the files
    audited are exactly the committed ones, and unlike ``git worktree add`` it registers nothing.
    """
    spec = f"{sha}:{subdir}" if subdir else f"{sha}^{{tree}}"
    if object_type(repo, spec) != "tree":
        return False
    dest.mkdir(parents=True, exist_ok=True)
    index = dest.parent / f".{dest.name}.index"
    env = git_env(GIT_INDEX_FILE=str(index))
    try:
        git(repo, "read-tree", spec, env=env)
        git(repo, "checkout-index", "--all", "--force", f"--prefix={dest}{os.sep}", env=env)
    finally:
        index.unlink(missing_ok=True)
    resolve_lfs(repo, dest)
    return True


def resolve_lfs(repo: Path, dest: Path) -> int:
    """Replace Git LFS pointer files under ``dest`` by their objects from the local LFS store.

    Exports skip LFS smudging (no download in a hook), so weights arrive as pointers; when the
    object is already in ``.git/lfs/objects`` (it is for anything checked out before) the real
    file is restored, so baseline and pushed trees see the same weights. Returns the count.
    """
    store = Path(git(repo, "rev-parse", "--git-common-dir").strip())
    store = (store if store.is_absolute() else repo / store) / "lfs" / "objects"
    if not store.is_dir():
        return 0
    restored = 0
    for path in dest.rglob("*"):
        oid = _lfs_oid(path)
        obj = store / oid[:2] / oid[2:4] / oid if oid else None
        if obj is not None and obj.is_file():
            path.unlink()
            shutil.copyfile(obj, path)
            restored += 1
    return restored


def _lfs_oid(path: Path) -> str | None:
    """The sha256 of an LFS pointer file (git-lfs spec v1), ``None`` for any other file."""
    if path.is_symlink() or not path.is_file() or path.stat().st_size > LFS_POINTER_MAX:
        return None
    text = path.read_bytes().decode("utf-8", errors="replace")
    if not text.startswith(LFS_POINTER_HEAD):
        return None
    match = _LFS_OID.search(text)
    return match.group(1) if match else None


def quote_paths(paths: Sequence[str]) -> str:
    """Paths for a one-line message (``.`` for the repository root)."""
    return ", ".join(p or "." for p in paths)
