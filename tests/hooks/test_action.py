"""The CI gate: action.yml and the example workflow.

GitHub cannot run here, so the action's audit step is run the way the runner runs it
(``bash --noprofile --norc -eo pipefail``, inputs as environment variables, ``GITHUB_OUTPUT`` and
``GITHUB_STEP_SUMMARY`` files) in a real repository with a pull-request-like branch.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from hooks.gitrepo import REPO_ROOT, card, commit_all, git

ACTION = REPO_ROOT / "action.yml"
WORKFLOW = REPO_ROOT / "examples" / "ci" / "audit-model-cards.yml"
CREDITS = "## Credits\n\nDatasets by acme (CC BY-NC 4.0).\n"
RULE = "license.noncommercial-leak"


def action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text())
    return data


def step(step_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in action()["runs"]["steps"] if s.get("id") == step_id)
    return found


def test_action_is_composite_and_hardened() -> None:
    data = action()
    assert data["runs"]["using"] == "composite"
    uses = [s["uses"] for s in data["runs"]["steps"] if "uses" in s]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    text = ACTION.read_text()
    for s in data["runs"]["steps"]:
        if "run" in s:
            # No expression is expanded inside a script: inputs arrive through `env:` only.
            assert "${{" not in s["run"], s.get("name")
            assert s["shell"] == "bash"
    for name in re.findall(r"inputs\.([a-z-]+)", text):
        assert name in data["inputs"], name
    assert data["inputs"]["fail-on"]["default"] == "error"
    assert "base commit" in data["inputs"]["baseline"]["description"]


def test_example_workflow_uses_the_action() -> None:
    wf = yaml.safe_load(WORKFLOW.read_text())
    assert "pull_request" in wf[True]  # YAML 1.1 reads the key `on` as True
    assert wf["permissions"]["security-events"] == "write"
    steps = wf["jobs"]["audit"]["steps"]
    checkout = next(s for s in steps if s["uses"].startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # the baseline needs the base commit
    assert any(s["uses"].split("@")[0].endswith("/ailiance-audit") for s in steps)


def run_audit_step(
    repo: Path, env: dict[str, str], tmp: Path, base: str, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
    data, s = action(), step("audit")
    values = {k: str(v.get("default", "")) for k, v in data["inputs"].items()}
    values.update({k.replace("_", "-"): v for k, v in inputs.items()})
    run_env = dict(env)
    for var, expr in s["env"].items():
        m = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", expr)
        run_env[var] = values[m.group(1)] if m else base  # EVENT_BASE: the PR's base sha
    outputs, summary = tmp / "github_output", tmp / "step_summary"
    outputs.write_text("")
    summary.write_text("")
    run_env.update(
        GITHUB_OUTPUT=str(outputs), GITHUB_STEP_SUMMARY=str(summary), RUNNER_TEMP=str(tmp)
    )
    script = tmp / "step.sh"
    script.write_text(s["run"])
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=repo,
        capture_output=True,
        text=True,
        env=run_env,
        check=False,
        timeout=600,
    )
    out = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    return done, out, summary.read_text()


def pr_repo(tmp_path: Path, env: dict[str, str], pr_card: str) -> tuple[Path, str]:
    repo = tmp_path / "apertus-nc-lora"
    repo.mkdir()
    git(repo, "init", "-q", env=env)
    (repo / "README.md").write_text(card("apache-2.0", extra=CREDITS))
    (repo / "notes.txt").write_text("x\n")
    base = commit_all(repo, "base", env)
    git(repo, "checkout", "-q", "-b", "pr", env=env)
    (repo / "README.md").write_text(pr_card)
    commit_all(repo, "pull request", env)
    return repo, base


def test_audit_step_gates_on_new_findings(tmp_path: Path, env: dict[str, str]) -> None:
    two = ("acme/nc-math", "acme/nc-geometry")
    repo, base = pr_repo(tmp_path, env, card("apache-2.0", two, extra=CREDITS))
    done, out, summary = run_audit_step(repo, env, tmp_path, base, verify="header")
    assert done.returncode == 0, done.stderr  # the step records; the Gate step fails the job
    assert out["exit-code"] == "1"
    assert json.loads(out["dirs"]) == ["."]
    sarif = json.loads(Path(out["sarif-file"]).read_text())
    assert sarif["version"] == "2.1.0"
    assert RULE in {r["ruleId"] for r in sarif["runs"][0]["results"]}
    report = json.loads(Path(out["json-file"]).read_text())
    assert len(report["targets"][0]["baseline_new"]) == 1
    assert RULE in summary and summary == Path(out["markdown-file"]).read_text()
    assert done.stdout.startswith("::stop-commands::ailiance-audit-")
    token = done.stdout.split("\n", 1)[0].split("::")[2]
    assert done.stdout.rstrip().endswith(f"::{token}::")

    # Only the card's prose changes: the known error is not new, the gate passes.
    git(repo, "checkout", "-q", "-b", "prose", base, env=env)
    (repo / "README.md").write_text(card("apache-2.0", extra=CREDITS + "\nMore.\n"))
    commit_all(repo, "prose", env)
    done, out, _ = run_audit_step(repo, env, tmp_path, base, verify="header")
    assert out["exit-code"] == "0", done.stdout + done.stderr


def test_no_card_changed(tmp_path: Path, env: dict[str, str]) -> None:
    repo, _ = pr_repo(tmp_path, env, card("apache-2.0", extra=CREDITS + "\nMore.\n"))
    base = git(repo, "rev-parse", "HEAD", env=env).strip()
    (repo / "notes.txt").write_text("y\n")
    commit_all(repo, "notes only", env)
    done, out, summary = run_audit_step(repo, env, tmp_path, base, verify="header")
    assert done.returncode == 0 and out["exit-code"] == "0"
    assert json.loads(out["dirs"]) == [] and "no model card changed" in summary
    assert "sarif-file" not in out


def test_hostile_card_text_stays_inert(tmp_path: Path, env: dict[str, str]) -> None:
    hostile = '"@octocat <img src=x onerror=alert(1)> [click](https://evil.example) | x | y"'
    text = card("apache-2.0", extra="::error::pwned\n").replace(
        "license: apache-2.0", f"license: {hostile}"
    )
    repo, base = pr_repo(tmp_path, env, text)
    done, out, summary = run_audit_step(repo, env, tmp_path, base, verify="none", baseline="none")
    assert out["exit-code"] in ("0", "1"), done.stdout + done.stderr
    assert summary, "the markdown report was written"
    for raw in ("@octocat", "<img", "](https://evil", "::error::pwned"):
        assert raw not in summary, raw
    # Everything the tool printed came after stop-commands: no line can be a workflow command.
    first = done.stdout.split("\n", 1)[0]
    assert first.startswith("::stop-commands::")
