"""Every YAML file the tool reads from strangers goes through one loader (``auditor.safeyaml``):
an alias bomb of a kilobyte in a pack, a pack's test file or a waiver file is refused in bounded
time and memory, as exit 2 (a pack, a test file) or a ``waiver.invalid`` finding (a waiver file).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import safeyaml

from .harness import EXAMPLE_HUB, rule_ids, run_cli, target_report

PACK = """pack: demo
rules:
  - id: demo.always
    title: Always
    severity: note
    violation: "true"
    message: "'always'"
"""


def bomb(levels: int = 9) -> str:
    """Anchors ``l0``..``l{levels}``, each a list of ten aliases of the previous: 10^levels."""
    out = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    out += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, levels + 1)]
    return "\n".join(out) + "\n"


def test_bomb_is_about_a_kilobyte() -> None:
    assert len(bomb()) < 1500
    with pytest.raises(safeyaml.YamlError, match="expands to more than"):
        safeyaml.load(bomb())


def test_recursive_alias_and_deep_nesting_are_errors() -> None:
    with pytest.raises(safeyaml.YamlError):
        safeyaml.load("a: &a [*a]\n")
    with pytest.raises(safeyaml.YamlError):
        safeyaml.load("[" * 20_000 + "]" * 20_000)


def test_shared_nodes_are_counted_once_per_use() -> None:
    data, _ = safeyaml.load("a: &a [1, 2]\nb: [*a, *a]\n")
    assert data == {"a": [1, 2], "b": [[1, 2], [1, 2]]}
    root = safeyaml.load("a: &a [1, 2]\nb: [*a, *a]\n")[1]
    assert root is not None
    assert safeyaml.expanded_size(root) == 13  # map, a, [1, 2] (3), b, [[1, 2], [1, 2]] (7)


def test_policy_test_file_bomb_is_exit_2_in_bounded_memory(tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text(PACK)
    (tmp_path / "tests").mkdir()
    cases = "rule: demo.always\ncases:\n  - name: x\n    expect: fail\n    facts: {files: *l9}\n"
    (tmp_path / "tests" / "demo.yaml").write_text(bomb() + cases)
    result = run_cli(["policy", "test", str(tmp_path)], subcommand=True, timeout=60)
    assert result.rc == 2, result.stderr[-1000:]
    assert "expands to more than" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.peak_mb < 400


def test_pack_bomb_is_exit_2_in_bounded_memory(tmp_path: Path) -> None:
    pack = tmp_path / "bomb.yaml"
    pack.write_text(bomb() + PACK.replace("severity: note", "severity: note\n    tags: *l9"))
    result = run_cli(["--policy", str(pack), "--verify", "none", "Ailiance-fr/apertus-math-lora"])
    assert result.rc == 2, result.stderr[-1000:]
    assert "expands to more than" in result.stderr
    assert result.peak_mb < 400


def test_waiver_file_bomb_is_a_finding(tmp_path: Path) -> None:
    repo = tmp_path / "hub" / "hostile" / "waiver-bomb"
    repo.mkdir(parents=True)
    source = EXAMPLE_HUB / "Ailiance-fr" / "apertus-math-lora" / "README.md"
    (repo / "README.md").write_bytes(source.read_bytes())
    (repo / ".ailiance-audit.yaml").write_text(bomb() + "waivers: *l9\n")
    result = run_cli(
        ["--format", "json", "--verify", "none", "hostile/waiver-bomb"],
        mirrors=(tmp_path / "hub", EXAMPLE_HUB),
        timeout=60,
    )
    result.assert_clean()
    assert "waiver.invalid" in rule_ids(target_report(result.json()))
    assert result.peak_mb < 400
