"""Run the CLI in a fresh process under a time bound and measure its peak memory.

The audit runs as the only child of a tiny runner process (plain Python, no auditor import), so
``resource.getrusage(RUSAGE_CHILDREN)`` read by the runner is exactly the audit's peak RSS. The
audit also gets an address-space limit (``RLIMIT_AS``) far above every asserted cap: a memory bug
then fails as a ``MemoryError`` in the audit, instead of the kernel's OOM killer taking down
whatever else the CI machine runs (Linux only: macOS does not enforce it). Never the network:
``--offline`` plus HF offline variables and a dead endpoint.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CORPUS_HUB = Path(__file__).resolve().parent / "corpus" / "hub"
EXAMPLE_HUB = ROOT / "examples" / "hub"
ADDRESS_SPACE_LIMIT = 4 << 30  # a safety net only; the asserted caps are much lower
EXIT_DOCUMENTED = {0, 1, 2, 3}  # README "Exit codes" (4 is an internal error: never on input)

_RUNNER = r"""
import json, resource, subprocess, sys, time
spec = json.loads(sys.argv[1])
def limit():
    if sys.platform.startswith("linux"):  # macOS does not enforce it, and Metal maps a lot
        resource.setrlimit(resource.RLIMIT_AS, (spec["as_limit"], spec["as_limit"]))
start = time.perf_counter()
with open(spec["stdout"], "wb") as out, open(spec["stderr"], "wb") as err:
    try:
        rc = subprocess.run(spec["argv"], stdout=out, stderr=err, env=spec["env"],
                            cwd=spec["cwd"], timeout=spec["timeout"], preexec_fn=limit).returncode
    except subprocess.TimeoutExpired:
        rc = None
print(json.dumps({"rc": rc, "seconds": time.perf_counter() - start,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


@dataclass(frozen=True)
class Result:
    """What one CLI process did."""

    rc: int | None  # None: killed at the time bound
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float

    def json(self) -> Any:
        """The stdout parsed as JSON (fails the test with the output when it is not JSON)."""
        try:
            return json.loads(self.stdout)
        except ValueError as exc:
            raise AssertionError(f"stdout is not JSON ({exc}): {self.stdout[:500]!r}") from exc

    def assert_clean(self) -> None:
        """A documented exit code and no traceback: what every hostile input must give."""
        assert self.rc is not None, f"no answer within the time bound ({self.seconds:.1f} s)"
        assert "Traceback" not in self.stderr, self.stderr[-2000:]
        assert self.rc in EXIT_DOCUMENTED, f"exit {self.rc}; stderr: {self.stderr[-1000:]}"


def env(**extra: str) -> dict[str, str]:
    """An offline environment with a private HF home and no forced colours."""
    out = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FORCE_COLOR", "CLICOLOR_FORCE", "NO_COLOR", "AILIANCE_AUDIT_MIRROR")
    }
    out.update(
        HF_HUB_OFFLINE="1",
        HF_ENDPOINT="http://127.0.0.1:9",
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HOME=tempfile.gettempdir() + "/hostile-hf-home",
    )
    out.update(extra)
    return out


def run_cli(
    args: list[str],
    *,
    timeout: float = 60.0,
    mirrors: tuple[Path, ...] | None = None,
    extra_env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    subcommand: bool = False,
    as_limit: int = ADDRESS_SPACE_LIMIT,
    offline: bool = True,
) -> Result:
    """``python -m auditor --offline [--mirror M]... ARGS`` in a fresh, measured process;
    with ``subcommand``, ``python -m auditor ARGS`` (ARGS start with the subcommand); with
    ``offline=False``, no ``--offline`` (give ``HF_HUB_OFFLINE=0`` and a loopback
    ``HF_ENDPOINT`` in ``extra_env``)."""
    mirrors = (CORPUS_HUB, EXAMPLE_HUB) if mirrors is None else mirrors
    argv = [sys.executable, "-m", "auditor"]
    if not subcommand:
        if offline:
            argv.append("--offline")
        for mirror in mirrors:
            argv += ["--mirror", str(mirror)]
    with tempfile.TemporaryDirectory(prefix="hostile-run-") as tmp:
        spec: dict[str, Any] = {
            "argv": argv + args,
            "env": env(**(extra_env or {})),
            "cwd": str(cwd),
            "timeout": timeout,
            "as_limit": as_limit,
            "stdout": f"{tmp}/out",
            "stderr": f"{tmp}/err",
        }
        done = subprocess.run(
            [sys.executable, "-I", "-c", _RUNNER, json.dumps(spec)],
            capture_output=True,
            text=True,
            check=True,
            timeout=timeout + 30,
        )
        meta = json.loads(done.stdout)
        out = Path(spec["stdout"]).read_text(encoding="utf-8", errors="replace")
        err = Path(spec["stderr"]).read_text(encoding="utf-8", errors="replace")
    return Result(
        rc=meta["rc"],
        stdout=out,
        stderr=err,
        seconds=meta["seconds"],
        peak_mb=meta["maxrss_kb"] / 1024,
    )


def target_report(report: Any, index: int = 0) -> Any:
    """The ``index``-th target entry of a JSON report."""
    return report["targets"][index]


def card_problem_kinds(target: Any) -> set[str]:
    """Kinds of the card problems of a JSON target entry."""
    return {p["kind"] for p in (target.get("claims") or {}).get("problems", [])}


def evidence_problem_kinds(target: Any) -> set[str]:
    """Kinds of the adapter-evidence problems of a JSON target entry."""
    return {p["kind"] for p in (target.get("evidence") or {}).get("problems", [])}


def rule_ids(target: Any) -> set[str]:
    """Rule ids of the findings of a JSON target entry."""
    return {f["rule_id"] for f in target.get("findings", [])}
