"""A pack that is not shipped is a stranger's: its rules run in a worker process with a deadline
and an address-space limit (``auditor.policy.sandbox``). Loops inside loops over large lists and
strings doubled by ``replace``, a few hundred bytes of CEL each, end as exit 2 naming the pack,
in bounded time and memory, instead of hours or gigabytes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.policy.sandbox import MEMORY_BYTES

from .harness import run_cli

DOUBLE = '.replace("a", "aaaaaaaaaaaaaaaa")' * 8  # x16 eight times: 2^32 characters
VIOLATIONS = {
    "nested-range": "lists.range(100000).all(i, lists.range(100000).all(j, j >= 0))",
    "replace-doubling": f'"ab"{DOUBLE}.size() > 0',
    "let-loops": "big.all(i, big.all(j, big.all(k, k >= 0)))",
}
PACK = """pack: hostile
rules:
  - id: hostile.costly
    title: Costly
    severity: note
    let:
      big: "lists.range(3000)"
    violation: '{violation}'
    message: "'x'"
"""


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_costly_pack_is_stopped_by_its_budget(tmp_path: Path, name: str) -> None:
    pack = tmp_path / f"{name}.yaml"
    pack.write_text(PACK.format(violation=VIOLATIONS[name]))
    result = run_cli(
        ["--verify", "none", "--policy", str(pack), "Ailiance-fr/apertus-math-lora"],
        extra_env={"AILIANCE_AUDIT_PACK_SECONDS": "5"},
        timeout=90,
    )
    assert result.rc == 2, result.stderr[-1000:]
    assert "budget" in result.stderr and str(pack) in result.stderr
    assert "Traceback" not in result.stderr
    # The CLI plus a worker capped at MEMORY_BYTES (the runner reports the largest process).
    assert result.peak_mb < (MEMORY_BYTES >> 20) + 500


def test_a_cheap_custom_pack_still_reports_through_the_worker(tmp_path: Path) -> None:
    pack = tmp_path / "cheap.yaml"
    pack.write_text(PACK.format(violation="big.size() == 3000"))
    result = run_cli(
        [
            "--verify",
            "none",
            "--format",
            "json",
            "--policy",
            str(pack),
            "--fail-on",
            "never",
            "Ailiance-fr/apertus-math-lora",
        ],
        timeout=90,
    )
    assert result.rc == 0, result.stderr[-1000:]
    rules = {f["rule_id"] for f in result.json()["targets"][0]["findings"]}
    assert "hostile.costly" in rules
    assert any(not r.startswith("hostile.") for r in rules)  # the shipped rules, in process
