"""The read-only status page: recent jobs with verdict, PR link, time and HTML report link.

Repo names and errors come from webhooks and the Hub: everything is HTML-escaped, and the page
forbids scripts and remote content with the same kind of Content-Security-Policy as the report.
"""

from __future__ import annotations

import datetime as dt
import html

from auditor.models import RepoKind
from auditor.serve.store import Job

CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _row(job: Job, endpoint: str) -> str:
    prefix = "datasets/" if job.kind == RepoKind.DATASET else ""
    url = f"{endpoint}/{prefix}{job.repo}/discussions/{job.pr}"
    report = (
        f'<a href="status/report/{job.id}">report</a>'
        if job.state in ("commenting", "posting", "done", "failed", "superseded") and job.verdict
        else ""
    )
    cells = [
        str(job.id),
        f'<a href="{html.escape(url)}">{html.escape(job.repo)}#{job.pr}</a>',
        html.escape((job.sha or "")[:12]),
        html.escape(job.state),
        html.escape(job.verdict or ""),
        _when(job.updated),
        report,
        html.escape((job.error or "")[:200]),
    ]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def page(jobs: list[Job], endpoint: str) -> str:
    """The whole page, newest job first."""
    head = "".join(
        f"<th>{h}</th>"
        for h in ("job", "pull request", "sha", "state", "verdict", "updated", "", "note")
    )
    rows = "".join(_row(j, endpoint) for j in jobs) or '<tr><td colspan="8">no jobs yet</td></tr>'
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/>'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}"/>'
        "<title>ailiance-audit gate</title>"
        "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:left}</style>"
        f"</head><body><h1>ailiance-audit gate: recent audits</h1><table><tr>{head}</tr>"
        f"{rows}</table></body></html>"
    )
