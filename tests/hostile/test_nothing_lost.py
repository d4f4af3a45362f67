"""Nothing lost: a failing target, Ctrl-C and an interrupted write never lose other results.

Faults are injected where no real input triggers them deterministically: an exception in one
stage for one target, a stage slowed down so that a real SIGINT lands mid-run. Everything else
is the real CLI, the real pipeline and real signals.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from auditor import cli, pipeline
from auditor.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_TERMINATED
from auditor.facts import build_facts as real_build_facts
from auditor.files import write_atomic

from .harness import EXAMPLE_HUB, env

CLEAN = "Ailiance-fr/apertus-math-orca-lora"
MATH = "Ailiance-fr/apertus-math-lora"
DRIFT = "Ailiance-fr/apertus-math-drift-lora"
BASE_ARGS = ["--offline", "--mirror", str(EXAMPLE_HUB), "--verify", "header"]


def _json_run(capsys: pytest.CaptureFixture[str], *targets: str) -> tuple[int, Any, str]:
    code = cli.main([*BASE_ARGS, "--format", "json", *targets])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def break_math(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``build_facts`` raise for the MATH target only (a bug in one stage, one repo)."""

    def build_facts(snapshot: Any, *args: Any, **kwargs: Any) -> Any:
        if snapshot.repo_id == MATH:
            raise RuntimeError("injected stage failure")
        return real_build_facts(snapshot, *args, **kwargs)

    monkeypatch.setattr(pipeline, "build_facts", build_facts)


@pytest.fixture
def fail_math(monkeypatch: pytest.MonkeyPatch) -> None:
    """:func:`break_math` for the whole test."""
    break_math(monkeypatch)


def _fingerprints(entry: Any) -> list[str]:
    return sorted(f["fingerprint"] for f in entry["findings"])


def test_failing_target_keeps_every_other_result(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, alone_clean, _ = _json_run(capsys, CLEAN)
    _, alone_drift, _ = _json_run(capsys, DRIFT)
    break_math(monkeypatch)
    code, report, err = _json_run(capsys, CLEAN, MATH, DRIFT)
    assert code == EXIT_INTERNAL
    entries = report["targets"]
    assert [t["status"] for t in entries] == ["audited", "failed", "audited"]
    assert entries[1]["error"] == "internal error (RuntimeError: injected stage failure)"
    assert _fingerprints(entries[0]) == _fingerprints(alone_clean["targets"][0])
    assert _fingerprints(entries[2]) == _fingerprints(alone_drift["targets"][0])
    assert report["summary"]["targets"] == 3
    # One line per failed target on stderr, naming a log that holds the traceback.
    assert "Traceback" not in err
    line = next(ln for ln in err.splitlines() if MATH in ln)
    log = Path(line.rsplit(" ", 1)[-1])
    try:
        assert "RuntimeError: injected stage failure" in log.read_text()
        assert "Traceback" in log.read_text()
    finally:
        log.unlink()


@pytest.mark.usefixtures("fail_math")
def test_failed_target_renders_in_every_format(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    formats = ("text", "json", "sarif", "markdown", "html", "spdx", "spdx3", "cyclonedx")
    args = [*BASE_ARGS]
    for name in formats:
        args += ["--format", name, "--output", str(tmp_path / name)]
    code = cli.main([*args, CLEAN, MATH])
    _, err = capsys.readouterr()
    for log in {Path(ln.rsplit(" ", 1)[-1]) for ln in err.splitlines() if "details in" in ln}:
        log.unlink()
    assert code == EXIT_INTERNAL
    for name in formats:
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert CLEAN in text, name
        if name in ("json", "sarif", "spdx", "spdx3", "cyclonedx"):
            json.loads(text)
    statuses = [t["status"] for t in json.loads((tmp_path / "json").read_text())["targets"]]
    assert statuses == ["audited", "failed"]
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.usefixtures("fail_math")
def test_failed_outranks_unresolved_in_the_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, report, err = _json_run(capsys, "nobody/nothing", MATH, CLEAN)
    for log in {Path(ln.rsplit(" ", 1)[-1]) for ln in err.splitlines() if "details in" in ln}:
        log.unlink()
    assert code == EXIT_INTERNAL
    assert [t["status"] for t in report["targets"]] == ["unresolved", "failed", "audited"]


# A CLI process whose stage ``where`` sleeps on one repo after touching a marker file, so a real
# SIGINT can be sent while that repo is being audited.
_SLOW_CLI = textwrap.dedent("""
    import signal, sys, time, pathlib
    # Ctrl-C as a terminal delivers it, whatever disposition the test runner's process passed
    # down (a runner started in the background, or a library in it, may have SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from auditor import cli, pipeline
    marker, slow, where = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    def stall():
        marker.write_text("started")
        time.sleep(120)
    if where == "collect":
        real = pipeline.collect
        def collect(target, resolver, options):
            if target.spec == slow:
                stall()
            return real(target, resolver, options)
        pipeline.collect = collect
    else:
        real_lookup = pipeline.UpstreamRepos.lookup
        def lookup(self, repo_id, kind):
            if repo_id == slow:
                stall()
            return real_lookup(self, repo_id, kind)
        pipeline.UpstreamRepos.lookup = lookup
    sys.exit(cli.main(sys.argv[4:]))
""")


def _interrupt(
    tmp_path: Path, slow: str, where: str, wait: float, sig: signal.Signals = signal.SIGINT
) -> tuple[int | None, float, str, Path]:
    """Run three targets, ``sig`` while ``slow`` stalls in ``where``; (rc, seconds, stderr, out)."""
    marker, out = tmp_path / "marker", tmp_path / "reports" / "report.json"
    argv = [
        sys.executable,
        "-c",
        _SLOW_CLI,
        str(marker),
        slow,
        where,
        *BASE_ARGS,
        "--format",
        "json",
        "--output",
        str(out),
        CLEAN,
        DRIFT,
        MATH,
    ]
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env=env())
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "never reached the stall"
            time.sleep(0.02)
        sent = time.monotonic()
        proc.send_signal(sig)
        try:
            rc: int | None = proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            rc = None
        return (
            rc,
            time.monotonic() - sent,
            proc.stderr.read() if rc is not None and proc.stderr else "",
            out,
        )
    finally:
        proc.kill()
        proc.wait()


def test_sigint_writes_what_is_done_and_exits_130(tmp_path: Path) -> None:
    rc, seconds, err, out = _interrupt(tmp_path, DRIFT, "collect", wait=30)
    assert rc == EXIT_INTERRUPTED, err
    assert seconds < 10
    assert "Traceback" not in err
    report = json.loads(out.read_text())  # complete JSON, not a half file
    assert [t["status"] for t in report["targets"]] == ["audited", "interrupted", "interrupted"]
    assert report["targets"][0]["findings"], "the finished target keeps its findings"
    assert os.listdir(out.parent) == [out.name]  # no temporary file left behind


def test_sigterm_is_handled_like_sigint_and_exits_143(tmp_path: Path) -> None:
    # CI cancellation, ``timeout`` and ``docker stop`` send SIGTERM: the finished target is kept.
    rc, _, err, out = _interrupt(tmp_path, DRIFT, "collect", wait=30, sig=signal.SIGTERM)
    assert rc == EXIT_TERMINATED, err
    assert "Traceback" not in err
    report = json.loads(out.read_text())
    assert [t["status"] for t in report["targets"]] == ["audited", "interrupted", "interrupted"]
    assert report["targets"][0]["findings"]
    assert os.listdir(out.parent) == [out.name]


def test_sigint_during_a_slow_upstream_lookup_writes_promptly(tmp_path: Path) -> None:
    rc, seconds, _, out = _interrupt(tmp_path, "swiss-ai/Apertus-70B-2509", "lookup", wait=15)
    assert rc == EXIT_INTERRUPTED and seconds < 15
    # Every example shares that base, so the first target is the one interrupted mid-walk.
    statuses = [t["status"] for t in json.loads(out.read_text())["targets"]]
    assert statuses == ["interrupted", "interrupted", "interrupted"]


def test_atomic_write_survives_ctrl_c_and_disk_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "report.sarif"
    path.write_text('{"complete": "previous report"}')
    for fault in (KeyboardInterrupt(), OSError(28, "No space left on device")):

        def fsync(_fd: int, fault: BaseException = fault) -> None:
            raise fault  # after the data went to the temporary file, before the rename

        monkeypatch.setattr(os, "fsync", fsync)
        with pytest.raises(type(fault)):
            write_atomic(path, '{"new": "report"' + " " * 100_000 + "}")
        assert json.loads(path.read_text()) == {"complete": "previous report"}
        assert os.listdir(tmp_path) == ["report.sarif"]


_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from auditor.files import write_atomic
    text = '{"items": [' + ",".join(['"%s"' % ("x" * 1000)] * 60_000) + ']}'
    write_atomic(Path(sys.argv[1]), text)
""")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_killed_writer_never_leaves_a_half_file(tmp_path: Path, sig: signal.Signals) -> None:
    path = tmp_path / "report.json"
    path.write_text('{"complete": "previous report"}')
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], env=env(), stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".report.json.*.tmp")) and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    proc.send_signal(sig)
    proc.wait(timeout=60)
    data = json.loads(path.read_text())  # old or new, both complete: never half of either
    assert data == {"complete": "previous report"} or len(data["items"]) == 60_000
    if sig == signal.SIGINT:  # Python cleans up; only SIGKILL may leave the temporary file
        assert os.listdir(tmp_path) == ["report.json"]
