"""Resumable and incremental: a census killed mid-run and started again writes only the repos
that were missing; a repo whose files changed is audited again and the report's views show its
new revision only; partitions of an unfinished batch are removed before anything is written."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from census_helpers import ROOT, census, table

from auditor.census.report import connect
from auditor.census.targets import from_mirror


def partitions(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in (out / "repos").glob("*.parquet")}


def test_interrupted_run_resumes_with_only_the_missing_repos(mirror: Path, tmp_path: Path) -> None:
    out, subset = tmp_path / "out", tmp_path / "repos.txt"
    repos = from_mirror(mirror)  # all 240, in batches of 2: far more work left than a poll's delay
    subset.write_text("\n".join(repos) + "\n")
    args = ["--mirror", str(mirror), "--from-file", str(subset), "--out", str(out),
            "--scheduler", "sync", "--batch-size", "2", "--verify", "none"]  # fmt: skip
    cmd = [sys.executable, "-m", "auditor", "census", *args, "--no-progress", "--offline"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300  # hang guard only
        while len(partitions(out) if (out / "repos").is_dir() else {}) < 3:
            assert proc.poll() is None, "the census ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    before = partitions(out)
    first = {r["id"] for r in table(out, "repos")}
    assert 0 < len(first) < len(repos)  # killed mid-run
    # A batch cut short between its findings and its repos file leaves an orphan behind.
    orphan = out / "findings" / "part-orphan.parquet"
    shutil.copyfile(out / "findings" / next(iter(before)), orphan)
    (out / "repos" / ".part-x.parquet.tmp").write_bytes(b"half a file")

    assert census(*args) == 0  # the same census again
    after = partitions(out)
    assert all(after[name] == ino for name, ino in before.items())  # nothing rewritten
    new = [r["id"] for name in set(after) - set(before) for r in table_of(out / "repos" / name)]
    assert sorted(new) == sorted(set(new)) and not set(new) & first  # only the missing ones
    ids = [r["id"] for r in table(out, "repos")]
    assert len(ids) == len(set(ids)) == len(repos)
    assert not orphan.exists()
    findings = {r["repo"] for r in table(out, "findings")}
    assert findings <= set(ids)
    assert not list((out / "repos").glob(".*.tmp"))


def test_a_changed_repo_is_audited_again_and_wins_in_the_views(
    mirror: Path, tmp_path: Path
) -> None:
    repos = ("sim/base-3", "sim-org1/adapter-1", "sim-org2/adapter-2")
    subset = tmp_path / "repos.txt"
    subset.write_text("\n".join(repos) + "\n")
    copy, out = tmp_path / "m", tmp_path / "out"
    for part in ("sim", "datasets", *repos[1:]):  # a copy we may edit: bases, datasets, two repos
        shutil.copytree(mirror / part, copy / part)
    args = ("--mirror", copy, "--from-file", subset, "--out", out, "--scheduler", "sync")
    assert census(*args) == 0
    assert census(*args) == 0
    assert len(table(out, "repos")) == 3  # the second run audited nothing
    card = copy / "sim-org1" / "adapter-1" / "README.md"
    card.write_text(card.read_text().replace("license: ", "license: cc-by-nc-4.0\nx: ", 1))
    assert census(*args) == 0
    rows = table(out, "repos")
    assert sorted(r["id"] for r in rows).count("sim-org1/adapter-1") == 2
    con = connect(out)
    (latest,) = con.execute(
        "SELECT license, sha FROM repos WHERE id = 'sim-org1/adapter-1'"
    ).fetchall()
    assert latest[0] == "CC-BY-NC-4.0"
    shas = {r["sha"] for r in rows if r["id"] == "sim-org1/adapter-1"}
    assert latest[1] in shas and len(shas) == 2
    (n,) = con.execute(
        "SELECT count(DISTINCT sha) FROM findings WHERE repo = 'sim-org1/adapter-1'"
    ).fetchone()
    assert n == 1


def table_of(path: Path) -> list[dict[str, object]]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def test_over_time_repos_are_failed_rows_not_lost(tmp_path: Path) -> None:
    out = tmp_path / "out"
    examples = ROOT / "examples" / "hub"
    code = census("--mirror", examples, "--out", out, "--scheduler", "sync", "--time-limit", "1e-6")
    assert code == 3  # complete, but some repos were not audited
    rows = table(out, "repos")
    assert len(rows) == 5
    assert {(r["status"], r["error"]) for r in rows} == {
        ("failed", "time limit exceeded (1e-06 s)")
    }
    assert table(out, "findings") == []
    # a later run with a sane limit audits them again; the views show the new rows only
    assert census("--mirror", examples, "--out", out, "--scheduler", "sync") == 0
    con = connect(out)
    assert con.execute("SELECT DISTINCT status FROM repos").fetchall() == [("ok",)]
