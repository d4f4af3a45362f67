"""Hostile answers of the loopback Hub (fault actions ``endless``, ``trickle``, ``gzip-bomb``,
``malformed-info``): what a server run by an attacker sends; and the repo tree listing that
``hf download`` asks for. Every loop is bounded in bytes and
time on the server side too, and stops when the client hangs up."""

from __future__ import annotations

import functools
import json
import time
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.hub.handler import HubHandler
    from tests.hub.server import Fault

ACTIONS = frozenset({"endless", "trickle", "gzip-bomb", "malformed-info"})
ENDLESS_LIMIT = 2 << 30  # bytes the server sends at most on an "endless" answer
SERVER_SECONDS = 120.0  # and for at most this long
BOMB_INFLATED = 1 << 30  # the gzip bomb inflates to 1 GiB (about 4.5 MB on the wire)


@functools.cache
def gzip_bomb() -> bytes:
    """A gzip stream of ``BOMB_INFLATED`` zero bytes."""
    comp = zlib.compressobj(1, zlib.DEFLATED, 31)  # level 1: fast to build, ~4 MB
    block = b"\0" * (1 << 20)
    parts = [comp.compress(block) for _ in range(BOMB_INFLATED >> 20)]
    return b"".join(parts) + comp.flush()


def tree_entries(commit: Any) -> list[dict[str, Any]]:
    """``/api/{kind}/{id}/tree/{rev}?recursive=true``: every file of a commit (one page)."""
    from tests.hub.hubdata import git_blob_id

    return [
        {"type": "file", "path": name, "size": len(data), "oid": git_blob_id(data)}
        for name, data in sorted(commit.files.items())
    ]


def answer(handler: HubHandler, fault: Fault, method: str) -> None:
    """Send the hostile answer ``fault.action`` names."""
    handler.close_connection = True
    if fault.action == "gzip-bomb":
        _send(handler, 200, gzip_bomb(), method, {"Content-Encoding": "gzip"})
    elif fault.action == "malformed-info":
        _send(handler, 200, json.dumps(fault.body).encode(), method, {})
    elif fault.action == "endless":
        _endless(handler, method)
    elif fault.action == "trickle":
        _trickle(handler, method, fault.delay_per_byte)


def _send(
    handler: HubHandler, status: int, body: bytes, method: str, extra: dict[str, Any]
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    for key, value in extra.items():
        handler.send_header(key, str(value))
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if method != "HEAD":
        handler.wfile.write(body)


def _endless(handler: HubHandler, method: str) -> None:
    """200 with a chunked body that never ends (whatever ``Range`` asked for)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/octet-stream")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    if method == "HEAD":
        return
    chunk = b"A" * (1 << 16)
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent, start = 0, time.monotonic()
    try:
        while sent < ENDLESS_LIMIT and time.monotonic() - start < SERVER_SECONDS:
            handler.wfile.write(frame)
            sent += len(chunk)
    except OSError:
        return  # the client hung up, as it should


def _trickle(handler: HubHandler, method: str, every: float) -> None:
    """A 4 KB body announced in full, sent one byte every ``every`` seconds."""
    size = 4096
    handler.send_response(200)
    handler.send_header("Content-Type", "application/octet-stream")
    handler.send_header("Content-Length", str(size))
    handler.end_headers()
    if method == "HEAD":
        return
    start = time.monotonic()
    try:
        for _ in range(size):
            if time.monotonic() - start > SERVER_SECONDS:
                return
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(every)
    except OSError:
        return
