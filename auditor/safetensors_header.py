"""The one bounded reader for safetensors headers: hostile files become ``HeaderError``, never
crashes. Below the stages that read headers: the Hub source (a file in the HF cache, a header
fetched by range requests) and the verify stage.

Format (https://huggingface.co/docs/safetensors, "Format"): an 8-byte little-endian unsigned
header length N, N bytes of UTF-8 JSON mapping tensor names to ``{"dtype", "shape",
"data_offsets": [begin, end]}`` (offsets relative to the byte after the header) plus an optional
``"__metadata__"`` string map, then the data buffer. We read at most ``MAX_HEADER_BYTES`` of
JSON, allocate nothing proportional to declared shapes (products are Python ints), and apply the
reference implementation's rules: offsets contiguous from 0, each tensor's byte size equal to
its shape times its dtype size, the last offset equal to the buffer size.

The same validation runs on a header fetched over HTTP (``header_from_dict``), e.g. the
``tensors`` of huggingface_hub's ``parse_safetensors_file_metadata`` turned back into a dict.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

MAX_HEADER_BYTES = 16 * 1024 * 1024
"""Cap on the JSON header (the reference implementation caps it at 100 MB; adapters need KBs)."""

MAX_TENSORS = 200_000
"""Cap on the number of entries: far above any real adapter (a 70B all-linear LoRA has ~1.2k)."""

MAX_RANK = 8
"""Cap on the number of dimensions of one tensor."""

DTYPE_BITS: dict[str, int] = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32, "C64": 64,
    "I64": 64, "U64": 64, "F64": 64,
    "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}  # fmt: skip
"""Element sizes of the dtypes the safetensors specification (0.6+) defines."""

HeaderProblem = Literal["header-invalid", "header-too-large", "offsets-invalid", "dtype-invalid"]


class HeaderError(ValueError):
    """A safetensors header that cannot be trusted; ``kind`` is an ``EvidenceProblem`` kind."""

    def __init__(self, kind: HeaderProblem, message: str) -> None:
        super().__init__(message)
        self.kind: HeaderProblem = kind
        self.message = message


@dataclass(frozen=True)
class TensorInfo:
    """One header entry, validated."""

    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int

    @property
    def numel(self) -> int:
        """Number of elements (1 for a scalar)."""
        return math.prod(self.shape)


@dataclass(frozen=True)
class SafetensorsHeader:
    """A validated header: tensors in file order of their offsets, plus ``__metadata__``."""

    tensors: dict[str, TensorInfo]
    metadata: dict[str, str] = field(default_factory=dict)
    header_bytes: int = 0
    data_bytes: int | None = None


def read_header(path: Path, *, max_header_bytes: int = MAX_HEADER_BYTES) -> SafetensorsHeader:
    """Read and validate the header of the safetensors file at ``path``.

    Raises ``HeaderError`` for anything hostile or broken and ``OSError`` if the file cannot
    be read at all.
    """
    raw, data_bytes = _read_raw(path, max_header_bytes)
    return parse_header_bytes(raw, data_bytes=data_bytes)


def read_header_json(path: Path, *, max_header_bytes: int = MAX_HEADER_BYTES) -> dict[str, Any]:
    """The header of the file at ``path`` as its JSON object, read under the same bounds as
    :func:`read_header` (for a caller that stores the JSON and validates it later with
    :func:`header_from_dict`)."""
    doc = _decode(_read_raw(path, max_header_bytes)[0])
    if not isinstance(doc, dict):
        raise HeaderError("header-invalid", "header JSON is not an object")
    return doc


def _read_raw(path: Path, max_header_bytes: int) -> tuple[bytes, int]:
    """The header bytes and the size of the data buffer after them."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        prefix = fh.read(8)
        if len(prefix) < 8:
            raise HeaderError(
                "header-invalid", f"file is {size} bytes, shorter than the 8-byte prefix"
            )
        (length,) = struct.unpack("<Q", prefix)
        if length > max_header_bytes:
            raise HeaderError(
                "header-too-large",
                f"header length claims {length} bytes (cap {max_header_bytes})",
            )
        if 8 + length > size:
            raise HeaderError(
                "header-invalid",
                f"header length {length} exceeds the file ({size} bytes): truncated file",
            )
        raw = fh.read(length)
    return raw, size - 8 - length


def parse_header_bytes(raw: bytes, *, data_bytes: int | None) -> SafetensorsHeader:
    """Validate raw header bytes (the N bytes after the length prefix)."""
    header = header_from_dict(_decode(raw), data_bytes=data_bytes)
    return SafetensorsHeader(header.tensors, header.metadata, len(raw), data_bytes)


def _decode(raw: bytes) -> object:
    """The JSON of raw header bytes (UTF-8, an object first, no duplicate keys)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HeaderError("header-invalid", f"header is not UTF-8: {exc.reason}") from None
    if not text.startswith("{"):
        # the specification requires the JSON to start with '{' (and allows trailing spaces)
        raise HeaderError("header-invalid", "header does not start with '{'")
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as exc:
        raise HeaderError("header-invalid", f"header is not valid JSON: {exc}") from None
    return doc


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def header_from_dict(doc: object, *, data_bytes: int | None = None) -> SafetensorsHeader:
    """Validate a parsed header (name -> entry, plus ``__metadata__``).

    ``data_bytes`` is the size of the data buffer when known (a local file): offsets are then
    checked against it; over HTTP pass ``None`` and only the offsets' mutual consistency is
    checked.
    """
    if not isinstance(doc, Mapping):
        raise HeaderError("header-invalid", "header JSON is not an object")
    if len(doc) > MAX_TENSORS + 1:
        raise HeaderError(
            "header-too-large", f"header lists {len(doc)} entries (cap {MAX_TENSORS})"
        )
    metadata = _metadata(doc.get("__metadata__"))
    tensors = {name: _entry(name, entry) for name, entry in doc.items() if name != "__metadata__"}
    ordered = dict(sorted(tensors.items(), key=lambda kv: (kv[1].begin, kv[1].end, kv[0])))
    _check_offsets(ordered, data_bytes)
    return SafetensorsHeader(ordered, metadata, 0, data_bytes)


def _metadata(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise HeaderError("header-invalid", "__metadata__ must map strings to strings")
    return dict(value)


def _is_int(value: object) -> bool:
    # bool is an int subclass in Python; JSON true/false are not valid dimensions or offsets
    return isinstance(value, int) and not isinstance(value, bool)


def _entry(name: str, entry: object) -> TensorInfo:
    if not isinstance(entry, Mapping):
        raise HeaderError("header-invalid", f"tensor {name!r}: entry is not an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        raise HeaderError("dtype-invalid", f"tensor {name!r}: unknown dtype {dtype!r}")
    if (
        not isinstance(shape, list)
        or len(shape) > MAX_RANK
        or not all(_is_int(d) and d >= 0 for d in shape)
    ):
        raise HeaderError("header-invalid", f"tensor {name!r}: invalid shape {shape!r:.80}")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(_is_int(o) and o >= 0 for o in offsets)
        or offsets[0] > offsets[1]
    ):
        raise HeaderError(
            "offsets-invalid", f"tensor {name!r}: invalid data_offsets {offsets!r:.80}"
        )
    info = TensorInfo(dtype, tuple(shape), offsets[0], offsets[1])
    bits = info.numel * DTYPE_BITS[dtype]
    if bits % 8 or bits // 8 != info.end - info.begin:
        raise HeaderError(
            "offsets-invalid",
            f"tensor {name!r}: {dtype}{list(shape)} needs {bits / 8:g} bytes, "
            f"data_offsets span {info.end - info.begin}",
        )
    return info


def _check_offsets(ordered: Mapping[str, TensorInfo], data_bytes: int | None) -> None:
    # the reference implementation requires the tensors to tile the buffer exactly, in order
    expected = 0
    for name, info in ordered.items():
        if info.begin != expected:
            what = "overlaps the previous tensor" if info.begin < expected else "leaves a gap"
            raise HeaderError("offsets-invalid", f"tensor {name!r}: data_offsets {what}")
        expected = info.end
    if data_bytes is not None and expected != data_bytes:
        raise HeaderError(
            "offsets-invalid",
            f"tensors cover {expected} bytes but the data buffer has {data_bytes}"
            + (" (truncated file)" if data_bytes < expected else ""),
        )
