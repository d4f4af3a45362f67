"""``ailiance-audit hook install|uninstall|run|changed``: argument parsing only."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from auditor.argparsing import Parser
from auditor.errors import EXIT_OK
from auditor.models import FAIL_ON
from auditor.options import add_common


def build_parser() -> argparse.ArgumentParser:
    """The ``hook`` parser and its four actions."""
    p = Parser(
        prog="ailiance-audit hook",
        description="Pre-push hook for model repos, and the changed-directory finder CI uses.",
    )
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, text in (
        (
            "install",
            "install the plain-git pre-push hook (an existing one is chained); options of "
            "`hook run` given after it are recorded in the hook",
        ),
        ("uninstall", "remove it and restore a chained hook"),
    ):
        a = sub.add_parser(name, help=text, description=text)
        a.add_argument("--repo", default=".", type=Path, help="the repository (default: here)")
    run = sub.add_parser(
        "run",
        help="audit what a push changes (reads git's pre-push input)",
        description=(
            "Audit the model repo directories whose cards, adapter files, waivers or policies "
            "change in the pushed commits; exit 1 (block the push) on findings at or above "
            "--fail-on. Bypass once with: git push --no-verify"
        ),
    )
    run.add_argument("remote", nargs="?", help="remote name (git passes it)")
    run.add_argument("url", nargs="?", help="remote URL (git passes it)")
    run.add_argument("--repo", default=".", type=Path, help="the repository (default: here)")
    # No default level: it is chosen per pushed directory (hooks.run.verify_level). Header
    # verification checks ranks, modules and layers from the safetensors headers (a few KB)
    # without importing mlx-lm (about a second) or building the base skeleton: fast enough for
    # a card edit. Changed adapter weights or configs get the load check, the only one that
    # sees a tensor of the wrong hidden size.
    add_common(
        run,
        verify=None,
        verify_help="adapter verification level (default here: load when the pushed commits "
        "change adapter weights or adapter_config.json, else header: no mlx import)",
    )
    run.add_argument("--fail-on", choices=tuple(FAIL_ON), default="error")
    run.add_argument("--path", action="append", default=[], metavar="GLOB", help="only these dirs")
    # The hook blocks a push that adds findings: one already on the remote does not block an
    # unrelated push (it stays in the report, marked); --all-findings blocks on every finding.
    run.add_argument(
        "--new-only",
        action="store_true",
        default=True,
        help="block only on findings the pushed commits introduce (the default; baseline: the "
        "remote's state)",
    )
    run.add_argument(
        "--all-findings",
        dest="new_only",
        action="store_false",
        help="block on every finding of the pushed dirs, also those already on the remote",
    )
    run.add_argument("--all", action="store_true", help="audit every model repo dir, no range")
    install_parser = sub.choices["install"]
    install_parser.formatter_class = argparse.RawDescriptionHelpFormatter
    install_parser.epilog = (
        "By default the hook blocks a push only on findings it introduces (--all-findings: on\n"
        "every finding). Options of `hook run`, recorded in the hook (paths are kept relative\n"
        "to the repository's top level when inside it):" + _options_of(run)
    )
    changed = sub.add_parser(
        "changed",
        help="print the model repo dirs changed between two commits (for CI)",
        description="Print, one per line, the model repo dirs changed in BASE...HEAD.",
    )
    changed.add_argument("--repo", default=".", type=Path)
    changed.add_argument("--base", help="base commit (default: none, list every model repo dir)")
    changed.add_argument("--head", default="HEAD")
    changed.add_argument("--path", action="append", default=[], metavar="GLOB")
    changed.add_argument("-z", action="store_true", help="NUL-terminated output")
    return p


def _options_of(parser: argparse.ArgumentParser) -> str:
    """The optional arguments of ``parser`` as its help prints them (for another's epilog)."""
    lines = parser.format_help().split("options:", 1)[-1].splitlines()
    return "\n".join(ln for ln in lines if not ln.startswith(("  -h, --help", "  --repo")))


def run(argv: Sequence[str]) -> int:
    """Dispatch a ``hook`` action; returns the exit code."""
    parser = build_parser()
    args, extra = parser.parse_known_args(list(argv))
    if extra and args.action != "install":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.action in ("install", "uninstall"):
        from auditor.hooks import install

        if extra:  # options for `hook run`, recorded in the script: check them now, not on push
            parser.parse_args(["run", *extra])
        done = (
            install.install(args.repo, run_args=extra)
            if args.action == "install"
            else install.uninstall(args.repo)
        )
        from auditor.formats.escape import clean

        for line in done:
            print(clean(f"ailiance-audit: {line}"))
        return EXIT_OK
    if args.action == "changed":
        from auditor import git as g
        from auditor.hooks import changes

        repo = g.toplevel(args.repo)
        units = changes.plan_range(repo, args.base, args.head, args.path)
        end = "\0" if args.z else "\n"
        from auditor.formats.escape import clean

        names = [u.subdir or "." for u in units]  # -z: exact names for xargs -0; else cleaned
        print(end.join(names if args.z else map(clean, names)), end=end if units else "")
        return EXIT_OK
    from auditor.hooks.run import HookRun, bypass_hint, run_hook
    from auditor.options import options_from

    where = (args.repo, args.path, args.remote, args.all)
    hook = HookRun(*where, args.new_only, args.fail_on, args.allow_incomplete, args.verify)
    with bypass_hint():  # a bad option also says how to push anyway
        options = options_from(argparse.Namespace(**{**vars(args), "verify": "header"}))
    return run_hook(hook, options)
