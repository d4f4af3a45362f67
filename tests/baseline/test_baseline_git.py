"""Done-when: a pull-request-like change that adds one finding fails on that finding only.

The model repo's ``main`` already has an error (an Apache-2.0 card trained on a NonCommercial
dataset). The "pull request" branch adds a second NonCommercial dataset (one new error) and
moves every line of the card down; ``--baseline main`` must fail on the new finding alone.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hooks.gitrepo import card, commit_all, console_script, git

from auditor.cli import main
from auditor.errors import EXIT_USAGE
from auditor.models.codec import load

CREDITS = "## Credits\n\nDatasets by acme (CC BY-NC 4.0).\n"
BASE_CARD = card("apache-2.0", ("acme/nc-math",), CREDITS)
PR_CARD = card("apache-2.0", ("acme/nc-math", "acme/nc-geometry"), CREDITS).replace(
    "# Apertus math fine-tune", "\n\n# Apertus math fine-tune (v2)"
)
RULE = "license.noncommercial-leak"


def repo_on_pr_branch(tmp_path: Path, env: dict[str, str]) -> Path:
    repo = tmp_path / "apertus-nc-lora"
    repo.mkdir()
    git(repo, "init", "-q", env=env)
    (repo / "README.md").write_text(BASE_CARD)
    commit_all(repo, "base", env)
    git(repo, "checkout", "-q", "-b", "pr", env=env)
    (repo / "README.md").write_text(PR_CARD)
    commit_all(repo, "add a dataset", env)
    return repo


def audit(repo: Path, env: dict[str, str], *args: str) -> tuple[int, dict[str, Any], str]:
    out = repo.parent / "report.json"
    done = subprocess.run(
        [
            console_script(),
            str(repo),
            "--verify",
            "header",
            "--format",
            "json",
            "--output",
            str(out),
            "--format",
            "text",
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(out.read_text()), done.stdout


def by_key(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    from auditor.baseline import key
    from auditor.models import Finding

    findings = report["targets"][0]["findings"]
    return {key(load(Finding, f)): f for f in findings}


def test_pull_request_fails_on_the_new_finding_only(tmp_path: Path, env: dict[str, str]) -> None:
    repo = repo_on_pr_branch(tmp_path, env)
    code, plain, _ = audit(repo, env)
    assert code == 1 and [f["rule_id"] for f in plain["targets"][0]["findings"]].count(RULE) == 2

    code, report, text = audit(repo, env, "--baseline", "main")
    target = report["targets"][0]
    assert code == 1
    assert report["baseline"].startswith("git ref main (")
    assert len(target["baseline_new"]) == 1  # exactly one finding is new...
    new = by_key(report)[target["baseline_new"][0]]
    assert new["rule_id"] == RULE and "acme/nc-geometry" in new["message"]  # ...and it is this
    unchanged = [by_key(report)[k] for k in target["baseline_unchanged"]]
    assert any(f["rule_id"] == RULE and "acme/nc-math" in f["message"] for f in unchanged)
    assert len(unchanged) == len(target["findings"]) - 1 and target["baseline_fixed"] == []
    assert "1 new" in text and f"new       error   {RULE}" in text

    # The same comparison from a JSON report of the base (e.g. CI's previous run).
    git(repo, "checkout", "-q", "main", env=env)
    _, base_report, _ = audit(repo, env)
    saved = tmp_path / "base.json"
    saved.write_text(json.dumps(base_report))
    git(repo, "checkout", "-q", "pr", env=env)
    code, from_file, _ = audit(repo, env, "--baseline", str(saved))
    assert code == 1 and from_file["targets"][0]["baseline_new"] == target["baseline_new"]
    assert from_file["baseline"] == f"report {saved}"


def test_no_new_finding_passes_and_fixed_ones_are_listed(
    tmp_path: Path, env: dict[str, str]
) -> None:
    repo = repo_on_pr_branch(tmp_path, env)
    git(repo, "checkout", "-q", "main", env=env)
    git(repo, "checkout", "-q", "-b", "edit", env=env)
    (repo / "README.md").write_text(BASE_CARD + "\nMore prose about the training run.\n")
    commit_all(repo, "prose only", env)
    code, report, _ = audit(repo, env, "--baseline", "main")
    assert code == 0  # the old error is still there, but it is not new
    assert report["targets"][0]["baseline_new"] == []
    assert report["summary"]["error"] == 1  # and it is still reported

    # Fixing it (back to one NC dataset under an NC license) lists it as fixed.
    code, report, text = audit(repo, env, "--baseline", "pr")
    fixed = report["targets"][0]["baseline_fixed"]
    assert code == 0 and [f["rule_id"] for f in fixed] == [RULE]
    assert "acme/nc-geometry" in fixed[0]["message"]
    assert f"fixed     error   {RULE}" in text


def test_new_model_dir_has_an_empty_baseline(tmp_path: Path, env: dict[str, str]) -> None:
    repo = tmp_path / "mono"
    repo.mkdir()
    git(repo, "init", "-q", env=env)
    (repo / "tool.py").write_text("print()\n")
    commit_all(repo, "code", env)
    model = repo / "models" / "apertus-nc-lora"
    model.mkdir(parents=True)
    (model / "README.md").write_text(BASE_CARD)
    commit_all(repo, "a model", env)
    code, report, _ = audit(model, env, "--baseline", "HEAD~1")
    target = report["targets"][0]
    assert code == 1 and len(target["baseline_new"]) == len(target["findings"]) > 0


def test_bad_baselines_are_usage_errors(tmp_path: Path, env: dict[str, str], capsys: Any) -> None:
    repo = repo_on_pr_branch(tmp_path, env)
    assert main([str(repo), "--verify", "none", "--baseline", "no-such-ref"]) == 2
    assert "not a commit" in capsys.readouterr().err
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert main([str(repo), "--verify", "none", "--baseline", str(garbage)]) == 2
    assert "not a readable JSON report" in capsys.readouterr().err
    assert main([str(repo), "--verify", "none", "--baseline", str(tmp_path / "none.json")]) == 2
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "README.md").write_text(BASE_CARD)
    assert main([str(plain), "--verify", "none", "--baseline", "main"]) == 2
    assert "not inside a git work tree" in capsys.readouterr().err


def test_a_baseline_ref_a_mirror_cannot_honour_is_a_usage_error(
    tmp_path: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # A Hub id's baseline REF is a Hub revision of the same repo; a mirror has one state, so
    # comparing with "main" (or any ref) would compare the mirror with itself: "0 new".
    from hooks.gitrepo import EXAMPLE_HUB

    out = tmp_path / "r.json"
    argv = ["--mirror", str(EXAMPLE_HUB), "Ailiance-fr/apertus-math-lora", "--verify", "none"]
    code = main([*argv, "--baseline", "main", "--format", "json", "--output", str(out)])
    assert code == EXIT_USAGE
    assert "no revisions" in capsys.readouterr().err
    assert not out.exists()
