"""The CLI through ``main([...])``: every option and every exit code of the contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from auditor import pipeline
from auditor.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_UNRESOLVED, EXIT_USAGE
from tests.cli.clirun import CLEAN, MATH, run


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("ailiance-audit ")
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "--fail-on" in out and "--mirror" in out


def test_example_reports_findings_and_exits_1(capsys: pytest.CaptureFixture[str],
                                              example_hub: Path) -> None:
    code, out, _ = run(capsys, "--mirror", str(example_hub), MATH, "--verify", "none")
    assert code == 1
    assert "license.lineage-undeclared" in out
    assert "swiss-ai/Apertus-70B-2509" in out


def test_clean_example_exits_0(capsys: pytest.CaptureFixture[str], example_hub: Path) -> None:
    code, out, _ = run(capsys, "--mirror", str(example_hub), CLEAN, "--verify", "none")
    assert code == 0, out


def test_fail_on_levels(capsys: pytest.CaptureFixture[str], example_hub: Path) -> None:
    base = ["--mirror", str(example_hub), CLEAN, "--verify", "none", "--format", "json"]
    code, out, _ = run(capsys, *base, "--fail-on", "note")
    severities = {f["severity"] for t in json.loads(out)["targets"] for f in t["findings"]}
    assert code == (1 if severities else 0)
    code, _, _ = run(capsys, "--mirror", str(example_hub), MATH, "--verify", "none",
                     "--fail-on", "never")
    assert code == 0


@pytest.mark.parametrize("level", ["none", "header"])
def test_clean_example_has_no_warning_at_any_card_level(
        capsys: pytest.CaptureFixture[str], example_hub: Path, level: str) -> None:
    # The card names modules by path (self_attn.q_proj), the mlx-lm config by the same keys and
    # the facts by leaf (q_proj): the same modules, not a mismatch.
    code, out, _ = run(capsys, "--mirror", str(example_hub), CLEAN, "--verify", level,
                       "--format", "json", "--fail-on", "warning")
    findings = [f["rule"] for t in json.loads(out)["targets"] for f in t["findings"]
                if f["severity"] in ("error", "warning")]
    assert (code, findings) == (0, [])


def test_unresolved_target_exits_3_and_keeps_other_results(
        capsys: pytest.CaptureFixture[str], example_hub: Path) -> None:
    code, out, _ = run(capsys, "--mirror", str(example_hub), "--offline", "--format", "json",
                       "nobody/nothing", CLEAN, "--verify", "none")
    assert code == EXIT_UNRESOLVED
    report = json.loads(out)
    statuses = [t["status"] for t in report["targets"]]
    assert statuses == ["unresolved", "audited"]
    assert "nobody/nothing" in report["targets"][0]["error"]


@pytest.mark.parametrize("argv", [
    ["--fail-on", "sometimes", "org/x"],
    ["--format", "pdf", "org/x"],
    ["--mirror", "/no/such/dir", "org/x"],
    ["not a target"],
    [],
    ["--output", "a", "--output", "b", "org/x"],
    ["--policy", "/no/such/policy.yaml", "org/x"],
])
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == EXIT_USAGE
    assert err.startswith("ailiance-audit") and "Traceback" not in err


def test_internal_error_exits_4_with_log(capsys: pytest.CaptureFixture[str], example_hub: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(pipeline, "build_graph", boom)
    code, _, err = run(capsys, "--mirror", str(example_hub), MATH, "--verify", "none")
    assert code == EXIT_INTERNAL
    assert "Traceback" not in err and "secret internals" not in err
    log = Path(err.strip().rsplit(" ", 1)[-1])
    assert "secret internals" in log.read_text()
    log.unlink()


def test_interrupt_keeps_finished_targets(capsys: pytest.CaptureFixture[str], example_hub: Path,
                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = pipeline.audit_target
    calls = {"n": 0}

    def second_interrupts(*a: object, **k: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "audit_target", second_interrupts)
    out_file = tmp_path / "r.json"
    code, _, _ = run(capsys, "--mirror", str(example_hub), CLEAN, MATH, "--verify", "none",
                     "--format", "json", "--output", str(out_file))
    assert code == EXIT_INTERRUPTED
    report = json.loads(out_file.read_text())
    assert [t["status"] for t in report["targets"]] == ["audited", "interrupted"]


def test_several_formats_and_outputs(capsys: pytest.CaptureFixture[str], example_hub: Path,
                                     tmp_path: Path) -> None:
    js = tmp_path / "out" / "r.json"
    code, out, _ = run(capsys, "--mirror", str(example_hub), MATH, "--verify", "none",
                       "--format", "json", "--output", str(js), "--format", "text")
    assert code == 1
    assert json.loads(js.read_text())["schema_version"] == "1.0"
    assert out.startswith("ailiance-audit ")
    assert not list(js.parent.glob(".*.tmp"))


def test_mirror_from_environment(capsys: pytest.CaptureFixture[str], example_hub: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AILIANCE_AUDIT_MIRROR", str(example_hub))
    code, _, _ = run(capsys, "--offline", CLEAN, "--verify", "none")
    assert code == 0


def test_policy_list_and_custom_policy(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                       example_hub: Path) -> None:
    code, out, _ = run(capsys, "--policy-list")
    assert code == 0 and "license.sharealike-leak" in out
    pack = tmp_path / "p.yaml"
    pack.write_text("pack: mine\nrules:\n  - id: mine.always\n    title: t\n    severity: error\n"
                    "    violation: 'true'\n    message: \"'always ' + subject.id\"\n")
    code, out, _ = run(capsys, "--policy", "none", "--policy", str(pack), "--mirror",
                       str(example_hub), CLEAN, "--verify", "none", "--format", "json")
    rules = {f["rule_id"] for t in json.loads(out)["targets"] for f in t["findings"]}
    assert code == 1 and rules == {"mine.always"}


def test_facts_subcommand(capsys: pytest.CaptureFixture[str], example_hub: Path) -> None:
    code, out, _ = run(capsys, "facts", "--mirror", str(example_hub), MATH, "--verify", "none")
    facts = json.loads(out)
    assert code == 0
    assert facts["subject"]["id"] == MATH
    assert [u["id"] for u in facts["upstream"]][:2] == [
        "swiss-ai/Apertus-70B-Instruct-2509", "swiss-ai/Apertus-70B-2509"]


def test_local_directory_target(capsys: pytest.CaptureFixture[str], example_hub: Path) -> None:
    code, out, _ = run(capsys, "--mirror", str(example_hub), "--format", "json", "--verify", "none",
                       str(example_hub / "Ailiance-fr" / "apertus-math-orca-lora"))
    target = json.loads(out)["targets"][0]
    assert target["snapshot"]["origin"] in ("local", "git")
    assert {n["id"] for n in target["graph"]["nodes"]} >= {"swiss-ai/Apertus-70B-Instruct-2509"}
    assert code == 0


@pytest.mark.parametrize("argv", [["--version"], ["--mirror", "examples/hub", CLEAN,
                                                  "--verify", "none", "--format", "json"]])
def test_fast_paths_do_not_import_mlx_or_transformers(argv: list[str]) -> None:
    root = Path(__file__).resolve().parents[2]
    heavy = "('mlx', 'mlx_lm', 'transformers', 'torch')"
    code = (
        f"import sys; from auditor import cli; rc = cli.main({argv!r}); "
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {heavy}); "
        "print('HEAVY', heavy, file=sys.stderr); sys.exit(0 if not heavy else 99)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_output_files_are_ordinary_files(capsys: pytest.CaptureFixture[str], example_hub: Path,
                                         tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        out = tmp_path / "r.json"
        run(capsys, "--mirror", str(example_hub), CLEAN, "--verify", "none", "--format", "json",
            "--output", str(out))
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644
