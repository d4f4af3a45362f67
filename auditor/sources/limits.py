"""Sources stage: what the Hub (an untrusted server) may cost a run: bytes, time, inflation.

huggingface_hub streams through one shared ``httpx2`` client; ``hub_transport.install`` gives it
a transport that enforces, for every request made inside :func:`scope` (the Hub source's calls):

- a byte cap per answer: the size of the ``Range`` asked for (so a server that ignores ``Range``
  cannot make ``--verify header`` buffer a whole weights file), else the cap of the scope (a few
  MB for cards and configs, the listed size for an adapter's weights);
- decoded, not only received, bytes: ``gzip``/``deflate`` answers are inflated there with a
  bounded decompressor (a 4 MB bomb stops at the cap), other encodings are refused;
- time: the target's overall deadline (:func:`deadline`, set once per audited target and
  inherited by the graph walk's threads), and a minimum rate once an answer has had
  :data:`GRACE_SECONDS` (a body trickled a byte at a time ends, it does not hold the run).

This module holds the limits and their per-thread context, without importing ``httpx2`` (the
pipeline sets deadlines in runs that never reach the Hub). A limit that is hit raises
:class:`DownloadLimit` (an ``OSError``: not retried, reported as the target's network problem,
so the audit is incomplete: exit 3). Outside a scope nothing is capped.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

MB = 1 << 20
METADATA_CAP = 16 * MB  # cards, configs, waiver files: the audit reads at most 8 MB of a card
API_CAP = 64 * MB  # one API answer (a repo info listing 100,000 files is ~20 MB of JSON)
WEIGHTS_CAP = 8 << 30  # an adapter's own weights at --verify load, when the listing has no size
DEFAULT_DEADLINE = 900.0  # seconds per audited target (AILIANCE_AUDIT_DEADLINE overrides)
GRACE_SECONDS = 30.0
MIN_RATE = 16 << 10  # bytes per second an answer must average after the grace period

DEADLINE: ContextVar[float | None] = ContextVar("ailiance_audit_deadline", default=None)
CAP: ContextVar[int | None] = ContextVar("ailiance_audit_cap", default=None)


class DownloadLimit(OSError):
    """A Hub answer went past a limit of this module (size, inflation, deadline, rate)."""


def deadline_seconds() -> float:
    """The per-target deadline: ``AILIANCE_AUDIT_DEADLINE`` seconds, else the default."""
    try:
        value = float(os.environ.get("AILIANCE_AUDIT_DEADLINE") or DEFAULT_DEADLINE)
    except ValueError:
        return DEFAULT_DEADLINE
    return value if value > 0 else DEFAULT_DEADLINE


@contextmanager
def deadline(seconds: float | None = None) -> Iterator[None]:
    """Every Hub request inside must finish within ``seconds`` from now (all threads that
    copy this context, e.g. the graph walk's)."""
    token = DEADLINE.set(time.monotonic() + (seconds or deadline_seconds()))
    try:
        yield
    finally:
        DEADLINE.reset(token)


@contextmanager
def scope(cap: int) -> Iterator[None]:
    """Cap every answer received inside at ``cap`` decoded bytes."""
    token = CAP.set(cap)
    try:
        yield
    finally:
        CAP.reset(token)


def check_deadline(what: str) -> None:
    """Raise :class:`DownloadLimit` when the target's deadline has passed."""
    end = DEADLINE.get()
    if end is not None and time.monotonic() > end:
        raise DownloadLimit(f"the per-target deadline passed before {what} finished")


def describe(exc: BaseException) -> str | None:
    """The message of a :class:`DownloadLimit` in an exception chain, if there is one."""
    current: BaseException | None = exc
    for _ in range(8):
        if current is None:
            return None
        if isinstance(current, DownloadLimit):
            return str(current)
        current = current.__cause__ or current.__context__
    return None
