"""The severity vocabulary, the ``--fail-on`` levels derived from it, and the ``--verify`` levels.

A module of its own, importing nothing heavy, so ``--version`` and ``--help`` (whose parser
lists these choices) do not pay for importing the data model; ``auditor.models`` re-exports
every name.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args


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
        """Numeric order: higher is more severe (the census sorts every repo's findings by it:
        one table, read by the member's plain value, not the enum's ``value`` property)."""
        return _RANK[self._value_]


_RANK = {"info": 0, "note": 1, "warning": 2, "error": 3}


# ``--fail-on`` levels: a severity (the run fails on findings at or above it) or never.
FAIL_ON: dict[str, int] = {**{s.value: s.rank for s in Severity}, "never": 99}

# ``--verify`` levels: what the verify stage reads (nothing, safetensors headers, a load).
VerifyLevel = Literal["none", "header", "load"]
VERIFY_LEVELS: tuple[VerifyLevel, ...] = get_args(VerifyLevel)
