"""The load-check worker: a process that imports mlx-lm early and runs the load checks.

The CLI forks it as soon as it knows the level is ``load`` (``auditor.prestart``), so that
mlx-lm's import (about 2 s) runs on the second core while the CLI audits the card, walks the
lineage and compiles the policy. The CLI then sends each load check here (``ask``) and waits.
The worker also bounds what hostile weights can do: an address-space limit
(:data:`MEMORY_BYTES`, ``AILIANCE_AUDIT_LOAD_MEMORY_MB``) and a wall-clock limit per check that
includes its import (:data:`SECONDS`, ``AILIANCE_AUDIT_LOAD_SECONDS``). A worker that dies,
is killed at a limit or answers nonsense is stopped; the check becomes a ``not-verified``
problem whose message starts with :data:`STOPPED`, the pipeline marks the target incomplete
(fail closed), and later checks of the run go in process.

Requests go to the worker pickled (the CLI's own data); answers come back as JSON (the worker
read hostile weights: the CLI never unpickles what it sends). Where no worker was started
(library callers, census workers, platforms without fork) ``ask`` answers None and the check
runs in the caller's process.

Everything the worker imports after mlx-lm is on the ``--verify load`` critical path, so neither
it nor the check modules it runs import pydantic or the data model: problems cross as plain
``kinds.Problem`` records and ``[kind, message, file]`` lists (tests/verify/test_worker_imports.py).
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from auditor.errors import LOAD_GAP
from auditor.prestart import LOAD_CHECK, drop, get, waiting

if TYPE_CHECKING:  # the worker imports no pydantic (tests/verify/test_worker_imports.py)
    from ..models import EvidenceProblem

SECONDS = 120.0
"""Wall-clock limit of one load check in the worker, its import of mlx-lm included."""
MEMORY_BYTES = 4 << 30
"""Address space of the worker (a 671B MoE skeleton and a 72 MB adapter reach ~650 MB)."""
STOPPED = "the load-check worker stopped"

_lock = threading.Lock()


def limits() -> tuple[float, int]:
    """The worker's (seconds, bytes), from the environment when set there."""
    try:
        seconds = max(0.1, float(os.environ.get("AILIANCE_AUDIT_LOAD_SECONDS", SECONDS)))
    except ValueError:
        seconds = SECONDS
    try:
        memory = int(os.environ["AILIANCE_AUDIT_LOAD_MEMORY_MB"]) << 20
    except (KeyError, ValueError):
        memory = MEMORY_BYTES
    return seconds, memory


def ask(request: tuple[Any, ...]) -> dict[str, Any] | None:
    """The worker's answer to ``run_check(*request)``; None when no worker runs (do it here)."""
    with _lock:
        started = get(LOAD_CHECK)
        if started is None:
            return None
        process, connection = started
        if not process.is_alive():
            return _stop(f"it ended before the check, {_exit(process.exitcode)}")
        seconds = limits()[0]
        try:
            connection.send(request)
            if not connection.poll(0):  # still importing mlx-lm: the CLI's core is idle
                waiting()
            if not connection.poll(seconds):
                return _stop(f"no answer within {seconds:g} s (AILIANCE_AUDIT_LOAD_SECONDS)")
            answer = cast(dict[str, Any], json.loads(connection.recv_bytes()))
        except (EOFError, OSError, ValueError) as exc:
            process.join(timeout=1)
            return _stop(f"{type(exc).__name__}, {_exit(process.exitcode)}")
        if not _valid(answer):
            return _stop("an answer that is not a load-check answer")
        return answer


def stopped(problems: Iterable[EvidenceProblem]) -> tuple[str, ...]:
    """What a stopped worker left undone, for the target's ``incomplete`` list."""
    return tuple(
        f"{LOAD_GAP}: " + p.message[p.message.index(STOPPED) :]
        for p in problems
        if p.kind == "not-verified" and STOPPED in p.message
    )


def _stop(why: str) -> dict[str, Any]:
    """Kill the worker (later checks run in process) and say why this check did not run."""
    drop(LOAD_CHECK)
    return _stopped(why)


def _stopped(why: str) -> dict[str, Any]:
    memory = limits()[1] >> 20
    message = f"the mlx-lm load check did not run: {STOPPED} ({why}; memory limit {memory} MiB)"
    return {"verified": None, "fields": {}, "problems": [["not-verified", message, None]]}


def _exit(code: int | None) -> str:
    if code is None:
        return "still running"
    return f"killed by signal {-code}" if code < 0 else f"exit status {code}"


def _valid(answer: Any) -> bool:
    return (
        isinstance(answer, dict)
        and isinstance(answer.get("fields"), dict)
        and isinstance(answer.get("problems"), list)
        and all(
            isinstance(p, list) and len(p) == 3 and all(isinstance(x, str | None) for x in p)
            for p in answer["problems"]
        )
        and isinstance(answer.get("verified"), str | None)
    )


def serve(connection: Any) -> None:
    """The worker's loop: limits first, then mlx-lm's import, then one answer per request."""
    import signal

    from .checks import run_check  # before the limits: an import cannot fail for their sake

    memory = limits()[1]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the CLI's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (the user's output is the CLI's)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):  # a hard limit already lower
        pass
    if sys.platform.startswith("linux"):  # die with the CLI (Ctrl-C exits without joining us)
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    failed = None
    try:  # what every check needs, imported while the CLI works on the card
        import mlx_lm.tuner.utils
        import mlx_lm.utils  # noqa: F401
    except (ImportError, OSError, MemoryError) as exc:  # a limit cannot be told from a bad install
        failed = _stopped(f"mlx-lm could not be imported here: {type(exc).__name__}: {exc}")

    # The console script pauses collection during start-up (cli._startup_over), so the imports'
    # objects (hundreds of thousands, mlx-lm's and transformers') are all still in the youngest
    # generation: the first collections would traverse every one of them, about 0.1 s of CPU
    # during the first check. They live as long as the worker: freeze them, then collect.
    gc.freeze()
    gc.enable()
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        try:
            answer = failed or run_check(*request)
        except (Exception, MemoryError) as exc:  # run_check records what it expects; not this
            answer = _stopped(f"the check raised {type(exc).__name__}: {exc}")
        connection.send_bytes(json.dumps(answer).encode())
