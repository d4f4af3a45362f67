"""Sources stage: safetensors headers of Hub files without downloading the weights
(``--verify header``): from our cache, the HF cache, or HTTP range requests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from huggingface_hub.errors import SafetensorsParsingError

from auditor.models import RepoSnapshot
from auditor.safetensors_header import HeaderError, read_header_json
from auditor.sources.hub_errors import offline_refusal
from auditor.sources.hub_files import call_or_absent, in_hf_cache

if TYPE_CHECKING:
    from auditor.sources.hub import HubSource


class HeaderReader:
    """Reads headers from our cache, the HF cache, or the Hub (range requests), in that order."""

    def __init__(self, source: HubSource) -> None:
        self.source = source

    def read(self, snapshot: RepoSnapshot, filename: str) -> dict[str, Any] | None:
        """The header, cached by (kind, repo, sha, file) once read."""
        src, sha = self.source, str(snapshot.revision)
        key = (snapshot.kind, snapshot.repo_id, sha, filename)
        cached = src.meta.get_header(*key)
        if cached is not None:
            return cached
        local = in_hf_cache(src, snapshot, filename)
        if local is not None:
            header = read_header_json(local)
        else:
            remote = self._remote(snapshot, filename)
            if remote is None:
                return None
            header = remote
        src.meta.put_header(*key, header)
        return header

    def _remote(self, snapshot: RepoSnapshot, filename: str) -> dict[str, Any] | None:
        src, sha = self.source, str(snapshot.revision)
        subject = src.subject(snapshot.repo_id, snapshot.kind, sha[:12], filename)
        if src.offline:
            raise offline_refusal(subject.what, "safetensors header not cached")

        def parse() -> Any:  # a header the Hub library cannot parse is returned, not retried
            try:
                return src.api.parse_safetensors_file_metadata(
                    snapshot.repo_id,
                    filename,
                    repo_type=snapshot.kind.value,
                    revision=sha,
                    token=src.token_arg,
                    timeout=src.timeout,
                )
            except SafetensorsParsingError as exc:
                return HeaderError("header-invalid", f"{filename}: {exc}")

        meta = call_or_absent(src, parse, subject)
        if isinstance(meta, HeaderError):
            raise meta
        return None if meta is None else _as_header(meta)


def _as_header(meta: Any) -> dict[str, Any]:
    """huggingface_hub's parsed metadata back in the file's own JSON shape."""
    header: dict[str, Any] = {"__metadata__": dict(meta.metadata)} if meta.metadata else {}
    for name, info in sorted(meta.tensors.items()):
        header[name] = {
            "dtype": info.dtype,
            "shape": list(info.shape),
            "data_offsets": list(info.data_offsets),
        }
    return header
