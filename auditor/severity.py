"""The severity vocabulary and the ``--fail-on`` levels derived from it.

A module of its own, importing nothing heavy, so ``--version`` and ``--help`` (whose parser
lists the ``--fail-on`` choices) do not pay for building the pydantic data model;
``auditor.models`` re-exports both names.
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """Finding severity, ordered error > warning > note > info: the one declaration of the
    vocabulary (rule packs, ``--fail-on``, report counts and formats all derive from it).

    ``info`` records a fact and asks nothing of the reader (the training-compute estimate), so
    ``--fail-on note`` stays usable on a clean repository.
    """

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Numeric order: higher is more severe."""
        return {"info": 0, "note": 1, "warning": 2, "error": 3}[self.value]


# ``--fail-on`` levels: a severity (the run fails on findings at or above it) or never.
FAIL_ON: dict[str, int] = {**{s.value: s.rank for s in Severity}, "never": 99}
