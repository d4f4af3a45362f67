"""Output plumbing for the CLI: target parsing, atomic writes, the exit code of a run.

Formats render; this module only decides where the text goes (stdout or files, written
atomically so CI never sees half a SARIF file) and folds per-target outcomes into one exit code.
"""

from __future__ import annotations

import argparse
import errno
import fnmatch
import os
import re
import socket
import stat
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from auditor.baseline import gating
from auditor.baseline import render_text as render_baseline
from auditor.errors import (
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_UNRESOLVED,
    TargetError,
    UsageError,
)
from auditor.formats import base as formats
from auditor.models import FAIL_ON, AuditReport, Severity, Target
from auditor.policy import PolicySet
from auditor.sources.base import parse_target

# A comment runs from a '#' at the start of a line or after a space to the end of the line.
_COMMENT = re.compile(r"(^|\s)#.*$")


def targets_from(specs: Sequence[str], revision: str | None) -> list[Target]:
    """Parse every command-line target (a usage error names the bad one)."""
    return [parse_target(spec, revision) for spec in specs]


def expand_targets(args: argparse.Namespace) -> list[Target]:
    """Command-line targets, then ``--from-file`` lines, then ``--author`` repos; no duplicates."""
    specs = list(args.targets)
    if args.from_file:
        try:
            lines = Path(args.from_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--from-file {args.from_file}: {exc}") from exc
        specs += [spec for spec in (_COMMENT.sub("", ln).strip() for ln in lines) if spec]
    if args.filter and not args.author:
        raise UsageError("--filter needs --author")
    if args.author:
        specs += _author_repos(args)
    return targets_from(list(dict.fromkeys(specs)), args.revision)


def _author_repos(args: argparse.Namespace) -> list[str]:
    """``--author ORG``: the org's folders in the mirrors when they have it, else the Hub's list.

    Online, the Hub's host name is resolved first: without DNS the listing fails at once with
    the reason (exit 3) instead of retrying a connection that cannot be made.
    """
    mirrors = [*args.mirror, *os.environ.get("AILIANCE_AUDIT_MIRROR", "").split(os.pathsep)]
    found = sorted(
        f"{args.author}/{d.name}"
        for m in mirrors
        if m and (Path(m) / args.author).is_dir()
        for d in (Path(m) / args.author).iterdir()
        if d.is_dir() and not d.name.startswith(".")
    )
    if found:
        pattern = args.filter
        return [r for r in found if pattern is None or _matches(r, pattern)]
    from auditor.models import RepoKind
    from auditor.sources.hub import HubSource

    offline = args.offline or os.environ.get("HF_HUB_OFFLINE", "") in ("1", "true", "True")
    if not offline:
        _resolve_endpoint()
    return HubSource(offline=offline).list_author(args.author, RepoKind.MODEL, args.filter)


def _matches(repo_id: str, pattern: str) -> bool:
    return any(fnmatch.fnmatchcase(n, pattern) for n in (repo_id, repo_id.split("/")[-1]))


def _resolve_endpoint() -> None:
    """Fail fast when the Hub's host name does not resolve (no network, no DNS)."""
    url = urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    try:
        socket.getaddrinfo(url.hostname or "", url.port or 443)
    except (OSError, UnicodeError) as exc:
        raise TargetError(
            f"--author: cannot resolve {url.hostname} ({exc}); give --mirror DIR holding "
            f"the org's folders, or --offline to use a recorded listing",
            reason="network",
        ) from None


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


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same directory and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates 0600; a report is an ordinary file, so honour the umask like open().
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
