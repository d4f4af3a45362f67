"""Render the census report: a self-contained HTML page (inline CSS and SVG charts, no script,
no external resource) and the same content as Markdown. Every value from the dataset (repo ids,
licenses, error text) comes from strangers' repos and is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from auditor.census.report import Answer
from auditor.formats.escape import flatten, md_text

SEVERITY = (("error", "#cf222e"), ("warning", "#d4a72c"), ("note", "#0969da"))
BAR = "#2da44e"
LABEL_W, CHART_W, ROW_H = 300, 420, 22
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1f2328;
max-width:1100px}h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid
#d0d7de}table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #d0d7de;padding:
.25rem .5rem;text-align:left}th{background:#f6f8fa}.totals td{font-size:1.1rem}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem}
"""


def _e(value: Any, limit: int = 120) -> str:
    return html.escape(flatten("" if value is None else value, limit), quote=True)


def bar_chart(rows: Sequence[tuple[Any, Sequence[tuple[int, str]]]]) -> str:
    """Horizontal (stacked) bars: one row per label, segments of (value, colour)."""
    top = max((sum(v for v, _ in segs) for _, segs in rows), default=0) or 1
    height = ROW_H * len(rows) + 4
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{LABEL_W + CHART_W + 80}" '
           f'height="{height}" role="img">']  # fmt: skip
    for i, (label, segs) in enumerate(rows):
        y = i * ROW_H + 2
        out.append(f'<text x="{LABEL_W - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
                   f"{_e(label, 48)}</text>")  # fmt: skip
        x = float(LABEL_W)
        for value, colour in segs:
            w = CHART_W * value / top
            if w > 0:
                out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{ROW_H - 6}" '
                           f'fill="{colour}"/>')  # fmt: skip
            x += w
        total = sum(v for v, _ in segs)
        out.append(f'<text x="{x + 6:.1f}" y="{y + 15}" font-size="12">{total}</text>')
    out.append("</svg>")
    return "".join(out)


def _chart(answer: Answer) -> str:
    rows = answer.rows
    if not rows:
        return "<p>None.</p>"
    if answer.question.chart == "stacked":
        colours = [c for _, c in SEVERITY]
        chart = bar_chart([(r[0], list(zip(r[1:4], colours, strict=True))) for r in rows])
        legend = "".join(f'<span style="background:{c}"></span>{n}' for n, c in SEVERITY)
        return f'<p class="legend">{legend}</p>{chart}'
    if answer.question.chart == "bars":
        return bar_chart([(r[0], [(int(r[1]), BAR)]) for r in rows]) + _table(answer)
    return _table(answer)


def _table(answer: Answer) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in answer.columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>"
                   for row in answer.rows)  # fmt: skip
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _totals(totals: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        ("repos", totals["repos"]),
        ("audited (ok)", totals["ok"]),
        ("findings (not waived)", totals["findings"]),
        ("license-chain findings", totals["leaks"]),
        ("repos with a license-chain finding", totals["leaking_repos"]),
    ]


def render_html(totals: dict[str, Any], answers: Sequence[Answer]) -> str:
    """The self-contained HTML summary."""
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in _totals(totals))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        f"<title>ailiance-audit census</title><style>{CSS}</style></head><body>",
        "<h1>ailiance-audit census</h1>",
        f'<table class="totals">{rows}</table>',
    ]
    for answer in answers:
        parts.append(f'<h2 id="{answer.question.name}">{_e(answer.question.title)}</h2>')
        parts.append(_chart(answer))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def render_markdown(totals: dict[str, Any], answers: Sequence[Answer]) -> str:
    """The same summary as Markdown tables."""
    out = ["# ailiance-audit census", "", "| | |", "| --- | ---: |"]
    out += [f"| {k} | {v} |" for k, v in _totals(totals)]
    for answer in answers:
        out += ["", f"## {answer.question.title}", ""]
        if not answer.rows:
            out.append("None.")
            continue
        out.append("| " + " | ".join(md_text(c) for c in answer.columns) + " |")
        out.append("|" + " --- |" * len(answer.columns))
        for row in answer.rows:
            cells = ("" if v is None else md_text(v, limit=120) for v in row)
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"
