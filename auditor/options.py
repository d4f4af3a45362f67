"""Command layer: the options every audit-running command shares, and :class:`AuditOptions`
built from them once.

The audit command and its subcommands (``facts``, ``hook run``, ``card sync``, ``census``) add
the same source and policy options with :func:`add_common`; :func:`options_from` turns the
parsed arguments into pipeline options. Below this module nothing sees an argparse namespace:
subcommands hand their engines :class:`AuditOptions` and plain values.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.argparsing import add_repeatable
from auditor.errors import UsageError
from auditor.severity import VERIFY_LEVELS

if TYPE_CHECKING:  # the pipeline is imported when options are built, not for --help
    from auditor.pipeline import AuditOptions

VERIFY_HELP = "adapter verification level (default: load with mlx-lm)"


def add_common(
    p: argparse.ArgumentParser, *, verify: str | None = "load", verify_help: str = VERIFY_HELP
) -> None:
    """Add the source, verification and policy options (``verify``: this command's default;
    ``None`` when the command chooses the level itself)."""
    add_repeatable(
        p,
        "--mirror",
        "DIR",
        "a directory laid out like the Hub (repeatable; also AILIANCE_AUDIT_MIRROR)",
    )
    p.add_argument("--offline", action="store_true", help="never use the network")
    p.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="an audit that could not look at an upstream repo (network, access, offline cache "
        "miss) warns instead of exiting 3",
    )
    p.add_argument("--revision", help="branch, tag, sha or refs/pr/N of the targets")
    p.add_argument(
        "--verify",
        choices=VERIFY_LEVELS,
        default=verify,
        help=verify_help,
    )
    add_repeatable(
        p,
        "--policy",
        "P",
        "profile (default, strict, none) or a pack file/dir (repeatable)",
    )


def options_from(args: argparse.Namespace) -> AuditOptions:
    """Build pipeline options from parsed arguments (the options :func:`add_common` adds, and
    ``--lock``/``--locked`` where the command has them)."""
    from auditor.pipeline import AuditOptions
    from auditor.sources.factory import hub_factory

    mirrors = list(args.mirror)
    env = os.environ.get("AILIANCE_AUDIT_MIRROR")
    if env:
        mirrors += [m for m in env.split(os.pathsep) if m]
    for m in mirrors:
        if not Path(m).is_dir():
            raise UsageError(f"--mirror {m}: no such directory")
    from auditor.exitcodes import target_crashed  # not at import: --help needs neither
    from auditor.sources.offline import offline_from_env

    offline = args.offline or offline_from_env()
    return AuditOptions(
        mirrors=[Path(m) for m in mirrors],
        offline=offline,
        verify=args.verify,
        revision=args.revision,
        policy=args.policy or ["default"],
        hub_factory=hub_factory(offline=offline),
        lock=_lock_path(getattr(args, "lock", None)),
        locked=Path(args.locked) if getattr(args, "locked", None) else None,
        on_crash=target_crashed,
    )


def _lock_path(value: str | None) -> Path | None:
    """``--lock FILE``, refused before the audit when it cannot be a file (no report lost)."""
    if not value:
        return None
    if Path(value).is_dir():
        raise UsageError(f"--lock {value}: it is a directory")
    return Path(value)
