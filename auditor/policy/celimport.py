"""Import the CEL binding without its interactive REPL.

``cel/__init__.py`` imports ``cel.cli`` (a prompt_toolkit REPL), which alone costs about 150 ms
of start-up: a third of a git hook's budget (bench/RESULTS.md). We never use the REPL, so an
empty placeholder module stands in for it before the package is imported.
"""

from __future__ import annotations

import sys
import types

if "cel" not in sys.modules:
    sys.modules.setdefault("cel.cli", types.ModuleType("cel.cli"))

import cel
from cel.stdlib import add_stdlib_to_context

__all__ = ["add_stdlib_to_context", "cel"]
