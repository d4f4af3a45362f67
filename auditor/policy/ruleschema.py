"""The shape of a rule in a pack: the keys it may have, which of them are CEL expressions, the
form of its id, and the names its ``let`` may bind. One source for the loader, the rule-docs
generator and the docs (docs/writing-rules.md).
"""

from __future__ import annotations

from typing import Any

from auditor.errors import PolicyError
from auditor.lazyre import lazy
from auditor.policy.plan import checked

EXPRESSIONS = (
    "when",
    "each",
    "parts",
    "violation",
    "message",
    "location",
    "node",
    "severity_expr",
    "evidence",
    "summary",
)
REQUIRED = ("id", "title", "severity", "violation", "message")
KNOWN_KEYS = {*REQUIRED, *EXPRESSIONS, "let", "tags", "basis", "fix", "doc"}
# Names a rule's ``let`` may not take: the facts document's variables and the engine's own.
RESERVED = frozenset(
    {
        "item",
        "part",
        "schema_version",
        "subject",
        "upstream",
        "edges",
        "card",
        "adapter",
        "compute",
        "files",
        "derived",
        "lists",
        "math",
        "strings",
        "sets",
    }
)
_LET_NAME = lazy(r"^[a-z][a-z0-9_]*$")
RULE_ID = lazy(r"^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$")


def rule_lets(raw: Any, file: str, rule_id: str, line: int | None) -> dict[str, str]:
    """A rule's ``let``: named expressions evaluated once per target, before ``each`` is walked.

    They hoist what does not depend on ``item`` out of the per-candidate expressions (a card
    section check repeated for 10,000 upstream nodes is 10,000 times the work).
    """
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PolicyError("let must map names to expressions", file=file, rule=rule_id, line=line)
    lets = {}
    for name, expr in raw.items():
        if not isinstance(name, str) or not _LET_NAME.match(name) or name in RESERVED:
            raise PolicyError(
                f"let: {name!r} is not a usable name (lower-case, not a facts variable or 'item')",
                file=file,
                rule=rule_id,
                line=line,
            )
        lets[name] = checked(str(expr).strip(), f"let.{name}", file, rule_id, line)
    return lets
