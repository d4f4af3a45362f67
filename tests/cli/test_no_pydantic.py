"""A card-only audit never imports pydantic.

Building pydantic's machinery for a first model cost more CPU than the card-only audit's own
work (docs/speed.md, "The data model without pydantic"), so the data model is plain dataclasses
and pydantic is imported only to validate untrusted data (a baseline report, pack tests) or to
write the report's JSON schema (``auditor.models.codec``). These run in a fresh interpreter and
look at what it imported. No timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

AUDIT = """
import json, sys
{setup}
leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "pydantic_core"))
sys.__stdout__.write("\\n" + json.dumps({{"code": code, "leaked": leaked}}) + "\\n")
"""


def _run(setup: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", AUDIT.format(setup=setup)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.rstrip("\n").rsplit("\n", 1)[-1])
    return result


def test_importing_the_data_model_imports_no_pydantic() -> None:
    assert _run("import auditor.models\ncode = 0") == {"code": 0, "leaked": []}


def test_the_card_only_text_audit_imports_no_pydantic() -> None:
    setup = (
        "from auditor.cli import main\n"
        "code = main(['--offline', '--mirror', 'examples/hub', 'Ailiance-fr/apertus-math-lora',"
        " '--verify', 'none', '--format', 'text'])"
    )
    result = _run(setup)
    assert result["code"] in (0, 1)  # 1: the example's findings fail the default gate
    assert result["leaked"] == []


# Standard-library modules the card-only audit has no use for, imported only where they are
# needed (docs/speed.md, "Fewer generated methods, fewer imports"): the DNS probe of --author
# (socket), a mistyped option's suggestion (difflib), package data through importlib.resources
# (which pulls in zipfile and tempfile), temporary names (secrets).
UNUSED = ("socket", "difflib", "zipfile", "importlib.resources", "importlib.readers", "secrets")


def test_the_card_only_text_audit_imports_no_unused_stdlib_module() -> None:
    code = (
        "import json, sys\n"
        "from auditor.cli import main\n"
        "code = main(['--offline', '--mirror', 'examples/hub', 'Ailiance-fr/apertus-math-lora',"
        " '--verify', 'none', '--format', 'text'])\n"
        f"extra = sorted(m for m in {UNUSED!r} if m in sys.modules)\n"
        "sys.__stdout__.write('\\n' + json.dumps({'code': code, 'extra': extra}) + '\\n')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=True)
    result = json.loads(done.stdout.rstrip("\n").rsplit("\n", 1)[-1])
    assert result["code"] in (0, 1)  # 1: the example's findings fail the default gate
    assert result["extra"] == []
