"""Fail when the repository cites files that are not in it, or issue numbers.

The repository must be readable on its own: a reader of a rule's basis, a docstring or a page in
docs/ must find what it cites in the repository (docs/legal-basis.md, docs/architecture.md,
docs/rules.md), not in a design folder next to the checkout or in an issue tracker they cannot
see. This script searches the shipped and documented parts of the repository for the citation
forms that point outside it and lists each hit as ``path:line: what: text``:

    .venv/bin/python scripts/check_self_contained.py              # the default paths
    .venv/bin/python scripts/check_self_contained.py --root DIR PATH...

Exit code 0 when nothing is found, 1 when something is, 2 on a usage error. tests/ is not
searched by default: tests may read third-party material from the shared folder at run time.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATHS = (
    "auditor",
    "docs",
    "README.md",
    "action.yml",
    "examples",
    "bench",
    "scripts",
)
SKIP_DIRS = frozenset({".git", ".venv", "__pycache__", "node_modules", ".mypy_cache"})
MAX_FILE_BYTES = 8 << 20  # larger files are data, not prose that cites anything
EXCERPT = 100

# (what, pattern). The patterns are written so that this file does not match itself.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("the legal notes file", re.compile(r"\blegal\.md\b")),
    ("the legal notes file", re.compile(r"\blegal §")),
    ("the design rule catalogue", re.compile(r"\bRULES\.md\b")),
    ("the design architecture notes", re.compile(r"\bARCHITECTURE\.md\b")),
    ("the design library notes", re.compile(r"\bLIBRARY-NOTE[S]\b")),
    ("the Ailiance research notes", re.compile(r"\bfield[ -]notes\b", re.IGNORECASE)),
    ("an issue number", re.compile(r"\bissue [0-9]", re.IGNORECASE)),
    ("the shared folder", re.compile(r"\.\./shared/(?:reference|design)\b")),
    ("the shared folder", re.compile(r"/work/share[d]\b")),
)


@dataclass(frozen=True)
class Hit:
    """One citation of something outside the repository."""

    path: str
    line: int
    what: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}: {self.text}"


def files_under(root: Path, paths: Sequence[str]) -> Iterator[Path]:
    """Regular files of ``paths`` (relative to ``root``), sorted; links are not followed."""
    for name in paths:
        top = root / name
        if top.is_symlink():
            continue
        if top.is_file():
            yield top
        elif top.is_dir():
            for path in sorted(top.rglob("*")):
                rel = path.relative_to(root).parts
                if SKIP_DIRS.intersection(rel) or path.is_symlink() or not path.is_file():
                    continue
                yield path


def read_text(path: Path) -> str | None:
    """The file as text, or None for binary or oversized files."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def excerpt(line: str, start: int, end: int) -> str:
    """The matched text with some context, on one line and of bounded length."""
    low = max(0, start - EXCERPT // 2)
    high = min(len(line), end + EXCERPT // 2)
    text = " ".join(line[low:high].split())
    return ("…" if low > 0 else "") + text + ("…" if high < len(line) else "")


def scan_text(rel: str, text: str) -> list[Hit]:
    """Every citation of something outside the repository in one file's text."""
    hits: list[Hit] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for what, pattern in PATTERNS:
            match = pattern.search(line)
            if match:
                hits.append(Hit(rel, number, what, excerpt(line, match.start(), match.end())))
    return hits


def scan(root: Path, paths: Sequence[str] = DEFAULT_PATHS) -> list[Hit]:
    """Every citation under ``paths`` of ``root``, in path and line order."""
    hits: list[Hit] = []
    for path in files_under(root, paths):
        text = read_text(path)
        if text is not None:
            hits.extend(scan_text(path.relative_to(root).as_posix(), text))
    return hits


def main(argv: Sequence[str] | None = None) -> int:
    """Search, print the hits, return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parents[1],
        help="repository root (default: the checkout holding this script)",
    )
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or directories under the root"
    )
    args = parser.parse_args(argv)
    root: Path = args.root
    if not root.is_dir():
        parser.error(f"--root {root}: not a directory")
    hits = scan(root, args.paths or DEFAULT_PATHS)
    for hit in hits:
        print(hit)
    if hits:
        print(f"{len(hits)} citation(s) of files outside the repository or of issue numbers")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
