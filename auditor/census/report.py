"""Read a census dataset back with DuckDB: the views, the report's queries, ``--sql``.

The Parquet files are queried in place (no import step). Three views hide the history a resumed
or incremental run leaves: ``repos`` keeps the newest row of each id, ``findings`` and ``edges``
keep the rows of that revision. The report's questions are SQL held here as data, so a reader
can paste any of them into their own DuckDB, Spark or pandas session.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from auditor.census.schema import SCHEMAS, TABLES
from auditor.census.store import SUFFIX

LATEST = """
CREATE VIEW repos AS
SELECT * EXCLUDE (newest) FROM (
  SELECT *, row_number() OVER (PARTITION BY id ORDER BY audited_at DESC, sha) AS newest
  FROM raw_repos) WHERE newest = 1;
CREATE VIEW findings AS
SELECT f.* FROM raw_findings f JOIN repos r ON f.repo = r.id AND f.sha IS NOT DISTINCT FROM r.sha;
CREATE VIEW edges AS
SELECT e.* FROM raw_edges e JOIN repos r ON e.repo = r.id AND e.sha IS NOT DISTINCT FROM r.sha;
"""
LEAK = "list_contains(f.tags, 'license-chain') AND NOT f.suppressed"


@dataclass(frozen=True)
class Question:
    """One section of the report: a title, its SQL, how to chart it."""

    name: str
    title: str
    sql: str
    chart: str = "bars"  # bars: (label, value) | stacked: (label, error, warning, note) | table


QUESTIONS = (
    Question("status", "Repos by status",
             "SELECT status, count(*) AS repos FROM repos GROUP BY status ORDER BY repos DESC, "
             "status"),
    Question("rules", "Rules by count and severity",
             "SELECT rule, count(*) FILTER (severity = 'error') AS error, "
             "count(*) FILTER (severity = 'warning') AS warning, "
             "count(*) FILTER (severity = 'note') AS note FROM findings WHERE NOT suppressed "
             "AND severity <> 'info' GROUP BY rule ORDER BY error + warning + note DESC, rule "
             "LIMIT 25", "stacked"),
    Question("leaks_family", "License-chain findings by base license family",
             "SELECT coalesce(r.base_family, '(no base)') AS base_family, count(*) AS findings, "
             "count(DISTINCT r.id) AS repos FROM findings f JOIN repos r ON f.repo = r.id "
             f"WHERE {LEAK} GROUP BY 1 ORDER BY findings DESC, 1 LIMIT 20"),
    Question("leaks_license", "License-chain findings by the repo's license",
             "SELECT coalesce(r.license, '(none)') AS license, count(*) AS findings, "
             "count(DISTINCT r.id) AS repos FROM findings f JOIN repos r ON f.repo = r.id "
             f"WHERE {LEAK} GROUP BY 1 ORDER BY findings DESC, 1 LIMIT 20"),
    Question("relations", "Relation to the base",
             "SELECT coalesce(relation, '(not audited)') AS relation, count(*) AS repos "
             "FROM repos GROUP BY 1 ORDER BY repos DESC, 1"),
    Question("most_errors", "Repos with the most errors",
             "SELECT id, errors, warnings, license, base FROM repos WHERE errors > 0 "
             "ORDER BY errors DESC, warnings DESC, id LIMIT 15", "table"),
    Question("largest", "Largest lineages",
             "SELECT id, nodes, (SELECT count(*) FROM edges e WHERE e.repo = r.id) AS edges, "
             "base FROM repos r ORDER BY nodes DESC, id LIMIT 15", "table"),
    Question("failures", "Why repos could not be audited",
             "SELECT coalesce(split_part(error, ':', 1), '(none)') AS reason, count(*) AS repos "
             "FROM repos WHERE status <> 'ok' GROUP BY 1 ORDER BY repos DESC, 1 LIMIT 15",
             "table"),
)  # fmt: skip


@dataclass(frozen=True)
class Answer:
    """A question's result: column names and rows."""

    question: Question
    columns: list[str]
    rows: list[tuple[Any, ...]]


def connect(root: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the dataset's tables as views (empty tables where none yet)."""
    con = duckdb.connect(":memory:")
    for name in TABLES:
        files = sorted(str(p) for p in (root / name).glob(f"*{SUFFIX}"))
        if files:
            listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            con.execute(f"CREATE VIEW raw_{name} AS SELECT * FROM "
                        f"read_parquet([{listed}], union_by_name=true)")  # fmt: skip
        else:
            empty = SCHEMAS[name].empty_table()  # noqa: F841 (read by DuckDB's replacement scan)
            con.execute(f"CREATE TABLE raw_{name} AS SELECT * FROM empty")
    con.execute(LATEST)
    return con


def ask(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one query; its column names and rows."""
    cur = con.execute(sql)
    return [d[0] for d in cur.description or ()], cur.fetchall()


def answers(root: Path) -> tuple[dict[str, Any], list[Answer]]:
    """The report's totals and every question's answer."""
    con = connect(root)
    try:
        _, rows = ask(con, "SELECT count(*), count(*) FILTER (status = 'ok'), "
                      "(SELECT count(*) FROM findings WHERE NOT suppressed), "
                      "(SELECT count(*) FROM findings f WHERE " + LEAK + "), "
                      "(SELECT count(DISTINCT f.repo) FROM findings f WHERE " + LEAK + ") "
                      "FROM repos")  # fmt: skip
        keys = ("repos", "ok", "findings", "leaks", "leaking_repos")
        totals = dict(zip(keys, rows[0], strict=True))
        return totals, [Answer(q, *ask(con, q.sql)) for q in QUESTIONS]
    finally:
        con.close()


def query_text(root: Path, sql: str) -> str:
    """``--sql``: the result as a plain text table (tab-separated, header first)."""
    con = connect(root)
    try:
        columns, rows = ask(con, sql)
    except duckdb.Error as exc:
        from auditor.errors import UsageError

        raise UsageError(f"--sql: {exc}") from exc
    finally:
        con.close()
    lines = ["\t".join(columns)]
    lines += ["\t".join("" if v is None else str(v) for v in row) for row in rows]
    return "\n".join(lines)
