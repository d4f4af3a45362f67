"""Sources stage: the Hugging Face Hub, through huggingface_hub only.

``HubSource`` resolves a repo id at a revision (branch, tag, sha or ``refs/pr/N``) to a snapshot
pinned to the commit sha the Hub answered, with the file listing and the gated flag from
``HfApi.model_info`` / ``dataset_info``. Files are fetched one by one, on demand, with
``hf_hub_download`` pinned to that sha (so the base model's weights are never downloaded unless a
stage asks for that very file). API answers are kept in a small JSON cache (``cache.py``); files
in the HF cache. Offline (``offline=True`` or ``HF_HUB_OFFLINE=1``) answers only from both caches.
Every lookup is single-flight: the graph walk may call ``resolve`` and ``path`` from many threads,
and a repo or file is fetched once per run.

Failures become :class:`auditor.errors.TargetError` with a ``reason`` (``hub_errors.py``);
a plain 404 on the repo makes ``resolve`` return ``None`` so the resolver reports not-found.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from huggingface_hub import HfApi, constants
from huggingface_hub.errors import (
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from auditor.errors import TargetError
from auditor.models import RepoKind, RepoSnapshot, is_repo_id
from auditor.sources import limits
from auditor.sources.cache import MetaCache, SingleFlight, default_cache_dir
from auditor.sources.hf_cache import HfCacheIndex
from auditor.sources.hub_errors import RetryPolicy, Subject, classify, offline_refusal, status_of
from auditor.sources.hub_files import fetch_file, file_cap
from auditor.sources.hub_headers import HeaderReader
from auditor.sources.hub_listing import list_author
from auditor.sources.hub_records import (
    FULL_SHA,
    checked_record,
    default_hf_cache,
    gate_terms,
    is_hub_failure,
    pick_token,
    safe_name,
)
from auditor.sources.hub_transport import install as install_limits
from auditor.sources.offline import offline_from_env

T = TypeVar("T")


class HubSource:
    """Repos on the Hub (or any Hub-compatible endpoint), pinned to commit shas.

    Args:
        endpoint: Hub URL; default ``$HF_ENDPOINT``, else huggingface.co.
        token: ``None`` uses huggingface_hub's lookup (``HF_TOKEN``, then the saved login);
            ``False`` sends no token; a string is used as is. Never printed.
        offline: answer only from the caches; ``HF_HUB_OFFLINE=1`` forces it on.
        cache_dir: our API-answer cache; default ``$HF_HOME/ailiance-audit``.
        hf_cache_dir: the huggingface_hub file cache; default ``$HF_HUB_CACHE``.
        ref_max_age: seconds a cached ref → sha answer is trusted online (0: always ask the Hub
            which sha a branch or tag is at; answers for a sha are always reused).
        timeout: seconds per HTTP request.
        retry: retries, backoff and maximum wait for 429 / 5xx / transport failures.
    """

    name = "hub"

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        token: str | bool | None = None,
        offline: bool | None = None,
        cache_dir: Path | str | None = None,
        hf_cache_dir: Path | str | None = None,
        ref_max_age: float = 0.0,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip(
            "/"
        )
        self._token = pick_token(token)
        self.offline = bool(offline) or offline_from_env() or constants.is_offline_mode()
        self.meta = MetaCache(Path(cache_dir) if cache_dir else default_cache_dir(), clock)
        self.hf_cache_dir = Path(hf_cache_dir) if hf_cache_dir else default_hf_cache()
        self.ref_max_age = ref_max_age
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.api = HfApi(endpoint=self.endpoint, token=self._token or False)
        self._flight = SingleFlight()
        self._records: dict[tuple[RepoKind, str, str], dict[str, Any]] = {}
        self._records_lock = threading.Lock()
        self._headers = HeaderReader(self)
        self._hf_index = HfCacheIndex(self.hf_cache_dir)
        install_limits()

    @property
    def authenticated(self) -> bool:
        """Whether requests carry a token (the token itself is never exposed)."""
        return self._token is not None

    # ------------------------------------------------------------------ Source protocol

    def resolve(self, repo_id: str, kind: RepoKind, revision: str | None) -> RepoSnapshot | None:
        """The repo at ``revision`` (default branch when ``None``), pinned to its sha.

        ``None`` when the Hub says 404; :class:`TargetError` when it exists but cannot be had.
        """
        if not is_repo_id(repo_id):
            return None
        key = ("resolve", kind, repo_id, revision)
        with limits.scope(limits.API_CAP):
            return self._flight.run(key, lambda: self._resolve(repo_id, kind, revision))

    def path(self, snapshot: RepoSnapshot, filename: str) -> Path | None:
        """Local path of one file of the snapshot, downloaded at the pinned sha if needed.

        ``None`` when the snapshot has no such file; raises :class:`TargetError` when the file
        cannot be had (gated, network, or offline and not in the HF cache).
        """
        if filename not in snapshot.files or not snapshot.revision or not safe_name(filename):
            return None
        key = ("file", snapshot.kind, snapshot.repo_id, snapshot.revision, filename)
        with limits.scope(file_cap(self, snapshot, filename)):
            return self._flight.run(key, lambda: fetch_file(self, snapshot, filename))

    # ------------------------------------------------------------------ extras

    def read_safetensors_header(
        self, snapshot: RepoSnapshot, filename: str
    ) -> dict[str, Any] | None:
        """The JSON header of a safetensors file, read with HTTP range requests (``--verify
        header``): ``{tensor: {"dtype", "shape", "data_offsets"}, "__metadata__": {...}}``.

        ``None`` when the snapshot has no such file; raises :class:`TargetError` when it cannot
        be read and :class:`auditor.safetensors_header.HeaderError` when the header is malformed.
        """
        if filename not in snapshot.files or not snapshot.revision:
            return None
        key = ("header", snapshot.kind, snapshot.repo_id, snapshot.revision, filename)
        with limits.scope(limits.METADATA_CAP):  # each range request is capped at its range
            return self._flight.run(key, lambda: self._headers.read(snapshot, filename))

    def card_data(self, snapshot: RepoSnapshot) -> dict[str, Any] | None:
        """The card's front matter as the Hub API parsed it (useful when README is gated)."""
        record = self._record(snapshot)
        data = record.get("card_data") if record else None
        return data if isinstance(data, dict) else None

    def file_size(self, snapshot: RepoSnapshot, filename: str) -> int | None:
        """Size in bytes of a file of the snapshot, from the API listing."""
        record = self._record(snapshot)
        size = (record or {}).get("sizes", {}).get(filename)
        return int(size) if isinstance(size, int) else None

    def list_author(
        self, author: str, kind: RepoKind = RepoKind.MODEL, pattern: str | None = None
    ) -> list[str]:
        """Sorted ids of ``author``'s repos (``--author``), filtered by an fnmatch ``pattern``
        on the id, the name or any tag (``--filter``)."""
        with limits.scope(limits.API_CAP):
            return list_author(self, author, kind, pattern)

    # ------------------------------------------------------------------ internals

    def subject(
        self, repo_id: str, kind: RepoKind, revision: str | None = None, filename: str | None = None
    ) -> Subject:
        """Message context for errors about a repo (or one of its files)."""
        at = f"@{revision}" if revision else ""
        what = f"{kind.value} {repo_id!r}{at}" + (f" file {filename!r}" if filename else "")
        return self.make_subject(
            what, self.page(repo_id, kind), gate_terms(self._records_for(kind, repo_id))
        )

    def make_subject(self, what: str, page: str, terms: str | None = None) -> Subject:
        """Message context carrying the token to redact (never shown)."""
        return Subject(what, page, self._token, terms)

    def page(self, repo_id: str, kind: RepoKind) -> str:
        """The repo's page on the endpoint."""
        prefix = "datasets/" if kind == RepoKind.DATASET else ""
        return f"{self.endpoint}/{prefix}{repo_id}"

    def call(self, fn: Callable[[], T], subject: Subject) -> T:
        """Run a huggingface_hub call with retries; failures become TargetErrors."""
        try:
            return self.retry.call(fn)
        except Exception as exc:
            failure = self.failure(exc, subject)
        raise failure

    def failure(self, exc: Exception, subject: Subject) -> TargetError:
        """The TargetError for a Hub failure; anything else (a bug) propagates unchanged.

        Callers raise it *after* their ``except`` block: the original error may carry server
        text (even an echoed token), so it must not ride along as ``__context__``.
        """
        if isinstance(exc, KeyError | TypeError | AttributeError):
            # huggingface_hub could not build its objects from the answer (no ``id``, a string
            # where an object belongs): the server's fault, never a crash of the audit.
            return TargetError(
                f"{subject.what}: the Hub's answer is malformed ({type(exc).__name__})",
                reason="malformed",
            )
        if not is_hub_failure(exc):
            raise exc
        return classify(exc, subject, self.offline)

    @property
    def token_arg(self) -> str | bool:
        """What to pass as ``token=`` to huggingface_hub (``False``: no implicit token)."""
        return self._token or False

    def _resolve(self, repo_id: str, kind: RepoKind, revision: str | None) -> RepoSnapshot | None:
        record = self._cached(repo_id, kind, revision)
        if record is None and self.offline:
            record = self._hf_index.record(repo_id, kind, revision)  # e.g. filled by `hf download`
        if record is None:
            if self.offline:
                at = revision or "its default branch"
                caches = f"({self.meta.root}, {self.hf_cache_dir})"
                raise offline_refusal(
                    f"{kind.value} {repo_id!r} at {at}",
                    f"in neither the mirrors nor the caches {caches}",
                )
            record = self._fetch_info(repo_id, kind, revision)
            if record is None:
                return None
            self.meta.put(kind, repo_id, revision, record)
        with self._records_lock:
            self._records[(kind, repo_id, str(record["sha"]))] = record
        return RepoSnapshot(
            repo_id=repo_id,
            kind=kind,
            origin="cache" if self.offline else "hub",
            location=self.page(repo_id, kind),
            revision=str(record["sha"]),
            files=tuple(record.get("files", ())),
            gated=bool(record.get("gated")),
            ref=revision,
        )

    def _cached(self, repo_id: str, kind: RepoKind, revision: str | None) -> dict[str, Any] | None:
        if revision and FULL_SHA.fullmatch(revision):
            return self.meta.get_commit(kind, repo_id, revision)
        if not self.offline and self.ref_max_age <= 0:
            return None  # a branch or tag may have moved: ask the Hub which sha it is at now
        sha = self.meta.get_ref(kind, repo_id, revision, None if self.offline else self.ref_max_age)
        return self.meta.get_commit(kind, repo_id, sha) if sha else None

    def _fetch_info(
        self, repo_id: str, kind: RepoKind, revision: str | None
    ) -> dict[str, Any] | None:
        info_fn = self.api.model_info if kind == RepoKind.MODEL else self.api.dataset_info
        subject = self.subject(repo_id, kind, revision)
        try:
            info = self.retry.call(
                lambda: info_fn(
                    repo_id,
                    revision=revision,
                    files_metadata=True,
                    timeout=self.timeout,
                    token=self.token_arg,
                )
            )
        except Exception as exc:
            if (
                isinstance(exc, RepositoryNotFoundError)
                and status_of(exc) == 404
                and not isinstance(exc, RevisionNotFoundError)
            ):
                return None  # the resolver reports not-found
            failure = self.failure(exc, subject)
        else:
            return checked_record(repo_id, kind, info, subject.what)
        raise failure

    def _record(self, snapshot: RepoSnapshot) -> dict[str, Any] | None:
        if not snapshot.revision:
            return None
        key = (snapshot.kind, snapshot.repo_id, snapshot.revision)
        with self._records_lock:
            record = self._records.get(key)
        return record or self.meta.get_commit(*key)

    def _records_for(self, kind: RepoKind, repo_id: str) -> list[dict[str, Any]]:
        with self._records_lock:
            items = list(self._records.items())
        return [r for (k, rid, _), r in items if k == kind and rid == repo_id]
