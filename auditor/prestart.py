"""Start a helper process before this one imports much, so that the two work in parallel.

The CLI uses it for ``--verify load``: importing mlx-lm takes about 2 s (transformers, which
mlx-lm's package imports), and the card audit, the lineage walk and the policy take most of a
second of their own. Started as soon as the arguments are parsed, the helper imports mlx-lm on
the second core while this process does the rest, then receives the load checks
(``auditor.verify.worker``).

Forked, not spawned: at this point the CLI has imported the standard library and its argument
parser and started no thread, so a fork is safe and costs a few milliseconds, where a spawned
interpreter would first import the CLI's modules again. Only on Linux (macOS system frameworks
do not survive a fork once loaded, and Windows cannot fork): elsewhere nothing is started and
the caller does the work itself. Nothing here imports the rest of ``auditor``: the helper's
entry point is named by a dotted path and imported in the child.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

LOAD_CHECK = "auditor.verify.worker:serve"
"""Entry point of the mlx-lm load-check worker."""

_started: dict[str, tuple[Any, Any]] = {}
_waiting: list[Callable[[], object]] = []


def prestart(entry: str, *args: Any) -> bool:
    """Fork a helper running ``entry(connection, *args)`` unless one runs; False if not done.

    Not done off Linux, when this process already runs a second thread (Python's or a native
    library's: a fork copies a lock another thread holds, and only the forking thread), or
    when mlx is already imported (its own threads; the work is then cheaper in process).
    """
    started = get(entry)
    if started is not None and started[0].is_alive():
        return True
    if not sys.platform.startswith("linux") or "mlx" in sys.modules or _threads() != 1:
        return False
    import multiprocessing

    context = multiprocessing.get_context("fork")
    mine, theirs = context.Pipe()
    process = context.Process(
        target=_run, args=(entry, theirs, args), name=entry.rsplit(":", 1)[-1], daemon=True
    )
    process.start()
    theirs.close()
    _started[entry] = (process, mine)
    return True


def get(entry: str) -> tuple[Any, Any] | None:
    """The started helper's ``(process, connection)`` (alive or not), or None."""
    return _started.get(entry)


def drop(entry: str) -> None:
    """Kill the helper (if any) and forget it."""
    started = _started.pop(entry, None)
    if started is not None:
        process, connection = started
        process.kill()
        process.join(timeout=10)
        connection.close()


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0  # unknown: do not fork


def _run(entry: str, connection: Any, args: tuple[Any, ...]) -> None:
    import signal

    # Before the import: the CLI's SIGTERM handler, inherited by the fork, would raise inside it
    # (and print a traceback) when multiprocessing ends this daemon helper as the CLI exits.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    module, function = entry.split(":")
    getattr(importlib.import_module(module), function)(connection, *args)


@contextmanager
def while_waiting(*tasks: Callable[[], object]) -> Iterator[None]:
    """Within the block, the first wait for a helper's answer runs ``tasks`` first.

    For work the caller does after the answer anyway (the CLI: compiling the rules, importing
    the output format): a helper that is still busy leaves this process's core idle, and the
    work done then is off the critical path. Tasks that have not run when the block ends are
    dropped, never run later.
    """
    _waiting[:] = tasks
    try:
        yield
    finally:
        _waiting.clear()


def waiting() -> None:
    """Run (once) the tasks of :func:`while_waiting`: the caller is about to wait for a helper.

    A task that fails is dropped: it only ran ahead of time, and the same work done where it
    belongs raises there, in its own context.
    """
    while _waiting:
        task = _waiting.pop(0)
        with suppress(Exception):
            task()
