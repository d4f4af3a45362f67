"""``ailiance-audit card sync TARGET``: parse arguments, run :func:`auditor.sync.sync_card`, report.

Prints the unified diff of the card on stdout (empty when the card is in sync) and what still
needs a person on stderr. ``--write`` applies the change atomically; ``--check`` exits 1 when the
card is not in sync (for CI), without writing. When an upstream could not be looked at, sync exits
3 and writes nothing (``--allow-incomplete`` proceeds): a chain table from a partial lineage would
omit duties.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from auditor.argparsing import Parser, add_repeatable
from auditor.errors import EXIT_FINDINGS, EXIT_OK, EXIT_UNRESOLVED, UsageError, incomplete_hint
from auditor.models import is_repo_id
from auditor.options import add_common, options_from


def _dataset_id(spec: str) -> str:
    rid = spec.strip().removeprefix("datasets/")
    if "/" not in rid or not is_repo_id(rid):
        raise UsageError(f"--dataset {spec!r}: expected a Hub dataset id like org/name")
    return rid


def parser() -> argparse.ArgumentParser:
    """The ``card`` subcommand's parser."""
    p = Parser(
        prog="ailiance-audit card",
        description="Regenerate the fact-bearing sections of a model card from its repository.",
    )
    p.add_argument("action", choices=["sync"])
    p.add_argument("target", metavar="TARGET", help="a local directory or clone of the repo")
    p.add_argument("--write", action="store_true", help="apply the change (default: print a diff)")
    p.add_argument("--check", action="store_true", help="exit 1 when the card is not in sync")
    add_repeatable(
        p,
        "--dataset",
        "ID",
        "a training dataset (org/name) to declare in datasets: (repeatable)",
    )
    p.add_argument(
        "--summary-skeleton",
        action="store_true",
        help="add the AI Office training-content summary template when the card has none "
        "(its fields to complete are then reported by the audit)",
    )
    add_common(
        p,
        verify_help="adapter verification level; sync reads at least the safetensors headers "
        "(none counts as header), so every level gives the same card",
    )
    return p


def run(argv: Sequence[str]) -> int:
    """Run ``card sync``; returns the exit code."""
    from auditor.formats.escape import clean
    from auditor.sync import sync_card, write_card

    args = parser().parse_args(list(argv))
    root = Path(args.target).expanduser()
    if not root.is_dir():
        raise UsageError(
            f"card sync: {args.target!r} is not a directory (give a local clone of the repository)"
        )
    datasets = [_dataset_id(d) for d in args.dataset]
    # The training table states tensor facts (rank, modules, layers): without the headers it
    # would differ, and --check would answer differently at --verify none.
    options = options_from(args)
    if options.verify == "none":
        options = replace(options, verify="header")
    result = sync_card(root.resolve(), options, datasets, args.summary_skeleton)
    sys.stdout.write(clean(result.diff()))  # the card's own bytes: no escape reaches a terminal
    sys.stdout.flush()
    for note in result.notes:
        print(clean(f"needs a person: {note}"), file=sys.stderr)
    for gap in result.incomplete:
        print(f"ailiance-audit: incomplete: could not look at {clean(gap)}", file=sys.stderr)
    if result.incomplete and not args.allow_incomplete:
        # A card written from a partial chain would state fewer duties than the lineage has.
        hint = incomplete_hint(result.incomplete)
        print(f"ailiance-audit: card not written; {hint}", file=sys.stderr)
        return EXIT_UNRESOLVED
    if args.write and result.changed:
        write_card(result)
        print(f"wrote {result.card}", file=sys.stderr)
    return EXIT_FINDINGS if args.check and result.changed and not args.write else EXIT_OK
