"""The data model's class decorator, :func:`model`: frozen, keyword-only, slotted dataclasses
whose methods are shared instead of generated (``auditor.records`` says why and how)."""

from __future__ import annotations

from dataclasses import field
from typing import Any, ClassVar, TypeVar, dataclass_transform

from auditor.records import build

T = TypeVar("T")


class Frozen:
    """Base class of the data model's classes (declared with :func:`model`).

    Plain dataclasses, not pydantic models: building pydantic's machinery costs more than a
    card-only audit's own work, and the pipeline only ever builds these from typed values.
    Untrusted JSON (baseline reports, pack tests) is validated by ``auditor.models.codec``,
    which reads this config (no unknown fields) and imports pydantic only on those paths.
    """

    __slots__ = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(field,))
def model(cls: type[T]) -> type[T]:
    """``cls`` as ``@dataclass(frozen=True, kw_only=True, slots=True)`` would make it."""
    return build(cls, frozen=True, kw_only=True, slots=True)
