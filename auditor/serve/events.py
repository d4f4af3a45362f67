"""Webhook payloads -> the pull-request heads to audit (the Hub's webhooks guide, version 3).

What is audited:

- ``event.scope == "discussion"`` with ``discussion.isPullRequest`` true, status ``open`` or
  ``draft``, action ``create`` or ``update``: the PR's current head (sha looked up later, by the
  worker) against ``discussion.changes.base``;
- ``event.scope == "repo.content"`` (action ``update``): every entry of the top-level
  ``updatedRefs`` whose ``ref`` is ``refs/pr/N`` and whose ``newSha`` is a commit (not ``null``,
  a deleted ref): that PR pinned to ``newSha``.

Everything else is accepted and ignored with a reason (the guide says new scopes appear):
other scopes, discussions that are not pull requests, closed or merged PRs, Spaces, branch and tag
updates. A payload that is not a JSON object with ``event`` and ``repo`` of the documented types
is malformed (:class:`BadPayload`, HTTP 400). Payloads come from the network: sizes are capped by
the app, values are checked for shape here, and nothing in them is trusted beyond that.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from auditor.models import RepoKind, is_repo_id

_PR_REF = re.compile(r"^refs/pr/([1-9][0-9]{0,8})$")
_SHA = re.compile(r"^[0-9a-f]{40}$")
_BRANCH = re.compile(r"^refs/heads/([A-Za-z0-9][A-Za-z0-9._/-]{0,199})$")
_OPEN = ("open", "draft")


class BadPayload(ValueError):
    """The body is not a webhook payload of the documented shape (HTTP 400)."""


@dataclass(frozen=True)
class PrHead:
    """One pull-request head to audit; ``sha`` None means "whatever refs/pr/N is now"."""

    kind: RepoKind
    repo_id: str
    pr: int
    sha: str | None = None
    base: str | None = None  # a branch name ("main"), from discussion.changes.base


@dataclass(frozen=True)
class Parsed:
    """The heads a payload asks for, or why it asks for none."""

    heads: tuple[PrHead, ...] = ()
    ignored: str | None = None


def parse(body: bytes) -> Parsed:
    """Read a webhook body; raises :class:`BadPayload` when it is not a documented payload."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadPayload(f"not JSON ({type(exc).__name__})") from exc
    if not isinstance(data, dict):
        raise BadPayload("not a JSON object")
    event, repo = data.get("event"), data.get("repo")
    if not isinstance(event, dict) or not isinstance(repo, dict):
        raise BadPayload("'event' and 'repo' must be objects")
    scope, action = event.get("scope"), event.get("action")
    if not isinstance(scope, str) or not isinstance(action, str):
        raise BadPayload("'event.scope' and 'event.action' must be strings")
    rtype, name = repo.get("type"), repo.get("name")
    if not isinstance(rtype, str) or not isinstance(name, str):
        raise BadPayload("'repo.type' and 'repo.name' must be strings")
    if scope == "discussion":
        return _discussion(data, action, rtype, name)
    if scope == "repo.content":
        return _content(data, rtype, name)
    return Parsed(ignored=f"scope {_short(scope)!r} is not audited")


def _kind(rtype: str, name: str) -> RepoKind | str:
    """The repo kind, or the reason it is not audited."""
    if rtype not in ("model", "dataset"):
        return f"repo type {_short(rtype)!r} is not audited"
    if not is_repo_id(name) or "/" not in name:
        return f"repo name {_short(name)!r} is not a Hub repo id"
    return RepoKind(rtype)


def _discussion(data: dict[str, Any], action: str, rtype: str, name: str) -> Parsed:
    disc = data.get("discussion")
    if not isinstance(disc, dict):
        raise BadPayload("scope 'discussion' without a 'discussion' object")
    if disc.get("isPullRequest") is not True:
        return Parsed(ignored="discussion is not a pull request")
    num = disc.get("num")
    if not isinstance(num, int) or isinstance(num, bool) or not 0 < num < 10**9:
        raise BadPayload("'discussion.num' must be a positive integer")
    if action not in ("create", "update"):
        return Parsed(ignored=f"discussion action {_short(action)!r} is not audited")
    status = disc.get("status")
    if status not in _OPEN:
        return Parsed(ignored=f"pull request status {_short(str(status))!r} is not open")
    kind = _kind(rtype, name)
    if not isinstance(kind, RepoKind):  # (RepoKind is a str too: test for it first)
        return Parsed(ignored=kind)
    changes = disc.get("changes")
    base = changes.get("base") if isinstance(changes, dict) else None
    match = _BRANCH.match(base) if isinstance(base, str) else None
    return Parsed(heads=(PrHead(kind, name, num, None, match.group(1) if match else None),))


def _content(data: dict[str, Any], rtype: str, name: str) -> Parsed:
    refs = data.get("updatedRefs")
    if not isinstance(refs, list):
        return Parsed(ignored="repo.content event without updatedRefs")
    heads = []
    for item in refs[:100]:
        if not isinstance(item, dict):
            raise BadPayload("'updatedRefs' entries must be objects")
        ref, new = item.get("ref"), item.get("newSha")
        match = _PR_REF.match(ref) if isinstance(ref, str) else None
        if match and isinstance(new, str) and _SHA.match(new):
            heads.append((int(match.group(1)), new))
    if not heads:
        return Parsed(ignored="no pull-request ref with a new commit in updatedRefs")
    kind = _kind(rtype, name)
    if not isinstance(kind, RepoKind):  # (RepoKind is a str too: test for it first)
        return Parsed(ignored=kind)
    return Parsed(heads=tuple(PrHead(kind, name, pr, sha) for pr, sha in heads))


def _short(text: str) -> str:
    """Payload text for a log line: bounded, one line."""
    return text[:60].replace("\n", " ")
