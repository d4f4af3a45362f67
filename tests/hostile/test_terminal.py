"""Terminal escapes from untrusted text never reach the terminal outside the reports either:
``policy test`` case names, the echo of a pack's CEL syntax error, the ``card sync`` diff and
its notes all go through ``auditor.formats.escape.clean``.
"""

from __future__ import annotations

from pathlib import Path

from .harness import Result, run_cli

# OSC (set the window title), clear the screen, a colour, a carriage return and a C1 CSI.
HOSTILE = "\x1b]0;owned\x07\x1b[2J\x1b[31mred\x1b[0m\rover\x9b2J"
PACK = """pack: demo
rules:
  - id: demo.always
    title: Always
    severity: note
    violation: {violation}
    message: "'always'"
"""


def _assert_inert(result: Result) -> None:
    assert result.rc is not None, "no answer within the time bound"
    assert "Traceback" not in result.stderr
    for stream in (result.stdout, result.stderr):
        for bad in ("\x1b", "\x07", "\r", "\x9b"):
            assert bad not in stream, f"{bad!r} reached the terminal: {stream[-300:]!r}"


def test_policy_test_case_names_are_cleaned(tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text(PACK.format(violation='"true"'))
    (tmp_path / "tests").mkdir()
    name = HOSTILE.encode("unicode_escape").decode()
    cases = f'rule: demo.always\ncases:\n  - name: "{name}"\n    expect: pass\n'
    (tmp_path / "tests" / "demo.yaml").write_text(cases)
    result = run_cli(["policy", "test", str(tmp_path)], subcommand=True, timeout=60)
    _assert_inert(result)
    assert result.rc == 1 and "FAIL demo.always" in result.stdout  # the case is shown, cleaned
    assert "owned" in result.stdout


def test_cel_syntax_error_echo_is_cleaned(tmp_path: Path) -> None:
    expr = ('"' + HOSTILE.encode("unicode_escape").decode() + ' (((" +').replace('"', '\\"')
    (tmp_path / "bad.yaml").write_text(PACK.format(violation=f'"{expr}"'))
    result = run_cli(["--policy", str(tmp_path / "bad.yaml"), "Ailiance-fr/apertus-math-lora"])
    _assert_inert(result)
    assert result.rc == 2, result.stderr


def test_card_sync_diff_and_notes_are_cleaned(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    body = f"# Model {HOSTILE}\n\nHello {HOSTILE} text\n"
    card = f"---\nlicense: apache-2.0\nbase_model: org/base\n---\n{body}"  # a base: a chain
    (repo / "README.md").write_text(card)
    # org/base is in no mirror: without --allow-incomplete sync (rightly) exits 3, writing nothing.
    argv = ["card", "sync", str(repo), "--offline", "--verify", "none", "--allow-incomplete"]
    result = run_cli(argv, subcommand=True, timeout=60)
    _assert_inert(result)
    assert result.rc == 0, result.stderr
    assert "Hello ]0;owned" in result.stdout  # the card's lines are in the diff, cleaned
