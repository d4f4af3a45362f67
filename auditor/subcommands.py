"""Command layer: dispatch the subcommands (``facts``, ``policy test``, ``hook``, ``card``,
``serve``, ``census``), and the two small enough to live here: ``facts TARGET`` (the document
policies see) and ``policy test DIR``."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from auditor.argparsing import Parser
from auditor.errors import EXIT_FINDINGS, EXIT_OK, UsageError, incomplete_hint
from auditor.models.codec import dump


def run(name: str, argv: Sequence[str]) -> int:
    """Dispatch a subcommand."""
    if name == "facts":
        return _facts(argv)
    if name == "hook":
        from auditor.hooks.cli import run as run_hook

        return run_hook(argv)
    if name == "census":
        from auditor.census.cli import run as run_census

        return run_census(argv)
    if name == "card":
        from auditor.sync.cli import run as run_card

        return run_card(argv)
    if name == "serve":
        from auditor.serve.cli import run as run_serve

        return run_serve(argv)
    return _policy(argv)


def _facts(argv: Sequence[str]) -> int:
    """Print the facts; exit as an audit with no findings would (``exitcodes.exit_code``): 3
    when an upstream could not be looked at, unless ``--allow-incomplete`` (then 0)."""
    from auditor import __version__
    from auditor.exitcodes import exit_code
    from auditor.formats.escape import clean
    from auditor.models import AuditReport, TargetReport, ToolInfo
    from auditor.options import add_common, options_from
    from auditor.pipeline import facts_for
    from auditor.sources.base import parse_target

    p = Parser(prog="ailiance-audit facts", description="Print the facts document of a target.")
    p.add_argument("target", metavar="TARGET")
    add_common(p)
    args = p.parse_args(list(argv))
    target = parse_target(args.target, args.revision)
    facts, gaps = facts_for(target, options_from(args))
    print(json.dumps(dump(facts), indent=2, sort_keys=True))
    for gap in gaps:
        print(f"ailiance-audit: incomplete: could not look at {clean(gap)}", file=sys.stderr)
    if gaps and not args.allow_incomplete:
        print(f"ailiance-audit: {incomplete_hint(gaps)}", file=sys.stderr)
    outcome = TargetReport(target=target, status="audited", incomplete=gaps)
    report = AuditReport(tool=ToolInfo(version=__version__), targets=(outcome,))
    return exit_code(report, "never", args.allow_incomplete)


def _policy(argv: Sequence[str]) -> int:
    from auditor.formats.escape import clean
    from auditor.policy.testing import run_tests

    p = Parser(prog="ailiance-audit policy", description="Test a policy pack directory.")
    p.add_argument("action", choices=["test"])
    p.add_argument("directory", metavar="DIR", help="pack files, with examples in DIR/tests/")
    args = p.parse_args(list(argv))
    directory = Path(args.directory)
    if not directory.is_dir():
        raise UsageError(f"{directory}: not a directory")
    results, missing = run_tests(directory)
    if not results and not missing:
        raise UsageError(
            f"{directory}: no rules and no examples (a pack directory holds *.yaml packs and "
            "their examples in tests/)"
        )
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(clean(f"FAIL {r.rule} [{r.name}]: expected {r.expect}, got: {r.detail}"))
    for rule in missing:
        print(clean(f"MISSING {rule}: needs at least one pass and one fail example"))
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return EXIT_FINDINGS if failed or missing else EXIT_OK
