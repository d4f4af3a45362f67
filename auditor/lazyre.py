"""Regular expressions compiled when first used, not when their module is imported.

The card parser holds a few hundred patterns (the patterns are its data: statement kinds, base
phrases, the training-summary template's sections and fields...), and the other stages a few
dozen more (number formats, file names, escapes). Compiling one costs 0.1-5 ms of Python (the
``re`` compiler is written in Python), and most runs need only some of them: a card without the
training-summary template never runs its 40 section and field patterns, a run without waivers
never runs the waiver file's. A one-card audit paid for all of them at import (docs/speed.md,
"Where the time goes").

:func:`lazy` returns a stand-in that compiles the real pattern on its first use, through the
cache of compiled patterns (``auditor.recache``: the code of a pattern compiled by an earlier
run is handed straight to ``_sre``), and then puts the compiled pattern's methods on itself, so
every later call is the compiled method itself (no indirection). It is typed as
:class:`re.Pattern` because it answers everything a pattern does; it is not one for
``isinstance`` or for the ``re.sub(pattern, ...)`` module functions (callers use the pattern's
own methods).
"""

from __future__ import annotations

import re
from typing import Any, cast

from auditor import recache

_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split")
_ATTRIBUTES = (*_METHODS, "flags", "groups", "groupindex")


class _Deferred:
    """A pattern that compiles itself on first use."""

    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern = pattern  # as re.Pattern.pattern: composing patterns does not compile
        self._flags = flags

    def __getattr__(self, name: str) -> Any:
        # Only called for what the instance does not have yet: the first method call, or an
        # attribute of the compiled pattern (flags, groups, groupindex).
        if name.startswith("__"):
            raise AttributeError(name)
        compiled = recache.compile(self.pattern, self._flags)
        for attribute in _ATTRIBUTES:
            setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy({self.pattern!r}, {self._flags})"


def lazy(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, compiled when first used."""
    return cast("re.Pattern[str]", _Deferred(pattern, flags))
