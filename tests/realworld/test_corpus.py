"""The audit against the real cards of ../shared/realworld-cards and tests/realworld/expected.yaml.

The corpus is read at run time (never copied here) and the test skips where it is absent. The
thresholds are the project's target: recall of the must-fire rule ids >= 95% and no must-not rule
at error severity (a false error on a clean card costs more than a missed note). bench/RESULTS.md
records the full table (``python -m tests.realworld.corpus``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .corpus import CORPUS, EXPECTED, Score, lay_out_mirror, load_expected, repo_id, run

pytestmark = pytest.mark.realworld


@pytest.fixture(scope="module")
def score(tmp_path_factory: pytest.TempPathFactory) -> Score:
    if not CORPUS.is_dir():
        pytest.skip(f"real-world cards not found at {CORPUS}")
    return run(CORPUS, tmp_path_factory.mktemp("realworld-cards"))


def test_expectations_are_well_formed() -> None:
    expected = load_expected(EXPECTED)
    assert len({e.repo for e in expected}) >= 60
    causes = {"prose-lineage", "bare-name", "merge", "quantized", "license-subject",
              "gated-wording", "config-claims", "baseline"}  # fmt: skip
    assert {e.cause for e in expected} <= causes
    assert all(e.why.strip() and e.rule.count(".") == 1 for e in expected)
    assert sum(e.must for e in expected) >= 40


def test_recall_of_must_fire_rules(score: Score) -> None:
    missed = [f"{e.repo} {e.rule}: {e.why}" for e in score.misses]
    assert score.recall >= 0.95, "\n".join(missed)


def test_no_false_error_on_a_clean_card(score: Score) -> None:
    assert score.false_errors == []


def test_no_false_alarm_on_must_not_rules(score: Score) -> None:
    assert [f"{e.repo} {e.rule}" for e in score.false_alarms] == []


def test_the_mirror_resolves_upstreams_present_in_the_corpus(tmp_path: Path) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"real-world cards not found at {CORPUS}")
    ids = lay_out_mirror(CORPUS, tmp_path)
    assert "berkeley-nest/Starling-LM-7B-alpha" in ids
    assert (tmp_path / "berkeley-nest/Starling-LM-7B-alpha/README.md").is_file()
    assert repo_id(CORPUS / "datasets" / "tatsu-lab__alpaca") == "datasets/tatsu-lab/alpaca"
