"""Card sync on the cards people have: the Trainer's bullet list is updated where it stands, rows
sync does not own are kept, and a written sync never makes the audit worse (every example,
every card dialect of the tests, and the real-world cards when ../shared has them)."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from sync_helpers import EXAMPLE, EXAMPLE_HUB, ROOT

from auditor import subcommands
from auditor.models import Finding
from auditor.pipeline import AuditOptions, run_iter
from auditor.sources.base import parse_target

FIXTURE_HUB = ROOT / "tests" / "fixtures" / "adapters" / "hub"
FIXTURES = FIXTURE_HUB / "fixtures"
REALWORLD_CARDS = ROOT.parent / "shared" / "realworld-cards"

# The layout the Hugging Face Trainer writes (our own words in the same shape).
TRAINER_CARD = """\
---
library_name: {library}
license: apache-2.0
base_model: tiny-random/llama-4l
tags:
- generated_from_trainer
model-index:
- name: tiny-lora
  results: []
---

<!-- Written by the trainer; proofread it. -->

# tiny-lora

A small adapter of [tiny-random/llama-4l](https://huggingface.co/tiny-random/llama-4l) trained on
an unnamed dataset.

## Training procedure

### Training hyperparameters

The following hyperparameters were used during training:
- learning_rate: 2e-05
- train_batch_size: 8
- eval_batch_size: 8
- seed: 42
- gradient_accumulation_steps: 1
- optimizer: adam with betas=(0.9,0.999) and epsilon=1e-08
- lr_scheduler_type: linear
- num_epochs: 3

### Training results



### Framework versions

- PEFT 0.13.2
"""


def trainer_repo(tmp_path: Path, fixture: str, library: str) -> Path:
    repo = tmp_path / f"{fixture}-trainer"
    shutil.copytree(FIXTURES / fixture, repo)
    (repo / "README.md").write_text(TRAINER_CARD.format(library=library), encoding="utf-8")
    return repo


def sync(hub: Path, repo: Path, *args: str) -> int:
    argv = ["sync", str(repo), "--mirror", str(hub), "--offline", *args]
    return subcommands.run("card", argv)


def audit(hub: Path, repo: Path, verify: str = "header") -> list[Finding]:
    options = AuditOptions(mirrors=[hub], offline=True, verify=verify)  # type: ignore[arg-type]
    (report,) = run_iter([parse_target(str(repo))], options)
    assert report.status == "audited", report.error
    return list(report.findings)


def verdict(findings: list[Finding]) -> Counter[tuple[str, str, str]]:
    """What the audit says, without lines (sync moves them): rule, node, severity, counted."""
    return Counter((f.rule_id, f.node, f.severity.value) for f in findings)


def test_trainer_list_is_updated_in_place_not_duplicated(tmp_path: Path) -> None:
    repo = trainer_repo(tmp_path, "peft-llama-lora", "peft")
    old = (repo / "README.md").read_text(encoding="utf-8")
    assert sync(FIXTURE_HUB, repo, "--write") == 0
    new = (repo / "README.md").read_text(encoding="utf-8")
    assert "## Training\n" not in new and "not recorded" not in new  # no second section
    assert new.count("learning_rate") == 1
    # The author's bullets stay byte-identical (PEFT's config records none of them) ...
    bullets = [ln for ln in old.splitlines() if ln.startswith("- ") and ":" in ln][2:]
    for line in bullets:
        assert line + "\n" in new, line
    # ... and what the adapter establishes is added to the same list, in the same form.
    listed = new[new.index("- learning_rate"): new.index("### Training results")]
    assert "- lora_r: 8\n" in listed and "- lora_alpha: 16\n" in listed
    assert "- lora_target_modules: self_attn.q_proj, self_attn.v_proj\n" in listed
    assert sync(FIXTURE_HUB, repo, "--check") == 0  # a second sync changes nothing


def test_trainer_list_values_the_config_records_are_corrected(tmp_path: Path) -> None:
    repo = trainer_repo(tmp_path, "mlx-llama-lora", "mlx")
    before = {f.rule_id for f in audit(FIXTURE_HUB, repo)}
    assert "adapter.hyperparameter-mismatch" in before  # the card says 2e-05, the config 1e-05
    assert sync(FIXTURE_HUB, repo, "--write") == 0
    new = (repo / "README.md").read_text(encoding="utf-8")
    assert "- learning_rate: 1e-05\n" in new and "- train_batch_size: 4\n" in new
    assert "- seed: 0\n" in new and "- lr_scheduler_type: linear\n" in new
    assert "- lora_scale: 10.0\n" in new and "- training_steps: 20\n" in new
    assert "adapter.hyperparameter-mismatch" not in {f.rule_id for f in audit(FIXTURE_HUB, repo)}


def test_the_authors_rows_of_the_example_are_kept(tmp_path: Path) -> None:
    repo = tmp_path / EXAMPLE.name
    shutil.copytree(EXAMPLE, repo)
    assert sync(EXAMPLE_HUB, repo, "--write") == 0
    text = (repo / "README.md").read_text(encoding="utf-8")
    chain = text[text.index("## License chain"): text.index("ailiance-audit:end license-chain")]
    assert "| Training data (internal curation, synthetic + permissive) | apache-2.0 |" in chain
    assert "| Hardware | Apple M3 Ultra 512 GB |" in text  # the training table's own row
    assert sync(EXAMPLE_HUB, repo, "--check") == 0


def _cases() -> list[tuple[str, Path, str, str | None]]:
    """(name, hub, source dir, Trainer library or None) of every example and card dialect."""
    cases = [(p.name, EXAMPLE_HUB, str(p), None)
             for p in sorted((EXAMPLE_HUB / "Ailiance-fr").iterdir())]  # fmt: skip
    cases += [(p.name, FIXTURE_HUB, str(p), None)
              for p in sorted(FIXTURES.iterdir()) if (p / "README.md").is_file()]  # fmt: skip
    cases += [("trainer-peft", FIXTURE_HUB, "peft-llama-lora", "peft"),
              ("trainer-mlx", FIXTURE_HUB, "mlx-llama-lora", "mlx")]  # fmt: skip
    return cases


@pytest.mark.parametrize(("name", "hub", "source", "library"), _cases(), ids=lambda v: str(v))
def test_a_written_sync_never_makes_the_audit_worse(
    tmp_path: Path, name: str, hub: Path, source: str, library: str | None
) -> None:
    if library is not None:
        repo = trainer_repo(tmp_path, source, library)
    else:
        repo = tmp_path / name
        shutil.copytree(source, repo)
    before = verdict(audit(hub, repo))
    assert sync(hub, repo, "--write", "--verify", "header") == 0
    after = verdict(audit(hub, repo))
    assert not after - before, f"new after sync: {sorted(after - before)}"


@pytest.mark.slow
@pytest.mark.parametrize("library", ["peft", "mlx"])
def test_check_gives_the_same_answer_at_every_verify_level(tmp_path: Path, library: str) -> None:
    repo = trainer_repo(tmp_path, f"{library}-llama-lora", library)
    assert sync(FIXTURE_HUB, repo, "--write", "--verify", "load") == 0
    for level in ("none", "header", "load"):
        assert sync(FIXTURE_HUB, repo, "--check", "--verify", level) == 0, level
    example = tmp_path / EXAMPLE.name
    shutil.copytree(EXAMPLE, example)
    assert sync(EXAMPLE_HUB, example, "--write", "--verify", "none") == 0
    for level in ("none", "header", "load"):
        assert sync(EXAMPLE_HUB, example, "--check", "--verify", level) == 0, level


def test_check_at_verify_none_reads_the_headers(tmp_path: Path) -> None:
    repo = trainer_repo(tmp_path, "peft-llama-lora", "peft")
    assert sync(FIXTURE_HUB, repo, "--write", "--verify", "header") == 0
    assert sync(FIXTURE_HUB, repo, "--check", "--verify", "none") == 0


def _real_cards() -> list[Path]:
    if not REALWORLD_CARDS.is_dir():
        return []
    return sorted(REALWORLD_CARDS.glob("*/*/README.md"))


@pytest.mark.slow
def test_real_cards_are_never_made_worse(tmp_path: Path) -> None:
    cards = _real_cards()
    if not cards:
        pytest.skip(f"real-world cards not found at {REALWORLD_CARDS}")
    worse = {}
    for card in cards:
        repo = tmp_path / card.parent.name
        repo.mkdir()
        shutil.copy(card, repo / "README.md")
        before = verdict(audit(EXAMPLE_HUB, repo))
        # Their upstreams are in no mirror here: sync would (rightly) refuse without the flag.
        flags = ("--verify", "header", "--allow-incomplete")
        assert sync(EXAMPLE_HUB, repo, "--write", *flags) == 0
        new = verdict(audit(EXAMPLE_HUB, repo)) - before
        if new:
            worse[card.parent.name] = sorted(new)
        assert sync(EXAMPLE_HUB, repo, "--check", *flags) == 0, card
    assert not worse, worse
