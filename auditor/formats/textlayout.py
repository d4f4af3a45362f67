"""Formats stage: the text report's box tables and trees, and its styles as ANSI SGR codes.

Tables are laid out as the report always had them (rich's defaults for a table with a heavy
head): each column gets its widest cell; when the table is wider than the terminal the widest
columns give up width first, down to the next widest, then all of them evenly; cells wrap
within their column. Trees put a child under its parent with ``├── ``/``└── `` guides.
"""

from __future__ import annotations

from collections.abc import Sequence

from auditor.formats.textcells import Line, Styled, measure, wrap


def _span(text: Styled, width: int) -> tuple[int, int]:
    """A padded cell's (narrowest, natural) width, as wide as ``width`` at most."""
    if width < 1:
        return 0, 0
    if width < 3:
        return width, width
    low, high = measure(text)
    high = min(high, width)
    low = min(max(low, 0), high)
    if high < 1:
        low = high = 0
    return min(low + 2, width), min(high + 2, width)


def _shrink(widths: list[int], room: int) -> list[int]:
    """Column widths cut down to ``room`` cells: the widest give up width first, down to the
    next widest, then (if that is not enough) every column evenly."""
    excess = sum(widths) - room
    while excess > 0:
        widest = max(widths)
        runner_up = max((w for w in widths if w != widest), default=0)
        if widest == runner_up:
            break
        cap = min(excess, widest - runner_up)
        widths = _reduce(excess, [int(w == widest) for w in widths], cap, widths)
        excess = sum(widths) - room
    if excess > 0:
        widths = _reduce(excess, [1] * len(widths), None, widths)
    return widths


def _reduce(total: int, ratios: list[int], cap: int | None, widths: list[int]) -> list[int]:
    """Take ``total`` cells off ``widths`` in proportion to ``ratios`` (at most ``cap`` or the
    width itself from each), rounding as Python's ``round`` does."""
    caps = [cap if cap is not None else w for w in widths]
    ratios = [r if c else 0 for r, c in zip(ratios, caps, strict=True)]
    left, out = sum(ratios), []
    if not left:
        return widths[:]
    for ratio, width, most in zip(ratios, widths, caps, strict=True):
        if ratio and left > 0:
            taken = min(most, round(ratio * total / left))
            out.append(width - taken)
            total -= taken
            left -= ratio
        else:
            out.append(width)
    return out


def table(header: Sequence[Styled], rows: Sequence[Sequence[Styled]], width: int) -> list[Line]:
    """A box-drawn table (heavy head, light body) at most ``width`` cells wide; each cell has
    one blank of padding on either side and wraps within its column."""
    room = width - len(header) - 1  # the borders
    spans = [[_span(cell, room) for cell in column] for column in zip(header, *rows, strict=True)]
    widths = [min(max(high for _, high in col), max(room, 0)) or 1 for col in spans]
    if sum(widths) > room:
        widths = _shrink(widths, room)
    out = [[("┏" + "┳".join("━" * w for w in widths) + "┓", "")]]
    out += _row(header, widths, "┃", top=False)
    out.append([("┡" + "╇".join("━" * w for w in widths) + "┩", "")])
    for row in rows:
        out += _row(row, widths, "│", top=True)
    out.append([("└" + "┴".join("─" * w for w in widths) + "┘", "")])
    return out


def _row(cells: Sequence[Styled], widths: list[int], edge: str, top: bool) -> list[Line]:
    """One table row; cells shorter than the tallest get blank lines below (above: ``top``
    false, as under a header)."""
    columns = []
    for cell, width in zip(cells, widths, strict=True):
        if width < 3:
            lines = [[(" " * width, "")]]
        else:
            lines = [[(" ", ""), *line, (" ", "")] for line in wrap(cell, width - 2, pad=True)]
        columns.append(lines)
    height = max(map(len, columns))
    for lines, width in zip(columns, widths, strict=True):
        blank = [[(" " * width, "")] for _ in range(height - len(lines))]
        lines[:] = lines + blank if top else blank + lines
    out = []
    for i in range(height):
        line: Line = [(edge, "")]
        for lines in columns:
            line += lines[i]
            line.append((edge, ""))
        out.append(line)
    return out


class TreeNode:
    """A label and the nodes drawn under it."""

    __slots__ = ("children", "label")

    def __init__(self, label: Styled) -> None:
        self.label = label
        self.children: list[TreeNode] = []

    def add(self, label: Styled) -> TreeNode:
        """A new child, drawn after the ones added before it."""
        child = TreeNode(label)
        self.children.append(child)
        return child


def tree(root: TreeNode, width: int) -> list[Line]:
    """The tree drawn with guides, a label wrapping under its own guide (iterative: a lineage
    can be deeper than Python's recursion limit).

    A node whose guide leaves no room for its label (at depth width/4) is not drawn, nor
    anything under it, as rich never drew it: a line would be guides only. The JSON, HTML and
    Markdown reports carry the whole graph.
    """
    out: list[Line] = []
    stack = [(root, "", "")]
    while stack:
        node, first, rest = stack.pop()
        room = width - len(first)  # guides are one cell each
        if room < 1:
            continue
        for i, line in enumerate(wrap(node.label, room)):
            out.append([(rest if i else first, ""), *line] if first else line)
        kids = node.children
        for i in range(len(kids) - 1, -1, -1):
            last = i == len(kids) - 1
            branch, stem = ("└── ", "    ") if last else ("├── ", "│   ")
            stack.append((kids[i], rest + branch, rest + stem))
    return out


_SGR = {
    "bold": "1",
    "dim": "2",
    "italic": "3",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "cyan": "36",
    "bold red": "1;31",
    "bold dim": "1;2",
}


def to_text(lines: Sequence[Line], color: bool) -> str:
    """The lines as terminal text; styles become ANSI SGR sequences only with ``color``."""
    if not color:
        return "".join("".join(t for t, _ in line) + "\n" for line in lines)
    out = []
    for line in lines:
        for text, style in line:
            out.append(f"\x1b[{_SGR[style]}m{text}\x1b[0m" if style and text else text)
        out.append("\n")
    return "".join(out)
