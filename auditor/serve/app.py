"""The ASGI app (Starlette): ``POST /webhook``, ``GET /healthz``, the optional status page.

``POST /webhook``:

- ``X-Webhook-Secret`` must equal the secret, compared in constant time (``hmac.compare_digest``)
  -> 401 otherwise, before the body is read;
- the body is capped (``--max-body``; 413 above it) and must be a documented payload (400);
- payloads the gate does not audit answer 200 with the reason (also logged);
- each PR head is committed to the job table before the answer: 202 ``queued`` or ``duplicate``;
  a full queue answers 503 with ``Retry-After``.

The status page (``/status``, and the HTML report of each job) exists only when a UI token is
set, behind HTTP Basic authentication (any user name, the token as password).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from auditor.serve.config import ServiceSettings
from auditor.serve.events import BadPayload, parse
from auditor.serve.status import page
from auditor.serve.store import JobStore
from auditor.serve.worker import WorkerPool

log = logging.getLogger("ailiance_audit.serve")
RETRY_AFTER = "30"  # seconds, on 503 (queue full)


class TooLarge(Exception):
    """The body is over the cap."""


def _same(given: str | None, expected: str) -> bool:
    return hmac.compare_digest((given or "").encode(), expected.encode())


async def _read_capped(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(settings: ServiceSettings, store: JobStore, pool: WorkerPool) -> Starlette:
    """The app; the pool is started and stopped with it."""

    async def webhook(request: Request) -> Response:
        if settings.secret is not None and not _same(
            request.headers.get("x-webhook-secret"), settings.secret
        ):
            log.warning("webhook refused: bad or missing X-Webhook-Secret")
            return JSONResponse({"error": "bad webhook secret"}, status_code=401)
        try:
            body = await _read_capped(request, settings.max_body)
            parsed = parse(body)
        except TooLarge:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        except BadPayload as exc:
            log.warning("webhook refused: malformed payload (%s)", exc)
            return JSONResponse({"error": f"malformed payload: {exc}"}, status_code=400)
        if parsed.ignored is not None:
            log.info("webhook ignored: %s", parsed.ignored)
            return JSONResponse({"status": "ignored", "reason": parsed.ignored})
        answers = []
        for head in parsed.heads:
            state, job_id = await run_in_threadpool(store.enqueue, head, settings.max_queue)
            if state == "full":
                log.warning("webhook refused: queue full (%d active jobs)", settings.max_queue)
                return JSONResponse(
                    {"error": "queue full"}, status_code=503, headers={"Retry-After": RETRY_AFTER}
                )
            log.info(
                "webhook: %s#%d@%s %s (job %s)",
                head.repo_id,
                head.pr,
                (head.sha or "head")[:12],
                state,
                job_id,
            )
            answers.append({"status": state, "job": job_id})
        pool.notify()
        return JSONResponse({"status": "accepted", "jobs": answers}, status_code=202)

    async def healthz(request: Request) -> Response:
        counts = await run_in_threadpool(store.counts)
        ok = pool.alive()
        return JSONResponse(
            {"status": "ok" if ok else "workers down", "jobs": counts},
            status_code=200 if ok else 503,
        )

    def _authorised(request: Request) -> bool:
        assert settings.ui_token is not None
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            _, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return _same(password, settings.ui_token)

    def _guard(request: Request) -> Response | None:
        if settings.ui_token is None:
            return Response(status_code=404)
        if not _authorised(request):
            return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="gate"'})
        return None

    async def status(request: Request) -> Response:
        refused = _guard(request)
        if refused is not None:
            return refused
        jobs = await run_in_threadpool(store.recent, 100)
        endpoint = (settings.endpoint or pool.hub.api.endpoint).rstrip("/")
        return HTMLResponse(page(jobs, endpoint))

    async def report(request: Request) -> Response:
        refused = _guard(request)
        if refused is not None:
            return refused
        html = await run_in_threadpool(store.report_html, int(request.path_params["job"]))
        if html is None:
            return Response(status_code=404)
        return HTMLResponse(html)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool.start()
        try:
            yield
        finally:
            pool.stop()

    routes = [
        Route("/webhook", webhook, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/status", status, methods=["GET"]),
        Route("/status/report/{job:int}", report, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
