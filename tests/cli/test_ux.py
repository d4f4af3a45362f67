"""What a new user hits, through ``main([...])``: inputs that are not what they claim are usage
errors, every finding carries its fix, informational notes stay quiet, and the small things
(messages, comments in target files, SBOM times, policy-test examples)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from auditor import cli
from auditor.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from tests.cli.clirun import CLEAN, MATH, run
from tests.hub.fixtures import hub, hub_data  # noqa: F401 (the loopback Hub fixtures)


def findings(out: str) -> list[dict[str, object]]:
    return [f for t in json.loads(out)["targets"] for f in t["findings"]]


@pytest.fixture
def quiet_hub(tmp_path: Path, example_hub: Path) -> Path:
    """The example hub with the clean example's card giving its contact points: only info left."""
    mirror = tmp_path / "hub"
    shutil.copytree(example_hub, mirror)
    card = mirror / CLEAN / "README.md"
    card.write_text(
        card.read_text(encoding="utf-8")
        + "\n## Contact\n\nCopyright complaints: copyright@example.org. "
        "Questions: team@example.org.\n",
        encoding="utf-8",
    )
    return mirror


# ------------------------------------------------------------ inputs that are not what they say


def test_policy_test_of_a_missing_or_empty_directory_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "policy", "test", str(tmp_path / "nonexistent"))
    assert code == EXIT_USAGE and "not a directory" in err
    code, out, err = run(capsys, "policy", "test", str(tmp_path))
    assert code == EXIT_USAGE and "no rules and no examples" in err
    assert "0 passed" not in out


def test_revision_a_mirror_or_folder_cannot_honour_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], example_hub: Path, tmp_path: Path
) -> None:
    code, out, err = run(capsys, "--mirror", str(example_hub), MATH, "--verify", "none",
                         "--revision", "v1")
    assert code == EXIT_USAGE and "mirror" in err and out == ""
    folder = tmp_path / "model"
    shutil.copytree(example_hub / CLEAN, folder)
    code, _, err = run(capsys, str(folder), "--verify", "none", "--revision", "main")
    assert code == EXIT_USAGE and "local folder" in err


def test_baseline_ref_that_cannot_be_honoured_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], example_hub: Path
) -> None:
    code, _, err = run(capsys, "--mirror", str(example_hub), MATH, "--verify", "none",
                       "--baseline", "nosuchref")
    assert code == EXIT_USAGE and "nosuchref" in err
    assert "0 new" not in err


@pytest.mark.usefixtures("hub")  # the loopback Hub, no mirror
def test_baseline_revision_the_hub_repo_lacks_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditor.sources import hub as hub_module
    from auditor.sources.hub_errors import RetryPolicy

    monkeypatch.setattr(hub_module, "RetryPolicy", lambda: RetryPolicy(retries=1, backoff=0.01))
    base = [MATH, "--verify", "none", "--format", "json"]
    code, out, err = run(capsys, *base, "--baseline", "nosuchref")
    assert code == EXIT_USAGE and "--baseline nosuchref" in err and "not found" in err
    code, out, _ = run(capsys, *base, "--baseline", "main")
    assert code == EXIT_OK and json.loads(out)["baseline"] == "revision main"


def test_missing_mirror_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    code, _, err = run(capsys, "--mirror", str(tmp_path / "nope"), MATH, "--offline")
    assert code == EXIT_USAGE and "no such directory" in err


def test_two_formats_on_stdout_is_a_usage_error_with_the_reason(
    capsys: pytest.CaptureFixture[str], example_hub: Path, tmp_path: Path
) -> None:
    base = ["--mirror", str(example_hub), CLEAN, "--verify", "none"]
    code, out, err = run(capsys, *base, "--format", "json", "--format", "sarif")
    assert code == EXIT_USAGE and out == ""
    assert "json, sarif" in err and "--output" in err
    sarif = tmp_path / "r.sarif"
    code, out, _ = run(capsys, *base, "--format", "sarif", "--format", "json",
                       "--output", str(sarif))
    assert code == EXIT_OK and sarif.is_file() and json.loads(out)["targets"]


def test_a_reader_closing_the_pipe_ends_output_quietly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, example_hub: Path
) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # `| head` that has already exited
    closed = os.fdopen(write_end, "w")
    try:
        monkeypatch.setattr("sys.stdout", closed)
        assert cli.main(["--policy-list"]) == EXIT_OK
        # An audit still exits with its own verdict (findings: 1), not an internal error.
        assert cli.main(["--mirror", str(example_hub), MATH, "--verify", "none"]) == EXIT_FINDINGS
    finally:
        monkeypatch.undo()
        closed.close()
    assert "internal error" not in capsys.readouterr().err


def test_a_closed_pipe_in_a_real_process_is_not_an_internal_error(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    exe = Path(sys.executable).parent / "ailiance-audit"  # the installed console script
    proc = subprocess.run([str(exe), "--policy-list"], stdout=write_end, stderr=subprocess.PIPE,
                          timeout=120, check=False)
    os.close(write_end)
    assert proc.returncode == EXIT_OK, proc.stderr
    assert proc.stderr == b""


# ---------------------------------------------------------------- the fix reaches the reader

CUSTOM_PACK = """\
pack: my-org
rules:
  - id: my-org.no-gated-base
    title: The base is gated
    severity: warning
    fix: "Ask legal before publishing an adapter of a gated base."
    each: upstream
    violation: "item.gated"
    message: "'\\"' + item.id + '\\" is gated'"
"""


def test_every_finding_carries_its_fix_pack_and_doc_link_in_every_format(
    capsys: pytest.CaptureFixture[str], example_hub: Path, tmp_path: Path
) -> None:
    pack = tmp_path / "my-org.yaml"
    pack.write_text(CUSTOM_PACK, encoding="utf-8")
    base = ["--mirror", str(example_hub), MATH, "--verify", "none", "--policy", str(pack)]
    _, out, _ = run(capsys, *base, "--format", "json")
    found = findings(out)
    assert found and all(f["fix"] and f["pack"] for f in found), found
    custom = [f for f in found if f["rule_id"] == "my-org.no-gated-base"]
    assert custom and custom[0]["pack"] == "my-org" and custom[0]["help_uri"] is None
    shipped = next(f for f in found if f["rule_id"] == "license.lineage-undeclared")
    assert shipped["pack"] == "license-chain"
    assert shipped["help_uri"] == "docs/rules/license.lineage-undeclared.md"

    _, text, _ = run(capsys, *base)
    assert "fix: List every" in text and "fix: Ask legal" in text
    _, markdown, _ = run(capsys, *base, "--format", "markdown")
    assert "**Fix:** Ask legal before publishing" in markdown
    _, sarif, _ = run(capsys, *base, "--format", "sarif")
    rules = {r["id"]: r for r in json.loads(sarif)["runs"][0]["tool"]["driver"]["rules"]}
    assert "Fix: Ask legal before publishing" in rules["my-org.no-gated-base"]["help"]["text"]
    assert rules["license.lineage-undeclared"]["helpUri"].endswith(
        "docs/rules/license.lineage-undeclared.md"
    )
    _, html, _ = run(capsys, *base, "--format", "html")
    assert "Ask legal before publishing" in html  # custom packs get their fix in HTML too
    assert ">my-org <small>" in html


# ------------------------------------------------------------------------------- less noise


def test_scope_is_one_line_in_text_and_whole_in_json(
    capsys: pytest.CaptureFixture[str], example_hub: Path
) -> None:
    base = ["--mirror", str(example_hub), MATH, "--verify", "none"]
    _, text, _ = run(capsys, *base)
    row = text[text.index("│ info "):]
    row = row[: row.index("└")]
    assert "not presumed a new GPAI provider" in row and "2.17×10^17" in row
    assert "assumptions" not in row and "6·N·D" not in row
    _, out, _ = run(capsys, *base, "--format", "json")
    (scope,) = [f for f in findings(out) if f["rule_id"] == "aiact.scope"]
    assert scope["severity"] == "info"
    assert "assumptions:" in scope["message"] and "Conclusion:" in scope["message"]


def test_fail_on_note_passes_a_repo_whose_only_finding_is_info(
    capsys: pytest.CaptureFixture[str], quiet_hub: Path
) -> None:
    base = ["--mirror", str(quiet_hub), CLEAN, "--verify", "header"]
    code, out, _ = run(capsys, *base, "--fail-on", "note", "--format", "json")
    assert {f["severity"] for f in findings(out)} == {"info"}
    assert code == EXIT_OK
    code, _, _ = run(capsys, *base, "--fail-on", "info")
    assert code == EXIT_FINDINGS
    _, help_text, _ = run(capsys, "--help")
    assert "info" in help_text[help_text.index("--fail-on"):]


def test_policy_list_shows_effective_severities(capsys: pytest.CaptureFixture[str]) -> None:
    _, default, _ = run(capsys, "--policy-list")
    _, strict, _ = run(capsys, "--policy-list", "--policy", "strict")
    line = re.compile(r"^(license\.sharealike-leak)\s+(\S+)", re.M)
    assert line.search(default).group(2) != "error*"  # type: ignore[union-attr]
    assert line.search(strict).group(2) == "error*"  # type: ignore[union-attr]
    assert "raised by the profile" in strict


def test_a_binary_readme_gives_one_finding(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "README.md").write_bytes(b"\xff\xfe\x00\x01binary\x00\x00")
    _, out, _ = run(capsys, str(tmp_path), "--verify", "none", "--format", "json")
    ids = [f["rule_id"] for f in findings(out)]
    assert ids.count("card.unreadable") == 1
    assert "card.front-matter-invalid" not in ids and "license.missing" not in ids


# ----------------------------------------------------------------------------- small things


def test_unrecognised_option_is_named_once_with_a_suggestion(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "--fial-on", "error", MATH)
    assert code == EXIT_USAGE
    assert err.count("ailiance-audit") == 1 and "did you mean --fail-on?" in err
    code, _, err = run(capsys, "facts", "--bogus", MATH)
    assert code == EXIT_USAGE and err.startswith("ailiance-audit: facts: unrecognized")


def test_a_mistyped_profile_lists_the_profiles(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--policy", "strcit", "--policy-list")
    assert code == EXIT_USAGE
    assert "default, strict, none" in err and "'strict'" in err


def test_from_file_takes_comments_and_blank_lines(
    capsys: pytest.CaptureFixture[str], example_hub: Path, tmp_path: Path
) -> None:
    listing = tmp_path / "targets.txt"
    listing.write_text(f"# our adapters\n\n{CLEAN}   # the clean one\n   \n", encoding="utf-8")
    code, out, _ = run(capsys, "--mirror", str(example_hub), "--from-file", str(listing),
                       "--verify", "none", "--format", "json")
    assert code == EXIT_OK
    assert [t["target"]["spec"] for t in json.loads(out)["targets"]] == [CLEAN]


def test_spdx_created_is_the_run_time_unless_source_date_epoch(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, example_hub: Path
) -> None:
    base = ["--mirror", str(example_hub), CLEAN, "--verify", "none", "--format", "spdx"]
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = datetime.now(UTC).replace(microsecond=0)
    _, out, _ = run(capsys, *base)
    created = datetime.fromisoformat(json.loads(out)["creationInfo"]["created"])
    assert created >= before
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    _, out, _ = run(capsys, *base)
    assert json.loads(out)["creationInfo"]["created"] == "2026-01-01T00:00:00Z"


def test_pickle_adapter_weights_get_a_safetensors_hint(
    capsys: pytest.CaptureFixture[str], example_hub: Path, tmp_path: Path
) -> None:
    shutil.copy(example_hub / CLEAN / "README.md", tmp_path / "README.md")
    (tmp_path / "adapter_config.json").write_text(
        json.dumps({"peft_type": "LORA", "r": 8, "lora_alpha": 16, "target_modules": ["q_proj"],
                    "base_model_name_or_path": "swiss-ai/Apertus-70B-Instruct-2509"}),
        encoding="utf-8",
    )
    (tmp_path / "adapter_model.bin").write_bytes(b"\x80\x02}q\x00.")
    _, out, _ = run(capsys, "--mirror", str(example_hub), str(tmp_path), "--verify", "header",
                    "--format", "json")
    (bad,) = [f for f in findings(out) if "weights-unsupported" in str(f["message"])]
    assert "safe_serialization=True" in str(bad["message"])


def test_policy_test_examples_get_defaults_and_plain_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "my-org.yaml").write_text(CUSTOM_PACK, encoding="utf-8")
    tests = tmp_path / "tests"
    tests.mkdir()
    case = tests / "my-org.no-gated-base.yaml"
    # Upstream nodes give only what the rule reads: kind, role, depth, license... are defaults.
    case.write_text(
        "rule: my-org.no-gated-base\ncases:\n"
        "  - {name: gated base, expect: fail, facts: {upstream: [{id: a/base, gated: true}]}}\n"
        "  - {name: open base, expect: pass, facts: {upstream: [{id: a/base}]}}\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "policy", "test", str(tmp_path))
    assert code == EXIT_OK, out + err
    assert "2 passed, 0 failed" in out
    case.write_text(
        "rule: my-org.no-gated-base\ncases:\n"
        "  - {name: bad, expect: fail, facts: {upstream: [{id: a/base, depth: deep}]}}\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "policy", "test", str(tmp_path))
    assert code == EXIT_USAGE
    assert "upstream[0].depth" in err and "pydantic" not in err and "https://" not in err
