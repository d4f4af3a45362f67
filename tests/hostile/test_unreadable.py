"""Files that are there but cannot be read, and JSON nested thousands deep, are a documented
outcome (exit 2 or 3 with the reason), never an internal error.

Tests run as root, which reads a mode-000 file anyway; the unreadable-file tests therefore run
the CLI under ``setpriv`` with the two capabilities that let root ignore file modes
(``CAP_DAC_OVERRIDE``, ``CAP_DAC_READ_SEARCH``) dropped from its bounding set, so the kernel
answers EACCES exactly as it does for a user. Without ``setpriv`` and not as root, the plain
mode does it; as root without ``setpriv`` they skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .harness import EXAMPLE_HUB, ROOT, env, run_cli

CARD = EXAMPLE_HUB / "Ailiance-fr" / "apertus-math-lora" / "README.md"
DROP = "-dac_override,-dac_read_search"


def _unprivileged() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root reads mode-000 files and setpriv is not installed")
    return [setpriv, f"--bounding-set={DROP}", f"--inh-caps={DROP}"]


@pytest.mark.parametrize("name", ["README.md", "LICENSE", ".ailiance-audit.yaml"])
def test_unreadable_file_is_an_incomplete_audit(tmp_path: Path, name: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(CARD, repo / "README.md")
    (repo / "LICENSE").write_text("Apache License\nVersion 2.0, January 2004\n")
    (repo / ".ailiance-audit.yaml").write_text("waivers: []\n")
    (repo / name).chmod(0)
    argv = [*_unprivileged(), sys.executable, "-m", "auditor", "--offline"]
    argv += ["--mirror", str(EXAMPLE_HUB), "--verify", "none", "--format", "json", str(repo)]
    done = subprocess.run(
        argv, capture_output=True, text=True, env=env(), cwd=ROOT, timeout=120, check=False
    )
    assert done.returncode == 3, done.stderr[-1000:]
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    entry = json.loads(done.stdout)["targets"][0]
    assert entry["status"] == "unresolved"
    assert name in entry["error"] and "Permission denied" in entry["error"]


@pytest.mark.parametrize("option", ["--locked", "--baseline"])
def test_deeply_nested_json_file_is_exit_2(tmp_path: Path, option: str) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    result = run_cli(["--verify", "none", option, str(deep), "Ailiance-fr/apertus-math-lora"])
    assert result.rc == 2, result.stderr[-1000:]
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert result.peak_mb < 400
