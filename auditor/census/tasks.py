"""What a Dask worker runs: scan subjects, resolve upstream repos, audit a batch.

Functions here are plain and picklable (the :class:`Spec` is small data), and everything a
worker builds once (the policy set, the source chain with its Hub client and caches) is kept per
process, so a long-lived worker imports the auditor and compiles the rules once. A repo whose
audit raises or runs past the time limit becomes a ``failed`` row: a batch always returns. The
time limit is the pipeline's per-target deadline, checked at every lookup, so an audit past it
stops on its worker's thread (no thread is left running it).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.card.frontmatter import parse_front_matter
from auditor.census.closure import ClosureSource, Entry, Key, fetch_entry, refs_of
from auditor.census.schema import Rows, failed_rows, merge, repo_key, rows_of
from auditor.errors import TargetError
from auditor.models import CardClaims, RepoSnapshot, TargetReport, VerifyLevel
from auditor.parallel import parallel_map
from auditor.pipeline import AuditOptions, audit_isolated, make_resolver
from auditor.policy import PolicySet, load_policies
from auditor.sources import limits
from auditor.sources.base import Resolver, parse_target

GIT_SHA = re.compile(r"^[0-9a-f]{40}$")
MAX_DIGEST_BYTES = 1 << 20
HUB_THREADS = 8  # repos in flight per worker when lookups wait on the Hub (docs/census.md)


@dataclass(frozen=True)
class Spec:
    """The census options a worker needs (the CLI's audit options, as plain data)."""

    mirrors: tuple[str, ...] = ()
    offline: bool = False
    verify: VerifyLevel = "none"
    policy: tuple[str, ...] = ("default",)
    locked: str | None = None
    max_depth: int = 10
    time_limit: float = 120.0
    threads: int | None = None  # repos in flight per worker (--threads); None: :meth:`in_flight`
    run: str = ""  # the census run (set by ``run.census``): one source chain per run, below

    def in_flight(self, remote: bool = True) -> int:
        """Repos in flight per worker: threads overlap Hub round trips, but the CPU work runs one
        at a time under the GIL, so threads that only compute buy nothing and cost whatever
        looks at every thread (Dask's profiler did: docs/census.md). So one thread when nothing
        waits on the Hub (``--offline``; ``remote`` false: no repo of the batch was served by
        the Hub), :data:`HUB_THREADS` otherwise; ``--threads N`` decides instead."""
        if self.threads is not None:
            return max(1, self.threads)
        return HUB_THREADS if remote and not self.offline else 1

    def options(self) -> AuditOptions:
        """Pipeline options as ``ailiance-audit`` builds them from the same flags."""
        from auditor.sources.factory import hub_factory

        return AuditOptions(
            mirrors=[Path(m) for m in self.mirrors],
            offline=self.offline,
            verify=self.verify,
            policy=list(self.policy),
            max_depth=self.max_depth,
            workers=1,  # upstream lookups are answered from memory: threads would only cost
            deadline=self.time_limit,  # the per-repo time limit stops the audit (docs/census.md)
            hub_factory=hub_factory(offline=self.offline),
            locked=Path(self.locked) if self.locked else None,
        )


@dataclass(frozen=True)
class Scanned:
    """One subject after the scan: its revision and the upstream repos its card names."""

    spec: str
    key: str
    kind: str
    sha: str | None
    refs: tuple[Key, ...] = ()
    error: str | None = None
    remote: bool = True  # served by the Hub (its audit waits on requests), not a local folder


_STATE: dict[tuple[Spec, tuple[str, ...]], tuple[AuditOptions, Resolver]] = {}
_POLICIES: dict[tuple[str, ...], PolicySet] = {}
_STATE_LOCK = threading.Lock()
HUB_ENVIRONMENT = ("HF_ENDPOINT", "HF_HOME", "HF_HUB_CACHE", "HF_TOKEN")  # read by the Hub source
KEPT_RUNS = 4  # source chains kept per process (runs of clients sharing one cluster)


def state(spec: Spec) -> tuple[AuditOptions, Resolver, PolicySet]:
    """Options, source chain and compiled policy of this process.

    The policy is compiled once per process. The source chain (with its in-memory memo of every
    repo resolved) is built once per census run and Hub environment: a long-lived worker of a
    shared cluster sees in the next run a branch that moved, does not remember one run's
    network failures in the next, and does not grow with every run it serves.
    """
    key = (spec, tuple(os.environ.get(name, "") for name in HUB_ENVIRONMENT))
    with _STATE_LOCK:
        if spec.policy not in _POLICIES:
            _POLICIES[spec.policy] = load_policies(list(spec.policy))
        if key not in _STATE:
            while len(_STATE) >= KEPT_RUNS:
                del _STATE[next(iter(_STATE))]
            options = spec.options()
            _STATE[key] = (options, make_resolver(options))
        return (*_STATE[key], _POLICIES[spec.policy])


def content_sha(resolver: Resolver, snap: RepoSnapshot) -> str:
    """A revision for a repo without one (a plain mirror directory): a digest of its files."""
    digest = hashlib.sha1(b"ailiance-census\0")
    for name in snap.files:
        path = resolver.path(snap, name)
        size = path.stat().st_size if path else -1
        digest.update(f"{name}\0{size}\0".encode())
        if path is not None and size <= MAX_DIGEST_BYTES:
            digest.update(hashlib.sha1(path.read_bytes()).digest())
    return "content:" + digest.hexdigest()


def scan(spec: Spec, specs: list[str]) -> list[Scanned]:
    """Resolve each subject and read the upstream ids of its card's front matter."""
    _, resolver, _ = state(spec)
    limit = spec.time_limit
    return parallel_map(lambda text: _scan_one(resolver, text, limit), specs, spec.in_flight())


def _scan_one(resolver: Resolver, text: str, time_limit: float) -> Scanned:
    target = parse_target(text)
    kind = target.kind.value
    key = repo_key(target.repo_id or text, target.kind)
    try:
        with limits.deadline(time_limit):  # a slow Hub answer stops the scan of this repo
            snap = resolver.resolve(target.repo_id or text, target.kind, None)
            card = resolver.read_text(snap, "README.md") or ""
            sha = snap.revision or content_sha(resolver, snap)
        meta = parse_front_matter(card.replace("\r\n", "\n"), "README.md").metadata
        refs = refs_of(snap, CardClaims(metadata=meta))
    except TargetError as exc:
        return Scanned(text, key, kind, None, error=f"unresolved: {exc}")
    except Exception as exc:  # a bug or a hostile card: this repo fails, the run goes on
        return Scanned(text, key, kind, None, error=f"scan failed: {exc!r}"[:300])
    return Scanned(text, key, kind, sha, refs, remote=snap.origin == "hub")


def resolve(spec: Spec, keys: list[Key]) -> list[tuple[Key, Entry]]:
    """Resolve upstream repos for the shared table (a repo that raises is left out of it: the
    audit then asks the source chain itself, exactly as the CLI would)."""
    _, resolver, _ = state(spec)

    def one(key: Key) -> tuple[Key, Entry] | None:
        try:
            with limits.deadline(spec.time_limit):  # a slow Hub answer leaves it out, in time
                return key, fetch_entry(resolver, key)
        except Exception:
            return None

    return [found for found in parallel_map(one, keys, spec.in_flight()) if found is not None]


def audit(spec: Spec, batch: list[Scanned], table: dict[Key, Entry]) -> Rows:
    """Audit one batch against its slice of the upstream table; one row set per repo."""
    options, fallback, policy = state(spec)
    resolver = Resolver([ClosureSource(table, fallback)])

    def one(item: Scanned) -> Rows:
        if item.error is not None:
            return failed_rows(item.key, item.kind, item.sha, item.error, 0.0)
        start = time.perf_counter()
        pin = item.sha if item.sha and GIT_SHA.match(item.sha) else None
        target = parse_target(item.spec, pin)
        report, error = _bounded(target, resolver, policy, options, spec.time_limit)
        seconds = time.perf_counter() - start
        if report is None:
            return failed_rows(item.key, item.kind, item.sha, error, seconds)
        return rows_of(report, item.sha, seconds)

    # mlx-lm loads are not made concurrent within a process: one repo at a time with --verify load.
    # Upstream lookups are answered from the table: only a subject the Hub serves waits.
    remote = any(item.remote for item in batch if item.error is None)
    threads = 1 if spec.verify == "load" else spec.in_flight(remote)
    return merge(parallel_map(one, batch, threads))


def _bounded(
    target: Any, resolver: Resolver, policy: PolicySet, options: AuditOptions, limit: float
) -> tuple[TargetReport | None, str]:
    """``audit_isolated`` under the time limit, on the calling thread.

    The limit is the pipeline's per-target deadline (``options.deadline``): every Hub request
    and answer checks it, and so does every lookup through :class:`ClosureSource`, so an audit
    past it stops at its next lookup instead of running on. An audit that took longer than the
    limit is failed even if it finished: its result may have gaps the deadline caused.
    """
    start = time.monotonic()
    try:
        report = audit_isolated(target, resolver, policy, options)
    except Exception as exc:  # a run-level error (policy, usage) is this repo's failure here
        return None, f"{type(exc).__name__}: {exc}"[:300]
    if time.monotonic() - start > limit:
        return None, f"time limit exceeded ({limit:g} s)"
    return report, ""
