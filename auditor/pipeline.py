"""The pipeline: the only module that calls more than one stage.

target ─► sources ─► card ─► graph ─► verify ─► facts ─► policy; formats are applied by the CLI.
Side effects (sources, clock) are injected through :class:`AuditOptions` and :func:`make_resolver`
so tests run offline against mirrors or a loopback Hub server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import field
from pathlib import Path

from auditor import __version__
from auditor.card import parse_card
from auditor.compute import estimate, tokens_from_text
from auditor.errors import AuditError, TargetError
from auditor.facts import build_facts
from auditor.graph import build_graph
from auditor.models import (
    AdapterEvidence,
    AuditReport,
    CardClaims,
    ComputeEstimate,
    Edge,
    Facts,
    LicenseGraph,
    RepoKind,
    RepoSnapshot,
    Severity,
    Summary,
    Target,
    TargetReport,
    ToolInfo,
    VerifyLevel,
    base_edges,
    finding_order,
)
from auditor.policy import PolicySet, evaluate, load_policies
from auditor.policy.waivers import PYPROJECT, apply_waivers, load_repo_waivers
from auditor.records import mutable_record
from auditor.sources import limits
from auditor.sources.base import Resolver, Source
from auditor.sources.local import LocalSource, MirrorSource, one_state
from auditor.sources.lock import LockSource, read_lock, write_lock
from auditor.upstream import UpstreamRepos, dataset_hint

WAIVER_FILE = ".ailiance-audit.yaml"
MAX_ERROR_CHARS = 300  # an exception message may quote untrusted input: keep it short


@mutable_record
class AuditOptions:
    """Everything a run needs besides its targets; defaults suit an offline mirror audit."""

    mirrors: Sequence[Path] = ()
    offline: bool = False
    verify: VerifyLevel = "load"
    revision: str | None = None
    policy: Sequence[str] = ("default",)
    max_depth: int = 10
    workers: int = 8
    today: dt.date = field(default_factory=dt.date.today)
    extra_sources: Sequence[Source] = ()
    hub_factory: Callable[[], Source | None] | None = None
    deadline: float | None = None  # seconds per target for Hub requests (None: the default)
    lock: Path | None = None  # --lock FILE: write every resolved repo id, kind and sha
    locked: Path | None = None  # --locked FILE: audit exactly those revisions
    # Called with (target, traceback text) when a target fails internally; the CLI writes the
    # traceback to a log file (exit code 4) while the other targets go on (nothing lost).
    on_crash: Callable[[Target, str], None] | None = None


def make_resolver(options: AuditOptions) -> Resolver:
    """Mirrors first, then any injected sources, then the Hub (unless offline).

    With ``--lock``/``--locked`` the chain is wrapped in a :class:`LockSource` that records every
    resolved repo and, with a lock file, pins each one to its locked sha (docs/hub.md).
    """
    sources: list[Source] = [MirrorSource(Path(m)) for m in options.mirrors]
    sources.extend(options.extra_sources)
    if options.hub_factory is not None:
        hub = options.hub_factory()
        if hub is not None:
            sources.append(hub)
    if options.lock is None and options.locked is None:
        return Resolver(sources)
    lock = read_lock(options.locked) if options.locked is not None else None
    return Resolver([LockSource(sources, lock=lock, lock_name=str(options.locked))])


def resolve_target(target: Target, resolver: Resolver, options: AuditOptions) -> RepoSnapshot:
    """The subject snapshot: a local directory is served by its own source."""
    revision = target.revision or options.revision
    if target.path is not None:
        one_state(target.spec, revision)  # a folder cannot honour a revision: usage error
        local = LocalSource(Path(target.path), repo_id=target.repo_id, kind=target.kind)
        snap = local.snapshot()
        resolver.register(snap, local)
        return snap
    assert target.repo_id is not None
    try:
        snap = resolver.resolve(target.repo_id, target.kind, revision)
    except TargetError as exc:
        if exc.reason != "not-found" or target.kind is not RepoKind.MODEL:
            raise
        message = f"{exc}; {dataset_hint(target, resolver)}"
        raise TargetError(message, reason="not-found") from None
    if snap.origin == "mirror":
        one_state(snap.location, revision)
    return snap


def collect(
    target: Target, resolver: Resolver, options: AuditOptions
) -> tuple[RepoSnapshot, Facts, LicenseGraph, tuple[str, ...]]:
    """Run the stages up to the facts document for one target; also the lineage graph and what
    the audit could not look at (empty: it is complete)."""
    from auditor.verify import collect_evidence
    from auditor.verify.worker import stopped

    snapshot = resolve_target(target, resolver, options)
    text = resolver.read_text(snapshot, "README.md")
    claims: CardClaims = parse_card(text)
    repos = UpstreamRepos(resolver)
    graph = build_graph(
        snapshot, claims, repos.lookup, max_depth=options.max_depth, workers=options.workers
    )
    evidence = collect_evidence(
        snapshot,
        repos.watched(lambda name: resolver.path(snapshot, name)),
        level=options.verify,
        base_config=repos.config,
        read_header=repos.watched(lambda name: resolver.header(snapshot, name)),
        card_base=next(iter(claims.metadata.base_model), None),
    )
    base = next(iter(base_edges(graph.subject, graph.edges)), None)
    compute = _compute(snapshot, text, base, repos, evidence, claims)
    read = lambda name: resolver.read_text(snapshot, name)  # noqa: E731
    facts = build_facts(snapshot, claims, graph, evidence, compute, read_text=read)
    incomplete = [*repos.incomplete, *stopped(evidence.problems)]  # a load check cut short
    return snapshot, facts, graph, tuple(dict.fromkeys(incomplete))


def _compute(
    snapshot: RepoSnapshot, text: str | None, base: Edge | None, repos: UpstreamRepos,
    evidence: AdapterEvidence, claims: CardClaims,
) -> ComputeEstimate:  # fmt: skip
    """Compute against the base; with no base, from the model's own config.json and card."""
    own = base is None and snapshot.kind is RepoKind.MODEL and not evidence.present
    base_id = snapshot.repo_id if own else base.target if base else None
    base_text = text if own else repos.texts.get((base_id, RepoKind.MODEL)) if base_id else None
    if own:  # read through the subject's own snapshot (a local path has no Hub id)
        repos.snapshots[(snapshot.repo_id, RepoKind.MODEL)] = snapshot
    return estimate(
        base_config=repos.config(base_id) if base_id else None,
        base_id=base_id,
        base_tokens=tokens_from_text(base_text) if base_text else None,
        base_flop_reported=None,
        adapter=evidence,
        card=claims,
        base_text=base_text,
        relation=base.relation if base else None,
        own=own,
    )


def audit_target(
    target: Target, resolver: Resolver, policy: PolicySet, options: AuditOptions
) -> TargetReport:
    """Audit one target; an unresolvable target becomes a report entry, not an exception.

    The whole target runs under one deadline for its Hub requests (``sources.limits``).
    """
    try:
        with limits.deadline(options.deadline):
            snapshot, facts, graph, incomplete = collect(target, resolver, options)
            waiver_texts = [resolver.read_text(snapshot, n) for n in (WAIVER_FILE, PYPROJECT)]
    except TargetError as exc:  # also a file that is there but unreadable
        return TargetReport(target=target, status="unresolved", error=str(exc))
    findings = evaluate(facts, policy)
    waivers = load_repo_waivers(*waiver_texts)
    findings = sorted(
        apply_waivers(findings, waivers, today=options.today, subject=facts.subject.id),
        key=finding_order,
    )
    return TargetReport(
        target=target,
        status="audited",
        snapshot=snapshot,
        graph=graph,
        claims=facts.card,
        evidence=facts.adapter,
        compute=facts.compute,
        findings=tuple(findings),
        incomplete=incomplete,
    )


def run_iter(
    targets: Sequence[Target], options: AuditOptions, policy: PolicySet | None = None
) -> Iterator[TargetReport]:
    """Audit targets one by one, yielding each report as soon as it is done."""
    policy = policy or load_policies(options.policy)
    resolver = make_resolver(options)
    try:
        for target in targets:
            yield audit_isolated(target, resolver, policy, options)
    finally:
        chain = resolver.sources[0] if resolver.sources else None
        if options.lock is not None and isinstance(chain, LockSource):
            write_lock(options.lock, chain.resolved)


def audit_isolated(
    target: Target, resolver: Resolver, policy: PolicySet, options: AuditOptions
) -> TargetReport:
    """:func:`audit_target`, with an internal error confined to its target.

    An unexpected exception (a bug in a stage) makes a ``failed`` report entry and the run goes
    on with the next target, so one bad repo never loses the others' results. Run-level errors
    (``AuditError``: usage, policy) and ``KeyboardInterrupt`` still end the run.
    """
    try:
        return audit_target(target, resolver, policy, options)
    except AuditError:
        raise
    except Exception as exc:
        if options.on_crash is not None:
            import traceback  # a crash only

            options.on_crash(target, traceback.format_exc())
        detail = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        return TargetReport(target=target, status="failed", error=f"internal error ({detail})")


def facts_for(target: Target, options: AuditOptions) -> tuple[Facts, tuple[str, ...]]:
    """The facts document of one target (``ailiance-audit facts``, ``card sync``), under the
    same per-target deadline as an audit, and what it could not look at (as
    ``TargetReport.incomplete``: facts with gaps are not a complete answer)."""
    with limits.deadline(options.deadline):
        _, facts, _, incomplete = collect(target, make_resolver(options), options)
    return facts, incomplete


def make_report(reports: Sequence[TargetReport], policy: PolicySet) -> AuditReport:
    """Assemble the run's report and its summary counts."""
    counts = {**{sev.value: 0 for sev in Severity}, "suppressed": 0}
    for rep in reports:
        for f in rep.findings:
            counts["suppressed" if f.suppressed_by else f.severity.value] += 1
    summary = Summary(
        targets=len(reports),
        unresolved=sum(r.status != "audited" for r in reports),
        incomplete=sum(bool(r.incomplete) for r in reports),
        **counts,
    )
    return AuditReport(
        tool=ToolInfo(version=__version__),
        policy=policy.sources,
        targets=tuple(reports),
        summary=summary,
    )


__all__ = [
    "AuditError",
    "AuditOptions",
    "audit_isolated",
    "audit_target",
    "facts_for",
    "make_report",
    "run_iter",
]
