"""The Hub side of the gate, through huggingface_hub: who the bot is, the PR, its one comment.

The comment is found by its hidden marker (``<!-- ailiance-audit:gate pr=N sha=SHA -->``) among
the PR's comments *written by the bot account* (``whoami``): a marker pasted by someone else is
ignored, so nobody can make the bot skip or hijack a pull request. Finding the comment on the Hub
every time (rather than trusting a stored id) is what makes restarts and ambiguous failures (a 5xx
after the Hub stored the comment) never double-post.

Failures become :class:`HubFailure`: ``retryable`` for 429, 5xx and transport errors (with the
server's ``Retry-After``), permanent otherwise (e.g. 403: the token cannot write discussions).
Messages go through :func:`auditor.sources.hub_errors.redact`: the token never reaches a log.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from huggingface_hub import HfApi
from huggingface_hub.community import DiscussionComment

from auditor.models import RepoKind
from auditor.sources.hub_errors import (
    RETRYABLE_STATUS,
    is_transport,
    redact,
    retry_after,
    status_of,
)

T = TypeVar("T")
MARKER = "<!-- ailiance-audit:gate pr={pr} sha={sha} -->"
_MARKER = re.compile(r"<!-- ailiance-audit:gate pr=(\d+) sha=([0-9a-f]{40}) -->")


class HubFailure(Exception):
    """A Hub call failed; ``retryable`` says whether trying again later may help."""

    def __init__(self, message: str, *, retryable: bool, wait: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.wait = wait


@dataclass(frozen=True)
class PullRequest:
    """What the gate needs of a PR: its state, base branch and the bot's comment, if any."""

    status: str
    base: str
    comment_id: str | None = None
    comment_sha: str | None = None


def marker(pr: int, sha: str) -> str:
    """The hidden marker tying a comment to a PR head."""
    return MARKER.format(pr=pr, sha=sha)


class HubClient:
    """Discussion calls of one bot account (the token is only handed to huggingface_hub)."""

    def __init__(self, endpoint: str | None, token: str | None, timeout: float = 20.0) -> None:
        self._token = token
        self.api = HfApi(endpoint=endpoint, token=token or False)
        self.timeout = timeout
        self._bot: str | None = None
        self._lock = threading.Lock()

    def bot_name(self) -> str:
        """The bot account's user name (asked once; whoami is strictly rate-limited)."""
        with self._lock:
            if self._bot is None:
                info = self._call(lambda: self.api.whoami(cache=True), "whoami")
                self._bot = str(info.get("name") or "")
            return self._bot

    def head_sha(self, kind: RepoKind, repo_id: str, pr: int) -> str:
        """The commit ``refs/pr/N`` points at now."""
        info_fn = self.api.model_info if kind == RepoKind.MODEL else self.api.dataset_info
        info = self._call(
            lambda: info_fn(repo_id, revision=f"refs/pr/{pr}", timeout=self.timeout),
            f"{kind.value} {repo_id} refs/pr/{pr}",
        )
        if not info.sha:
            raise HubFailure(f"{repo_id} refs/pr/{pr}: no commit sha", retryable=True)
        return str(info.sha)

    def pull_request(self, kind: RepoKind, repo_id: str, pr: int) -> PullRequest:
        """The PR's status, base branch and the bot's comment (by marker), read from the Hub."""
        bot = self.bot_name()
        details = self._call(
            lambda: self.api.get_discussion_details(repo_id, pr, repo_type=kind.value),
            f"{repo_id} discussion {pr}",
        )
        base = (details.target_branch or "refs/heads/main").removeprefix("refs/heads/")
        for event in details.events:
            if not isinstance(event, DiscussionComment) or event.hidden or event.author != bot:
                continue
            found = _MARKER.search(event.content or "")
            if found and int(found.group(1)) == pr:
                return PullRequest(details.status, base, event.id, found.group(2))
        return PullRequest(details.status, base)

    def post(self, kind: RepoKind, repo_id: str, pr: int, body: str, comment_id: str | None) -> str:
        """Edit the bot's comment in place, or post it the first time; returns its id."""
        where = f"{repo_id} discussion {pr}"
        if comment_id is not None:
            self._call(
                lambda: self.api.edit_discussion_comment(
                    repo_id, pr, comment_id, body, repo_type=kind.value
                ),
                where,
            )
            return comment_id
        made = self._call(
            lambda: self.api.comment_discussion(repo_id, pr, body, repo_type=kind.value), where
        )
        return str(made.id)

    def _call(self, fn: Callable[[], T], what: str) -> T:
        try:
            return fn()
        except Exception as exc:
            failure = self._failure(exc, what)
        raise failure  # outside the except: the server's text must not ride along as context

    def _failure(self, exc: Exception, what: str) -> HubFailure:
        status = status_of(exc)
        first = (str(exc).splitlines() or [""])[0][:200]
        text = redact(f"{what}: {type(exc).__name__}: {first}", self._token)
        if status is not None:
            retryable = status in RETRYABLE_STATUS
            return HubFailure(f"HTTP {status}, {text}", retryable=retryable, wait=retry_after(exc))
        if is_transport(exc) or isinstance(exc, OSError):
            return HubFailure(text, retryable=True)
        raise exc  # a bug, not the Hub: let the worker's guard report it
