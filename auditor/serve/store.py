"""The job table (SQLite): durable, bounded, deduplicated, one job at a time per repo.

A webhook is answered 202 only once its job is committed (WAL, ``synchronous=FULL``), so a crash
or ``kill -9`` after the answer loses nothing. States::

    queued -> running -> commenting -> posting -> done
                     \\-> skipped / duplicate / failed / superseded

``running`` and ``posting`` mean "a worker has it"; on start-up (:meth:`JobStore.recover`) they
go back to ``queued`` and ``commenting``: an interrupted audit runs again, an interrupted post is
tried again (the comment's hidden marker stops a double post). The result (comment text, HTML
report, verdict) is stored before posting, so a Hub failure never loses it.

Collapsing: one live row per (kind, repo, PR, sha) (a partial unique index: a failed or skipped
head may run again when it is delivered again); an event without a sha is
collapsed into any queued or running job of the same PR. A newer head of a PR supersedes its
queued older heads (the newest sha wins). Order: only the oldest active job of a repo may be
claimed, so the jobs of one repo run one after the other, in arrival order.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.models import RepoKind
from auditor.serve.events import PrHead

ACTIVE = ("queued", "running", "commenting", "posting")
# A failed or skipped head may be delivered again (a replay after fixing the token, a reopened
# PR) and is then audited again; every other state collapses redeliveries of its head.
_LIVE = "state NOT IN ('failed', 'skipped')"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL, repo TEXT NOT NULL, pr INTEGER NOT NULL, sha TEXT, base TEXT,
  state TEXT NOT NULL, received REAL NOT NULL, updated REAL NOT NULL,
  not_before REAL NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
  verdict TEXT, comment TEXT, report_html TEXT, comment_id TEXT, error TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_live_head ON jobs(kind, repo, pr, sha)
  WHERE state NOT IN ('failed', 'skipped');
CREATE INDEX IF NOT EXISTS jobs_repo_state ON jobs(kind, repo, state);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
"""


@dataclass(frozen=True)
class Job:
    """One row of the job table."""

    id: int
    kind: RepoKind
    repo: str
    pr: int
    sha: str | None
    base: str | None
    state: str
    received: float
    updated: float
    attempts: int
    verdict: str | None
    comment: str | None
    comment_id: str | None
    error: str | None


class JobStore:
    """The job table; every method is one transaction, safe from any thread."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self.clock = clock

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _tx(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                out = fn(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return out

    # ------------------------------------------------------------------ intake

    def enqueue(self, head: PrHead, max_active: int) -> tuple[str, int | None]:
        """``("queued", id)``, ``("duplicate", id)`` or ``("full", None)``."""

        def run(db: sqlite3.Connection) -> tuple[str, int | None]:
            key = (head.kind.value, head.repo_id, head.pr)
            if head.sha is not None:
                row = db.execute(
                    f"SELECT id FROM jobs WHERE kind=? AND repo=? AND pr=? AND sha=? AND {_LIVE}",
                    (*key, head.sha),
                ).fetchone()
            else:  # a head not named yet collapses onto any job of the PR still in flight: one
                # about to post would otherwise see it as newer, stand down, and leave the PR
                # with no answer when it later turns out to be the same head
                row = db.execute(
                    "SELECT id FROM jobs WHERE kind=? AND repo=? AND pr=? "
                    f"AND state IN {ACTIVE} ORDER BY id DESC LIMIT 1",
                    key,
                ).fetchone()
            if row is not None:
                return "duplicate", int(row["id"])
            active = db.execute(f"SELECT COUNT(*) FROM jobs WHERE state IN {ACTIVE}").fetchone()[0]
            if active >= max_active:
                return "full", None
            now = self.clock()
            cur = db.execute(
                "INSERT INTO jobs (kind, repo, pr, sha, base, state, received, updated) "
                "VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)",
                (*key, head.sha, head.base, now, now),
            )
            new_id = int(cur.lastrowid or 0)
            db.execute(
                "UPDATE jobs SET state='superseded', updated=? WHERE kind=? AND repo=? AND pr=? "
                "AND state='queued' AND id<?",
                (now, *key, new_id),
            )
            return "queued", new_id

        result: tuple[str, int | None] = self._tx(run)
        return result

    # ------------------------------------------------------------------ workers

    def claim(self) -> Job | None:
        """The next job a worker may take (oldest first, one per repo at a time), or None."""

        def run(db: sqlite3.Connection) -> Job | None:
            row = db.execute(
                "SELECT * FROM jobs AS j WHERE state IN ('queued', 'commenting') "
                "AND not_before <= ? AND id = (SELECT MIN(id) FROM jobs AS k WHERE "
                f"k.kind=j.kind AND k.repo=j.repo AND k.state IN {ACTIVE}) "
                "ORDER BY id LIMIT 1",
                (self.clock(),),
            ).fetchone()
            if row is None:
                return None
            state = "running" if row["state"] == "queued" else "posting"
            db.execute(
                "UPDATE jobs SET state=?, updated=? WHERE id=?", (state, self.clock(), row["id"])
            )
            return _job({**dict(row), "state": state})

        job: Job | None = self._tx(run)
        return job

    def next_wakeup(self) -> float | None:
        """When the earliest delayed job becomes claimable (for the workers' sleep).

        Only future times count: a job that waits for its repo's running job is not due, and the
        worker that finishes that job wakes the others.
        """
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(not_before) FROM jobs WHERE state IN ('queued', 'commenting') "
                "AND not_before > ?",
                (self.clock(),),
            ).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    def recover(self, max_interrupts: int = 3) -> int:
        """After a crash: give back every job a worker had; returns how many.

        An audit interrupted ``max_interrupts`` times fails instead: a repo whose audit kills the
        process (a hostile file, a native crash) must not wedge its later jobs in a crash loop.
        """

        def run(db: sqlite3.Connection) -> int:
            now = self.clock()
            db.execute(
                "UPDATE jobs SET state='failed', updated=?, error='audit interrupted ' || "
                "(attempts + 1) || ' times (did it stop the service?)' "
                "WHERE state='running' AND attempts + 1 >= ?",
                (now, max_interrupts),
            )
            a = db.execute(
                "UPDATE jobs SET state='queued', updated=?, attempts=attempts + 1 "
                "WHERE state='running'",
                (now,),
            )
            b = db.execute(
                "UPDATE jobs SET state='commenting', updated=? WHERE state='posting'", (now,)
            )
            return int(a.rowcount) + int(b.rowcount)

        count: int = self._tx(run)
        return count

    def set_sha(self, job: Job, sha: str) -> bool:
        """Pin a sha-less job to the head it found; False (job marked duplicate) if known."""

        def run(db: sqlite3.Connection) -> bool:
            row = db.execute(
                f"SELECT id FROM jobs WHERE kind=? AND repo=? AND pr=? AND sha=? AND {_LIVE}",
                (job.kind.value, job.repo, job.pr, sha),
            ).fetchone()
            if row is not None:
                self._set(db, job.id, state="duplicate", error=f"same head as job {row['id']}")
                return False
            self._set(db, job.id, sha=sha)
            return True

        ok: bool = self._tx(run)
        return ok

    def newer_exists(self, job: Job) -> bool:
        """Whether a later head of the same PR was received (then this result is stale)."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM jobs WHERE kind=? AND repo=? AND pr=? AND id>? "
                "AND state NOT IN ('duplicate', 'skipped') LIMIT 1",
                (job.kind.value, job.repo, job.pr, job.id),
            ).fetchone()
        return row is not None

    def update(self, job_id: int, **values: Any) -> None:
        """Set columns of one job (``state``, ``verdict``, ``comment``, ``error``, ...)."""
        self._tx(lambda db: self._set(db, job_id, **values))

    def _set(self, db: sqlite3.Connection, job_id: int, **values: Any) -> None:
        values["updated"] = self.clock()
        names = ", ".join(f"{k}=?" for k in values)
        db.execute(f"UPDATE jobs SET {names} WHERE id=?", (*values.values(), job_id))

    # ------------------------------------------------------------------ reading

    def get(self, job_id: int) -> Job | None:
        """One job."""
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        return _job(dict(row)) if row else None

    def report_html(self, job_id: int) -> str | None:
        """The stored HTML report of a job."""
        with self._lock:
            row = self._db.execute("SELECT report_html FROM jobs WHERE id=?", (job_id,)).fetchone()
        return str(row[0]) if row and row[0] is not None else None

    def recent(self, limit: int = 50) -> list[Job]:
        """The latest jobs, newest first."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM jobs ORDER BY id DESC LIMIT ?", (limit,))
            return [_job(dict(r)) for r in rows.fetchall()]

    def counts(self) -> dict[str, int]:
        """Jobs per state."""
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
        return {str(r[0]): int(r[1]) for r in rows}


def _job(row: dict[str, Any]) -> Job:
    return Job(
        id=int(row["id"]),
        kind=RepoKind(row["kind"]),
        repo=str(row["repo"]),
        pr=int(row["pr"]),
        sha=row["sha"],
        base=row["base"],
        state=str(row["state"]),
        received=float(row["received"]),
        updated=float(row["updated"]),
        attempts=int(row["attempts"]),
        verdict=row["verdict"],
        comment=row["comment"],
        comment_id=row["comment_id"],
        error=row["error"],
    )
