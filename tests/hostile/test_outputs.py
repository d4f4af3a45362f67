"""Report files: devices, pipes and descriptor links are written through, never replaced; a file
that cannot be written is exit 2 with the reason, and the other outputs of the run are complete.

Each run is the real CLI in a measured, time-bounded process (``harness.run_cli``). The device
nodes are made by the test (``mknod`` needs root, which CI has; elsewhere those tests skip), so a
regression replaces a file in a temporary folder, never the machine's ``/dev``.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from .harness import Result, run_cli

TARGET = ["--verify", "none", "Ailiance-fr/apertus-math-lora"]


def _run(*outputs: tuple[str, str | Path]) -> Result:
    args = [*TARGET]
    for fmt, path in outputs:
        args += ["--format", fmt, "--output", str(path)]
    result = run_cli(args, timeout=120)
    assert result.rc is not None, "no answer within the time bound"
    assert "Traceback" not in result.stderr
    assert result.peak_mb < 600
    return result


def _device(path: Path, minor: int) -> Path:
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))  # 1,3 null; 1,7 full
    except PermissionError:
        pytest.skip("mknod needs root")
    return path


def _sarif_complete(path: Path) -> None:
    assert json.loads(path.read_text())["runs"], "the other output is complete"


def test_output_to_a_character_device_keeps_the_device(tmp_path: Path) -> None:
    null = _device(tmp_path / "null", 3)
    result = _run(("json", null), ("sarif", tmp_path / "r.sarif"))
    assert result.rc == 1  # the example has findings; nothing went wrong with the outputs
    assert stat.S_ISCHR(null.lstat().st_mode), "the device node was replaced by a file"
    _sarif_complete(tmp_path / "r.sarif")


def test_full_disk_is_exit_2_and_earlier_outputs_are_kept(tmp_path: Path) -> None:
    full = _device(tmp_path / "full", 7)
    result = _run(("sarif", tmp_path / "r.sarif"), ("json", full))
    assert result.rc == 2, result.stderr
    assert "No space left on device" in result.stderr
    assert stat.S_ISCHR(full.lstat().st_mode)
    _sarif_complete(tmp_path / "r.sarif")


def test_output_to_a_descriptor_link_reaches_stdout(tmp_path: Path) -> None:
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")  # what /dev/stdout is, without touching /dev
    result = _run(("json", link))
    assert result.rc == 1, result.stderr
    assert link.is_symlink(), "the link was replaced by a file"
    assert result.json()["targets"][0]["status"] == "audited"


def test_output_to_a_fifo_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"  # what ``--output >(cmd)`` hands the tool
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = _run(("json", fifo))
    if reader.is_alive():  # the tool never opened the pipe: unblock the reader
        with fifo.open("wb"):
            pass
    reader.join(timeout=30)
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the pipe was replaced by a file"
    assert result.rc == 1, result.stderr
    assert json.loads(got[0])["targets"][0]["status"] == "audited"


def test_output_to_a_directory_is_exit_2(tmp_path: Path) -> None:
    result = _run(("json", tmp_path), ("sarif", tmp_path / "r.sarif"))
    assert result.rc == 2, result.stderr
    assert "directory" in result.stderr
    _sarif_complete(tmp_path / "r.sarif")


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs sysfs")
def test_unwritable_output_is_exit_2_with_the_reason(tmp_path: Path) -> None:
    # sysfs refuses new files even to root: a real EACCES where a mode-000 folder would not do.
    result = _run(("sarif", tmp_path / "r.sarif"), ("json", "/sys/kernel/ailiance-report.json"))
    assert result.rc == 2, result.stderr
    assert "Permission denied" in result.stderr
    _sarif_complete(tmp_path / "r.sarif")


def test_lock_to_a_directory_is_exit_2_before_the_audit(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = run_cli([*TARGET, "--lock", str(tmp_path), "--format", "json", "--output", str(out)])
    assert result.rc == 2, result.stderr
    assert "Traceback" not in result.stderr and "directory" in result.stderr


def test_output_through_a_link_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "reports" / "real.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    result = _run(("json", link))
    assert result.rc == 1, result.stderr
    assert link.is_symlink()
    assert json.loads(real.read_text())["targets"][0]["status"] == "audited"
