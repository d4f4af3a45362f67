"""Dataclasses whose methods are shared instead of generated: the stages' records
(:func:`record`, :func:`mutable_record`) and, through :func:`build`, the data model's classes
(``auditor.models.frozen``).

``@dataclass`` compiles every method it adds from source, one ``exec`` each: for a frozen class
``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__`` and ``__delattr__``. With
some 45 classes on the card-only path that was about a tenth of a fresh process's CPU
(docs/speed.md, "Fewer generated methods"). Here ``dataclasses`` only records the fields (and
makes the slots of a model); ``__repr__``, ``__eq__``, ``__hash__`` and the frozen
``__setattr__``/``__delattr__`` are the shared functions below, which read the field names the
class keeps; ``__init__`` is compiled on a class's first instantiation, as ``dataclasses`` writes
it (the census builds millions of instances, so it stays a generated function, not a loop).

The behaviour is the standard decorator's: the same ``__init__`` parameters, defaults,
factories and ``__post_init__``; equality and hashing on the tuple of the compared fields (the
same hash); the same ``repr``; ``FrozenInstanceError`` on assignment or deletion; methods the
class body defines are kept. ``dataclasses.fields``, ``replace`` and pydantic's
``TypeAdapter`` see ordinary dataclasses. Not supported: ``InitVar``, ``order=True`` (nothing
here uses them). The bottom stage, with no import of the data model: the load-check worker's
modules use it too.
"""

from __future__ import annotations

import inspect
from dataclasses import MISSING, FrozenInstanceError, dataclass, field, fields
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[T]) -> type[T]:
    """``cls`` as ``@dataclass(frozen=True)`` would make it."""
    return build(cls, frozen=True, kw_only=False, slots=False)


@dataclass_transform(field_specifiers=(field,))
def mutable_record(cls: type[T]) -> type[T]:
    """``cls`` as ``@dataclass`` would make it."""
    return build(cls, frozen=False, kw_only=False, slots=False)


def build(cls: type[T], *, frozen: bool, kw_only: bool, slots: bool) -> type[T]:
    """``cls`` as ``@dataclass(frozen=frozen, kw_only=kw_only, slots=slots)`` would make it."""
    documented = cls.__dict__.get("__doc__") is not None
    made: type[T] = dataclass(init=False, repr=False, eq=False, kw_only=kw_only, slots=slots)(cls)
    found = fields(made)  # type: ignore[arg-type]
    own: Any = cls.__dict__
    names = [f.name for f in found if f.compare]
    hashed = [f.name for f in found if (f.compare if f.hash is None else f.hash)]
    extra: dict[str, Any] = {
        "_record_repr": tuple(f.name for f in found if f.repr),
        "_record_eq": _values(names),
        "_record_hash": _values(hashed),
        "_record_frozen": frozen,
        "__init__": _first_init,
        "__repr__": _repr,
        "__eq__": _eq,
        "__hash__": _hash if frozen else None,
    }
    if frozen:
        extra |= {"__setattr__": _setattr, "__delattr__": _delattr}
        if slots:  # pickling, as dataclasses does it for frozen slotted classes
            extra |= {"__getstate__": _getstate, "__setstate__": _setstate}
    if own.get("__hash__", MISSING) is None and "__eq__" in own:
        own = {k: v for k, v in own.items() if k != "__hash__"}  # None only because of __eq__
    for name, value in extra.items():
        if name not in own:  # what the class body defines stays
            type.__setattr__(made, name, value)
    if not documented:  # the docstring dataclasses writes: the class's signature
        _make_init(made)
        made.__doc__ = made.__name__ + str(inspect.signature(made)).replace(" -> None", "")
    return made


def _values(names: list[str]) -> Any:
    """The tuple of the named fields of an instance (attrgetter: C code, no loop per call)."""
    if len(names) == 1:
        one = names[0]
        return staticmethod(lambda v: (getattr(v, one),))
    return attrgetter(*names) if names else staticmethod(lambda v: ())


def _first_init(self: Any, *args: Any, **values: Any) -> None:
    # Until a class is first instantiated: compile its constructor, install it, use it.
    _make_init(type(self))(self, *args, **values)


def _repr(self: Any) -> str:
    shown = ", ".join([f"{name}={getattr(self, name)!r}" for name in self._record_repr])
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: Any) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented  # type: ignore[no-any-return]
    values = self._record_eq
    same: bool = values(self) == values(other)
    return same


def _hash(self: Any) -> int:
    return hash(type(self)._record_hash(self))


def _setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, f.name) for f in fields(self)]


def _setstate(self: Any, state: list[Any]) -> None:
    for f, value in zip(fields(self), state, strict=False):
        object.__setattr__(self, f.name, value)


class _Factory:
    """The default of a field with a default_factory (shown as ``dataclasses`` shows it)."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def _make_init(cls: Any) -> Any:
    """Compile and install the ``__init__`` of dataclass ``cls``, as ``dataclasses`` writes it.

    The source holds only the class's field names (identifiers); defaults are passed in the
    namespace, never written into the source.
    """
    namespace: dict[str, Any] = {"__setter": object.__setattr__, "__factory": _FACTORY}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for f in fields(cls):
        default, make = f"__default_{f.name}", f"__make_{f.name}"
        if f.default is not MISSING:
            namespace[default] = f.default
        elif f.default_factory is not MISSING:
            namespace[make] = f.default_factory
        if f.init:
            param = f.name
            if f.default is not MISSING:
                param = f"{f.name}={default}"
            elif f.default_factory is not MISSING:
                param = f"{f.name}=__factory"
            (keyword if f.kw_only else positional).append(param)
            value = f.name
            if f.default_factory is not MISSING:
                value = f"{make}() if {f.name} is __factory else {f.name}"
        elif f.default is not MISSING:
            value = default
        elif f.default_factory is not MISSING:
            value = f"{make}()"
        else:
            continue
        if cls._record_frozen:
            body.append(f"    __setter(self, {f.name!r}, {value})\n")
        else:
            body.append(f"    self.{f.name} = {value}\n")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()\n")
    params = ["self", *positional, *(["*", *keyword] if keyword else [])]
    source = f"def __init__({', '.join(params)}):\n" + ("".join(body) or "    pass\n")
    exec(compile(source, f"<dataclass {cls.__qualname__}>", "exec"), namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = {f.name: f.type for f in fields(cls) if f.init} | {"return": None}
    type.__setattr__(cls, "__init__", init)
    return init
