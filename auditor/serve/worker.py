"""The bounded worker pool: claim a job, audit the PR head, store the result, post the comment.

A fixed number of threads (``--workers``) take jobs from the store, so a burst of webhooks never
starts more audits than that. Each job:

1. (no sha yet) looks up ``refs/pr/N`` on the Hub and pins the job to it, or drops it as a
   duplicate of a head already known;
2. reads the PR (status, base, the bot's comment); a closed or merged PR is skipped;
3. audits, then stores verdict, comment and HTML report (state ``commenting``);
4. posts: unless a newer head of the PR arrived meanwhile (then the newer job answers), the bot's
   comment is edited in place, or created once. A comment already carrying this head's marker is
   left alone (a restart after a post that was not recorded).

Hub failures in 1, 2 and 4 are retried later with exponential backoff (``Retry-After`` wins), up
to ``max_attempts``; the stored result is never lost, and a job that gives up is ``failed`` with
its result still on the status page. Anything unexpected fails that job only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from auditor.serve.audit import Auditor
from auditor.serve.config import ServiceSettings
from auditor.serve.hubclient import HubClient, HubFailure
from auditor.serve.store import Job, JobStore

log = logging.getLogger("ailiance_audit.serve")
IDLE_WAIT = 1.0  # seconds a worker sleeps when nothing is claimable (woken early on new jobs)


class WorkerPool:
    """``settings.workers`` threads working the job table."""

    def __init__(
        self,
        store: JobStore,
        settings: ServiceSettings,
        hub: HubClient,
        auditor: Auditor,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings
        self.hub = hub
        self.auditor = auditor
        self.clock = clock
        self._wake = threading.Condition()
        self._pending = False
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the threads (daemons: a stop never waits for an audit to finish)."""
        for i in range(self.settings.workers):
            t = threading.Thread(target=self._loop, name=f"gate-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the threads to stop; a job still running is resumed at the next start."""
        self._stop.set()
        self.notify()
        for t in self._threads:
            t.join(timeout)

    def alive(self) -> bool:
        """Whether every worker thread is running."""
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    def notify(self) -> None:
        """Wake the workers (a job was queued, or one ended and its repo's next may go)."""
        with self._wake:
            self._pending = True
            self._wake.notify_all()

    def _loop(self) -> None:
        while not self._stop.is_set():
            job = self.store.claim()
            if job is None:
                wakeup = self.store.next_wakeup()
                wait = (
                    IDLE_WAIT
                    if wakeup is None
                    else max(0.01, min(IDLE_WAIT, wakeup - self.clock()))
                )
                with self._wake:
                    if not self._pending:  # a notify between claim() and here is not lost
                        self._wake.wait(wait)
                    self._pending = False
                continue
            try:
                self.process(job)
            except Exception as exc:  # a bug: this job fails, the pool goes on
                log.exception("job %d failed internally", job.id)
                self.store.update(
                    job.id, state="failed", error=f"internal error: {type(exc).__name__}"
                )
            self.notify()  # its repo's next job may be claimable now

    def process(self, job: Job) -> None:
        """Run one claimed job (``running``: audit then post; ``posting``: post only)."""
        try:
            if job.state == "running" and not self._audit(job):
                return
            current = self.store.get(job.id)
            if current is not None and current.state in ("commenting", "posting"):
                self._post(current)
        except HubFailure as exc:
            self._retry(job, exc)

    def _audit(self, job: Job) -> bool:
        """Audit and store the result; False when the job ended (duplicate, skipped)."""
        sha = job.sha
        if sha is None:
            sha = self.hub.head_sha(job.kind, job.repo, job.pr)
            if not self.store.set_sha(job, sha):
                log.info("job %d: %s#%d head %s already known", job.id, job.repo, job.pr, sha[:12])
                return False
        pr = self.hub.pull_request(job.kind, job.repo, job.pr)
        if pr.status not in ("open", "draft"):
            self.store.update(job.id, state="skipped", error=f"pull request is {pr.status}")
            log.info("job %d: %s#%d is %s, not audited", job.id, job.repo, job.pr, pr.status)
            return False
        settings = self.settings.gate.for_repo(job.kind, job.repo)
        base = job.base or pr.base
        started = self.clock()
        outcome = self.auditor.run(job, sha, base, settings, self._endpoint())
        self.store.update(
            job.id,
            state="posting",
            sha=sha,
            base=base,
            verdict=outcome.rendered.verdict,
            comment=outcome.rendered.body,
            report_html=outcome.html,
            attempts=0,
            error=None,
        )
        log.info(
            "job %d: %s#%d@%s %s (%.2fs)",
            job.id,
            job.repo,
            job.pr,
            sha[:12],
            outcome.rendered.verdict,
            self.clock() - started,
        )
        return True

    def _post(self, job: Job) -> None:
        assert job.sha is not None and job.comment is not None
        if self.store.newer_exists(job):
            self.store.update(job.id, state="superseded")
            log.info("job %d: a newer head of %s#%d arrived; not posted", job.id, job.repo, job.pr)
            return
        pr = self.hub.pull_request(job.kind, job.repo, job.pr)
        if pr.comment_sha == job.sha:
            self.store.update(job.id, state="done", comment_id=pr.comment_id)
            log.info("job %d: comment for %s already on the PR", job.id, job.sha[:12])
            return
        comment_id = self.hub.post(job.kind, job.repo, job.pr, job.comment, pr.comment_id)
        self.store.update(job.id, state="done", comment_id=comment_id, error=None)
        verb = "edited" if pr.comment_id else "posted"
        log.info("job %d: comment %s on %s#%d", job.id, verb, job.repo, job.pr)

    def _retry(self, job: Job, exc: HubFailure) -> None:
        current = self.store.get(job.id) or job
        attempts = current.attempts + 1
        audited = current.state in ("commenting", "posting")
        if not exc.retryable or attempts >= self.settings.max_attempts:
            self.store.update(job.id, state="failed", attempts=attempts, error=str(exc))
            log.warning("job %d: giving up after %d attempt(s): %s", job.id, attempts, exc)
            return
        backoff = self.settings.retry_base * 2 ** (attempts - 1)
        delay = min(self.settings.retry_max, exc.wait if exc.wait is not None else backoff)
        self.store.update(
            job.id,
            state="commenting" if audited else "queued",
            attempts=attempts,
            not_before=self.clock() + delay,
            error=str(exc),
        )
        log.warning("job %d: Hub failure, retry %d in %.1fs: %s", job.id, attempts, delay, exc)
        self.notify()

    def _endpoint(self) -> str:
        return (self.settings.endpoint or self.hub.api.endpoint).rstrip("/")
