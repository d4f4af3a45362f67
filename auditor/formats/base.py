"""Formats stage: the formatter interface and its registry.

A formatter turns an :class:`AuditReport` into text. Formatters never compute findings and
never choose the exit code. Each format is one module that registers itself here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # --help lists the names without building the data model
    from auditor.models import AuditReport


class Formatter(Protocol):
    """Renders a whole report; ``render`` must be deterministic (same report, same bytes)."""

    name: str
    extension: str

    def render(self, report: AuditReport) -> str:
        """Return the report in this format."""
        ...


_REGISTRY: dict[str, Callable[[], Formatter]] = {}


def register(name: str) -> Callable[[Callable[[], Formatter]], Callable[[], Formatter]]:
    """Class decorator: make a formatter available under ``name``."""

    def deco(factory: Callable[[], Formatter]) -> Callable[[], Formatter]:
        _REGISTRY[name] = factory
        return factory

    return deco


# Modules are imported lazily so that a text-only run does not pay for spdx/cyclonedx imports.
_MODULES = {
    "text": "auditor.formats.text",
    "json": "auditor.formats.json",
    "sarif": "auditor.formats.sarif",
    "markdown": "auditor.formats.markdown",
    "spdx": "auditor.formats.spdx",
    "spdx3": "auditor.formats.spdx3",
    "cyclonedx": "auditor.formats.cyclonedx",
    "html": "auditor.formats.html",
}


NAMES = tuple(_MODULES)  # what --format accepts, in the order --help lists them


def names() -> list[str]:
    """Every format name the CLI accepts."""
    return sorted(_MODULES)


def get(name: str) -> Formatter:
    """The formatter registered under ``name`` (imports its module on first use)."""
    import importlib

    if name not in _MODULES:
        raise KeyError(name)
    if name not in _REGISTRY:
        importlib.import_module(_MODULES[name])
    return _REGISTRY[name]()
