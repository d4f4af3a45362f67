"""Benchmark: the installed pre-push hook on a one-commit push of the example adapter repo.

A git work tree holds a copy of ``examples/hub/Ailiance-fr/apertus-math-lora`` (card, adapter
config, adapter weights) with a bare local remote; ``ailiance-audit hook install`` puts the real
hook in place. Each round commits one edit of the card and times ``git push`` end to end (git,
the hook, the audit at ``--verify header``: the level the hook picks for a card edit), paired
with the same push with ``--no-verify`` (git alone) and the import floor of bench_startup.py.
Target: under 1 s median. Offline, upstream repos from the example hub mirror.

    .venv/bin/python bench/bench_hook.py [--runs 9]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_startup import FLOOR
from common import EXAMPLE, EXAMPLE_HUB, main_with_runs, offline_env, python, stats, target

TARGET_S = 1.0


def _git(repo: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], env=env, check=True, capture_output=True)


def _env(tmp: Path) -> dict[str, str]:
    cfg = tmp / "gitconfig"
    cfg.write_text(
        "[user]\n\tname = Bench\n\temail = bench@example.org\n[init]\n\tdefaultBranch = main\n"
    )
    env = {k: v for k, v in offline_env().items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    script_dir = str(Path(sys.executable).parent)
    env.update(
        GIT_CONFIG_GLOBAL=str(cfg),
        GIT_CONFIG_NOSYSTEM="1",
        HF_HUB_OFFLINE="1",
        AILIANCE_AUDIT_MIRROR=str(EXAMPLE_HUB),
        PATH=os.pathsep.join([script_dir, env.get("PATH", "")]),
    )
    return env


def _timed_push(repo: Path, env: dict[str, str], *extra: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        ["git", "-C", str(repo), "push", "-q", *extra, "origin", "main"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"push failed ({done.returncode}): {done.stderr[-800:]}")
    return elapsed


def run(runs: int = 9) -> dict[str, Any]:
    """Commit-and-push rounds: hooked push, ``--no-verify`` push, import floor."""
    hooked: list[float] = []
    bare: list[float] = []
    floor: list[float] = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        env = _env(tmp)
        remote, repo = tmp / "remote.git", tmp / "apertus-math-lora"
        subprocess.run(["git", "init", "-q", "--bare", str(remote)], env=env, check=True)
        shutil.copytree(EXAMPLE_HUB / EXAMPLE, repo)
        _git(repo, env, "init", "-q")
        _git(repo, env, "remote", "add", "origin", str(remote))
        _git(repo, env, "add", "-A")
        _git(repo, env, "commit", "-q", "-m", "adapter")
        _timed_push(repo, env, "--no-verify")
        subprocess.run(
            [
                str(Path(sys.executable).parent / "ailiance-audit"),
                "hook",
                "install",
                "--repo",
                str(repo),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        card = repo / "README.md"
        for n in range(runs + 1):  # the first round warms up
            for sample, extra in ((hooked, ()), (bare, ("--no-verify",))):
                card.write_text(card.read_text() + f"\nEdit {n} {len(sample)}.\n")
                _git(repo, env, "commit", "-q", "-am", f"edit {n}")
                elapsed = _timed_push(repo, env, *extra)
                if n:
                    sample.append(elapsed)
            start = time.perf_counter()
            subprocess.run([python(), *FLOOR], env=env, check=True)
            if n:
                floor.append(time.perf_counter() - start)
    pushed = stats(hooked, "git push of one commit through the pre-push hook (--verify header)")
    return {
        "name": "bench_hook",
        "title": "Pre-push hook (bench/bench_hook.py)",
        "setup": [
            f"a work tree of {EXAMPLE} (card, adapter config, weights), bare local remote, "
            f"hook installed with ailiance-audit hook install; {runs} rounds after one warm-up, "
            "each: edit the card, commit, push (hooked, then --no-verify), import floor",
        ],
        "metrics": [
            pushed,
            stats(bare, "git push of one commit, --no-verify (git alone)"),
            stats(floor, "floor: import huggingface_hub, yaml, pydantic"),
        ],
        "ratios": [],
        "targets": [target("hooked push (median)", pushed["median"], TARGET_S)],
        "notes": [],
    }


def main() -> None:
    """Run and print (and hand the result to bench/run.py)."""
    main_with_runs(run, __doc__, 9)


if __name__ == "__main__":
    main()
