"""The pipeline: the only module that calls more than one stage.

target ─► sources ─► card ─► graph ─► verify ─► facts ─► policy; formats are applied by the CLI.
Side effects (sources, clock) are injected through :class:`AuditOptions` and :func:`make_resolver`
so tests run offline against mirrors or a loopback Hub server.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from auditor import __version__
from auditor.card import parse_card
from auditor.compute import estimate, tokens_from_text
from auditor.errors import AuditError, TargetError
from auditor.facts import build_facts
from auditor.graph import Upstream, build_graph
from auditor.models import (
    AuditReport,
    CardClaims,
    Facts,
    RepoKind,
    RepoSnapshot,
    Summary,
    Target,
    TargetReport,
    ToolInfo,
)
from auditor.policy import PolicySet, evaluate, load_policies
from auditor.policy.cel import sort_key
from auditor.policy.waivers import apply_waivers, load_waivers
from auditor.sources.base import Resolver, Source
from auditor.sources.local import LocalSource, MirrorSource

VerifyLevel = Literal["none", "header", "load"]
MAX_CONFIG_BYTES = 1 << 20


@dataclass
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


def make_resolver(options: AuditOptions) -> Resolver:
    """Mirrors first, then any injected sources, then the Hub (unless offline)."""
    sources: list[Source] = [MirrorSource(Path(m)) for m in options.mirrors]
    sources.extend(options.extra_sources)
    if options.hub_factory is not None:
        hub = options.hub_factory()
        if hub is not None:
            sources.append(hub)
    return Resolver(sources)


class _Repos:
    """Per-run memo of resolved upstream repos (card text and claims), safe across threads."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.texts: dict[tuple[str, RepoKind], str | None] = {}
        self.snapshots: dict[tuple[str, RepoKind], RepoSnapshot] = {}
        self._lock = threading.Lock()

    def lookup(self, repo_id: str, kind: RepoKind) -> Upstream:
        try:
            snap = self.resolver.resolve(repo_id, kind)
        except TargetError as exc:
            return Upstream(snapshot=None, claims=None, reason=str(exc))
        text = self.resolver.read_text(snap, "README.md")
        with self._lock:
            self.texts[(repo_id, kind)] = text
            self.snapshots[(repo_id, kind)] = snap
        claims = parse_card(text) if text is not None else None
        return Upstream(snapshot=snap, claims=claims, reason=None)

    def config(self, repo_id: str) -> dict[str, Any] | None:
        snap = self.snapshots.get((repo_id, RepoKind.MODEL))
        if snap is None:
            try:
                snap = self.resolver.resolve(repo_id, RepoKind.MODEL)
            except TargetError:
                return None
        text = self.resolver.read_text(snap, "config.json", limit=MAX_CONFIG_BYTES)
        try:
            data = json.loads(text) if text else None
        except ValueError:
            return None
        return data if isinstance(data, dict) else None


def resolve_target(target: Target, resolver: Resolver, options: AuditOptions) -> RepoSnapshot:
    """The subject snapshot: a local directory is served by its own source."""
    if target.path is not None:
        local = LocalSource(Path(target.path), kind=target.kind)
        snap = local.snapshot()
        resolver.register(snap, local)
        return snap
    assert target.repo_id is not None
    return resolver.resolve(target.repo_id, target.kind, target.revision or options.revision)


def collect(
    target: Target, resolver: Resolver, options: AuditOptions
) -> tuple[RepoSnapshot, Facts]:
    """Run the stages up to the facts document for one target."""
    from auditor.verify import collect_evidence

    snapshot = resolve_target(target, resolver, options)
    text = resolver.read_text(snapshot, "README.md")
    claims: CardClaims = parse_card(text)
    repos = _Repos(resolver)
    graph = build_graph(
        snapshot, claims, repos.lookup, max_depth=options.max_depth, workers=options.workers
    )
    evidence = collect_evidence(
        snapshot,
        lambda name: resolver.path(snapshot, name),
        level=options.verify,
        base_config=repos.config,
    )
    base_id = next(
        (e.target for e in graph.edges if e.source == graph.subject and e.relation != "trained_on"),
        None,
    )
    base_text = repos.texts.get((base_id, RepoKind.MODEL)) if base_id else None
    compute = estimate(
        base_config=repos.config(base_id) if base_id else None,
        base_id=base_id,
        base_tokens=tokens_from_text(base_text) if base_text else None,
        base_flop_reported=None,
        adapter=evidence,
        card=claims,
    )
    return snapshot, build_facts(snapshot, claims, graph, evidence, compute)


def audit_target(
    target: Target, resolver: Resolver, policy: PolicySet, options: AuditOptions
) -> TargetReport:
    """Audit one target; an unresolvable target becomes a report entry, not an exception."""
    try:
        snapshot, facts = collect(target, resolver, options)
    except TargetError as exc:
        return TargetReport(target=target, status="unresolved", error=str(exc))
    findings = evaluate(facts, policy)
    waivers_text = resolver.read_text(snapshot, ".ailiance-audit.yaml")
    waivers = load_waivers(waivers_text, ".ailiance-audit.yaml")
    findings = sorted(
        apply_waivers(findings, waivers, today=options.today, subject=facts.subject.id),
        key=sort_key,
    )
    return TargetReport(
        target=target,
        status="audited",
        snapshot=snapshot,
        graph=_graph_of(facts),
        claims=facts.card,
        evidence=facts.adapter,
        compute=facts.compute,
        findings=tuple(findings),
    )


def _graph_of(facts: Facts) -> Any:
    from auditor.models import LicenseGraph

    return LicenseGraph(
        subject=facts.subject.id,
        nodes=(facts.subject, *facts.upstream),
        edges=facts.edges,
        problems=tuple(facts.derived.get("walk_problems", ())),
    )


def run_iter(
    targets: Sequence[Target], options: AuditOptions, policy: PolicySet | None = None
) -> Iterator[TargetReport]:
    """Audit targets one by one, yielding each report as soon as it is done."""
    policy = policy or load_policies(options.policy)
    resolver = make_resolver(options)
    for target in targets:
        yield audit_target(target, resolver, policy, options)


def facts_for(target: Target, options: AuditOptions) -> Facts:
    """The facts document of one target (``ailiance-audit facts``)."""
    _, facts = collect(target, make_resolver(options), options)
    return facts


def make_report(reports: Sequence[TargetReport], policy: PolicySet) -> AuditReport:
    """Assemble the run's report and its summary counts."""
    counts = {"error": 0, "warning": 0, "note": 0, "suppressed": 0}
    for rep in reports:
        for f in rep.findings:
            counts["suppressed" if f.suppressed_by else f.severity.value] += 1
    summary = Summary(
        targets=len(reports),
        unresolved=sum(r.status != "audited" for r in reports),
        **counts,
    )
    return AuditReport(
        tool=ToolInfo(version=__version__),
        policy=policy.sources,
        targets=tuple(reports),
        summary=summary,
    )


__all__ = ["AuditError", "AuditOptions", "audit_target", "facts_for", "make_report", "run_iter"]
