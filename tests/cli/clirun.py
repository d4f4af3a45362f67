"""The CLI tests' runner: ``main([...])`` in process, with what it printed."""

from __future__ import annotations

import pytest

from auditor import cli

MATH = "Ailiance-fr/apertus-math-lora"
CLEAN = "Ailiance-fr/apertus-math-orca-lora"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``ailiance-audit ARGV``."""
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
