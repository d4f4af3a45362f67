"""What a Dask worker runs: scan subjects, resolve upstream repos, audit a batch.

Functions here are plain and picklable (the :class:`Spec` is small data), and everything a
worker builds once (the policy set, the source chain with its Hub client and caches) is kept per
process, so a long-lived worker imports the auditor and compiles the rules once. A repo whose
audit raises or runs past the time limit becomes a ``failed`` row: a batch always returns.
"""

from __future__ import annotations

import hashlib
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
from auditor.sources.base import Resolver, parse_target

GIT_SHA = re.compile(r"^[0-9a-f]{40}$")
MAX_DIGEST_BYTES = 1 << 20


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
    threads: int = 8  # repos in flight per worker: Hub round trips overlap, the CPU work does not

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


_STATE: dict[Spec, tuple[AuditOptions, Resolver, PolicySet]] = {}
_STATE_LOCK = threading.Lock()


def state(spec: Spec) -> tuple[AuditOptions, Resolver, PolicySet]:
    """Options, source chain and compiled policy of this process (built once per spec)."""
    with _STATE_LOCK:
        if spec not in _STATE:
            options = spec.options()
            _STATE[spec] = (options, make_resolver(options), load_policies(options.policy))
        return _STATE[spec]


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
    return parallel_map(lambda text: _scan_one(resolver, text), specs, spec.threads)


def _scan_one(resolver: Resolver, text: str) -> Scanned:
    target = parse_target(text)
    kind = target.kind.value
    key = repo_key(target.repo_id or text, target.kind)
    try:
        snap = resolver.resolve(target.repo_id or text, target.kind, None)
        card = resolver.read_text(snap, "README.md") or ""
        meta = parse_front_matter(card.replace("\r\n", "\n"), "README.md").metadata
        sha = snap.revision or content_sha(resolver, snap)
        refs = refs_of(snap, CardClaims(metadata=meta))
    except TargetError as exc:
        return Scanned(text, key, kind, None, error=f"unresolved: {exc}")
    except Exception as exc:  # a bug or a hostile card: this repo fails, the run goes on
        return Scanned(text, key, kind, None, error=f"scan failed: {exc!r}"[:300])
    return Scanned(text, key, kind, sha, refs)


def resolve(spec: Spec, keys: list[Key]) -> list[tuple[Key, Entry]]:
    """Resolve upstream repos for the shared table (a repo that raises is left out of it: the
    audit then asks the source chain itself, exactly as the CLI would)."""
    _, resolver, _ = state(spec)

    def one(key: Key) -> tuple[Key, Entry] | None:
        try:
            return key, fetch_entry(resolver, key)
        except Exception:
            return None

    return [found for found in parallel_map(one, keys, spec.threads) if found is not None]


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

    # mlx-lm loads are not made concurrent within a process: one repo at a time with --verify load
    return merge(parallel_map(one, batch, 1 if spec.verify == "load" else spec.threads))


def _bounded(
    target: Any, resolver: Resolver, policy: PolicySet, options: AuditOptions, limit: float
) -> tuple[TargetReport | None, str]:
    """``audit_isolated`` under a time limit: an audit that took longer is failed, whether it
    finished meanwhile or not (then it is left to finish unobserved)."""
    box: list[TargetReport | BaseException] = []
    start = time.perf_counter()

    def work() -> None:
        try:
            box.append(audit_isolated(target, resolver, policy, options))
        except BaseException as exc:  # a run-level error is this repo's failure here
            box.append(exc)

    thread = threading.Thread(target=work, name="census-audit", daemon=True)
    thread.start()
    thread.join(limit)
    if not box or time.perf_counter() - start > limit:
        return None, f"time limit exceeded ({limit:g} s)"
    result = box[0]
    if isinstance(result, BaseException):
        return None, f"{type(result).__name__}: {result}"[:300]
    return result, ""
