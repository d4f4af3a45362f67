"""Baselines: compare a run's findings with an earlier state so a gate fails only on new ones.

``--baseline REF`` audits the same targets at a git ref of the audited repository (local
directories: the ref's tree exported to a temporary directory of the same name, so node ids and
messages match; Hub targets: the Hub revision REF). ``--baseline report.json`` reads a previous
JSON report. Findings are matched by fingerprint (rule id, node, file, message: see
:func:`auditor.fingerprint.fingerprint`) as a multiset, so a second occurrence is new.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.errors import TargetError, UsageError
from auditor.fingerprint import finding_key as key
from auditor.formats.escape import clean
from auditor.models import AuditReport, Finding, Location, Target, TargetReport, ToolInfo
from auditor.models.codec import ModelError, load, names
from auditor.sources.local import checkout_repo_id

if TYPE_CHECKING:
    from auditor.pipeline import AuditOptions
    from auditor.policy import PolicySet

Previous = tuple[Finding, ...] | None


def compare(current: TargetReport, previous: Previous) -> TargetReport:
    """``current`` with its new, unchanged and fixed findings recorded against ``previous``."""
    before = Counter(key(f) for f in previous or ())
    now = Counter(key(f) for f in current.findings)
    new, unchanged = [], []
    for f in current.findings:
        k = key(f)
        if before[k] > 0:
            before[k] -= 1
            unchanged.append(k)
        else:
            new.append(k)
    fixed = []
    for f in previous or ():
        k = key(f)
        if now[k] > 0:
            now[k] -= 1
        else:
            fixed.append(f)
    return replace(
        current,
        baseline_new=tuple(new),
        baseline_unchanged=tuple(unchanged),
        baseline_fixed=tuple(fixed),
    )


def with_baseline(report: AuditReport, label: str, previous: Sequence[Previous]) -> AuditReport:
    """The report with every target compared to its previous findings (same order)."""
    targets = tuple(compare(t, p) for t, p in zip(report.targets, previous, strict=True))
    return replace(report, baseline=label, targets=targets)


def gating(report: AuditReport, target: TargetReport) -> list[Finding]:
    """Findings that may fail the run: not waived and, with a baseline, new."""
    live = [f for f in target.findings if f.suppressed_by is None]
    if report.baseline is None:
        return live
    new = Counter(target.baseline_new)
    out = []
    for f in reversed(live):  # later occurrences of a duplicate are the new ones
        k = key(f)
        if new[k] > 0:
            new[k] -= 1
            out.append(f)
    return out[::-1]


def apply_baseline(
    report: AuditReport, spec: str, options: AuditOptions, policy: PolicySet
) -> AuditReport:
    """Compare ``report`` with ``spec``: an existing ``*.json`` report file, else a git ref."""
    path = Path(spec)
    if path.is_file() or spec.endswith(".json"):
        previous_report = load_report(path)
        previous = [match(t, previous_report) for t in report.targets]
        return with_baseline(report, f"report {spec}", previous)
    found = [at_ref(t.target, spec, options, policy) for t in report.targets]
    shas = sorted({sha for sha, _ in found if sha})
    label = f"git ref {spec} ({', '.join(s[:12] for s in shas)})" if shas else f"revision {spec}"
    return with_baseline(report, label, [findings for _, findings in found])


def at_ref(
    target: Target, ref: str, options: AuditOptions, policy: PolicySet
) -> tuple[str | None, Previous]:
    """``(sha, findings)`` of ``target`` at ``ref``; findings ``()`` if it did not exist then."""
    if target.path is None:  # a Hub target: the ref is a Hub revision of the same repo
        _check_revision(target, ref, options)
        moved = replace(target, revision=ref)
        return None, _findings_of([moved], options, policy)
    from auditor import git as g  # a baseline at a git ref only

    path = Path(target.path)
    repo = g.toplevel(path)
    sha = g.rev_parse(repo, ref)
    subdir = path.resolve().relative_to(repo).as_posix()
    return sha, audit_tree(repo, sha, "" if subdir == "." else subdir, path.name, options, policy)


def _check_revision(target: Target, ref: str, options: AuditOptions) -> None:
    """A baseline revision the repo does not have is a usage error, not "every finding new".

    The repo itself resolved (it was just audited), so "not found" at ``ref`` means the ref;
    a network failure stays what it is (the baseline is then not audited).
    """
    from auditor.pipeline import make_resolver

    if target.repo_id is None:
        return
    try:
        make_resolver(options).resolve(target.repo_id, target.kind, ref)
    except TargetError as exc:
        if exc.reason == "not-found":
            raise UsageError(f"--baseline {ref}: {exc}") from exc


def audit_tree(
    repo: Path, sha: str, subdir: str, name: str, options: AuditOptions, policy: PolicySet
) -> Previous:
    """Findings of ``subdir`` of commit ``sha`` audited as directory ``name``; ``()`` if absent."""
    import tempfile

    from auditor import git as g

    with tempfile.TemporaryDirectory(prefix="ailiance-audit-baseline-") as tmp:
        dest = Path(tmp) / name
        if not g.export_tree(repo, sha, subdir, dest):
            return ()
        rid = checkout_repo_id(repo, subdir)  # the same subject id as the in-place audit
        target = Target(spec=str(dest), path=str(dest), repo_id=rid)
        return _findings_of([target], options, policy)


def _findings_of(targets: list[Target], options: AuditOptions, policy: PolicySet) -> Previous:
    from auditor.pipeline import run_iter

    reports = list(run_iter(targets, options, policy))
    # A baseline that could not be audited is no baseline: every current finding counts as new.
    return reports[0].findings if reports and reports[0].status == "audited" else None


def target_name(target: Target, repo_id: str | None) -> tuple[str, str]:
    """How targets of two runs are matched: kind and subject id (local dirs: their name)."""
    name = repo_id or target.repo_id or (Path(target.path).name if target.path else target.spec)
    return target.kind.value, name


def match(current: TargetReport, previous: AuditReport) -> Previous:
    """The previous findings of the same subject; a one-target report matches a one-target run."""
    want = target_name(current.target, current.snapshot.repo_id if current.snapshot else None)
    candidates = [
        t
        for t in previous.targets
        if target_name(t.target, t.snapshot.repo_id if t.snapshot else None) == want
    ]
    if not candidates and len(previous.targets) == 1:
        candidates = list(previous.targets)
    for t in candidates:
        if t.status == "audited":
            return t.findings
    return None if candidates else ()


def load_report(path: Path) -> AuditReport:
    """Read a JSON report leniently: only targets and findings are needed (any tool version)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: nested thousands deep
        raise UsageError(f"--baseline {path}: not a readable JSON report ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("targets"), list):
        raise UsageError(f"--baseline {path}: not an ailiance-audit JSON report (no 'targets')")
    try:
        targets = tuple(_target(t) for t in data["targets"])
    except (ModelError, TypeError, KeyError) as exc:
        raise UsageError(f"--baseline {path}: invalid report ({_short(exc)})") from exc
    tool = data.get("tool")
    version = tool.get("version", "?") if isinstance(tool, dict) else "?"
    return AuditReport(tool=ToolInfo(version=str(version)), targets=targets)


def _target(raw: Any) -> TargetReport:
    target = load(Target, _known(Target, raw["target"]))
    findings = tuple(_finding(f) for f in raw.get("findings") or ())
    snap = raw.get("snapshot") or {}
    return load(
        TargetReport,
        {
            "target": target,
            "status": raw.get("status", "audited"),
            "findings": findings,
            "snapshot": _snapshot(snap, target) if snap.get("repo_id") else None,
        },
    )


def _snapshot(raw: dict[str, Any], target: Target) -> dict[str, Any]:
    return {
        "repo_id": str(raw["repo_id"]),
        "kind": raw.get("kind", target.kind.value),
        "origin": raw.get("origin", "local"),
        "location": str(raw.get("location", "")),
    }


def _finding(raw: Any) -> Finding:
    data = _known(Finding, raw)
    data.pop("suppressed_by", None)  # waivers are re-read from the audited repo, not compared
    if isinstance(data.get("location"), dict):
        data["location"] = load(Location, _known(Location, data["location"]))
    found = load(Finding, data)
    return replace(found, fingerprint=key(found))


def _known(model: type[Any], raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise TypeError(f"expected an object, got {type(raw).__name__}")
    return {k: v for k, v in raw.items() if k in names(model)}


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200]


def render_text(report: AuditReport) -> str:
    """The baseline section of the text report: new, unchanged and fixed findings per target."""
    if report.baseline is None:
        return ""
    lines = [f"\nbaseline: {report.baseline}"]
    for t in report.targets:
        name = t.snapshot.repo_id if t.snapshot else t.target.spec
        lines.append(
            f"== {clean(name)}: {len(t.baseline_new)} new, {len(t.baseline_unchanged)} "
            f"unchanged, {len(t.baseline_fixed)} fixed"
        )
        new, unchanged = set(t.baseline_new), set(t.baseline_unchanged)
        lines += [_line("new", f) for f in t.findings if key(f) in new]
        lines += [_line("unchanged", f) for f in t.findings if key(f) in unchanged - new]
        lines += [_line("fixed", f) for f in t.baseline_fixed]
    return "\n".join(lines) + "\n"


def _line(state: str, f: Finding) -> str:
    where = str(f.location) if f.location else f.node
    return f"  {state:9} {f.severity.value:7} {f.rule_id}  {clean(where)}  {clean(f.message)}"


__all__ = [
    "apply_baseline",
    "audit_tree",
    "compare",
    "gating",
    "key",
    "load_report",
    "match",
    "render_text",
    "with_baseline",
]
