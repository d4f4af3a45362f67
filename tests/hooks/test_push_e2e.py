"""Done-when: a real push through the installed hook is rejected, then accepted once fixed.

Everything is real: the ``ailiance-audit`` console script installs the hook, ``git push`` runs
it against a local bare remote, the audit resolves the base through the example hub mirror.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from hooks.gitrepo import (
    BAD_CARD,
    GOOD_CARD,
    RULE,
    card,
    commit_all,
    console_script,
    git,
    model_repo,
    push,
    remote_head,
)


def cli(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [console_script(), *args], cwd=repo, capture_output=True, text=True, env=env, check=False
    )


def test_push_rejected_then_accepted(tmp_path: Path, env: dict[str, str]) -> None:
    repo, remote = model_repo(tmp_path, env)
    done = cli(repo, env, "hook", "install")
    assert done.returncode == 0, done.stderr
    assert (repo / ".git" / "hooks" / "pre-push").exists()

    rejected = push(repo, env)
    assert rejected.returncode != 0
    assert RULE in rejected.stderr
    assert "NonCommercial" in rejected.stderr  # the rule's message, not only its id
    assert f"to fix {RULE}: " in rejected.stderr  # and what to do about it
    assert "git push --no-verify" in rejected.stderr
    assert remote_head(remote, env) is None  # nothing reached the remote

    (repo / "README.md").write_text(GOOD_CARD)
    fixed = commit_all(repo, "carry the NonCommercial terms", env)
    accepted = push(repo, env)
    assert accepted.returncode == 0, accepted.stderr
    assert RULE not in accepted.stderr
    assert "no new finding at or above error" in accepted.stderr  # new-only is the default
    assert remote_head(remote, env) == fixed


def test_uncommitted_fix_does_not_pass_a_bad_commit(tmp_path: Path, env: dict[str, str]) -> None:
    """The pushed commit is audited, not the work tree: a fix left uncommitted does not count."""
    repo, remote = model_repo(tmp_path, env)
    assert cli(repo, env, "hook", "install").returncode == 0
    (repo / "README.md").write_text(GOOD_CARD)  # fixed on disk, bad in the commit
    rejected = push(repo, env)
    assert rejected.returncode != 0 and RULE in rejected.stderr
    assert remote_head(remote, env) is None
    assert (repo / "README.md").read_text() == GOOD_CARD  # the work tree was not touched


def test_unrelated_change_is_not_audited_and_bypass(tmp_path: Path, env: dict[str, str]) -> None:
    repo, remote = model_repo(tmp_path, env)
    assert cli(repo, env, "hook", "install").returncode == 0
    bypass = push(repo, env, "--no-verify")  # the documented bypass
    assert bypass.returncode == 0 and remote_head(remote, env) is not None
    (repo / "notes.txt").write_text("training notes\n")
    sha = commit_all(repo, "notes", env)
    quiet = push(repo, env)
    assert quiet.returncode == 0, quiet.stderr
    assert "nothing to audit" in quiet.stderr  # the card did not change in the pushed range
    assert remote_head(remote, env) == sha
    (repo / "README.md").write_text(BAD_CARD + "\nMore prose.\n")
    commit_all(repo, "touch the card", env)
    again = push(repo, env)  # audited; the finding predates the push, so it does not block
    assert again.returncode == 0 and "apertus-nc-lora (commit" in again.stderr
    assert cli(repo, env, "hook", "install", "--all-findings").returncode == 0
    (repo / "README.md").write_text(BAD_CARD + "\nEven more prose.\n")
    commit_all(repo, "touch the card again", env)
    blocked = push(repo, env)
    assert blocked.returncode != 0 and RULE in blocked.stderr


def test_chained_hook_runs_first_and_uninstall_restores(
    tmp_path: Path, env: dict[str, str]
) -> None:
    repo, _remote = model_repo(tmp_path, env)
    (repo / "README.md").write_text(GOOD_CARD)
    commit_all(repo, "good card", env)
    hooks = repo / ".git" / "hooks"
    log = tmp_path / "chained.log"
    original = f'#!/bin/sh\necho "args: $*" >> {log}\ncat >> {log}\nexit 0\n'
    (hooks / "pre-push").write_text(original)
    (hooks / "pre-push").chmod(0o755)

    done = cli(repo, env, "hook", "install")
    assert done.returncode == 0 and "pre-push.local" in done.stdout
    assert (hooks / "pre-push.local").read_text() == original
    assert cli(repo, env, "hook", "install").returncode == 0  # idempotent, no double chaining
    assert (hooks / "pre-push.local").read_text() == original

    result = push(repo, env)
    assert result.returncode == 0, result.stderr
    seen = log.read_text()
    assert "args: origin " in seen  # same arguments as git gave
    head = git(repo, "rev-parse", "HEAD", env=env).strip()
    assert f"refs/heads/main {head} refs/heads/main" in seen  # and the same stdin
    assert "no new finding at or above error" in result.stderr  # our audit ran after it

    done = cli(repo, env, "hook", "uninstall")
    assert done.returncode == 0
    assert (hooks / "pre-push").read_text() == original
    assert not (hooks / "pre-push.local").exists()


def test_failing_chained_hook_blocks(tmp_path: Path, env: dict[str, str]) -> None:
    repo, remote = model_repo(tmp_path, env)
    hook = repo / ".git" / "hooks" / "pre-push"
    hook.write_text("#!/bin/sh\necho 'local policy says no' >&2\nexit 7\n")
    hook.chmod(0o755)
    assert cli(repo, env, "hook", "install").returncode == 0
    result = push(repo, env)
    assert result.returncode != 0 and "local policy says no" in result.stderr
    assert RULE not in result.stderr  # the chained hook's verdict stands; ours did not run
    assert remote_head(remote, env) is None


def test_uninstall_refuses_a_foreign_hook(tmp_path: Path, env: dict[str, str]) -> None:
    repo, _ = model_repo(tmp_path, env)
    hook = repo / ".git" / "hooks" / "pre-push"
    hook.write_text("#!/bin/sh\nexit 0\n")
    done = cli(repo, env, "hook", "uninstall")
    assert done.returncode == 2 and "not installed by ailiance-audit" in done.stderr
    assert hook.read_text() == "#!/bin/sh\nexit 0\n"
    (repo / ".git" / "hooks" / "pre-push.local").write_text("#!/bin/sh\n")
    done = cli(repo, env, "hook", "install")
    assert done.returncode == 2 and "both exist" in done.stderr
    assert hook.read_text() == "#!/bin/sh\nexit 0\n"  # never clobbered


def test_new_only_blocks_only_what_the_push_introduces(tmp_path: Path, env: dict[str, str]) -> None:
    credits = "## Credits\n\nDatasets by acme (CC BY-NC 4.0).\n"
    repo, remote = model_repo(tmp_path, env)
    (repo / "README.md").write_text(card("apache-2.0", extra=credits))
    commit_all(repo, "known problem", env)
    assert push(repo, env, "--no-verify").returncode == 0  # the remote already has the error

    assert cli(repo, env, "hook", "install", "--bogus").returncode == 2  # checked at install
    assert not (repo / ".git" / "hooks" / "pre-push").exists()
    assert cli(repo, env, "hook", "install", "--new-only").returncode == 0
    assert "--new-only" in (repo / ".git" / "hooks" / "pre-push").read_text()

    (repo / "README.md").write_text(card("apache-2.0", extra=credits + "\nMore prose.\n"))
    prose = commit_all(repo, "prose", env)
    accepted = push(repo, env)
    assert accepted.returncode == 0, accepted.stderr
    assert "no new finding at or above error" in accepted.stderr
    assert remote_head(remote, env) == prose

    two = ("acme/nc-math", "acme/nc-geometry")
    (repo / "README.md").write_text(card("apache-2.0", two, extra=credits))
    commit_all(repo, "another NC dataset", env)
    rejected = push(repo, env)
    assert rejected.returncode != 0
    assert "1 new finding(s)" in rejected.stderr
    assert "acme/nc-geometry" in rejected.stderr and "acme/nc-math" not in rejected.stderr
    assert remote_head(remote, env) == prose
