"""The command line's standard output, made safe for a reader that leaves early.

``ailiance-audit --policy-list | head`` closes the pipe after ten lines; Python then raises
``BrokenPipeError`` on the next write, which would end the run as an internal error (exit 4).
"""

from __future__ import annotations

import os
from typing import Any, TextIO


class ReaderSafeStdout:
    """Standard output that a reader may close early (``ailiance-audit --policy-list | head``).

    The first write to a closed pipe stops all output quietly (the rest is discarded) instead of
    ending the run with an internal error: the command finishes and returns its own exit code.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.closed_by_reader = False

    def write(self, text: str) -> int:
        """Write, unless the reader has gone."""
        if not self.closed_by_reader:
            try:
                self.stream.write(text)
            except BrokenPipeError:
                self._reader_gone()
        return len(text)

    def flush(self) -> None:
        """Flush, unless the reader has gone."""
        if not self.closed_by_reader:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._reader_gone()

    def _reader_gone(self) -> None:
        self.closed_by_reader = True
        # What is still buffered would fail again when the interpreter flushes at exit.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)
