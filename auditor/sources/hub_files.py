"""Sources stage: one file of a Hub snapshot, from the HF cache or downloaded at the pinned sha
with ``hf_hub_download``, under the byte cap of what the file can legitimately be."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from huggingface_hub import hf_hub_download, try_to_load_from_cache
from huggingface_hub.errors import RemoteEntryNotFoundError

from auditor.models import RepoSnapshot
from auditor.sources import limits
from auditor.sources.hub_errors import Subject, offline_refusal
from auditor.sources.hub_records import QuietProgress

if TYPE_CHECKING:
    from auditor.sources.hub import HubSource

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".npz", ".pt", ".pth")
T = TypeVar("T")


def in_hf_cache(src: HubSource, snapshot: RepoSnapshot, filename: str) -> Path | None:
    """The file in the HF cache at the snapshot's sha, or None when it is not there."""
    found = try_to_load_from_cache(
        snapshot.repo_id,
        filename,
        cache_dir=src.hf_cache_dir,
        revision=str(snapshot.revision),
        repo_type=snapshot.kind.value,
    )
    return Path(found) if isinstance(found, str) else None


def call_or_absent(src: HubSource, fn: Callable[[], T], subject: Subject) -> T | None:
    """A Hub call about one file, with retries: None when the Hub says the file is not there
    (listed by the API but gone), a classified TargetError for any other Hub failure."""
    try:
        return src.retry.call(fn)
    except RemoteEntryNotFoundError:
        return None
    except Exception as exc:
        failure = src.failure(exc, subject)  # raised outside the except: no server text chained
    raise failure


def fetch_file(self: HubSource, snapshot: RepoSnapshot, filename: str) -> Path | None:
    """One file of a snapshot: from the HF cache, else downloaded at the pinned sha."""
    cached = in_hf_cache(self, snapshot, filename)
    if cached is not None:
        return cached
    sha = str(snapshot.revision)
    subject = self.subject(snapshot.repo_id, snapshot.kind, sha[:12], filename)
    if self.offline:
        raise offline_refusal(subject.what, f"not in the HF cache ({self.hf_cache_dir})")
    local = call_or_absent(
        self,
        lambda: hf_hub_download(
            snapshot.repo_id,
            filename,
            repo_type=snapshot.kind.value,
            revision=sha,
            cache_dir=self.hf_cache_dir,
            endpoint=self.endpoint,
            token=self.token_arg,
            etag_timeout=self.timeout,
            tqdm_class=QuietProgress,
        ),
        subject,
    )
    return None if local is None else Path(local)


def file_cap(self: HubSource, snapshot: RepoSnapshot, filename: str) -> int:
    """What a file can legitimately weigh: a few MB for metadata, the listed size for
    weights (a server that lies in the listing is cut off at what it announced)."""
    if not filename.endswith(WEIGHT_SUFFIXES):
        return limits.METADATA_CAP
    size = self.file_size(snapshot, filename)
    return min(size + limits.MB, limits.WEIGHTS_CAP) if size is not None else limits.WEIGHTS_CAP
