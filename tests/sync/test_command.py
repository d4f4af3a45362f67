"""``card sync`` edge cases: bad arguments, no card, CRLF cards, file mode, bad input as data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sync_helpers import EXAMPLE, ROOT, Sync

from auditor.errors import UsageError
from auditor.sync import markers


def test_target_must_be_a_directory(sync: Sync, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a directory"):
        sync(tmp_path / "missing")
    with pytest.raises(UsageError, match="not a directory"):
        sync(Path("Ailiance-fr/apertus-math-lora"))  # a Hub id: sync needs a clone


def test_dataset_ids_are_checked(sync: Sync, repo: Path) -> None:
    with pytest.raises(UsageError, match="Hub dataset id"):
        sync(repo, "--dataset", "../../etc/passwd")
    with pytest.raises(UsageError, match="Hub dataset id"):
        sync(repo, "--dataset", "no-org")


def test_a_repo_without_card_gets_one(sync: Sync, tmp_path: Path) -> None:
    repo = tmp_path / "bare"
    repo.mkdir()
    for name in ("adapter_config.json", "adapters.safetensors"):
        shutil.copy(EXAMPLE / name, repo / name)
    code, diff, _ = sync(repo, "--verify", "header", "--write", "--summary-skeleton")
    assert code == 0 and diff.startswith("--- a/README.md")
    text = (repo / "README.md").read_text()
    assert text.startswith(
        "---\nbase_model: swiss-ai/Apertus-70B-Instruct-2509\n"
        "base_model_relation: adapter\nlibrary_name: mlx\n---\n"
    )
    for role in ("training", "license-chain", "notices", "training-summary"):
        assert markers.begin(role) in text
    assert sync(repo, "--verify", "header")[:2] == (0, "")


def test_crlf_cards_and_file_mode_are_kept(sync: Sync, repo: Path) -> None:
    card = repo / "README.md"
    card.write_bytes(card.read_bytes().replace(b"\n", b"\r\n"))
    os.chmod(card, 0o640)
    before = card.read_bytes().split(b"\r\n")
    sync(repo, "--verify", "header", "--write")
    after = card.read_bytes()
    assert b"\n" not in after.replace(b"\r\n", b"")  # every line still ends with CRLF
    assert card.stat().st_mode & 0o777 == 0o640
    assert before[0:3] == after.split(b"\r\n")[0:3]  # "---", license, base_model untouched
    assert sync(repo, "--verify", "header")[:2] == (0, "")


def test_invalid_front_matter_is_reported_not_rewritten(sync: Sync, repo: Path) -> None:
    card = repo / "README.md"
    broken = card.read_text().replace("library_name: peft", "library_name: [peft")
    card.write_text(broken)
    code, diff, err = sync(repo, "--verify", "header")
    assert code == 0
    assert "front matter:" in err and "keys were not synced" in err
    assert "-library_name" not in diff and "+library_name" not in diff
    assert "+<!-- ailiance-audit:begin training" in diff  # the body is still synced


def test_non_utf8_bytes_survive(sync: Sync, repo: Path) -> None:
    card = repo / "README.md"
    card.write_bytes(card.read_bytes() + b"\nLatin-1 caf\xe9 line\n")
    sync(repo, "--verify", "header", "--write")
    assert card.read_bytes().endswith(b"\nLatin-1 caf\xe9 line\n")


def test_sync_with_an_upstream_it_could_not_look_at_writes_nothing(
    sync: Sync, tmp_path: Path
) -> None:
    """A chain table from a partial lineage would omit duties: exit 3, card untouched, unless
    --allow-incomplete (then the card is written and the gap still named)."""
    fixture = ROOT / "tests" / "fixtures" / "golden-run" / "hub"
    repo = tmp_path / "waived-lora"
    shutil.copytree(fixture / "acme" / "waived-lora", repo)
    before = (repo / "README.md").read_bytes()
    code, _, err = sync(repo, "--mirror", str(fixture), "--verify", "header", "--write")
    assert code == 3
    assert "could not look at dataset 'acme/arithmetic-private'" in err
    assert "card not written" in err
    assert (repo / "README.md").read_bytes() == before
    code, _, err = sync(
        repo, "--mirror", str(fixture), "--verify", "header", "--write", "--allow-incomplete"
    )
    assert code == 0 and "could not look at dataset 'acme/arithmetic-private'" in err
    assert (repo / "README.md").read_bytes() != before
