"""The hook against a pusher who knows how it works: real ``git push`` through the installed hook.

- the pushed tree is audited, never the work tree: an ignored ``.ailiance-audit.yaml`` that
  waives the blocking rule does not decide the verdict;
- a card whose front matter follows a blank line is a card for the hook and ``hook changed``
  too (one predicate with the parser, which like the Hub skips leading white space);
- by default only findings the push introduces block it (``--all-findings`` opts out);
- ``--mirror``/``--policy`` paths given to ``install`` mean at push time what they meant;
- ``core.hooksPath=/dev/null`` is a usage error, not a crash.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from hooks.gitrepo import (
    BAD_CARD,
    RULE,
    card,
    commit_all,
    console_script,
    git,
    model_repo,
    push,
    remote_head,
)

WAIVER = f"""waivers:
  - rule: {RULE}
    reason: it is fine, trust me
    owner: someone@example.org
    expires: 2099-01-01
"""


def cli(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [console_script(), *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )


def test_ignored_waiver_file_does_not_decide_the_push(tmp_path: Path, env: dict[str, str]) -> None:
    repo, remote = model_repo(tmp_path, env)
    assert cli(repo, env, "hook", "install").returncode == 0
    (repo / ".ailiance-audit.yaml").write_text(WAIVER)
    with (repo / ".git" / "info" / "exclude").open("a") as fh:
        fh.write(".ailiance-audit.yaml\n")
    assert git(repo, "status", "--porcelain", env=env) == ""  # invisible to git status
    rejected = push(repo, env)
    assert rejected.returncode != 0, rejected.stderr
    assert RULE in rejected.stderr
    assert remote_head(remote, env) is None


def test_card_after_a_blank_line_is_audited(tmp_path: Path, env: dict[str, str]) -> None:
    repo, _ = model_repo(tmp_path, env)
    assert push(repo, env, "--no-verify").returncode == 0
    assert cli(repo, env, "hook", "install").returncode == 0
    sub = repo / "models" / "nc-lora"
    sub.mkdir(parents=True)
    (sub / "README.md").write_text("\n \n" + BAD_CARD)
    commit_all(repo, "a second model, card after a blank line", env)
    changed = cli(repo, env, "hook", "changed", "--base", "HEAD~1")
    assert changed.returncode == 0 and changed.stdout.split() == ["models/nc-lora"]
    rejected = push(repo, env)
    assert rejected.returncode != 0, rejected.stderr
    assert RULE in rejected.stderr


def test_hook_blocks_only_new_findings_by_default(tmp_path: Path, env: dict[str, str]) -> None:
    repo, remote = model_repo(tmp_path, env)
    assert push(repo, env, "--no-verify").returncode == 0  # the remote already has the error
    assert cli(repo, env, "hook", "install").returncode == 0
    (repo / "README.md").write_text(BAD_CARD + "\nMore prose.\n")
    prose = commit_all(repo, "prose", env)
    accepted = push(repo, env)
    assert accepted.returncode == 0, accepted.stderr
    assert remote_head(remote, env) == prose
    assert cli(repo, env, "hook", "install", "--all-findings").returncode == 0
    (repo / "README.md").write_text(BAD_CARD + "\nEven more prose.\n")
    commit_all(repo, "more prose", env)
    rejected = push(repo, env)
    assert rejected.returncode != 0 and RULE in rejected.stderr
    assert remote_head(remote, env) == prose


def test_install_help_shows_the_run_options(env: dict[str, str], tmp_path: Path) -> None:
    done = cli(tmp_path, env, "hook", "install", "--help")
    assert done.returncode == 0
    for option in ("--fail-on", "--policy", "--all-findings", "--verify"):
        assert option in done.stdout
    assert "only on findings it introduces" in done.stdout


def test_install_paths_mean_what_they_meant(tmp_path: Path, env: dict[str, str]) -> None:
    repo, _ = model_repo(tmp_path, env)
    (repo / "hub").mkdir()
    (repo / "sub").mkdir()
    outside = tmp_path / "outside-hub"
    outside.mkdir()
    done = cli(repo / "sub", env, "hook", "install", "--mirror", "../hub", f"--mirror={outside}")
    assert done.returncode == 0, done.stderr
    script = (repo / ".git" / "hooks" / "pre-push").read_text()
    assert " --mirror hub" in script and f" --mirror={outside}" in script


def test_hooks_path_dev_null_is_a_usage_error(tmp_path: Path, env: dict[str, str]) -> None:
    repo, _ = model_repo(tmp_path, env)
    git(repo, "config", "core.hooksPath", "/dev/null", env=env)
    done = cli(repo, env, "hook", "install")
    assert done.returncode == 2, done.stderr
    assert "core.hooksPath" in done.stderr and "internal error" not in done.stderr


def test_card_predicate_is_shared_with_the_parser() -> None:
    from auditor.card import parse_card
    from auditor.hooks.changes import looks_like_repo

    for text in ("\n---\nlicense: mit\n---\n", "\ufeff \n---\nlicense: mit\n---\n", "# docs\n"):
        has_card = bool(parse_card(text).metadata.license)
        assert looks_like_repo("models/x", ["README.md"], text) == has_card, repr(text)
    assert card("mit")  # the shared helper builds cards for the other tests
