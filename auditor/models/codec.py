"""Data model: the dataclasses to JSON-able data (``dump``) and untrusted data back (``load``).

``dump`` is the one converter the stages use for the JSON report, the facts document policies
see and the other JSON outputs: pure Python, so an audit never imports pydantic. It writes what
pydantic's ``model_dump(mode="json")`` wrote when the model was pydantic (the goldens and the
JSON outputs stay byte-identical): a dataclass as a dict of its fields in declaration order,
tuples, lists and sets as lists, enums as their values, dict keys as strings, scalars as they
are (``inf`` and ``nan`` too).

``load`` validates untrusted data (a baseline report, a pack test's facts) into a model, and
``json_schema`` gives the report's schema: both use pydantic, imported and built on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from pydantic import TypeAdapter

T = TypeVar("T")

_SCALARS = frozenset({str, int, float, bool, type(None)})
_NAMES: dict[type, tuple[str, ...]] = {}
_WRITERS: dict[type, Callable[[Any, Callable[[Any], Any]], dict[str, Any]]] = {}
_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def names(cls: type) -> tuple[str, ...]:
    """The field names of the dataclass ``cls``, in declaration order."""
    got = _NAMES.get(cls)
    if got is None:
        got = _NAMES[cls] = tuple(f.name for f in fields(cls))
    return got


def dump(value: Any) -> Any:
    """``value`` as JSON-able data (see the module docstring)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    writer = _WRITERS.get(kind)
    if writer is not None:
        return writer(value, dump)
    if kind is tuple or kind is list:
        return [v if type(v) in _SCALARS else dump(v) for v in value]
    if kind is dict:
        return {
            k if type(k) is str else _key(k): v if type(v) in _SCALARS else dump(v)
            for k, v in value.items()
        }
    if isinstance(value, Enum):
        return dump(value.value)
    if is_dataclass(value) and not isinstance(value, type):
        return _writer(kind)(value, dump)
    return _other(value)


# Field annotations (strings: the models use ``from __future__ import annotations``) whose
# values a writer copies as they are, and tuples of scalars it copies as lists.
_PLAIN = frozenset({"str", "int", "float", "bool", "None"})
_SCALAR_TUPLES = frozenset({"tuple[str, ...]", "tuple[int, ...]"})


def _writer(cls: type) -> Callable[[Any, Callable[[Any], Any]], dict[str, Any]]:
    """A function writing an instance of dataclass ``cls`` as a dict, made once per class.

    The facts document is dumped once per audited repository (the census audits thousands per
    worker), so each class gets one dict display with its fields read directly, as
    ``dataclasses`` builds ``__init__``: a loop over the fields costs about three times as much.
    The generated source holds only the class's own field names (identifiers).
    """
    entries = []
    for f in fields(cls):
        annotation = str(f.type)
        parts = {p.strip() for p in annotation.split("|")}
        if all(p in _PLAIN or p.startswith("Literal[") for p in parts):
            entries.append(f"{f.name!r}: v.{f.name}")
        elif annotation in _SCALAR_TUPLES:
            entries.append(f"{f.name!r}: list(v.{f.name})")
        else:
            entries.append(f"{f.name!r}: dump(v.{f.name})")
    source = f"def write(v, dump):\n    return {{{', '.join(entries)}}}\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<dump {cls.__name__}>", "exec"), namespace)
    writer: Callable[[Any, Callable[[Any], Any]], dict[str, Any]] = namespace["write"]
    _WRITERS[cls] = writer
    return writer


def dump_some(value: Any, include: dict[str, Any]) -> dict[str, Any]:
    """The fields of dataclass ``value`` named in ``include`` (field order), dumped.

    ``include`` maps a field to ``True`` (all of it) or to a dict naming the fields (of a
    dataclass) or keys (of a dict) to keep of it, each mapped to ``True``.
    """
    out = {}
    for name in names(type(value)):
        spec = include.get(name)
        if spec is None or spec is False:
            continue
        v = getattr(value, name)
        if spec is True or v is None:
            out[name] = dump(v)
        elif type(v) is dict:
            out[name] = {k: dump(x) for k, x in v.items() if spec.get(k) is True}
        elif is_dataclass(v):
            out[name] = dump_some(v, spec)
        else:
            out[name] = dump(v)
    return out


def _key(key: Any) -> str:
    if isinstance(key, Enum):
        return _key(key.value)
    if isinstance(key, bool):
        return "true" if key else "false"
    return key if isinstance(key, str) else str(key)


def _other(value: Any) -> Any:
    """Values of other types (inside ``derived``): subclasses of the plain types, sets."""
    if isinstance(value, str | int | float):
        return value
    if isinstance(value, tuple | list | set | frozenset):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {_key(k): dump(v) for k, v in value.items()}
    raise TypeError(f"{type(value).__name__} is not part of the data model's JSON")


class ModelError(ValueError):
    """Data that does not fit a model; ``errors`` are pydantic's, without their links."""

    def __init__(self, message: str, errors: list[Any]) -> None:
        super().__init__(message)
        self.errors = errors


def _adapter(cls: type) -> TypeAdapter[Any]:
    got = _ADAPTERS.get(cls)
    if got is None:
        from pydantic import TypeAdapter

        got = _ADAPTERS[cls] = TypeAdapter(cls)
    return got


def load(cls: type[T], data: Any) -> T:
    """``data`` (parsed JSON or YAML) validated into ``cls``; raises :class:`ModelError`.

    Validation is pydantic's lax mode, as when the models were pydantic: lists for tuples,
    strings for enums, whole numbers for floats; unknown fields are refused.
    """
    from pydantic import ValidationError

    try:
        found: T = _adapter(cls).validate_python(data)
        return found
    except ValidationError as exc:
        raise ModelError(str(exc), list(exc.errors(include_url=False))) from exc


def json_schema(cls: type) -> dict[str, Any]:
    """The JSON schema of ``cls`` (``ailiance-audit schema``)."""
    return _adapter(cls).json_schema()
