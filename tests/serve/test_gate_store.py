"""The job table on its own: collapse, order per repo, newest head, crash recovery."""

from __future__ import annotations

from pathlib import Path

from auditor.models import RepoKind
from auditor.serve.events import PrHead
from auditor.serve.store import JobStore

A, B = "a" * 40, "b" * 40


def head(repo: str, pr: int, sha: str | None) -> PrHead:
    return PrHead(RepoKind.MODEL, repo, pr, sha)


def test_duplicates_collapse_and_a_full_queue_refuses(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "j.db")
    assert store.enqueue(head("o/m", 1, A), 2) == ("queued", 1)
    assert store.enqueue(head("o/m", 1, A), 2) == ("duplicate", 1)
    assert store.enqueue(head("o/m", 1, None), 2) == ("duplicate", 1)  # sha-less: the queued job
    assert store.enqueue(head("o/x", 1, A), 2) == ("queued", 2)
    assert store.enqueue(head("o/y", 1, A), 2) == ("full", None)
    assert store.enqueue(head("o/x", 1, A), 2) == ("duplicate", 2)  # still answered when full


def test_one_job_per_repo_at_a_time_in_arrival_order(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "j.db")
    store.enqueue(head("o/m", 1, A), 10)
    store.enqueue(head("o/m", 2, A), 10)
    store.enqueue(head("o/x", 1, A), 10)
    first = store.claim()
    second = store.claim()
    assert first is not None and second is not None
    assert [(first.repo, first.pr), (second.repo, second.pr)] == [("o/m", 1), ("o/x", 1)]
    assert store.claim() is None  # o/m#2 waits for o/m#1
    store.update(first.id, state="done")
    third = store.claim()
    assert third is not None and (third.repo, third.pr) == ("o/m", 2)


def test_a_sha_less_event_during_a_post_joins_the_job_in_flight(tmp_path: Path) -> None:
    # A discussion event (no sha) that arrives while its PR's job is about to post must not
    # become a "newer" job: the poster would stand down, the newcomer would then find the same
    # head already known and stand down too, and the PR would get no answer at all.
    store = JobStore(tmp_path / "j.db")
    store.enqueue(head("o/m", 1, A), 10)
    job = store.claim()
    assert job is not None
    store.update(job.id, state="posting", comment="c")
    assert store.enqueue(head("o/m", 1, None), 10) == ("duplicate", job.id)
    assert not store.newer_exists(job)


def test_a_newer_head_supersedes_queued_older_ones(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "j.db")
    store.enqueue(head("o/m", 1, A), 10)
    store.enqueue(head("o/m", 1, B), 10)
    assert store.counts() == {"queued": 1, "superseded": 1}
    job = store.claim()
    assert job is not None and job.sha == B
    assert store.enqueue(head("o/m", 1, A), 10) == ("duplicate", 1)  # a late redelivery of A


def test_recovery_requeues_and_stops_a_crash_loop(tmp_path: Path) -> None:
    db = tmp_path / "j.db"
    store = JobStore(db)
    store.enqueue(head("o/m", 1, A), 10)
    store.enqueue(head("o/x", 1, A), 10)
    audit, post = store.claim(), store.claim()
    assert audit is not None and post is not None
    store.update(post.id, state="posting", comment="c")
    store.close()
    for crash in range(1, 4):  # the process dies in the same audit every time
        store = JobStore(db)
        assert store.recover() == (2 if crash < 3 else 1)
        state = store.get(audit.id)
        assert state is not None
        if crash < 3:
            assert state.state == "queued"
            claimed = {store.claim(), store.claim()}  # the workers take both jobs again
            assert {j.state for j in claimed if j} == {"running", "posting"}
        store.close()
    store = JobStore(db)
    failed = store.get(audit.id)
    assert failed is not None and failed.state == "failed"
    assert failed.error == "audit interrupted 3 times (did it stop the service?)"
    again = store.get(post.id)
    assert again is not None and again.state == "commenting"


def test_a_failed_or_skipped_head_runs_again_when_delivered_again(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "j.db")
    store.enqueue(head("o/m", 1, A), 10)
    store.update(1, state="failed", error="HTTP 403")  # e.g. the token could not comment
    assert store.enqueue(head("o/m", 1, A), 10) == ("queued", 2)  # the Hub's replay
    store.update(2, state="skipped", error="pull request is closed")
    reopened = store.enqueue(head("o/m", 1, None), 10)
    assert reopened == ("queued", 3)
    job = store.claim()
    assert job is not None and store.set_sha(job, A)  # not a duplicate of the skipped job
