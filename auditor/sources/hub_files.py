"""Sources stage: one file of a Hub snapshot, from the HF cache or downloaded at the pinned sha
with ``hf_hub_download``, under the byte cap of what the file can legitimately be."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from huggingface_hub import hf_hub_download, try_to_load_from_cache
from huggingface_hub.errors import RemoteEntryNotFoundError

from auditor.models import RepoSnapshot
from auditor.sources import limits
from auditor.sources.hub_errors import offline_refusal
from auditor.sources.hub_records import QuietProgress

if TYPE_CHECKING:
    from auditor.sources.hub import HubSource

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".npz", ".pt", ".pth")


def fetch_file(self: HubSource, snapshot: RepoSnapshot, filename: str) -> Path | None:
    """One file of a snapshot: from the HF cache, else downloaded at the pinned sha."""
    sha, repo_type = str(snapshot.revision), snapshot.kind.value
    cached = try_to_load_from_cache(
        snapshot.repo_id,
        filename,
        cache_dir=self.hf_cache_dir,
        revision=sha,
        repo_type=repo_type,
    )
    if isinstance(cached, str):
        return Path(cached)
    subject = self.subject(snapshot.repo_id, snapshot.kind, sha[:12], filename)
    if self.offline:
        raise offline_refusal(subject.what, f"not in the HF cache ({self.hf_cache_dir})")
    try:
        local = self.retry.call(
            lambda: hf_hub_download(
                snapshot.repo_id,
                filename,
                repo_type=repo_type,
                revision=sha,
                cache_dir=self.hf_cache_dir,
                endpoint=self.endpoint,
                token=self.token_arg,
                etag_timeout=self.timeout,
                tqdm_class=QuietProgress,
            )
        )
    except RemoteEntryNotFoundError:  # listed by the API but gone: the file is absent
        return None
    except Exception as exc:
        failure = self.failure(exc, subject)
    else:
        return Path(local)
    raise failure


def file_cap(self: HubSource, snapshot: RepoSnapshot, filename: str) -> int:
    """What a file can legitimately weigh: a few MB for metadata, the listed size for
    weights (a server that lies in the listing is cut off at what it announced)."""
    if not filename.endswith(WEIGHT_SUFFIXES):
        return limits.METADATA_CAP
    size = self.file_size(snapshot, filename)
    return min(size + limits.MB, limits.WEIGHTS_CAP) if size is not None else limits.WEIGHTS_CAP
