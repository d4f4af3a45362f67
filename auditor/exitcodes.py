"""Command layer: how a run's outcome becomes its exit code (the codes are in
:mod:`auditor.errors`).

:func:`exit_code` folds the per-target outcomes of a report into one code; an internal error in
one target is logged to a file (:func:`target_crashed`) so the user sees one line, exit 4, and
the traceback where a bug report can quote it.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from auditor.baseline import gating
from auditor.errors import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, EXIT_UNRESOLVED
from auditor.models import FAIL_ON, AuditReport, Severity

if TYPE_CHECKING:
    from auditor.models import Target


def exit_code(report: AuditReport, fail_on: str, allow_incomplete: bool = False) -> int:
    """4 if a target failed internally, else 3 if any target was not audited or its audit is
    incomplete (an upstream it could not look at), else 1 if a live finding reaches
    ``fail_on``, else 0.

    With a baseline, only new findings are live (``auditor.baseline.gating``). With
    ``allow_incomplete`` an incomplete audit is only a warning: the exit follows the findings.

    A failed, unresolved or incomplete target outranks findings: "clean" means the audit ran
    completely and found nothing, and the other targets' results are still in the report.
    """
    if any(t.status == "failed" for t in report.targets):
        return EXIT_INTERNAL
    if any(t.status != "audited" for t in report.targets):
        return EXIT_UNRESOLVED
    if not allow_incomplete and any(t.incomplete for t in report.targets):
        return EXIT_UNRESOLVED
    threshold = FAIL_ON[fail_on]
    for target in report.targets:
        for finding in gating(report, target):  # with --baseline: new findings only
            if Severity(finding.severity).rank >= threshold:
                return EXIT_FINDINGS
    return EXIT_OK


def write_crash_log(text: str | None = None) -> str:
    """Write a traceback (the current exception's by default) to a new log file; its path."""
    import tempfile  # a crash only
    import traceback

    fd, path = tempfile.mkstemp(prefix="ailiance-audit-", suffix=".log")
    with os.fdopen(fd, "w") as fh:
        fh.write(traceback.format_exc() if text is None else text)
    return path


def target_crashed(target: Target, text: str) -> None:
    """A target failed internally: traceback to a log, one line to stderr, the run goes on."""
    log = write_crash_log(text)
    print(
        f"ailiance-audit: internal error auditing {target.spec!r}; details in {log}",
        file=sys.stderr,
    )
