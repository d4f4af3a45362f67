"""``ailiance-audit hook install`` / ``uninstall``: the plain-git pre-push hook.

An existing pre-push hook is never overwritten: it is renamed ``pre-push.local`` and the
installed script runs it first, with the same arguments and the same standard input (git's list
of pushed refs is read once and handed to both). ``uninstall`` puts it back.
"""

from __future__ import annotations

import os
import shlex
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

from auditor import git as g
from auditor.errors import UsageError

MARKER = "# ailiance-audit-hook: pre-push v1"
CHAINED = "pre-push.local"

_SCRIPT = """#!/bin/sh
{marker}
# Installed by `ailiance-audit hook install`; remove with `ailiance-audit hook uninstall`.
# Audits the model cards, adapter files and policies changed in the pushed commits and blocks
# the push on findings. To push anyway, once: git push --no-verify
hookdir=$(dirname "$0")
input=$(cat)
if [ -x "$hookdir/{chained}" ]; then
    printf '%s\\n' "$input" | "$hookdir/{chained}" "$@" || exit $?
fi
if [ -x {python} ]; then
    printf '%s\\n' "$input" | {python} -m auditor hook run "$@"{run_args}
    exit $?
fi
if command -v ailiance-audit >/dev/null 2>&1; then
    printf '%s\\n' "$input" | ailiance-audit hook run "$@"{run_args}
    exit $?
fi
echo "ailiance-audit: not found (neither "{python} "nor ailiance-audit on PATH)." >&2
echo "Push blocked. Reinstall the tool, run 'ailiance-audit hook uninstall', or push once" >&2
echo "without the check: git push --no-verify" >&2
exit 1
"""


def script(python: str | None = None, run_args: Sequence[str] = ()) -> str:
    """The hook script; ``python`` has ``auditor`` installed, ``run_args`` go to ``hook run``."""
    exe = python or sys.executable
    return _SCRIPT.format(
        marker=MARKER,
        chained=CHAINED,
        python=shlex.quote(exe),
        run_args="".join(f" {shlex.quote(a)}" for a in run_args),
    )


def is_ours(path: Path) -> bool:
    """True when ``path`` is a hook this tool wrote."""
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            return MARKER in fh.read(4096)
    except OSError:
        return False


def install(repo: Path, python: str | None = None, run_args: Sequence[str] = ()) -> list[str]:
    """Install the pre-push hook in the repository containing ``repo``; return what was done."""
    top = g.toplevel(repo)
    hooks = _usable_hooks_dir(top)
    hook, chained = hooks / "pre-push", hooks / CHAINED
    done = []
    run_args = anchored(run_args, top)
    if (hook.exists() or hook.is_symlink()) and not is_ours(hook):
        if chained.exists() or chained.is_symlink():
            raise UsageError(f"{hook} and {chained} both exist; move one away, then install again")
        hook.rename(chained)
        done.append(f"kept the existing hook as {chained} (it runs first)")
    _write_executable(hook, script(python, run_args))
    done.append(f"installed {hook}")
    return done


def _usable_hooks_dir(top: Path) -> Path:
    """The hooks directory git reads, created if needed; a usage error when it cannot be one
    (``core.hooksPath=/dev/null`` turns hooks off: installing there would do nothing)."""
    hooks = g.hooks_dir(top)
    try:
        hooks.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"git reads hooks from {hooks} (core.hooksPath), which cannot hold a hook "
            f"({exc.strerror or exc}); set core.hooksPath to a directory or unset it"
        ) from None
    return hooks


# ``hook run`` options whose value is a path (``--policy`` also takes profile names).
_PATH_OPTIONS = ("--mirror", "--policy")
_PROFILES = ("default", "strict", "none")


def anchored(run_args: Sequence[str], top: Path) -> list[str]:
    """``run_args`` with their paths made to mean at push time what they meant here.

    git runs a hook from the top level of the work tree, not from where ``install`` was typed:
    a path inside the repository is stored relative to the top level (the hook keeps working in
    another clone or after a move), a path outside it as an absolute path.
    """
    out: list[str] = []
    args = list(run_args)
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, value = arg.partition("=")
        if name in _PATH_OPTIONS and eq:
            out.append(f"{name}={_anchor(name, value, top)}")
        elif arg in _PATH_OPTIONS and i + 1 < len(args):
            out += [arg, _anchor(arg, args[i + 1], top)]
            i += 1
        else:
            out.append(arg)
        i += 1
    return out


def _anchor(option: str, value: str, top: Path) -> str:
    if option == "--policy" and value in _PROFILES:
        return value
    path = Path(value).expanduser().resolve()
    top = top.resolve()
    return path.relative_to(top).as_posix() or "." if path.is_relative_to(top) else str(path)


def uninstall(repo: Path) -> list[str]:
    """Remove the hook this tool installed and restore a chained one."""
    top = g.toplevel(repo)
    hooks = g.hooks_dir(top)
    hook, chained = hooks / "pre-push", hooks / CHAINED
    if not hook.exists():
        return [f"no pre-push hook in {hooks}: nothing to do"]
    if not is_ours(hook):
        raise UsageError(f"{hook} was not installed by ailiance-audit; leaving it alone")
    hook.unlink()
    done = [f"removed {hook}"]
    if chained.exists() or chained.is_symlink():
        chained.rename(hook)
        done.append(f"restored the previous hook from {chained}")
    return done


def _write_executable(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    mode = tmp.stat().st_mode
    tmp.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.replace(tmp, path)
