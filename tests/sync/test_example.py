"""``card sync`` on the bundled example, as a person runs it: diff, --write, fresh audit, re-run.

What sync promises: after ``card sync --write`` an audit no longer reports the drift and chain
findings sync can fix, still reports what needs a person, the diff touches only marked sections
and the named front-matter keys, and a second sync prints an empty diff.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sync_helpers import EXAMPLE, Sync, audit, rule_ids

from auditor.sync.restated import BEGIN, END

FIXED = {"adapter.card-self-inconsistent", "adapter.hyperparameter-mismatch",
         "adapter.library-mismatch"}  # fmt: skip
HUMAN = {"license.conflict-in-card", "aiact.copyright-policy-missing", "cop.contact-missing"}
SYNC_KEYS = ("base_model", "base_model_relation", "library_name", "datasets")
ADOPTED = ("## Training\n", "## License chain\n")  # the push-v2 sections sync takes over
RESTATED = "rank 16, alpha 32, scale 2.0, AdamW LR 1e-5, 500 iters"

pytestmark = pytest.mark.mlx


def _drop_keys(lines: list[str]) -> list[str]:
    """Front-matter lines minus the keys sync may write (key line and its list items)."""
    out, skipping, in_fm = [], False, False
    for i, line in enumerate(lines):
        if line.strip() == "---":
            in_fm = i == 0
        if in_fm and re.match(r"^[A-Za-z_]", line):
            skipping = line.split(":", 1)[0] in SYNC_KEYS
        elif in_fm and not line.startswith("- "):
            skipping = False
        if not (in_fm and skipping):
            out.append(line)
    return out


def _people_lines(text: str, adopted: tuple[str, ...] = ()) -> list[str]:
    """What people own: no marked region, no adopted legacy section, no synced key."""
    text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), "@restated@", text, flags=re.S)
    text = text.replace(RESTATED, "@restated@")
    lines = _drop_keys(text.splitlines(keepends=True))
    out: list[str] = []
    inside = skip = False
    for line in lines:
        if line.startswith("<!-- ailiance-audit:begin "):
            inside = True
        if line.startswith("## "):
            skip = line in adopted
        if not inside and not skip:
            out.append(line)
        if line.startswith("<!-- ailiance-audit:end "):
            inside = False
    # An inserted section brings one blank line: compare with runs of blank lines collapsed.
    return [ln for i, ln in enumerate(out) if ln.strip() or i == 0 or out[i - 1].strip()]


def test_sync_then_audit_clears_what_sync_can_fix(repo: Path, sync: Sync) -> None:
    before = rule_ids(audit(repo))
    assert FIXED | {"license.lineage-undeclared"} <= before
    old = (repo / "README.md").read_text()

    code, diff, err = sync(repo, "--check")
    assert code == 1 and diff.startswith("--- a/README.md\n+++ b/README.md\n")
    assert (repo / "README.md").read_text() == old  # no --write: nothing written
    assert "needs a person: datasets: not declared" in err

    code, _, _ = sync(repo, "--write", "--summary-skeleton")  # the skeleton is asked for
    assert code == 0
    new = (repo / "README.md").read_text()
    after = audit(repo)
    ids = rule_ids(after)
    assert not FIXED & ids, sorted(ids)
    assert ids >= HUMAN  # what needs a person still reports
    assert "license.lineage-undeclared" in ids  # sync cannot know the datasets
    gaps = {f.message for f in after if f.rule_id == "aiact.training-summary-incomplete"}
    assert any("no provider identification" in m for m in gaps)
    assert any("no date of placement" in m for m in gaps)

    # Only marked sections and named front-matter keys changed; everything else byte-identical.
    assert _people_lines(new) == _people_lines(old, ADOPTED)
    assert "library_name: mlx\n" in new and "base_model_relation: adapter\n" in new
    assert f"{BEGIN}rank 16, alpha 32, scale 2.0, adam LR 1e-5, 500 iters{END}" in new
    assert "AdamW" not in new

    code, diff, _ = sync(repo, "--check")
    assert (code, diff) == (0, "")  # a second run is a no-op


def test_declared_dataset_clears_lineage_and_fills_the_chain(repo: Path, sync: Sync) -> None:
    dataset = "microsoft/orca-math-word-problems-200k"
    code, _, err = sync(repo, "--write", "--dataset", dataset, "--summary-skeleton")
    assert code == 0 and "datasets: not declared" not in err
    text = (repo / "README.md").read_text()
    assert f"datasets:\n- {dataset}\n" in text
    chain = text[
        text.index("## License chain") : text.index("<!-- ailiance-audit:end license-chain")
    ]
    assert f"| `{dataset}` | mit | dataset, training data of this repository" in chain
    assert f"- **Publicly available datasets used:** `{dataset}` (mit," in text
    ids = rule_ids(audit(repo))
    assert "license.lineage-undeclared" not in ids and not FIXED & ids
    assert ids >= HUMAN
    code, diff, _ = sync(repo, "--dataset", dataset)
    assert (code, diff) == (0, "")


def test_the_bundled_example_itself_is_untouched() -> None:
    # The tests work on copies: the committed example keeps its drift for the demo.
    text = (EXAMPLE / "README.md").read_text()
    assert "AdamW" in text and "ailiance-audit:begin" not in text


def test_a_card_in_sync_loses_and_gains_no_finding(sync: Sync, tmp_path: Path) -> None:
    # The clean example already states its summary and lineage: sync only adds marked sections
    # (no skeleton: the card has its own summary) and the audit's verdict does not move.
    repo = tmp_path / "apertus-math-orca-lora"
    shutil.copytree(EXAMPLE.parent / "apertus-math-orca-lora", repo)
    before = sorted((f.rule_id, f.message) for f in audit(repo))
    code, _, err = sync(repo, "--write")
    assert code == 0 and "no skeleton generated" in err
    assert "ailiance-audit:begin training-summary" not in (repo / "README.md").read_text()
    assert sorted((f.rule_id, f.message) for f in audit(repo)) == before
    assert sync(repo)[:2] == (0, "")
