"""``ailiance-audit census``: audit a set of repos into a Parquet dataset; ``census report DIR``.

Thin: parse, build the plan's inputs, call :mod:`auditor.census.run` or the report; exit 0 when
every repo was audited, 3 when some could not be (their rows say why), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from auditor.argparsing import Parser, add_repeatable
from auditor.errors import EXIT_OK, EXIT_UNRESOLVED, UsageError
from auditor.options import add_common, options_from


def parser() -> argparse.ArgumentParser:
    """The census parser (the audit command's source and policy options, plus the plan's)."""
    p = Parser(
        prog="ailiance-audit census",
        description="Audit many repos on Dask into a Parquet dataset (see docs/census.md). "
        "Without --from-file/--author/--search/--filter: every model repo of the --mirror(s). "
        "'census report DIR' summarises a dataset.",
    )
    add_common(  # a census reads cards; --verify header|load reads weights
        p, verify="none", verify_help="adapter verification level (default here: none, cards only)"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output dataset directory")
    p.add_argument("--from-file", metavar="FILE", help="repos to audit, one per line")
    add_repeatable(
        p,
        "--author",
        "ORG",
        "every model repo of ORG on the Hub (repeatable)",
    )
    p.add_argument("--search", metavar="TEXT", help="Hub listing: ids containing TEXT")
    add_repeatable(
        p,
        "--filter",
        "TAG",
        "Hub listing: repos with TAG, e.g. base_model:adapter:ORG/NAME "
        "(repeatable: all must match)",
    )
    p.add_argument("--limit", type=int, metavar="N", help="audit at most N repos")
    p.add_argument("--locked", metavar="FILE", help="audit exactly the revisions in a lock file")
    p.add_argument(
        "--scheduler",
        metavar="ADDR",
        help="tcp://host:8786, a scheduler file, or sync (default: a local cluster)",
    )
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes of the local cluster (default: one per core)",
    )
    p.add_argument("--batch-size", type=int, default=500, metavar="N", help="repos per task")
    p.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="repos in flight per worker (default: 8 when repos come from the Hub, so its "
        "round trips overlap; 1 offline or for a batch of local repos)",
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=120.0,
        metavar="S",
        help="seconds per repo before it is a failed row (default 120)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def report_parser() -> argparse.ArgumentParser:
    """``census report DIR``."""
    p = Parser(
        prog="ailiance-audit census report", description="Summarise a census dataset with DuckDB."
    )
    p.add_argument("directory", metavar="DIR")
    p.add_argument("--html", metavar="FILE", help="HTML summary (default DIR/report.html)")
    p.add_argument("--markdown", metavar="FILE", help="Markdown summary (default DIR/report.md)")
    p.add_argument(
        "--sql",
        metavar="QUERY",
        help="run one query over the views repos, findings, edges and print it",
    )
    return p


def run(argv: Sequence[str]) -> int:
    """Dispatch ``census ...`` or ``census report ...``."""
    if argv and argv[0] == "report":
        return _report(report_parser().parse_args(list(argv[1:])))
    return _census(parser().parse_args(list(argv)))


def _census(args: argparse.Namespace) -> int:
    from auditor.census import run as engine
    from auditor.census.store import Store
    from auditor.census.targets import enumerate_targets
    from auditor.census.tasks import Spec

    options = options_from(args)  # the audit command's checks and environment (mirrors, offline)
    if args.threads is not None and args.threads < 1:
        raise UsageError(f"--threads {args.threads}: at least 1")
    if args.locked and not Path(args.locked).is_file():
        raise UsageError(f"--locked {args.locked}: no such file")
    listing = (args.search, args.filter, args.author, args.limit)
    specs = enumerate_targets(args.from_file, *listing, args.mirror, bool(args.offline))
    if not specs:
        raise UsageError("nothing to audit: give --mirror, --from-file, --author or a listing")
    spec = Spec(
        mirrors=tuple(str(m) for m in options.mirrors),
        offline=options.offline,
        verify=options.verify,
        policy=tuple(options.policy),
        locked=str(Path(args.locked).resolve()) if args.locked else None,
        max_depth=options.max_depth,
        time_limit=args.time_limit,
        threads=args.threads,
    )
    client, cluster = engine.connect(args.scheduler, args.workers)
    try:
        out = engine.census(
            client,
            spec,
            specs,
            Store(Path(args.out)),
            batch_size=args.batch_size,
            progress=not args.no_progress,
        )
    finally:
        engine.close(client, cluster)
    print(
        f"census: {out.listed} repos listed, {out.skipped} already in {args.out}, "
        f"{out.audited} audited, {out.failed} failed; {out.upstream} upstream repos resolved "
        f"once; {out.batches} batches",
        file=sys.stderr,
    )
    return EXIT_UNRESOLVED if out.failed else EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from auditor.census import report

    root = Path(args.directory)
    if not (root / "repos").is_dir():
        raise UsageError(f"{root}: not a census directory (no repos/ table)")
    if args.sql:
        print(report.query_text(root, args.sql))
        return EXIT_OK
    html = Path(args.html) if args.html else root / "report.html"
    markdown = Path(args.markdown) if args.markdown else root / "report.md"
    from auditor.census.render import render_html, render_markdown
    from auditor.files import write_atomic

    totals, found = report.answers(root)
    write_atomic(html, render_html(totals, found))
    write_atomic(markdown, render_markdown(totals, found))
    print(f"census report: {html} and {markdown}", file=sys.stderr)
    return EXIT_OK
