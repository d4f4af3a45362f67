"""Run I/O-bound lookups on a few daemon threads (the graph walk's upstream lookups)."""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

_T = TypeVar("_T")
_R = TypeVar("_R")


def parallel_map(fn: Callable[[_T], _R], items: Sequence[_T], workers: int) -> list[_R]:
    """``[fn(x) for x in items]`` on up to ``workers`` daemon threads, results in order.

    Daemon threads, not a ThreadPoolExecutor: on Ctrl-C the run writes what it has and exits at
    once, while the executor's threads would be joined at interpreter exit, so one stuck Hub
    request would hold the report hostage (nothing lost: docs/architecture.md, Errors and exit
    codes).
    """
    if len(items) <= 1 or workers <= 1:
        return [fn(x) for x in items]
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(len(items)):
        todo.put(i)
    done: queue.SimpleQueue[tuple[int, bool, object]] = queue.SimpleQueue()

    def work() -> None:
        while True:
            try:
                i = todo.get_nowait()
            except queue.Empty:
                return
            try:
                done.put((i, True, fn(items[i])))
            except BaseException as exc:  # handed to the caller, raised there
                done.put((i, False, exc))

    for _ in range(min(workers, len(items))):
        # Each thread runs in a copy of the caller's context: the target's Hub deadline applies.
        ctx = contextvars.copy_context()
        threading.Thread(target=ctx.run, args=(work,), name="graph-lookup", daemon=True).start()
    results: dict[int, object] = {}
    while len(results) < len(items):
        i, ok, value = done.get()
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        results[i] = value
    return [results[i] for i in range(len(items))]  # type: ignore[misc]
