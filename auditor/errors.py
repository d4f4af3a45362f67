"""Errors that end a run or a target, each mapped to a published exit code
(docs/architecture.md)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_UNRESOLVED = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, what shells report for a process killed by it


class Terminated(KeyboardInterrupt):
    """SIGTERM (CI cancellation, ``timeout``, ``docker stop``): handled like Ctrl-C, exit 143."""


class AuditError(Exception):
    """Base class; ``exit_code`` is what the CLI returns when this ends the run."""

    exit_code = EXIT_INTERNAL


class UsageError(AuditError):
    """Bad command line, or an invalid config or waiver file."""

    exit_code = EXIT_USAGE


class PolicyError(UsageError):
    """A rule file that cannot be loaded or compiled; names file, rule and position."""

    def __init__(
        self,
        message: str,
        *,
        file: str,
        rule: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        where = file
        if rule:
            where += f", rule {rule}"
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {message}")
        self.message = message
        self.file, self.rule, self.line, self.column = file, rule, line, column


# TargetError reasons that mean "we could not look" (the network, the server, access, an offline
# cache miss), as opposed to "not-found", a fact about the repo. An upstream repo that fails
# with one of these leaves the audit incomplete, which is not a pass (exit 3 by default).
COULD_NOT_LOOK = frozenset(
    {"network", "rate-limited", "offline", "gated", "private", "auth", "malformed", "locked"}
)


INCOMPLETE_HINT = (
    "the audit is incomplete (exit 3): make the Hub reachable, or audit offline from a mirror "
    "(--mirror DIR) or a Hugging Face cache filled by `hf download REPO`; --allow-incomplete "
    "makes it a warning"
)
LOAD_GAP = "the adapter's mlx-lm load check"
"""How every gap left by a load check that did not run begins (the worker's and the hook's)."""
LOAD_HINT = (
    "the audit is incomplete (exit 3): the mlx-lm load check did not run; install mlx-lm (with "
    "mlx[cpu] on Linux), give it more room (AILIANCE_AUDIT_LOAD_MEMORY_MB, "
    "AILIANCE_AUDIT_LOAD_SECONDS) or choose --verify header; --allow-incomplete makes it a warning"
)


def incomplete_hint(gaps: tuple[str, ...]) -> str:
    """What to do about an incomplete audit: the load check's remedy when only it is missing
    (reaching the Hub would not help), the lookup's otherwise."""
    if gaps and all(g.startswith(LOAD_GAP) for g in gaps):
        return LOAD_HINT
    return INCOMPLETE_HINT


class TargetError(AuditError):
    """A repository could not be resolved: not found, gated, private, network, offline miss."""

    exit_code = EXIT_UNRESOLVED

    def __init__(self, message: str, *, reason: str = "not-found") -> None:
        super().__init__(message)
        self.reason = reason

    @property
    def could_not_look(self) -> bool:
        """True unless the answer was a fact about the repo (it does not exist)."""
        return self.reason in COULD_NOT_LOOK
