"""The bounded safetensors header reader: real files, hostile headers, fuzzing."""

from __future__ import annotations

import contextlib
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import save, save_file

from auditor.safetensors_header import (
    DTYPE_BITS,
    HeaderError,
    header_from_dict,
    parse_header_bytes,
    read_header,
)

from .helpers import EXAMPLE_HUB


def write_raw(path: Path, header: bytes, data: bytes = b"", length: int | None = None) -> Path:
    path.write_bytes(struct.pack("<Q", len(header) if length is None else length) + header + data)
    return path


def header_json(entries: dict[str, Any]) -> bytes:
    return json.dumps(entries).encode()


def test_reads_a_file_written_by_the_safetensors_library(tmp_path: Path) -> None:
    tensors = {"b": np.zeros((3, 2), np.float16), "a": np.ones((4,), np.float32)}
    save_file(tensors, str(tmp_path / "x.safetensors"), metadata={"format": "mlx"})
    header = read_header(tmp_path / "x.safetensors")
    assert header.metadata == {"format": "mlx"}
    assert {n: (t.dtype, t.shape) for n, t in header.tensors.items()} == {
        "a": ("F32", (4,)),
        "b": ("F16", (3, 2)),
    }
    assert header.data_bytes == 4 * 4 + 3 * 2 * 2


def test_reads_the_example_adapter() -> None:
    header = read_header(EXAMPLE_HUB / "Ailiance-fr" / "apertus-math-lora" / "adapters.safetensors")
    shapes = {n: t.shape for n, t in header.tensors.items()}
    assert shapes["model.layers.78.self_attn.q_proj.lora_a"] == (8192, 16)
    assert shapes["model.layers.79.self_attn.v_proj.lora_b"] == (16, 1024)
    assert len(shapes) == 8


@pytest.mark.parametrize(
    ("header", "data", "length", "kind"),
    [
        (b"{}", b"", 2**40, "header-too-large"),  # length claiming a terabyte
        (b"{}", b"", 2**64 - 1, "header-too-large"),
        (b'{"a": {"dtype": "F32"', b"", 4096, "header-invalid"),  # truncated header
        (b"{not json}", b"", None, "header-invalid"),
        (b"\xff\xfe{}", b"", None, "header-invalid"),
        (b" {}", b"", None, "header-invalid"),  # must start with '{'
        (b"[]", b"", None, "header-invalid"),
        (b'{"a": 1, "a": 2}', b"", None, "header-invalid"),  # duplicate keys
        (b"{" * 5000 + b"}" * 5000, b"", None, "header-invalid"),
    ],
)
def test_hostile_prefix_and_json(
    tmp_path: Path, header: bytes, data: bytes, length: int | None, kind: str
) -> None:
    with pytest.raises(HeaderError) as err:
        read_header(write_raw(tmp_path / "h.safetensors", header, data, length))
    assert err.value.kind == kind


def test_file_shorter_than_prefix(tmp_path: Path) -> None:
    (tmp_path / "s.safetensors").write_bytes(b"\x01\x02")
    with pytest.raises(HeaderError) as err:
        read_header(tmp_path / "s.safetensors")
    assert err.value.kind == "header-invalid" and "shorter" in err.value.message


def entry(
    dtype: str = "F16", shape: list[Any] | None = None, offsets: list[Any] | None = None
) -> dict[str, Any]:
    return {
        "dtype": dtype,
        "shape": [2, 2] if shape is None else shape,
        "data_offsets": [0, 8] if offsets is None else offsets,
    }


@pytest.mark.parametrize(
    ("entries", "data_bytes", "kind"),
    [
        ({"a": entry(dtype="F17")}, 8, "dtype-invalid"),
        ({"a": entry(dtype=None)}, 8, "dtype-invalid"),
        ({"a": entry(shape=[2, -2])}, 8, "header-invalid"),
        ({"a": entry(shape=[True, 2])}, 8, "header-invalid"),
        ({"a": entry(shape=[2.0, 2])}, 8, "header-invalid"),
        ({"a": entry(shape=[1] * 9)}, 2, "header-invalid"),
        ({"a": "not an object"}, 8, "header-invalid"),
        ({"a": entry(offsets=[8, 0])}, 8, "offsets-invalid"),
        ({"a": entry(offsets=[0])}, 8, "offsets-invalid"),
        ({"a": entry(offsets=[0, 6])}, 6, "offsets-invalid"),  # size disagrees with the shape
        ({"a": entry(), "b": entry(offsets=[4, 12])}, 12, "offsets-invalid"),  # overlap
        ({"a": entry(), "b": entry(offsets=[12, 20])}, 20, "offsets-invalid"),  # gap
        ({"a": entry()}, 4, "offsets-invalid"),  # truncated data
        ({"a": entry()}, 100, "offsets-invalid"),  # trailing bytes
        ({"a": entry(shape=[2**62, 2**62], offsets=[0, 8])}, 8, "offsets-invalid"),
        ({"__metadata__": {"k": 1}, "a": entry()}, 8, "header-invalid"),
    ],
)
def test_hostile_entries(entries: dict[str, Any], data_bytes: int, kind: str) -> None:
    with pytest.raises(HeaderError) as err:
        header_from_dict(entries, data_bytes=data_bytes)
    assert err.value.kind == kind


def test_offsets_are_checked_against_the_real_file(tmp_path: Path) -> None:
    blob = save({"a": np.zeros((16, 16), np.float32)})
    (tmp_path / "t.safetensors").write_bytes(blob[:-10])  # truncated data
    with pytest.raises(HeaderError) as err:
        read_header(tmp_path / "t.safetensors")
    assert err.value.kind == "offsets-invalid" and "truncated" in err.value.message


def test_over_http_offsets_only_checked_mutually() -> None:
    header = header_from_dict({"x": entry(), "y": entry(offsets=[8, 16])}, data_bytes=None)
    assert list(header.tensors) == ["x", "y"]


def test_zero_sized_tensors_and_sub_byte_dtypes() -> None:
    header = header_from_dict(
        {
            "e": entry(shape=[0, 4], offsets=[0, 0]),
            "f": entry(dtype="F4", shape=[4], offsets=[0, 2]),
        },
        data_bytes=2,
    )
    assert header.tensors["e"].numel == 0 and header.tensors["f"].end == 2


# --------------------------------------------------------------------------- fuzzing


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=256))
def test_fuzz_random_bytes_never_crash(raw: bytes) -> None:
    with contextlib.suppress(HeaderError):
        parse_header_bytes(raw, data_bytes=len(raw))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=10),
        st.fixed_dictionaries(
            {
                "dtype": st.sampled_from([*DTYPE_BITS, "X9", ""]) | json_values,
                "shape": st.lists(st.integers(-3, 2**40), max_size=4) | json_values,
                "data_offsets": st.lists(st.integers(-3, 2**50), max_size=3) | json_values,
            }
        )
        | json_values,
        max_size=5,
    ),
    st.one_of(st.none(), st.integers(0, 2**50)),
)
def test_fuzz_structured_headers_never_crash(doc: dict[str, Any], data_bytes: int | None) -> None:
    try:
        header = header_from_dict(doc, data_bytes=data_bytes)
    except HeaderError:
        return
    for info in header.tensors.values():  # whatever is accepted is consistent
        assert info.dtype in DTYPE_BITS and 0 <= info.begin <= info.end


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=12).filter(
            lambda s: s != "__metadata__"
        ),
        st.tuples(
            st.sampled_from(["float16", "float32", "int8", "uint8"]),
            st.lists(st.integers(0, 5), max_size=3),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_fuzz_library_written_files_are_accepted(specs: dict[str, tuple[str, list[int]]]) -> None:
    tensors = {name: np.zeros(shape, dtype) for name, (dtype, shape) in specs.items()}
    blob = save(tensors)
    (length,) = struct.unpack("<Q", blob[:8])
    header = parse_header_bytes(blob[8 : 8 + length], data_bytes=len(blob) - 8 - length)
    assert {n: t.shape for n, t in header.tensors.items()} == {
        n: tuple(a.shape) for n, a in tensors.items()
    }
