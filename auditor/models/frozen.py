"""The data model's class decorator: frozen, keyword-only, slotted dataclasses whose methods
are mostly shared instead of generated.

``@dataclass(frozen=True, kw_only=True, slots=True)`` compiles six methods per class from
source (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, the frozen ``__setattr__`` and
``__delattr__``): for the model's classes that was half of the data model's import, paid by
every fresh process (docs/speed.md, "Fewer generated methods"). Here ``dataclasses`` only
records the fields and makes the slots; :class:`Frozen` supplies the other methods once, reading
the field names, and each class's ``__init__`` is compiled on its first instantiation (a
keyword-only constructor that sets the slots, as ``dataclasses`` writes it: the census builds
millions of these, so it stays a generated function, not a loop).

Behaviour is that of the stdlib decorator: equality and hashing on the tuple of fields (same
hash), the same ``repr``, ``FrozenInstanceError`` on assignment or deletion, pickling and
copying by the list of field values, ``__post_init__`` called. ``dataclasses.fields``,
``replace`` and pydantic's ``TypeAdapter`` (``auditor.models.codec``) see ordinary dataclasses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, FrozenInstanceError, dataclass, field, fields
from operator import attrgetter
from typing import Any, ClassVar, TypeVar, dataclass_transform

T = TypeVar("T")



class _Factory:
    """The default of a field with a default_factory (shown as ``dataclasses`` shows it)."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


class Frozen:
    """Base class of the data model's classes (declared with :func:`model`).

    Plain dataclasses, not pydantic models: building pydantic's machinery costs more than a
    card-only audit's own work, and the pipeline only ever builds these from typed values.
    Untrusted JSON (baseline reports, pack tests) is validated by ``auditor.models.codec``,
    which reads this config (no unknown fields) and imports pydantic only on those paths.
    """

    __slots__ = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}
    _model_names: ClassVar[tuple[str, ...]] = ()
    # The tuple of an instance's field values, what ``dataclasses`` compares and hashes.
    _model_values: ClassVar[Callable[[Any], tuple[Any, ...]]]

    def __init__(self, *args: Any, **values: Any) -> None:
        # Until a class is first instantiated: compile its constructor, install it, use it.
        _make_init(type(self))(self, *args, **values)

    def __repr__(self) -> str:
        shown = ", ".join([f"{name}={getattr(self, name)!r}" for name in self._model_names])
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            values = type(self)._model_values
            return values(self) == values(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(type(self)._model_values(self))

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __getstate__(self) -> list[Any]:
        return [getattr(self, name) for name in self._model_names]

    def __setstate__(self, state: list[Any]) -> None:
        for name, value in zip(self._model_names, state, strict=False):
            object.__setattr__(self, name, value)


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(field,))
def model(cls: type[T]) -> type[T]:
    """``cls`` as a frozen, keyword-only, slotted dataclass with :class:`Frozen`'s methods."""
    made: type[T] = dataclass(init=False, repr=False, eq=False, kw_only=True, slots=True)(cls)
    names = tuple(f.name for f in fields(made))  # type: ignore[arg-type]
    made._model_names = names  # type: ignore[attr-defined]
    # attrgetter: a C function (no method call per comparison); a 1-tuple for one field.
    one = names[0]
    values = attrgetter(*names) if len(names) > 1 else staticmethod(lambda v: (getattr(v, one),))
    made._model_values = values  # type: ignore[attr-defined]
    return made


def _make_init(cls: Any) -> Any:
    """Compile and install the keyword-only ``__init__`` of model class ``cls``.

    The source holds only the class's field names (identifiers); defaults are passed in the
    namespace, never written into the source.
    """
    namespace: dict[str, Any] = {"__setter": object.__setattr__, "__factory": _FACTORY}
    params, body = [], []
    for f in fields(cls):
        if f.default is not MISSING:
            namespace[f"__default_{f.name}"] = f.default
            params.append(f"{f.name}=__default_{f.name}")
        elif f.default_factory is not MISSING:
            namespace[f"__make_{f.name}"] = f.default_factory
            params.append(f"{f.name}=__factory")
        else:
            params.append(f.name)
        value = f.name
        if f.default_factory is not MISSING:
            value = f"__make_{f.name}() if {f.name} is __factory else {f.name}"
        body.append(f"    __setter(self, {f.name!r}, {value})\n")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()\n")
    source = f"def __init__(self, *, {', '.join(params)}):\n{''.join(body)}"
    exec(compile(source, f"<model {cls.__qualname__}>", "exec"), namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = {f.name: f.type for f in fields(cls)} | {"return": None}
    type.__setattr__(cls, "__init__", init)
    return init
