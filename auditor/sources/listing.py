"""Sources stage: list the files of a local directory, bounded, without ever calling a file
missing because the listing stopped.

A git checkout (a directory with its own ``.git``) is listed with git's own view: tracked files
plus untracked files that are not ignored (``git ls-files -co --exclude-standard``), so a
``.venv`` or a build folder never crowds the files of the model out of the listing. Any other
directory is walked iteratively (no recursion: a 1,200-deep tree is just a long loop), version
control folders pruned before they are entered, symlinked directories never followed, at most
:data:`MAX_FILES` files, :data:`MAX_ENTRIES` directory entries and :data:`MAX_DEPTH` levels.
A listing that reaches a bound says so (``truncated``); the files the audit reads are then still
found by path (:data:`KNOWN_FILES`), never searched for in the partial listing.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from auditor.records import record

MAX_FILES = 10_000
MAX_ENTRIES = 200_000  # directory entries looked at by a walk (files, folders, anything)
MAX_DEPTH = 64
GIT_TIMEOUT = 30.0
VCS_DIRS = frozenset({".git", ".hg", ".svn"})
# Files some stage reads at the repo's top level: looked up by path when the listing is partial.
KNOWN_FILES = (
    ".ailiance-audit.yaml",
    "LICENSE",
    "LICENSE.md",
    "LICENSE.txt",
    "NOTICE",
    "NOTICE.md",
    "NOTICE.txt",
    "README.md",
    "adapter_config.json",
    "adapter_model.bin",
    "adapter_model.safetensors",
    "adapters.safetensors",
    "config.json",
    "pyproject.toml",
)


@record
class Listing:
    """Sorted repo-relative POSIX paths, and whether a bound stopped the listing early."""

    files: tuple[str, ...]
    truncated: bool
    reason: str | None = None


def list_dir(root: Path, real: Path | None = None) -> Listing:
    """The files of ``root`` (git's view for a checkout, a bounded walk otherwise); ``real`` is
    ``root`` resolved, when the caller has it already."""
    base = root.resolve() if real is None else real
    names = _git_names(base) if (root / ".git").exists() else None
    listing = _keep_regular(base, names) if names is not None else _walk(base)
    if not listing.truncated:
        return listing
    extra = [n for n in KNOWN_FILES if n not in listing.files and _regular_inside(base, n)]
    files = tuple(sorted({*listing.files, *extra}))
    return Listing(files, True, listing.reason)


def _git_names(root: Path) -> list[str] | None:
    """Tracked and untracked-not-ignored paths under ``root``, or None when git cannot say."""
    import subprocess  # a git checkout only: a mirror's audit never starts a process

    try:
        done = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-co", "--exclude-standard", "-z"],
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    out = done.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    return sorted({n for n in out if n and n.split("/", 1)[0] not in VCS_DIRS})


def _keep_regular(root: Path, names: list[str]) -> Listing:
    files: list[str] = []
    for i, name in enumerate(names):
        if len(files) >= MAX_FILES:
            return Listing(tuple(files), True, _cap_reason(len(names) - i))
        if _regular_inside(root, name):
            files.append(name)
    return Listing(tuple(files), False)


def _walk(root: Path) -> Listing:
    files: list[str] = []
    entries = 0
    stack: list[tuple[str, int]] = [("", 0)]
    reason: str | None = None
    while stack:
        rel, depth = stack.pop()
        try:
            with os.scandir(root / rel if rel else root) as it:
                items = sorted(it, key=lambda e: e.name)
        except OSError:
            continue  # unreadable folder: its files are not the audit's to read
        subdirs = []
        for entry in items:
            entries += 1
            if entries > MAX_ENTRIES or len(files) >= MAX_FILES:
                why = _cap_reason(None) + (f"; {reason}" if reason else "")
                return Listing(tuple(sorted(files)), True, why)
            path = f"{rel}/{entry.name}" if rel else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if entry.name in VCS_DIRS:
                    continue
                if depth + 1 >= MAX_DEPTH:
                    reason = f"folders deeper than {MAX_DEPTH} levels are not listed"
                    continue
                subdirs.append(path)
            elif entry.is_file(follow_symlinks=False) or _regular_inside(root, path):
                files.append(path)  # a plain file under plain folders of a real root is inside
        stack.extend((d, depth + 1) for d in reversed(subdirs))
    return Listing(tuple(sorted(files)), reason is not None, reason)


def _cap_reason(left: int | None) -> str:
    more = f" ({left} more not listed)" if left else ""
    return f"the file listing stopped at {MAX_FILES} files or {MAX_ENTRIES} entries{more}"


def _regular_inside(root: Path, name: str) -> bool:
    """A regular file whose real path stays inside ``root`` (links out are never followed)."""
    plain = plain_file(str(root), name)
    if plain is not None:
        return plain
    try:
        real = (root / name).resolve()
        return real.is_relative_to(root) and real.is_file()
    except (OSError, RuntimeError, ValueError):  # RuntimeError: a symlink loop (Python 3.11)
        return False


def plain_file(root: str, name: str) -> bool | None:
    """Whether ``root/name`` is a regular file reached through plain folders, decided without
    resolving it; ``None`` when a link (or an odd name) is in the way and only a resolve can say.

    ``root`` must be a real path (no links in it). Then a path whose every component is a plain
    folder or, last, a plain file is its own real path, so it is inside ``root``: one ``lstat``
    per component instead of ``realpath``'s walk from ``/`` (the mirror's every read pays it).
    ``False`` only when a component is missing under plain folders: no link could then lead
    anywhere, so the resolve would say "not a file" too.
    """
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    path = root
    for i, part in enumerate(parts):
        path = f"{path}/{part}"
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return False
        except (OSError, ValueError):
            return None
        last = i == len(parts) - 1
        if stat.S_ISREG(mode) if last else stat.S_ISDIR(mode):
            continue
        return None if stat.S_ISLNK(mode) else False
    return True
