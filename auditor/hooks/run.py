"""``ailiance-audit hook run``: audit what a push changes and block it on findings.

Where the pushed range comes from, in order: ``--all`` (every model repo dir of the work tree);
pre-commit's ``PRE_COMMIT_FROM_REF``/``PRE_COMMIT_TO_REF``; under pre-commit without them (a
push of a whole new history, or ``--hook-stage manual``) the work tree; otherwise git's pre-push
standard input (githooks(5)). Each changed model repo dir is audited as a local target at the
pushed commit, always from an export of the commit's tree: an uncommitted fix or a file git
ignores (an ignored ``.ailiance-audit.yaml``) cannot make a bad push pass.

The verification level is chosen per directory (:mod:`auditor.hooks.levels`): ``header`` for
a card edit, the mlx-lm load check when the adapter's files change, the user's ``--verify``
when given.

Network: the audit is offline when ``--offline`` or ``HF_HUB_OFFLINE`` is set, and also when
the Hub does not answer a TCP connect within :data:`PROBE_TIMEOUT` seconds; upstream repos then
come from ``--mirror``/``AILIANCE_AUDIT_MIRROR`` and the local Hugging Face cache only.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from auditor import git as g
from auditor.errors import EXIT_OK, incomplete_hint
from auditor.exitcodes import exit_code
from auditor.hooks import changes
from auditor.hooks.levels import adapter_check, load_gap, verify_level
from auditor.models import FAIL_ON, AuditReport, Finding, Target, TargetReport, VerifyLevel
from auditor.pipeline import AuditOptions
from auditor.sources.factory import hub_factory
from auditor.sources.offline import offline_from_env

PROBE_TIMEOUT = 1.5
BYPASS = "To push anyway, once: git push --no-verify"
_RANK = FAIL_ON


@dataclass(frozen=True)
class HookRun:
    """What ``hook run`` was asked, besides the audit options."""

    repo: Path
    paths: Sequence[str] = ()
    remote: str | None = None
    all: bool = False
    new_only: bool = True
    fail_on: str = "error"
    allow_incomplete: bool = False
    verify: VerifyLevel | None = None  # None: chosen per directory (:func:`verify_level`)


@contextmanager
def bypass_hint() -> Iterator[None]:
    """Say how to push anyway when the check itself fails (the error is printed by the CLI)."""
    try:
        yield
    except BaseException as exc:
        if not isinstance(exc, SystemExit):
            print(f"ailiance-audit: the check did not complete. {BYPASS}", file=sys.stderr)
        raise


def run_hook(hook: HookRun, options: AuditOptions) -> int:
    """Plan, audit, report; the exit code blocks the push when non-zero."""
    with bypass_hint():
        return _run(hook, options)


def _run(hook: HookRun, options: AuditOptions) -> int:
    repo = g.toplevel(hook.repo)
    units = plan(repo, hook)
    if not units:
        print(
            "ailiance-audit: no card, adapter, waiver or policy file changed: nothing to audit",
            file=sys.stderr,
        )
        return EXIT_OK
    options, note = decide_offline(options)
    if note:
        print(f"ailiance-audit: {note}", file=sys.stderr)
    report = audit_units(repo, units, options, new_only=hook.new_only, verify=hook.verify)
    code = exit_code(report, hook.fail_on, hook.allow_incomplete)
    print(summarize(repo, units, report, code, hook.fail_on, hook.verify), file=sys.stderr)
    return code


def plan(repo: Path, hook: HookRun) -> list[changes.Unit]:
    """The directories to audit and the commit of each (see the module docstring)."""
    env = os.environ
    paths = list(hook.paths)
    if hook.all:
        return changes.plan_worktree(repo, paths)
    if env.get("PRE_COMMIT_FROM_REF") and env.get("PRE_COMMIT_TO_REF"):
        return changes.plan_range(
            repo, env["PRE_COMMIT_FROM_REF"], env["PRE_COMMIT_TO_REF"], paths, merge_base=False
        )
    if env.get("PRE_COMMIT") == "1" or sys.stdin is None or sys.stdin.isatty():
        return changes.plan_worktree(repo, paths)
    updates = changes.parse_updates(sys.stdin.read())
    if not updates:
        return changes.plan_worktree(repo, paths)
    return changes.plan_push(repo, updates, hook.remote, paths)


def hub_reachable(timeout: float = PROBE_TIMEOUT) -> bool:
    """True when a TCP connection to the Hub endpoint (``HF_ENDPOINT``) opens in time."""
    parts = urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname or "", port), timeout=timeout).close()
    except OSError:
        return False
    return True


def decide_offline(options: AuditOptions) -> tuple[AuditOptions, str | None]:
    """The options, offline when the Hub is unreachable, and a note saying so."""
    offline = replace(options, offline=True, hub_factory=hub_factory(offline=True))
    if options.offline or offline_from_env():
        return offline, None
    if hub_reachable():
        return options, None
    return (
        offline,
        "the Hub is unreachable: auditing offline (mirrors and the local Hugging Face cache)",
    )


def audit_units(
    repo: Path,
    units: Sequence[changes.Unit],
    options: AuditOptions,
    *,
    new_only: bool,
    verify: VerifyLevel | None = None,
) -> AuditReport:
    """Audit every unit at its level (``new_only``: against the same dir at its base commit,
    at the same level, so a finding only a load check sees is not mistaken for a new one)."""
    from auditor.baseline import audit_tree, with_baseline
    from auditor.pipeline import make_report, run_iter
    from auditor.policy import load_policies
    from auditor.sources.local import checkout_repo_id

    policy = load_policies(list(options.policy))
    at = [replace(options, verify=verify_level(u, verify)) for u in units]
    with tempfile.TemporaryDirectory(prefix="ailiance-audit-hook-") as tmp:
        targets = [
            _target(materialise(repo, u, Path(tmp) / str(i)), checkout_repo_id(repo, u.subdir))
            for i, u in enumerate(units)
        ]
        done: dict[int, TargetReport] = {}
        for level in dict.fromkeys(o.verify for o in at):  # one run (one resolver) per level
            picked = [i for i, o in enumerate(at) if o.verify == level]
            batch = run_iter([targets[i] for i in picked], at[picked[0]], policy)
            done.update(zip(picked, batch, strict=True))
        report = make_report([load_gap(done[i], o) for i, o in enumerate(at)], policy)
        if new_only:
            previous = [
                audit_tree(repo, u.base, u.subdir, dir_name(repo, u), o, policy) if u.base else ()
                for u, o in zip(units, at, strict=True)
            ]
            report = with_baseline(report, "the commits already on the remote", previous)
    return report


def dir_name(repo: Path, unit: changes.Unit) -> str:
    """The directory's name, which is the local target's subject id (the repo's for the root)."""
    return Path(unit.subdir).name if unit.subdir else repo.name


def materialise(repo: Path, unit: changes.Unit, scratch: Path) -> Path:
    """Where the unit's files are: an export of the pushed commit, never the work tree.

    Even when HEAD is the pushed commit and ``git status`` is clean, the work tree holds files
    git ignores (``.gitignore``, ``.git/info/exclude``): an ignored ``.ailiance-audit.yaml``
    must not waive a finding of what is pushed. Manual runs (no commit) audit the work tree.
    """
    if unit.sha is None:
        return repo / unit.subdir
    dest = scratch / dir_name(repo, unit)
    g.export_tree(repo, unit.sha, unit.subdir, dest)
    return dest


def _target(path: Path, repo_id: str | None = None) -> Target:
    return Target(spec=str(path), path=str(path.resolve()), repo_id=repo_id)


def summarize(
    repo: Path,
    units: Sequence[changes.Unit],
    report: AuditReport,
    code: int,
    fail_on: str,
    verify: VerifyLevel | None = None,
) -> str:
    """A short, readable verdict: blocking findings with rule ids, then how to bypass."""
    from auditor.baseline import gating
    from auditor.formats.escape import clean

    lines = []
    fixes: list[Finding] = []
    threshold = _RANK[fail_on]
    for unit, target in zip(units, report.targets, strict=True):
        where = f"{unit.subdir or repo.name} ({_at(unit)})"
        if target.status != "audited":
            lines.append(f"ailiance-audit: could not audit {where}: {clean(target.error or '')}")
            continue
        blocking = [f for f in gating(report, target) if _RANK[f.severity.value] >= threshold]
        lines.append(_head(where, target, blocking, fail_on, report.baseline is not None))
        lines += adapter_check(unit, target, verify)
        gaps = target.incomplete
        lines += [f"ailiance-audit: incomplete: could not look at {clean(w)}" for w in gaps]
        lines += [f"ailiance-audit: {incomplete_hint(gaps)}"] if gaps else []
        lines += [_finding_line(f) for f in blocking]
        fixes += [f for f in blocking if f.fix]
    if code == EXIT_OK:
        return "\n".join(lines)
    if fixes:
        lines.append(f"ailiance-audit: to fix {fixes[0].rule_id}: {clean(fixes[0].fix or '')}")
    lines.append(
        "ailiance-audit: push blocked. Fix the findings (full report: ailiance-audit DIR), or "
        "waive a finding in .ailiance-audit.yaml (rule, reason, owner, expires)."
    )
    lines.append(f"ailiance-audit: {BYPASS}")
    return "\n".join(lines)


def _at(unit: changes.Unit) -> str:
    return f"commit {unit.sha[:12]}" if unit.sha else "work tree"


def _head(
    where: str, target: TargetReport, blocking: list[Finding], fail_on: str, baseline: bool
) -> str:
    other = len([f for f in target.findings if f.suppressed_by is None]) - len(blocking)
    new = "new " if baseline else ""
    count = f"{len(blocking)} {new}finding(s)" if blocking else f"no {new}finding"
    return f"ailiance-audit: {where}: {count} at or above {fail_on} ({other} not blocking)"


def _finding_line(f: Finding) -> str:
    from auditor.formats.escape import clean

    where = str(f.location) if f.location else f.node
    return f"  {f.severity.value:7} {f.rule_id}  {clean(where)}: {clean(f.message)}"


__all__ = [
    "BYPASS",
    "HookRun",
    "bypass_hint",
    "decide_offline",
    "hub_reachable",
    "materialise",
    "plan",
    "run_hook",
]
