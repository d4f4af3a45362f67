"""Sources stage: turn huggingface_hub failures into TargetErrors a user can act on.

The cases (docs/hub.md): not found, gated (which terms, and that a token is needed), private,
rate limited (429, Retry-After honoured), 5xx / timeouts / resets / truncated bodies after
bounded retries with backoff. Messages never contain a token: every text that may carry server
output goes through :func:`redact` first.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from huggingface_hub.errors import (
    DisabledRepoError,
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from auditor.errors import TargetError
from auditor.sources.limits import describe

T = TypeVar("T")

TOKEN_HINT = "set HF_TOKEN or run `hf auth login`"
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
# Hub user tokens ("hf_" + 34 letters) and bearer headers, whatever token they carry.
_TOKEN_SHAPES = re.compile(r"hf_[A-Za-z0-9]{8,}|(?i:bearer)\s+\S+")


def offline_refusal(what: str, missing: str) -> TargetError:
    """The one refusal of every Hub helper in offline mode: what was wanted, where it was not."""
    return TargetError(
        f"{what}: {missing} and offline mode is on (HF_HUB_OFFLINE=1 or --offline)",
        reason="offline",
    )


def redact(text: str, token: str | None) -> str:
    """``text`` with the token (and anything shaped like one) replaced by ``***``."""
    if token:
        text = text.replace(token, "***")
    return _TOKEN_SHAPES.sub("***", text)


def status_of(exc: BaseException) -> int | None:
    """HTTP status of a huggingface_hub error, looking through ``__cause__`` chains."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, HfHubHTTPError) and current.response is not None:
            return int(current.response.status_code)
        current = current.__cause__ or current.__context__
    return None


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (``Retry-After``: delta-seconds or an HTTP date)."""
    response = exc.response if isinstance(exc, HfHubHTTPError) else None
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _is_transport_type(exc: BaseException) -> bool:
    # httpx (huggingface_hub 1.x) and httpx2 (2.x) both root timeouts, resets and truncated
    # bodies at a class named TransportError; matching by name keeps us off either package.
    return any(
        cls.__name__ == "TransportError" and cls.__module__.startswith("httpx")
        for cls in type(exc).__mro__
    )


def _transport_in_chain(exc: BaseException) -> BaseException | None:
    current: BaseException | None = exc
    for _ in range(8):
        if current is None:
            return None
        if _is_transport_type(current):
            return current
        current = current.__cause__ or current.__context__
    return None


def is_transport(exc: BaseException) -> bool:
    """Timeouts, resets and truncated bodies (httpx transport errors), possibly wrapped."""
    return _transport_in_chain(exc) is not None


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff; ``Retry-After`` wins when the server sends it."""

    retries: int = 4
    backoff: float = 0.5
    max_wait: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn``, retrying 429 / 5xx / transport errors; re-raise the last failure."""
        attempt = 0
        while True:
            try:
                return fn()
            except Exception as exc:
                wait = self._wait(exc, attempt)
                if wait is None:
                    raise
            attempt += 1
            self.sleep(wait)

    def _wait(self, exc: Exception, attempt: int) -> float | None:
        if attempt >= self.retries:
            return None
        if isinstance(exc, LocalEntryNotFoundError | OfflineModeIsEnabled):
            return None  # huggingface_hub already retried the HEAD call itself
        status = status_of(exc) if isinstance(exc, HfHubHTTPError) else None
        if status is None and not is_transport(exc):
            return None
        if status is not None and status not in RETRYABLE_STATUS:
            return None
        asked = retry_after(exc) if status == 429 else None
        if asked is not None:
            return asked if asked <= self.max_wait else None  # too long: report, do not hang
        return float(min(self.max_wait, self.backoff * (2**attempt)))


@dataclass(frozen=True)
class Subject:
    """What was being fetched, for messages: ``model 'org/name'`` and where to ask for access."""

    what: str
    page: str
    token: str | None
    terms: str | None = None


def classify(exc: BaseException, subject: Subject, offline: bool = False) -> TargetError:
    """The TargetError for a failure (callers turn a plain 404 on the repo into ``None``)."""
    tok = subject.token
    server = redact(_server_message(exc), tok)
    status = status_of(exc)
    if isinstance(exc, RevisionNotFoundError):
        return TargetError(f"{subject.what}: revision not found on the Hub", reason="not-found")
    if isinstance(exc, GatedRepoError):
        return _gated(subject, server)
    if isinstance(exc, DisabledRepoError):
        return TargetError(f"{subject.what}: access to this repo is disabled", reason="private")
    if isinstance(exc, OfflineModeIsEnabled) or (
        offline and isinstance(exc, LocalEntryNotFoundError)
    ):
        return offline_refusal(subject.what, "not in the local caches")
    if status == 401 and "invalid credentials" in server.lower():
        return TargetError(
            f"{subject.what}: the Hub rejected the token (from HF_TOKEN or the "
            "saved login) as invalid; renew it or run `hf auth login`",
            reason="auth",
        )
    if status == 404:
        return TargetError(f"{subject.what}: not found on the Hub", reason="not-found")
    if status == 401 or (isinstance(exc, RepositoryNotFoundError) and status is None):
        hint = TOKEN_HINT if tok is None else "check that your token can read it"
        return TargetError(
            f"{subject.what}: not found, or private (the Hub answers 401 to both "
            f"for requests without access); if it is private, {hint}",
            reason="private",
        )
    if status == 403:
        return TargetError(
            f"{subject.what}: access forbidden (HTTP 403) for this token; it is "
            f"private or needs permissions the token lacks. {server}".strip(),
            reason="private",
        )
    if status == 429:
        wait = retry_after(exc)
        after = f"; the Hub asks to retry after {wait:.0f} s" if wait is not None else ""
        return TargetError(
            f"{subject.what}: rate limited by the Hub (HTTP 429) after bounded retries{after}",
            reason="rate-limited",
        )
    limit = describe(exc)
    if limit is not None:
        return TargetError(f"{subject.what}: {redact(limit, tok)}", reason="network")
    detail = f"HTTP {status}" if status is not None else _transport_text(exc, tok)
    return TargetError(
        f"{subject.what}: network failure after bounded retries ({detail})", reason="network"
    )


def _gated(subject: Subject, server: str) -> TargetError:
    terms = f" Its terms: {subject.terms}" if subject.terms else ""
    return TargetError(
        f"{subject.what} is gated: accept its terms at {subject.page} and authenticate "
        f"({TOKEN_HINT}; the token is never printed).{terms}".rstrip(),
        reason="gated",
    )


def _server_message(exc: BaseException) -> str:
    if isinstance(exc, HfHubHTTPError):
        return str(exc.server_message or "")
    return ""


def _transport_text(exc: BaseException, token: str | None) -> str:
    inner = _transport_in_chain(exc)  # report the transport error itself, e.g. ReadTimeout
    name = type(inner if inner is not None else exc).__name__
    if isinstance(exc, OSError) and "Consistency check failed" in str(exc):
        name = "truncated body"
    return redact(name, token)
