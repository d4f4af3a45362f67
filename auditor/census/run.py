"""Run a census on Dask: scan, resolve the shared upstream closure, audit batches, write.

The engine is Dask's futures API. Default: a ``distributed.LocalCluster`` of one single-threaded
worker process per core (long-lived: each imports the auditor and compiles the policy once);
``tcp://host:port`` or a scheduler file joins an existing cluster; ``sync`` runs every task in
this process (debugging, tracebacks in place). The client writes each batch's partition as its
future completes: a batch whose worker died is re-run by the scheduler and written once; a batch
that cannot be run at all is written as ``failed`` rows with the reason, never dropped.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from auditor.census import plan, tasks
from auditor.census.closure import Entry, Key, slice_for
from auditor.census.schema import failed_rows, merge
from auditor.census.store import Store

SCAN_BATCH = 250
RESOLVE_BATCH = 50


@dataclass
class Outcome:
    """What a run did (also what ``census`` prints at the end)."""

    listed: int = 0
    skipped: int = 0
    audited: int = 0
    failed: int = 0
    upstream: int = 0
    batches: int = 0


class SyncExecutor:
    """``--scheduler sync``: every task runs in this process when submitted."""

    def submit(self, fn: Callable[..., Any], *args: Any, **_: Any) -> cf.Future[Any]:
        """Run now; the future holds the result or the exception."""
        future: cf.Future[Any] = cf.Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def close(self) -> None:
        """Nothing to release."""


def connect(scheduler: str | None, workers: int | None) -> tuple[Any, Any]:
    """(client, embedded cluster or None) for ``--scheduler``; close both with :func:`close`."""
    if scheduler == "sync":
        return SyncExecutor(), None
    from distributed import Client, LocalCluster

    if scheduler is None:
        import dask

        # No dashboard, so no one reads the workers' statistical profiler: it samples every
        # thread's stack every 10 ms under the GIL (measured: 0.4 to 2.6 ms of worker CPU per
        # repo on one thread, 7.5 on eight; docs/census.md).
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        return Client(cluster), cluster  # type: ignore[no-untyped-call]
    if scheduler.startswith(("tcp://", "tls://", "inproc://", "ws://", "wss://")):
        return Client(scheduler), None  # type: ignore[no-untyped-call]
    if Path(scheduler).is_file():
        return Client(scheduler_file=scheduler), None  # type: ignore[no-untyped-call]
    from auditor.errors import UsageError

    raise UsageError(f"--scheduler {scheduler!r}: not sync, an address or a scheduler file")


def close(client: Any, cluster: Any) -> None:
    """Close the client, then the embedded cluster (if any)."""
    client.close()
    if cluster is not None:
        cluster.close()


def completed(client: Any, futures: Sequence[Any]) -> Iterator[Any]:
    """Futures as they finish (Dask's or concurrent.futures')."""
    if isinstance(client, SyncExecutor):
        return cf.as_completed(futures)
    from distributed import as_completed

    return iter(as_completed(futures))  # type: ignore[no-untyped-call]


def census(
    client: Any, spec: tasks.Spec, specs: Sequence[str], store: Store, *,
    batch_size: int = 500, progress: bool = True,
) -> Outcome:  # fmt: skip
    """The whole plan of docs/scale.md on ``client``; returns the counts."""
    spec = replace(spec, run=spec.run or uuid.uuid4().hex)  # a fresh source chain per run
    out = Outcome(listed=len(specs))
    with _progress(progress) as bar:
        scanned = _gather(client, bar, "scan", tasks.scan, spec, plan.chunks(specs, SCAN_BATCH))
        store.prepare()
        todo = plan.todo(scanned, store.done())
        out.skipped = len(specs) - len(todo)
        table = _closure(client, bar, spec, todo)
        out.upstream = len(table)
        _audit(client, bar, spec, todo, table, store, batch_size, out)
    return out


def _closure(client: Any, bar: Progress, spec: tasks.Spec, todo: list[tasks.Scanned]
             ) -> dict[Key, Entry]:  # fmt: skip
    """Resolve the distinct upstream repos once, level by level, like the graph walk."""
    table: dict[Key, Entry] = {}
    frontier: list[Key] = [ref for item in todo for ref in item.refs]
    for _ in range(spec.max_depth + 1):
        keys = plan.next_level(frontier, table)
        if not keys:
            break
        found = _gather(client, bar, "upstream", tasks.resolve, spec,
                        plan.chunks(keys, RESOLVE_BATCH))  # fmt: skip
        table.update(found)
        frontier = plan.refs_of_entries(keys, table)
    return table


def _audit(
    client: Any, bar: Progress, spec: tasks.Spec, todo: list[tasks.Scanned],
    table: dict[Key, Entry], store: Store, batch_size: int, out: Outcome,
) -> None:  # fmt: skip
    # At least four batches per worker when there are few repos, so no worker sits idle; with
    # --verify load, one base per batch at the full size (a batch builds its base's skeleton).
    load = spec.verify == "load"
    size = batch_size if load else min(batch_size, -(-len(todo) // (4 * _workers(client))))
    batches = plan.batches(todo, max(1, size), pack=not load)
    out.batches = len(batches)
    task = bar.add_task("audit", total=len(todo), failed=0)
    names: dict[Any, tuple[str, list[tasks.Scanned]]] = {}
    for batch in batches:
        name = plan.batch_name(batch)
        roots = [ref for item in batch for ref in item.refs]
        part = slice_for(table, roots)
        future = client.submit(tasks.audit, spec, batch, part, key=f"audit-{name}", retries=1)
        names[future] = (name, batch)
    for future in completed(client, list(names)):
        name, batch = names.pop(future)
        try:
            rows = future.result()
        except Exception as exc:  # the batch could not run (workers kept dying): failed rows
            reason = f"batch lost: {type(exc).__name__}: {exc}"[:300]
            rows = merge([failed_rows(i.key, i.kind, i.sha, reason, 0.0) for i in batch])
        store.write(name, rows)
        failed = sum(r["status"] == "failed" for r in rows["repos"])
        out.audited += len(rows["repos"]) - failed
        out.failed += failed
        bar.update(task, advance=len(rows["repos"]), failed=out.failed)


def _workers(client: Any) -> int:
    """How many workers the cluster has now (1 for the sync executor)."""
    if isinstance(client, SyncExecutor):
        return 1
    return max(1, len(client.scheduler_info().get("workers", {})))


def _gather(client: Any, bar: Progress, label: str, fn: Callable[..., list[Any]],
            spec: tasks.Spec, chunks: list[list[Any]]) -> list[Any]:  # fmt: skip
    """Run ``fn(spec, chunk)`` for every chunk; results in chunk order."""
    task = bar.add_task(label, total=sum(map(len, chunks)), failed=0)
    futures = [client.submit(fn, spec, chunk, pure=False, retries=1) for chunk in chunks]
    index = {f: i for i, f in enumerate(futures)}
    results: list[list[Any]] = [[] for _ in chunks]
    for future in completed(client, futures):
        results[index[future]] = future.result()
        bar.update(task, advance=len(chunks[index[future]]))
    return [item for part in results for item in part]


class RateColumn(ProgressColumn):
    """Repos (or upstream repos) per second."""

    def render(self, task: Task) -> Text:
        """The task's current speed."""
        return Text(f"{task.speed or 0.0:7.1f}/s")


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description:>8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]}"),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
    )
