"""The terminal report: drawn without rich, in colour only on a terminal, laid out as rich did.

rich cost a card-only audit more CPU (its import and its layout engine) than the report is
worth; ``formats/textcells.py`` and ``formats/textlayout.py`` draw the same bytes. rich stays a
dependency (the census progress bar), which lets these tests hold our layout to rich's own on
generated text: word wrapping, box tables, tree guides.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from format_cases import CASES
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from auditor.formats import text as text_format
from auditor.formats.textcells import Styled, crop, wrap
from auditor.formats.textlayout import TreeNode, table, to_text, tree

ROOT = Path(__file__).resolve().parents[2]
SGR = re.compile(r"\x1b\[[0-9;]*m")


def test_card_only_text_audit_imports_no_rich() -> None:
    """The README's first command, as typed (``python -m auditor``): the text report is drawn
    and nothing of rich is imported."""
    code = (
        "import runpy, sys\n"
        "sys.argv = ['auditor', '--offline', '--mirror', 'examples/hub',"
        " 'Ailiance-fr/apertus-math-lora', '--verify', 'none']\n"
        "try:\n"
        "    runpy.run_module('auditor', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('RICH', sorted(m for m in sys.modules if m.split('.')[0] == 'rich'),"
        " file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=env,
    )
    assert "RICH []" in done.stderr, done.stderr[-2000:]
    assert "card claims vs adapter" in done.stdout
    assert "┏" in done.stdout and "└── adapter_of" in done.stdout


class _Stdout(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty", [True, False])
def test_colour_only_when_stdout_is_a_terminal(monkeypatch: pytest.MonkeyPatch, tty: bool) -> None:
    monkeypatch.setattr(sys, "stdout", _Stdout(tty))
    monkeypatch.setattr(shutil, "get_terminal_size", lambda *_: os.terminal_size((110, 24)))
    out = text_format.TextFormatter().render(CASES["adapter"]())
    assert ("\x1b[" in out) is tty


def test_colour_is_sgr_around_the_same_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a 110-column terminal the coloured report is the plain one plus SGR sequences, and
    only ours: a finding's severity in its colour, reset after each piece."""
    monkeypatch.setattr(shutil, "get_terminal_size", lambda *_: os.terminal_size((110, 24)))
    for make in CASES.values():
        report = make()
        plain = text_format.TextFormatter(color=False).render(report)
        coloured = text_format.TextFormatter(color=True).render(report)
        assert "\x1b" not in plain
        assert SGR.sub("", coloured) == plain
        assert "\x1b" not in SGR.sub("", coloured)
        codes = {m.group() for m in SGR.finditer(coloured)}
        assert codes <= {f"\x1b[{c}m" for c in ("0", "1", "2", "3", "31", "32", "33", "36",
                                                "1;31", "1;2")}
    assert "\x1b[1;31merror\x1b[0m" in text_format.TextFormatter(color=True).render(
        CASES["adapter"]()
    )


def test_colour_takes_the_terminal_width_and_plain_text_110(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "get_terminal_size", lambda *_: os.terminal_size((72, 24)))
    report = CASES["adapter"]()
    coloured = SGR.sub("", text_format.TextFormatter(color=True).render(report)).splitlines()
    plain = text_format.TextFormatter(color=False).render(report).splitlines()
    assert max(map(len, coloured)) == 72
    assert max(map(len, plain)) == 110


# --- our layout against rich's, on generated text ----------------------------------------------

# Words, blanks, tabs, newlines, long tokens; wide, combining and ellipsis characters whose
# widths our table and rich's agree on (Unicode 14 and older).
_TOKENS = st.sampled_from(
    ["a", "bc", "def", "ghij", "-", "/", ":", " ", "  ", "\t", "\n", "x" * 23, "y" * 70,
     "日本", "é", "e\u0301", "…", "×", "Ω", "ж", "\u200b"]
)
_TEXT = st.lists(_TOKENS, max_size=40).map("".join)
_WIDTHS = st.integers(1, 120)


def _rich(renderable: object, width: int) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None, highlight=False, emoji=False,
                      markup=False)
    console.print(renderable)
    return buf.getvalue()


def _plain(text: str) -> Styled:
    return ((text, ""),)


@settings(max_examples=300, deadline=None)
@given(_TEXT, _WIDTHS)
def test_wrap_is_richs(text: str, width: int) -> None:
    assert to_text(wrap(_plain(text), width), False) == _rich(Text(text), width)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5).flatmap(
    lambda n: st.tuples(st.lists(_TEXT, min_size=n, max_size=n),
                        st.lists(st.lists(_TEXT, min_size=n, max_size=n), max_size=4))
), _WIDTHS)
def test_table_is_richs(cells: tuple[list[str], list[list[str]]], width: int) -> None:
    header, rows = cells
    reference = Table(show_header=True, expand=False)
    for h in header:
        reference.add_column(h, overflow="fold")
    for row in rows:
        reference.add_row(*row)
    ours = table([_plain(h) for h in header], [[_plain(c) for c in row] for row in rows], width)
    # the report cuts lines at the width, as rich's console does (only a table narrower than
    # its borders overflows)
    assert to_text([crop(line, width) for line in ours], False) == _rich(reference, width)


_TREES = st.recursive(
    st.tuples(_TEXT, st.just(())),
    lambda kids: st.tuples(_TEXT, st.lists(kids, max_size=3).map(tuple)),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_TREES, _WIDTHS)
def test_tree_is_richs(shape: tuple[str, tuple[Any, ...]], width: int) -> None:
    ours, reference = TreeNode(_plain(shape[0])), Tree(Text(shape[0]))
    todo = [(ours, reference, shape[1])]
    while todo:
        mine, theirs, kids = todo.pop()
        for label, grandkids in kids:
            todo.append((mine.add(_plain(label)), theirs.add(Text(label)), grandkids))
    assert to_text(tree(ours, width), False) == _rich(reference, width)
