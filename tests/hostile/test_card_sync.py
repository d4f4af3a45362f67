"""``card sync`` reads and writes the card through the audit's resolver and under its size cap:
a ``README.md`` link out of the repo is neither read, shown in the diff nor copied in, and a
card longer than the audit reads is refused in bounded time and memory (exit 2).
"""

from __future__ import annotations

from pathlib import Path

from .harness import Result, run_cli

CARD = "---\nlicense: apache-2.0\n---\n# Model\n\nA model.\n"


def _sync(repo: Path, *extra: str) -> Result:
    result = run_cli(
        ["card", "sync", str(repo), "--offline", "--verify", "none", *extra],
        subcommand=True,
        timeout=120,
    )
    assert result.rc is not None, "no answer within the time bound"
    assert "Traceback" not in result.stderr
    return result


def test_sync_refuses_a_card_link_out_of_the_repo(tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("---\nlicense: mit\n---\nSECRET-OUTSIDE token=hf_abc\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README.md").symlink_to(secret)
    for extra in ((), ("--write",)):
        result = _sync(repo, *extra)
        assert result.rc == 2, result.stderr
        assert "SECRET-OUTSIDE" not in result.stdout + result.stderr
        assert (repo / "README.md").is_symlink(), "the link was replaced by a copy"
    assert secret.read_text().startswith("---\nlicense: mit\n")


def test_sync_writes_through_a_link_inside_the_repo(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    # A base gives the card a chain to write (a repository alone gets none).
    based = CARD.replace("---\n#", "base_model: org/base\n---\n#", 1)
    (repo / "docs" / "card.md").write_text(based)
    (repo / "README.md").symlink_to("docs/card.md")
    # org/base is in no mirror: without --allow-incomplete sync would (rightly) write nothing.
    result = _sync(repo, "--write", "--allow-incomplete")
    assert result.rc == 0, result.stderr
    assert (repo / "README.md").is_symlink()
    assert "License chain" in (repo / "docs" / "card.md").read_text()


def test_sync_refuses_a_card_larger_than_the_audit_reads(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    line = "| a | b | c | d |\n"
    (repo / "README.md").write_text(CARD + "## Training\n\n" + line * (20_000_000 // len(line)))
    result = _sync(repo)
    assert result.rc == 2, result.stderr[-500:]
    assert "longer than" in result.stderr
    assert result.peak_mb < 400
