"""Command line: parse arguments, call the pipeline, render, return an exit code. No logic.

Exit codes (a published contract, README "Exit codes"): 0 no finding at or above --fail-on,
1 findings at or above it, 2 usage error or invalid policy/config, 3 a target could not be
resolved or its audit is incomplete (--allow-incomplete: a warning), 4 internal error
(traceback in a log file), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM); both write
what was done.
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from auditor import __version__
from auditor.argparsing import Parser, add_repeatable
from auditor.console import ReaderSafeStdout
from auditor.errors import (
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_UNRESOLVED,
    EXIT_USAGE,
    AuditError,
    Terminated,
    UsageError,
)

if TYPE_CHECKING:
    from auditor.models import AuditReport, Target
    from auditor.pipeline import AuditOptions
    from auditor.policy import PolicySet

VERSION_LINE = f"ailiance-audit {__version__}"
"""What ``--version`` prints: argparse's version action and the shortcut that skips the parser."""

SUBCOMMANDS = ("facts", "policy", "hook", "card", "serve", "census")
_gc_paused = False  # the console script collects no garbage during start-up: _startup_over()


def build_parser() -> argparse.ArgumentParser:
    """The audit command's parser (subcommands have their own)."""
    from auditor.formats.base import NAMES
    from auditor.options import add_common
    from auditor.severity import FAIL_ON

    p = Parser(
        prog="ailiance-audit",
        description=(
            "Audit Hugging Face model/dataset repos: license chain, EU AI Act documentation, "
            "and card claims vs adapter weights. Subcommands: facts TARGET, policy test DIR, "
            "hook install|uninstall|run|changed, card sync DIR, serve."
        ),
    )
    p.add_argument(
        "targets", nargs="*", metavar="TARGET", help="org/name, datasets/org/name or DIR"
    )
    add_common(p)
    p.add_argument(
        "--format",
        action="append",
        default=[],
        choices=NAMES,
        help="output format (repeatable; default text)",
    )
    add_repeatable(
        p,
        "--output",
        "FILE",
        "file for the --format at the same position (default stdout)",
    )
    p.add_argument(
        "--fail-on",
        choices=tuple(FAIL_ON),
        default="error",
        help="the lowest severity that fails the run (exit 1): error (default), warning, note, "
        "info, or never",
    )
    p.add_argument(
        "--baseline",
        metavar="REF|FILE",
        help="fail only on findings new since a git ref of the audited repo or a JSON report",
    )
    p.add_argument("--author", metavar="ORG", help="also audit every model repo of ORG on the Hub")
    p.add_argument(
        "--filter", metavar="GLOB", help="with --author: keep ids, names or tags matching"
    )
    p.add_argument("--from-file", metavar="FILE", help="read more targets from FILE, one per line")
    p.add_argument("--lock", metavar="FILE", help="write every resolved repo id, kind and sha")
    p.add_argument("--locked", metavar="FILE", help="audit exactly the revisions in a lock file")
    p.add_argument("--policy-list", action="store_true", help="print the effective rules and exit")
    p.add_argument("--version", action="version", version=VERSION_LINE)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for tests and ``python -m auditor``; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    previous = _on_sigterm()
    stdout = sys.stdout
    sys.stdout = ReaderSafeStdout(stdout)
    try:
        if args and args[0] in SUBCOMMANDS:
            _startup_over()  # long-running subcommands collect as usual
            from auditor import subcommands

            return subcommands.run(args[0], args[1:])
        if args == ["--version"]:  # what argparse prints, without building the parser
            print(VERSION_LINE)
            return EXIT_OK
        return _audit(build_parser().parse_args(args))
    except SystemExit as exc:  # argparse's --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except KeyboardInterrupt as exc:
        print("terminated" if isinstance(exc, Terminated) else "interrupted", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except AuditError as exc:
        from auditor.formats.escape import clean  # messages echo pack text, file and repo names

        print(f"ailiance-audit: {clean(exc)}", file=sys.stderr)
        return exc.exit_code
    except Exception:  # the contract: no traceback for the user, exit 4, details in a log
        from auditor.exitcodes import write_crash_log

        log = write_crash_log()
        print(f"ailiance-audit: internal error; details in {log}", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        _startup_over()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        sys.stdout = stdout


def _startup_over() -> None:
    """Start-up is over: freeze what it built out of garbage collection, and collect again.

    Start-up (the imports, the data model's classes, the compiled rules) allocates tens of
    thousands of objects that all live until exit. The console script (:func:`main_entry`) runs
    it with the cyclic collector off, then moves those objects to the permanent generation and
    turns the collector back on, so the audit itself collects (a run over many targets stays
    bounded) without traversing them again: about 3% of a card-only audit (docs/speed.md).
    ``main()`` called as a library (tests) leaves the collector alone.
    """
    global _gc_paused
    if _gc_paused:
        _gc_paused = False
        gc.freeze()
        gc.enable()


def _on_sigterm() -> signal.Handlers | None:
    """Make SIGTERM raise :class:`Terminated` (like Ctrl-C), so finished targets are written.

    Returns the previous handler to restore; ``None`` off the main thread, where Python cannot
    install one (a library caller's own thread keeps its process's behaviour).
    """

    def terminate(signum: int, frame: object) -> None:
        raise Terminated

    try:
        return signal.signal(signal.SIGTERM, terminate)  # type: ignore[return-value]
    except ValueError:
        return None


def main_entry() -> None:
    """Console-script wrapper (also ``python -m auditor``)."""
    global _gc_paused
    gc.disable()  # until _startup_over()
    _gc_paused = True
    code = main()
    if code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
        # What was done is written; do not let interpreter exit join a worker thread stuck in a
        # network call (concurrent.futures joins its threads at exit).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _audit(args: argparse.Namespace) -> int:
    worker = False
    if args.verify == "load" and not args.policy_list:
        from auditor.prestart import LOAD_CHECK, prestart

        worker = prestart(LOAD_CHECK)  # mlx-lm imports on the other core while the card is audited
    from auditor.exitcodes import exit_code
    from auditor.options import options_from
    from auditor.policy import load_policies
    from auditor.targets import expand_targets
    from auditor.writing import check_stdout, emit, print_policy_list

    policy = load_policies(args.policy or ["default"])
    if args.policy_list:
        print_policy_list(policy)
        return EXIT_OK
    targets = expand_targets(
        args.targets,
        args.revision,
        from_file=args.from_file,
        author=args.author,
        pattern=args.filter,
        mirrors=args.mirror,
        offline=args.offline,
    )
    if not targets:
        raise UsageError(
            "no TARGET given (try: ailiance-audit --mirror examples/hub "
            "Ailiance-fr/apertus-math-lora)"
        )
    if len(args.output) > max(len(args.format), 1):
        raise UsageError("more --output files than --format options")
    check_stdout(args.format or ["text"], args.output)
    options = options_from(args)  # imports the pipeline
    _startup_over()
    with _while_waiting(worker, policy, args.format or ["text"]):
        report, interrupted = _run(targets, options, policy)
    if args.baseline and not interrupted:
        from auditor.baseline import apply_baseline

        report = apply_baseline(report, args.baseline, options, policy)
    emit(report, args.format or ["text"], args.output)
    if interrupted:
        return interrupted
    return exit_code(report, args.fail_on, args.allow_incomplete)


def _while_waiting(
    worker: bool, policy: PolicySet, formats: list[str]
) -> AbstractContextManager[Any]:
    """Work the audit does after the load check, moved into the wait for the worker's answer.

    The worker imports mlx-lm for about a second after the CLI has sent it the check, and the
    CLI's core is idle meanwhile. Compiling the shipped rules (otherwise compiled when they first
    run, in the evaluation after the answer) and importing the output formats (rich) were most of
    what the CLI did after the answer: done in the wait, they leave the critical path
    (docs/speed.md, "What `--verify load` runs where").
    """
    if not worker:
        return nullcontext()
    from auditor.formats.base import get
    from auditor.policy.programs import compile_deferred
    from auditor.prestart import while_waiting

    return while_waiting(
        lambda: compile_deferred(rule.plan for rule in policy.rules if rule.plan is not None),
        lambda: [get(name) for name in formats],
    )


def _run(
    targets: list[Target], options: AuditOptions, policy: PolicySet
) -> tuple[AuditReport, int]:
    """The report and 0, or with what was done and 130/143 when interrupted or terminated."""
    from auditor.models import TargetReport
    from auditor.pipeline import make_report, run_iter

    done: list[TargetReport] = []
    try:
        for rep in run_iter(targets, options, policy):
            done.append(rep)  # noqa: PERF402 (a loop keeps what is done on Ctrl-C)
    except KeyboardInterrupt as exc:
        # Nothing lost: what is done is rendered, the rest is marked interrupted.
        rest = [
            TargetReport(target=t, status="interrupted", error="interrupted")
            for t in targets[len(done) :]
        ]
        code = EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
        return make_report([*done, *rest], policy), code
    return make_report(done, policy), 0


__all__ = ["EXIT_FINDINGS", "EXIT_UNRESOLVED", "EXIT_USAGE", "build_parser", "main"]
