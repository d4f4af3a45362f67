"""``ailiance-audit serve``: parse options, check them, start the app under uvicorn.

Environment, as on the Hub: ``HF_TOKEN`` (the bot account; needs write access to discussions),
``WEBHOOK_SECRET`` (compared with ``X-Webhook-Secret``), ``HF_ENDPOINT``; and
``AILIANCE_AUDIT_UI_TOKEN`` for the status page. Without a secret the service refuses to start,
unless ``--allow-no-secret`` is given *and* it listens on loopback only.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.argparsing import Parser
from auditor.errors import EXIT_OK, UsageError
from auditor.serve.config import (
    FAIL_ON,
    VERIFY,
    RepoSettings,
    ServiceSettings,
    check_settings,
    is_loopback,
    load_gate_config,
)

if TYPE_CHECKING:
    from starlette.applications import Starlette

log = logging.getLogger("ailiance_audit.serve")


def parser() -> argparse.ArgumentParser:
    """The ``serve`` subcommand's parser."""
    p = Parser(
        prog="ailiance-audit serve",
        description="Audit Hub pull requests from webhooks; answer on each PR (docs/hub-gate.md).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--db", default="ailiance-gate.sqlite3", metavar="PATH", help="job table")
    p.add_argument("--config", metavar="FILE", help="per-org/repo policy, waivers and mirrors")
    p.add_argument("--policy", action="append", default=[], metavar="P", help="as for audits")
    p.add_argument("--fail-on", choices=FAIL_ON, default="error")
    p.add_argument("--verify", choices=VERIFY, default="load")
    p.add_argument("--mirror", action="append", default=[], metavar="DIR")
    p.add_argument("--workers", type=int, default=2, help="audits at a time (default 2)")
    p.add_argument("--max-queue", type=int, default=1000, help="active jobs before 503")
    p.add_argument("--max-body", type=int, default=256 << 10, help="webhook body cap in bytes")
    p.add_argument("--retry-base", type=float, default=2.0, help="first comment retry (s)")
    p.add_argument(
        "--allow-no-secret",
        action="store_true",
        help="run without WEBHOOK_SECRET (only with a loopback --host)",
    )
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    return p


def settings_from(args: argparse.Namespace) -> ServiceSettings:
    """Validated settings; a usage error names what is wrong (exit 2)."""
    secret = os.environ.get("WEBHOOK_SECRET") or None
    if secret is None and not (args.allow_no_secret and is_loopback(args.host)):
        raise UsageError(
            "serve: WEBHOOK_SECRET is not set; refusing to accept unauthenticated webhooks "
            "(for a local test use --allow-no-secret with a loopback --host)"
        )
    if secret is not None and not secret.isascii():
        raise UsageError("serve: WEBHOOK_SECRET must be ASCII (the Hub sends only ASCII)")
    token = os.environ.get("HF_TOKEN") or None
    if token is None:
        raise UsageError(
            "serve: HF_TOKEN is not set; the bot account's token (with write access to "
            "discussions) is needed to answer on pull requests"
        )
    for name in ("workers", "max_queue", "max_body"):
        if getattr(args, name) < 1:
            raise UsageError(f"serve: --{name.replace('_', '-')} must be at least 1")
    for m in args.mirror:
        if not Path(m).is_dir():
            raise UsageError(f"--mirror {m}: no such directory")
    defaults = RepoSettings(
        policy=tuple(args.policy or ["default"]),
        fail_on=args.fail_on,
        verify=args.verify,
        mirrors=tuple(Path(m).resolve() for m in args.mirror),
    )
    check_settings(defaults, "serve")
    gate = load_gate_config(Path(args.config) if args.config else None, defaults)
    return ServiceSettings(
        db=Path(args.db),
        gate=gate,
        host=args.host,
        port=args.port,
        secret=secret,
        token=token,
        ui_token=os.environ.get("AILIANCE_AUDIT_UI_TOKEN") or None,
        endpoint=os.environ.get("HF_ENDPOINT") or None,
        workers=args.workers,
        max_queue=args.max_queue,
        max_body=args.max_body,
        retry_base=args.retry_base,
    )


def build(settings: ServiceSettings) -> Starlette:
    """The app with its store and pool (jobs a crash left behind are queued again)."""
    from auditor.serve.app import create_app
    from auditor.serve.audit import Auditor
    from auditor.serve.hubclient import HubClient
    from auditor.serve.store import JobStore
    from auditor.serve.worker import WorkerPool

    store = JobStore(settings.db)
    recovered = store.recover()
    if recovered:
        log.info("resuming %d job(s) interrupted by the last stop", recovered)
    hub = HubClient(settings.endpoint, settings.token)
    pool = WorkerPool(store, settings, hub, Auditor(settings.endpoint, settings.token))
    return create_app(settings, store, pool)


def run(argv: Sequence[str]) -> int:
    """Run the service until interrupted."""
    import uvicorn

    args = parser().parse_args(list(argv))
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    settings = settings_from(args)
    from huggingface_hub.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    app = build(settings)
    log.info("listening on %s:%d, job table %s", settings.host, settings.port, settings.db)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level)
    return EXIT_OK
