"""``auditor.records`` and ``@model`` behave as the ``@dataclass`` they stand for.

Each decorated class here has a twin made by the standard decorator; both are built from the
same values and compared on everything callers can see: the constructor's parameters, defaults
and errors, ``repr``, equality, the hash, immutability, pickling and copying, ``__post_init__``,
``dataclasses.fields``/``replace``, and pydantic's validation of the data model.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from dataclasses import FrozenInstanceError, dataclass, field
from typing import Any

import pytest

from auditor.models import Frozen, Location, Waiver
from auditor.models.codec import ModelError, load
from auditor.models.frozen import model
from auditor.records import mutable_record, record


@record
class Point:
    """A frozen record."""

    x: int
    y: float = 0.0
    tags: tuple[str, ...] = ()
    extra: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PointStd:
    """A frozen record."""

    x: int
    y: float = 0.0
    tags: tuple[str, ...] = ()
    extra: dict[str, int] = field(default_factory=dict)


@mutable_record
class Box:
    """A mutable record."""

    items: list[int] = field(default_factory=list)
    label: str = "box"
    hidden: int = field(default=0, compare=False, repr=False)


@dataclass
class BoxStd:
    """A mutable record."""

    items: list[int] = field(default_factory=list)
    label: str = "box"
    hidden: int = field(default=0, compare=False, repr=False)


@model
class Pair(Frozen):
    """A data model class."""

    a: str
    b: float | None = None
    seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if type(self.b) is int:
            object.__setattr__(self, "b", float(self.b))


@dataclass(frozen=True, kw_only=True, slots=True)
class PairStd(Frozen):
    """A data model class."""

    a: str
    b: float | None = None
    seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if type(self.b) is int:
            object.__setattr__(self, "b", float(self.b))


TWINS: list[tuple[type[Any], type[Any], dict[str, Any]]] = [
    (Point, PointStd, {"x": 1, "y": 2.5, "tags": ("a",)}),
    (Point, PointStd, {"x": 3}),
    (Box, BoxStd, {"items": [1, 2], "hidden": 7}),
    (Box, BoxStd, {}),
    (Pair, PairStd, {"a": "x", "b": 3}),
    (Pair, PairStd, {"a": "y"}),
]


def _std_repr(obj: Any, std: type[Any]) -> str:
    return repr(obj).replace(std.__qualname__, "@", 1)


@pytest.mark.parametrize(("ours", "std", "values"), TWINS)
def test_a_record_behaves_as_its_dataclass(ours: type[Any], std: type[Any],
                                           values: dict[str, Any]) -> None:
    a, b = ours(**values), std(**values)
    assert _std_repr(a, ours) == _std_repr(b, std)
    assert str(inspect.signature(ours)) == str(inspect.signature(std))
    assert [f.name for f in dataclasses.fields(a)] == [f.name for f in dataclasses.fields(b)]
    assert a == ours(**values)
    assert (a != ours(**values)) is False
    assert a != b and (a == 1) is False  # another class: NotImplemented, as dataclasses does
    # The same hash, or the same TypeError (a dict or list field, a mutable record).
    assert _hash(a) == _hash(b, std.__qualname__, ours.__qualname__)
    assert copy.deepcopy(a) == a and copy.copy(a) == a
    assert pickle.loads(pickle.dumps(a)) == a
    first = dataclasses.fields(a)[0].name
    changed = dataclasses.replace(a, **{first: getattr(a, first)})
    assert changed == a
    if std.__setattr__ is not object.__setattr__:  # frozen
        for obj in (a, b):
            with pytest.raises(FrozenInstanceError, match="cannot assign to field"):
                setattr(obj, first, None)
            with pytest.raises(FrozenInstanceError, match="cannot delete field"):
                delattr(obj, first)


@record
class Undocumented:
    a: int
    b: str = "x"


@dataclass(frozen=True)
class UndocumentedStd:
    a: int
    b: str = "x"


def test_an_undocumented_record_gets_the_docstring_dataclasses_writes() -> None:
    assert UndocumentedStd.__doc__ is not None
    assert Undocumented.__doc__ == UndocumentedStd.__doc__.replace("Std", "")


def _hash(obj: Any, name: str = "", renamed: str = "") -> int | str:
    try:
        return hash(obj)
    except TypeError as exc:
        return str(exc).replace(f"'{name}'", f"'{renamed}'") if name else str(exc)


def test_the_hash_is_that_of_the_field_tuple() -> None:
    assert hash(Location(file="a", line=3)) == hash(("a", 3, None))
    assert hash(Point(1, 2.0, ("t",), None)) == hash((1, 2.0, ("t",), None))  # type: ignore[arg-type]


def test_constructor_errors_are_those_of_dataclasses() -> None:
    for ours, std in ((Pair, PairStd), (Point, PointStd)):
        for args, kwargs in (((), {}), (("v", 1, 2, 3, 4), {}), ((), {"bogus": 1})):
            with pytest.raises(TypeError) as got:
                ours(*args, **kwargs)
            with pytest.raises(TypeError) as want:
                std(*args, **kwargs)
            assert str(got.value).replace(ours.__qualname__, "@") == str(want.value).replace(
                std.__qualname__, "@")


def test_mutable_records_are_mutable_and_unhashable() -> None:
    box = Box()
    box.label = "other"
    box.items.append(1)
    assert (box.label, box.items) == ("other", [1])
    assert Box(hidden=1) == Box(hidden=2)  # compare=False
    with pytest.raises(TypeError):
        hash(box)
    assert Box().items is not Box().items  # a fresh default per instance


def test_pydantic_validates_a_model_never_instantiated_before() -> None:
    waiver = load(Waiver, {"rule": "r", "reason": "x", "owner": "o", "expires": "2030-01-01"})
    assert waiver == Waiver(rule="r", reason="x", owner="o", expires="2030-01-01")
    with pytest.raises(ModelError):
        load(Waiver, {"rule": "r", "reason": "x", "owner": "o", "expires": "e", "other": 1})
    assert load(Pair, {"a": "x", "b": 2}).b == 2.0
