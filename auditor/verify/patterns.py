"""PEFT's module-name patterns, evaluated as PEFT evaluates them but with a time budget.

PEFT matches a regex ``target_modules`` with ``re.fullmatch(pattern, key)`` and the keys of
``rank_pattern`` / ``alpha_pattern`` with ``re.match(rf"(.*\\.)?({key})$", key)``
(``peft.tuners.tuners_utils.check_target_module_exists``, ``peft.utils.other.get_pattern_key``).
The patterns come from an untrusted config and a backtracking pattern can run for hours, so they
run on the ``regex`` package (same syntax as ``re``) with a timeout per call and a budget per
adapter; a pattern that does not compile or runs out of time is ``None`` ("not evaluated").
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import regex

BUDGET_SECONDS = 1.0
"""Total regex time one adapter may use (real patterns take microseconds)."""

MAX_PATTERN_CHARS = 2000


class Matcher:
    """Evaluates one adapter's patterns against module names within ``BUDGET_SECONDS``."""

    def __init__(self, budget: float = BUDGET_SECONDS) -> None:
        self._deadline = time.monotonic() + budget
        self._compiled: dict[str, regex.Pattern[str] | None] = {}
        self.exhausted = False
        """True once a pattern could not be evaluated (out of time, or it does not compile)."""

    def _pattern(self, source: str) -> regex.Pattern[str] | None:
        if source not in self._compiled:
            try:
                compiled = regex.compile(source) if len(source) <= MAX_PATTERN_CHARS else None
            except (regex.error, RecursionError, OverflowError):
                compiled = None
            self._compiled[source] = compiled
        return self._compiled[source]

    def fullmatch(self, source: str, name: str) -> bool | None:
        """``re.fullmatch(source, name)``; None when not evaluable or out of time."""
        pattern = self._pattern(source)
        left = self._deadline - time.monotonic()
        if pattern is None or left <= 0:
            self.exhausted = True
            return None
        try:
            return pattern.fullmatch(name, timeout=left) is not None
        except TimeoutError:
            self.exhausted = True
            return None

    def pattern_value(self, patterns: Mapping[str, float], name: str) -> float | None:
        """The value of the first ``rank_pattern``/``alpha_pattern`` key matching ``name``."""
        for key, value in patterns.items():
            if self.fullmatch(rf"(?:.*\.)?(?:{key})", name):
                return value
        return None
