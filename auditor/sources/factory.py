"""Sources stage: build the Hub source from command-line options, lazily.

Importing huggingface_hub and building the client costs time a mirror-only audit or a git hook
should not pay, so the Hub source is created the first time a repo is missing from the mirrors.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditor.models import RepoKind, RepoSnapshot
from auditor.sources.base import Source


class LazyHubSource:
    """Stands for the Hub source and creates it on first use (thread-safe)."""

    name = "hub"

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._source: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._source is None:
                self._source = self._make()
            return self._source

    def resolve(self, repo_id: str, kind: RepoKind, revision: str | None) -> RepoSnapshot | None:
        """Resolve on the Hub (creating the client first)."""
        result: RepoSnapshot | None = self._get().resolve(repo_id, kind, revision)
        return result

    def path(self, snapshot: RepoSnapshot, filename: str) -> Path | None:
        """Fetch one file of a Hub snapshot."""
        result: Path | None = self._get().path(snapshot, filename)
        return result

    def read_safetensors_header(self, snapshot: RepoSnapshot, filename: str) -> Any:
        """A safetensors header by HTTP range requests."""
        return self._get().read_safetensors_header(snapshot, filename)


def hub_factory(*, offline: bool) -> Callable[[], Source | None]:
    """A factory for the (lazy) Hub source used after the mirrors."""

    def make() -> Any:
        from huggingface_hub.utils import logging as hf_logging

        from auditor.sources.hub import HubSource

        # Our own messages say what failed; the library's retry warnings would only repeat it.
        hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        return HubSource(offline=offline)

    return lambda: LazyHubSource(make)
