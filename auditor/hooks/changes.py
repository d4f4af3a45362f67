"""Which model repo directories a push or a pull request touches.

A change matters when it touches a file the audit reads (:data:`TRIGGER`, the same regex as the
``files:`` of ``.pre-commit-hooks.yaml``): a card, an adapter config, safetensors weights (or a
pickled ``adapter_model.bin``, which the audit refuses), the waiver file or a policy pack. Each
such file maps to the directory of the model repo holding it; that directory is audited if it
still looks like a model repo in the pushed commit. Each unit keeps the changed files of its
directory (:attr:`Unit.changed`): the hook verifies an adapter more deeply when they include
adapter files (:data:`ADAPTER_FILE`) than when only the card changed.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from auditor import git as g
from auditor.card.frontmatter import opens_front_matter

# Keep in sync with .pre-commit-hooks.yaml (a test compares them). pre-commit matches with
# re.search on the repo-relative POSIX path.
TRIGGER_PATTERN = (
    r"(^|/)(README\.md|adapter_config\.json|adapter_model\.bin|[^/]+\.safetensors"
    r"|\.ailiance-audit\.ya?ml|(policies|\.ailiance-audit)/[^/]+\.ya?ml)$"
)
TRIGGER = re.compile(TRIGGER_PATTERN)
ADAPTER_FILE = re.compile(r"(^|/)(adapter_config\.json|adapter_model\.bin|[^/]+\.safetensors)$")
"""The changed files that make the hook check the adapter against its base (the weights or the
config that says how to read them), not only its header."""
_POLICY_FOLDERS = ("policies", ".ailiance-audit")
_MARKERS = ("adapter_config.json", ".ailiance-audit.yaml", ".ailiance-audit.yml")
ZERO_SHAS = frozenset({"0" * 40, "0" * 64})


@dataclass(frozen=True)
class PushUpdate:
    """One line of git's pre-push input: ``<local ref> <local sha> <remote ref> <remote sha>``."""

    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str

    @property
    def deletes(self) -> bool:
        """The push deletes the remote ref (nothing to audit)."""
        return self.local_sha in ZERO_SHAS

    @property
    def creates(self) -> bool:
        """The remote ref does not exist yet."""
        return self.remote_sha in ZERO_SHAS


@dataclass(frozen=True)
class Unit:
    """One directory to audit at one commit; ``sha`` ``None`` means the work tree as it is.

    ``base`` is the commit the change started from (the remote's sha, or the parent of the
    first new commit), used by ``--new-only``; ``None`` when the whole history is new.
    """

    subdir: str
    sha: str | None
    base: str | None = None
    changed: tuple[str, ...] = ()

    @property
    def adapter_changed(self) -> bool:
        """The change touches the adapter's weights or config (not only the card or waivers)."""
        return any(ADAPTER_FILE.search(path) for path in self.changed)


def parse_updates(text: str) -> list[PushUpdate]:
    """Parse pre-push stdin (githooks(5)); blank or malformed lines are ignored."""
    out = []
    for line in text.splitlines():
        parts = line.rsplit(maxsplit=3)
        if len(parts) == 4:
            out.append(PushUpdate(*parts))
    return out


def is_trigger(path: str) -> bool:
    """True when a change to ``path`` can change the audit's result."""
    return TRIGGER.search(path) is not None


def repo_dir_of(path: str) -> str:
    """The model repo directory a trigger file belongs to (``""`` for the repository root)."""
    parent = PurePosixPath(path).parent
    if parent.name in _POLICY_FOLDERS:
        parent = parent.parent
    return "" if str(parent) == "." else parent.as_posix()


def looks_like_repo(subdir: str, names: Iterable[str], readme_head: str) -> bool:
    """A directory is audited if it is the root, has a card with front matter, or adapter files.

    The root of a clone is always a model repo; below it, a README.md without YAML front matter
    is ordinary documentation (a monorepo's ``docs/README.md``), not a model card.
    """
    if not subdir:
        return True
    present = set(names)
    if present.intersection(_MARKERS) or any(n.endswith(".safetensors") for n in present):
        return True
    return "README.md" in present and opens_front_matter(readme_head, complete=False)


def select(dirs: Iterable[str], patterns: Sequence[str]) -> list[str]:
    """Sorted, deduplicated dirs, restricted to the ``--path`` globs when any are given."""
    unique = sorted(set(dirs))
    if not patterns:
        return unique
    return [d for d in unique if any(fnmatch.fnmatchcase(d or ".", p) for p in patterns)]


def by_dir(files: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The trigger files among ``files``, grouped by the model repo dir they belong to."""
    out: dict[str, list[str]] = {}
    for f in files:
        if is_trigger(f):
            out.setdefault(repo_dir_of(f), []).append(f)
    return {d: tuple(sorted(fs)) for d, fs in out.items()}


def dirs_in_commit(repo: Path, sha: str, files: Iterable[str]) -> list[str]:
    """The model repo dirs of the changed ``files`` that exist and qualify at ``sha``."""
    out = []
    for subdir in sorted({repo_dir_of(f) for f in files if is_trigger(f)}):
        names = g.list_dir(repo, sha, subdir)
        if not names:
            continue  # the directory was deleted: nothing left to audit
        readme = g.show_head(repo, f"{sha}:{subdir + '/' if subdir else ''}README.md")
        if looks_like_repo(subdir, names, readme):
            out.append(subdir)
    return out


def dirs_in_worktree(repo: Path, files: Iterable[str]) -> list[str]:
    """The model repo dirs of ``files`` in the work tree (manual runs, no pushed range)."""
    out = []
    for subdir in sorted({repo_dir_of(f) for f in files if is_trigger(f)}):
        folder = repo / subdir
        if not folder.is_dir():
            continue
        if looks_like_repo(subdir, (p.name for p in folder.iterdir()), _head(folder / "README.md")):
            out.append(subdir)
    return out


def _head(readme: Path, limit: int = 4096) -> str:
    """The start of a work-tree README; an unreadable one reads as blank (audited: fail closed)."""
    try:
        with readme.open("rb") as fh:
            return fh.read(limit).decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    except OSError:
        return " "


def update_range(
    repo: Path, update: PushUpdate, remote: str | None
) -> tuple[str | None, list[str]]:
    """``(base, changed files)`` of one pushed ref, as pre-commit computes it.

    Known remote sha: diff remote..local. New ref: the commits no remote-tracking ref of the
    remote has; diff from the parent of the oldest, or every file when it is a root commit.
    """
    if update.deletes:
        return None, []
    if not update.creates and g.has_commit(repo, update.remote_sha):
        return update.remote_sha, g.changed_files(repo, update.remote_sha, update.local_sha)
    commits = g.new_commits(repo, update.local_sha, remote)
    if not commits:
        return None, []  # everything pushed is already on the remote
    first_parents = g.parents(repo, commits[0])
    if not first_parents:
        return None, g.tree_files(repo, update.local_sha)
    base = first_parents[0]
    return base, g.changed_files(repo, base, update.local_sha)


def plan_push(
    repo: Path, updates: Sequence[PushUpdate], remote: str | None, patterns: Sequence[str] = ()
) -> list[Unit]:
    """The units a push needs audited: each pushed commit's changed model repo dirs."""
    units: dict[tuple[str, str], Unit] = {}
    for update in updates:
        base, files = update_range(repo, update, remote)
        changed = by_dir(files)
        for subdir in select(dirs_in_commit(repo, update.local_sha, files), patterns):
            unit = Unit(subdir, update.local_sha, base, changed[subdir])
            units.setdefault((update.local_sha, subdir), unit)
    return sorted(units.values(), key=lambda u: (u.subdir, u.sha or ""))


def plan_range(
    repo: Path,
    base: str | None,
    head: str,
    patterns: Sequence[str] = (),
    *,
    merge_base: bool = True,
) -> list[Unit]:
    """Units for a ``base...head`` range (CI, pre-commit's from/to refs); no base: every dir."""
    head_sha = g.rev_parse(repo, head)
    if base is None:
        files = g.tree_files(repo, head_sha)
        base_sha = None
    else:
        base_sha = g.rev_parse(repo, base)
        files = g.changed_files(repo, base_sha, head_sha, merge_base=merge_base)
    dirs = select(dirs_in_commit(repo, head_sha, files), patterns)
    changed = by_dir(files)
    return [Unit(d, head_sha, base_sha, changed[d]) for d in dirs]


def plan_worktree(repo: Path, patterns: Sequence[str] = ()) -> list[Unit]:
    """Units for a manual run: every model repo dir of the files, as in the work tree (every
    file counts as changed)."""
    files = g.work_tree_files(repo)
    dirs = select(dirs_in_worktree(repo, files), patterns)
    changed = by_dir(files)
    return [Unit(d, None, None, changed[d]) for d in dirs]
