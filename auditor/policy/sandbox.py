"""Policy stage: the rules of packs that are not shipped run in a worker process with a budget.

CEL cannot run code or reach the file system, but it can spend without limit, and the binding
has no cost limit to set: ``lists.range(100000)`` looped inside itself is 10^10 steps, a string
doubled by ``replace`` thirty times is a gigabyte, and a loop runs in Rust where nothing in
this process can interrupt it. So the rules of every pack that is not shipped with the tool
(a pack from a pull request is a stranger's) are evaluated by one worker process per run, which
has an address-space limit (:data:`MEMORY_BYTES`, Linux and macOS) and a deadline per target
(:data:`SECONDS`; ``AILIANCE_AUDIT_PACK_SECONDS`` changes it). A worker that reaches either is
killed, and the run ends as for any invalid pack: exit 2, naming the packs. The worker loads the
pack files itself (compiled programs do not cross processes) and receives the facts document as
JSON-able data; the findings come back the same way.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.errors import PolicyError, UsageError
from auditor.models import Finding
from auditor.models.codec import dump, load
from auditor.policy.loader import PolicySet, Rule, builtin_dir

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

SECONDS = 60.0
"""Wall-clock budget of one target's untrusted rules (the shipped packs take well under 1 s)."""
MEMORY_BYTES = 2 << 30
"""Address space of the worker: the facts of a 10,000-node lineage need a few hundred MB."""

_worker: _Worker | None = None
_LOCK = threading.Lock()


@lru_cache(maxsize=256)
def is_shipped(file: str) -> bool:
    """Whether a pack file is one shipped with the tool (its rules are evaluated in process)."""
    try:
        return Path(file).resolve().is_relative_to(builtin_dir().resolve())
    except OSError:
        return False


def evaluate_untrusted(document: dict[str, Any], rules: tuple[Rule, ...]) -> list[Finding]:
    """The findings of ``rules`` over ``document``, computed by the budgeted worker (one
    request at a time: threads of one process share the worker)."""
    with _LOCK:
        return _evaluate(document, rules)


def _evaluate(document: dict[str, Any], rules: tuple[Rule, ...]) -> list[Finding]:
    global _worker  # one worker per run, started on first use
    if _worker is None or not _worker.alive():
        _worker = _Worker()
    request = [(r.file, r.id, r.override.value if r.override else None) for r in rules]
    try:
        status, payload = _worker.ask((request, document), _seconds())
    except _Exhausted as exc:
        _worker.stop()
        _worker = None
        raise PolicyError(str(exc), file=", ".join(sorted({r.file for r in rules}))) from None
    if status == "policy":  # the pack's own error (a CEL runtime error), as in process
        message, file, rule, line, column = payload
        raise PolicyError(message, file=file, rule=rule, line=line, column=column)
    if status != "ok":
        raise UsageError(str(payload))
    return [load(Finding, f) for f in payload]


def _seconds() -> float:
    try:
        return max(0.1, float(os.environ.get("AILIANCE_AUDIT_PACK_SECONDS", SECONDS)))
    except ValueError:
        return SECONDS


class _Exhausted(Exception):
    """The worker reached a budget (or died); the message says which."""


class _Worker:
    """One spawned process serving evaluation requests over a pipe."""

    def __init__(self) -> None:
        import multiprocessing  # only a run with a pack that is not shipped starts the worker

        context = multiprocessing.get_context("spawn")  # no fork: mlx and threads are loaded
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=serve, args=(child, MEMORY_BYTES), name="ailiance-pack-worker", daemon=True
        )
        self.process.start()
        child.close()

    def alive(self) -> bool:
        return self.process.is_alive()

    def ask(self, request: Any, seconds: float) -> tuple[str, Any]:
        try:
            self.conn.send(request)
            if not self.conn.poll(seconds):
                raise _Exhausted(
                    f"the pack's rules did not finish within {seconds:g} s "
                    "(evaluation budget; AILIANCE_AUDIT_PACK_SECONDS)"
                )
            answer: tuple[str, Any] = self.conn.recv()
        except (EOFError, OSError) as exc:
            raise _Exhausted(
                f"the pack's rules exhausted the evaluation worker ({type(exc).__name__}; "
                f"memory budget {MEMORY_BYTES >> 20} MiB)"
            ) from None
        return answer

    def stop(self) -> None:
        self.process.kill()
        self.process.join(timeout=10)


def serve(conn: Connection, memory: int) -> None:
    """The worker's loop: load packs on demand, evaluate, answer; limits set first."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):  # Windows; a hard limit already lower
        pass
    if sys.platform.startswith("linux"):  # die with the CLI (Ctrl-C exits without joining us)
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    from auditor.policy.cel import Session, _finding
    from auditor.policy.loader import load_file

    packs: dict[str, dict[str, Rule]] = {}
    over = f"evaluation exceeded the memory budget ({memory >> 20} MiB)"
    while True:
        try:
            request, document = conn.recv()
        except EOFError:
            return
        try:
            rules = []
            for file, rule_id, override in request:
                if file not in packs:
                    packs[file] = {r.id: r for r in load_file(Path(file))}
                rule = packs[file][rule_id]
                rules.append(replace(rule, override=override and type(rule.severity)(override)))
            session = Session(document)
            found = [_finding(rule, row) for rule in rules for row in session.rows(rule)]
            conn.send(("ok", [dump(f) for f in found]))
        except MemoryError:
            conn.send(("error", f"the pack's {over}"))
        except PolicyError as exc:
            if "MemoryError" in exc.message:  # raised in a stdlib function, wrapped by CEL
                exc.message = over
            conn.send(("policy", (exc.message, exc.file, exc.rule, exc.line, exc.column)))
        except Exception as exc:  # anything else: the pack is invalid
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


_SPLITS: dict[int, tuple[PolicySet, PolicySet, PolicySet]] = {}


def split(policy: PolicySet) -> tuple[PolicySet, PolicySet]:
    """The shipped rules and the others, as two policy sets (same sources and profile).

    Computed once per policy (its ``variables`` are cached on it, and a run audits many targets).
    """
    cached = _SPLITS.get(id(policy))
    if cached is not None and cached[0] is policy:
        return cached[1], cached[2]
    others = tuple(r for r in policy.rules if not is_shipped(r.file))
    if not others:
        parts = (policy, PolicySet(rules=(), sources=policy.sources, profile=policy.profile))
    else:
        shipped = tuple(r for r in policy.rules if is_shipped(r.file))
        parts = (
            PolicySet(rules=shipped, sources=policy.sources, profile=policy.profile),
            PolicySet(rules=others, sources=policy.sources, profile=policy.profile),
        )
    if len(_SPLITS) > 64:
        _SPLITS.clear()
    _SPLITS[id(policy)] = (policy, *parts)  # the policy is kept alive: its id stays its own
    return parts
