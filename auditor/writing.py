"""Command layer: where rendered reports go (stdout or files, written atomically so CI never
sees half a SARIF file), and the ``--policy-list`` listing.

Formats render; this module only decides where the text goes.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

from auditor.baseline import render_text as render_baseline
from auditor.errors import UsageError
from auditor.files import write_atomic
from auditor.formats import base as formats
from auditor.models import AuditReport
from auditor.policy import PolicySet


def check_stdout(names: Sequence[str], outputs: Sequence[str]) -> None:
    """Refuse two formats on standard output: the reader could not tell where one ends."""
    to_stdout = [n for i, n in enumerate(names) if i >= len(outputs) or outputs[i] == "-"]
    if len(to_stdout) > 1:
        raise UsageError(
            f"{len(to_stdout)} formats ({', '.join(to_stdout)}) would go to standard output, "
            "mixed into one stream: give an --output FILE for each format but one"
        )


def emit(report: AuditReport, names: Sequence[str], outputs: Sequence[str]) -> None:
    """Render each format; the i-th ``--output`` receives the i-th format, the rest go to stdout.

    A file that cannot be written does not stop the others: every output is attempted, then the
    failures end the run as one usage error (exit 2) naming each file and the reason.
    """
    failed: list[str] = []
    for i, name in enumerate(names):
        try:
            formatter = formats.get(name)
        except KeyError as exc:
            raise UsageError(f"unknown format {name!r}") from exc
        text = formatter.render(report)
        if name == "text" and report.baseline is not None:
            text += render_baseline(report)
        if i < len(outputs) and outputs[i] != "-":
            try:
                write_output(Path(outputs[i]), text)
            except UsageError as exc:
                failed.append(str(exc))
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            sys.stdout.flush()
    if failed:
        raise UsageError("; ".join(failed))


def write_output(path: Path, text: str) -> None:
    """Write a report file: atomically when it is a regular file (or new), straight through when
    it is a device, a FIFO or a ``/proc`` descriptor link (``/dev/stdout``, ``>(cmd)``).

    Renaming a temporary file over ``/dev/null`` would replace the device node (as root) and over
    ``/dev/stdout`` the symlink; those are written like a shell redirection would. Any error
    (a directory, no permission, a full disk) is a :class:`UsageError` naming the file.
    """
    try:
        if _special(path):
            with path.open("w", encoding="utf-8") as fh:
                fh.write(text)
        else:  # a link to a regular file: replace the file it names, keep the link
            write_atomic(path.resolve() if path.is_symlink() else path, text)
    except OSError as exc:
        raise UsageError(f"--output {path}: cannot write it ({exc.strerror or exc})") from None


def _special(path: Path) -> bool:
    """Whether ``path`` is not a plain file to be replaced: not regular, or a ``/proc`` fd link."""
    link = os.path.abspath(path)
    for _ in range(40):  # follow the symlink chain by hand: /dev/stdout -> /proc/self/fd/1
        if link.startswith("/proc/"):
            return True
        if not os.path.islink(link):
            break
        link = os.path.abspath(os.path.join(os.path.dirname(link), os.readlink(link)))
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "it is a directory")
    return not stat.S_ISREG(mode)


def print_policy_list(policy: PolicySet) -> None:
    """The effective rules: id, severity (after the profile: ``strict`` raises contested-law
    rules to error, marked ``*``), pack, tags, one per line."""
    from auditor.formats.escape import clean  # pack names and tags come from the pack files

    for rule in policy.rules:
        tags = ",".join(rule.tags)
        severity = rule.override.value + "*" if rule.override else rule.severity.value
        print(clean(f"{rule.id:42} {severity:8} {rule.pack:18} {tags}"))
    raised = sum(rule.override is not None for rule in policy.rules)
    note = f" (* {raised} raised by the profile)" if raised else ""
    print(
        f"{len(policy.rules)} rules, profile {policy.profile}, from {len(policy.sources)} files"
        + note
    )
