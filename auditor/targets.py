"""Which targets a run audits: command-line specs, ``--from-file`` lines, ``--author`` repos.

``--author`` lists the org's folders in the mirrors when they have it, else asks the Hub. The
audit command and the census expand targets the same way through :func:`expand_targets`; both
hand it plain values.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from auditor.errors import TargetError, UsageError
from auditor.lazyre import lazy
from auditor.models import RepoKind, Target
from auditor.sources.base import parse_target
from auditor.sources.offline import offline_from_env

# A comment runs from a '#' at the start of a line or after a space to the end of the line.
_COMMENT = lazy(r"(^|\s)#.*$")


def targets_from(specs: Sequence[str], revision: str | None) -> list[Target]:
    """Parse every command-line target (a usage error names the bad one)."""
    return [parse_target(spec, revision) for spec in specs]


def expand_targets(
    specs: Sequence[str],
    revision: str | None = None,
    *,
    from_file: str | None = None,
    author: str | None = None,
    pattern: str | None = None,
    mirrors: Sequence[str] = (),
    offline: bool = False,
) -> list[Target]:
    """Command-line targets, then ``--from-file`` lines, then ``--author`` repos (those matching
    the ``--filter`` ``pattern``); no duplicates."""
    specs = list(specs)
    if from_file:
        try:
            lines = Path(from_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--from-file {from_file}: {exc}") from exc
        specs += [spec for spec in (_COMMENT.sub("", ln).strip() for ln in lines) if spec]
    if pattern and not author:
        raise UsageError("--filter needs --author")
    if author:
        specs += _author_repos(author, pattern, mirrors, offline)
    return targets_from(list(dict.fromkeys(specs)), revision)


def _author_repos(
    author: str, pattern: str | None, mirrors: Sequence[str], offline: bool
) -> list[str]:
    """``--author ORG``: the org's folders in the mirrors when they have it, else the Hub's list.

    Online, the Hub's host name is resolved first: without DNS the listing fails at once with
    the reason (exit 3) instead of retrying a connection that cannot be made.
    """
    roots = [*mirrors, *os.environ.get("AILIANCE_AUDIT_MIRROR", "").split(os.pathsep)]
    found = sorted(
        f"{author}/{d.name}"
        for m in roots
        if m and (Path(m) / author).is_dir()
        for d in (Path(m) / author).iterdir()
        if d.is_dir() and not d.name.startswith(".")
    )
    if found:
        return [r for r in found if pattern is None or _matches(r, pattern)]
    from auditor.sources.hub import HubSource

    offline = offline or offline_from_env()
    if not offline:
        _resolve_endpoint()
    return HubSource(offline=offline).list_author(author, RepoKind.MODEL, pattern)


def _matches(repo_id: str, pattern: str) -> bool:
    return any(fnmatch.fnmatchcase(n, pattern) for n in (repo_id, repo_id.split("/")[-1]))


def _resolve_endpoint() -> None:
    """Fail fast when the Hub's host name does not resolve (no network, no DNS)."""
    import socket  # --author online only

    url = urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    try:
        socket.getaddrinfo(url.hostname or "", url.port or 443)
    except (OSError, UnicodeError) as exc:
        raise TargetError(
            f"--author: cannot resolve {url.hostname} ({exc}); give --mirror DIR holding "
            f"the org's folders, or --offline to use a recorded listing",
            reason="network",
        ) from None
