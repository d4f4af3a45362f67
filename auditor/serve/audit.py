"""One pull-request head through the project's pipeline, gated on what it adds.

``repo@SHA`` (the head of ``refs/pr/N``) is audited with :func:`auditor.pipeline.run_iter`, the
config file's waivers are applied like a repo's own, and :func:`auditor.baseline.apply_baseline`
compares it with the PR's base branch on the Hub, so only findings the PR introduces can fail it.
Waivers from the config file that match nothing in this repo are dropped (they are written for a
whole organisation); the repo's own ``.ailiance-audit.yaml`` is read by the pipeline as usual.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace

from auditor.baseline import apply_baseline
from auditor.formats import base as formats
from auditor.models import AuditReport, Target, finding_order
from auditor.pipeline import AuditOptions, make_report, run_iter
from auditor.policy import PolicySet, load_policies
from auditor.policy.waivers import apply_waivers, load_waivers
from auditor.serve.config import RepoSettings
from auditor.serve.render import Context, Rendered, render
from auditor.serve.store import Job
from auditor.sources.base import Source
from auditor.sources.factory import LazyHubSource
from auditor.sources.hub import HubSource

log = logging.getLogger("ailiance_audit.serve")
CONFIG_WAIVERS = "gate config"  # the file name findings about config waivers point at


@dataclass(frozen=True)
class Outcome:
    """What an audit produced, all of it stored before the comment is posted."""

    rendered: Rendered
    html: str


class Auditor:
    """Runs audits for the workers; policies are loaded once per distinct ``--policy`` list."""

    def __init__(self, endpoint: str | None, token: str | None) -> None:
        self.endpoint = endpoint
        self._token = token
        self._policies: dict[tuple[str, ...], PolicySet] = {}
        self._lock = threading.Lock()

    def policy(self, specs: tuple[str, ...]) -> PolicySet:
        """The policy set of ``specs`` (cached; loading validates packs)."""
        with self._lock:
            if specs not in self._policies:
                self._policies[specs] = load_policies(list(specs))
            return self._policies[specs]

    def options(self, settings: RepoSettings) -> AuditOptions:
        """Pipeline options: the settings' mirrors, then the Hub with the bot's token."""

        def hub() -> Source | None:
            make = lambda: HubSource(endpoint=self.endpoint, token=self._token or False)  # noqa: E731
            return LazyHubSource(make)

        return AuditOptions(
            mirrors=settings.mirrors,
            verify=settings.verify,
            policy=settings.policy,
            hub_factory=hub,
            on_crash=lambda target, text: log.error("internal error auditing %s", target.spec),
        )

    def run(self, job: Job, sha: str, base: str, settings: RepoSettings, endpoint: str) -> Outcome:
        """Audit the PR head against its base and render the comment and the HTML report."""
        policy = self.policy(settings.policy)
        options = self.options(settings)
        prefix = "datasets/" if job.kind.value == "dataset" else ""
        target = Target(spec=f"{prefix}{job.repo}", repo_id=job.repo, kind=job.kind, revision=sha)
        report = make_report(list(run_iter([target], options, policy)), policy)
        report = _config_waivers(report, settings, policy, options)
        if report.targets[0].status == "audited":
            report = apply_baseline(report, base, options, policy)
        ctx = Context(
            kind=job.kind,
            repo_id=job.repo,
            pr=job.pr,
            sha=sha,
            base=base,
            policy=settings.policy,
            fail_on=settings.fail_on,
            endpoint=endpoint,
        )
        return Outcome(render(report, ctx), formats.get("html").render(report))


def _config_waivers(
    report: AuditReport, settings: RepoSettings, policy: PolicySet, options: AuditOptions
) -> AuditReport:
    if not settings.waivers:
        return report
    target = report.targets[0]
    if target.status != "audited" or target.snapshot is None:
        return report
    loaded = load_waivers(settings.waivers, CONFIG_WAIVERS)
    subject = target.graph.subject if target.graph else target.snapshot.repo_id
    findings = apply_waivers(
        target.findings, loaded, today=options.today, subject=subject, file=CONFIG_WAIVERS
    )
    kept = [
        f
        for f in findings
        if not (f.rule_id == "waiver.unused" and f.location and f.location.file == CONFIG_WAIVERS)
    ]
    updated = replace(target, findings=tuple(sorted(kept, key=finding_order)))
    return make_report([updated], policy)
