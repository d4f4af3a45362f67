"""The one argument parser class of every command: usage errors become :class:`UsageError`.

argparse would print and exit; the CLI prints ``ailiance-audit: <message>`` itself and returns
exit code 2, so the message here does not repeat the program name, names the subcommand when
there is one, and suggests the closest option for a mistyped one.
"""

from __future__ import annotations

import argparse

from auditor.errors import UsageError

PROG = "ailiance-audit"
_UNRECOGNIZED = "unrecognized arguments: "


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are usage errors (exit code 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Raise the usage error (never returns)."""
        sub = self.prog.removeprefix(PROG).strip()
        text = f"{sub}: {message}" if sub else message
        hint = self.suggestion(message)
        raise UsageError(text + (f" (did you mean {hint}?)" if hint else " (see --help)"))

    def suggestion(self, message: str) -> str | None:
        """The option closest to the first unrecognised one, if any is close."""
        if not message.startswith(_UNRECOGNIZED):
            return None
        import difflib  # a mistyped option only: not worth importing on every run

        known = sorted(self._option_string_actions)
        for arg in message.removeprefix(_UNRECOGNIZED).split():
            if arg.startswith("-"):
                close = difflib.get_close_matches(arg.split("=", 1)[0], known, n=1, cutoff=0.6)
                if close:
                    return close[0]
        return None


def add_repeatable(
    parser: argparse.ArgumentParser, flag: str, metavar: str, help: str | None = None
) -> None:
    """A repeatable option collecting its values in a list (empty when absent)."""
    parser.add_argument(flag, action="append", default=[], metavar=metavar, help=help)
