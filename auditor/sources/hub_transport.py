"""Sources stage: the ``httpx2`` transport that enforces :mod:`auditor.sources.limits` on every
Hub answer huggingface_hub receives inside a limits scope (installed once per process)."""

from __future__ import annotations

import re
import threading
import time
import zlib
from collections.abc import Iterator

import httpx2

from auditor.sources.limits import (
    CAP,
    DEADLINE,
    GRACE_SECONDS,
    MIN_RATE,
    DownloadLimit,
    check_deadline,
)

_RANGE = re.compile(r"^bytes=(\d+)-(\d+)$")
_installed = threading.Lock()
_done = False


def install() -> None:
    """Make huggingface_hub's shared client enforce these limits (once per process)."""
    global _done
    from huggingface_hub.utils import _http

    with _installed:
        if _done:
            return

        def factory() -> httpx2.Client:
            return httpx2.Client(
                event_hooks={"request": [_http.hf_request_event_hook]},
                follow_redirects=True,
                timeout=None,
                transport=LimitedTransport(httpx2.HTTPTransport()),
            )

        _http.set_client_factory(factory)
        _done = True


class LimitedTransport(httpx2.BaseTransport):
    """Wraps a transport; answers inside a :func:`scope` are bounded as the module says."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        """Send, then hand back the answer with a bounded body."""
        cap = CAP.get()
        if cap is None:
            return self.inner.handle_request(request)
        check_deadline(f"the request for {request.url.path}")
        ranged = _RANGE.match(request.headers.get("Range", ""))
        if ranged:
            cap = min(cap, int(ranged.group(2)) - int(ranged.group(1)) + 1)
        response = self.inner.handle_request(request)
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("", "identity", "gzip", "deflate", "x-gzip"):
            response.close()
            raise DownloadLimit(f"{request.url.path}: refused an answer in {encoding!r} encoding")
        plain = encoding in ("", "identity")
        drop = () if plain else ("content-encoding", "content-length")  # inflated here
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in drop]
        body = _Bounded(response, cap, encoding, request.url.path, DEADLINE.get())
        return httpx2.Response(
            response.status_code,
            headers=headers,
            stream=body,
            request=request,
            extensions=response.extensions,
        )

    def close(self) -> None:
        """Close the wrapped transport."""
        self.inner.close()


class _Bounded(httpx2.SyncByteStream):
    """The body of one answer: inflated here when compressed, counted, timed."""

    def __init__(
        self, response: httpx2.Response, cap: int, encoding: str, path: str, end: float | None
    ) -> None:
        self.response, self.cap, self.path, self.end = response, cap, path, end
        compressed = encoding in ("gzip", "deflate", "x-gzip")
        # wbits 47: gzip or zlib header, detected; -15 would be raw deflate (rare, refused).
        self.inflate = zlib.decompressobj(47) if compressed else None
        self.seen = 0
        self.start = time.monotonic()

    def __iter__(self) -> Iterator[bytes]:
        for raw in self.response.stream:  # type: ignore[union-attr]
            yield from self._out(raw)
        if self.inflate is not None:
            yield from self._out(b"", final=True)

    def _out(self, raw: bytes, final: bool = False) -> Iterator[bytes]:
        if self.inflate is None:
            self._count(len(raw))
            yield raw
            return
        # Small compressed pieces and a bounded output per call: never more than ~8 MB inflated
        # in memory at once, whatever the ratio of the answer.
        for at in range(0, len(raw), 8192):
            data = raw[at : at + 8192]
            while data:
                piece = self.inflate.decompress(data, 1 << 16)
                self._count(len(piece))
                yield piece
                data = self.inflate.unconsumed_tail
        if final:
            while piece := self.inflate.decompress(b"", 1 << 16):
                self._count(len(piece))
                yield piece
            rest = self.inflate.flush()
            self._count(len(rest))
            yield rest

    def _count(self, n: int) -> None:
        self.seen += n
        now = time.monotonic()
        if self.seen > self.cap:
            raise DownloadLimit(f"{self.path}: the answer is larger than {self.cap} bytes")
        if self.end is not None and now > self.end:
            raise DownloadLimit(f"{self.path}: the per-target deadline passed during the answer")
        elapsed = now - self.start
        if elapsed > GRACE_SECONDS and self.seen < MIN_RATE * elapsed:
            raise DownloadLimit(f"{self.path}: the answer arrives slower than {MIN_RATE} bytes/s")

    def close(self) -> None:
        """Close the underlying answer."""
        self.response.close()
