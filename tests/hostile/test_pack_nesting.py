"""A stranger's pack with node indexes nested thousands deep inside one another: the engine's
rewrite for the node columns (``auditor.policy.lean``) recurses into an index, so its depth is
bounded; the pack ends as exit 2 with the CEL parser's error, never a RecursionError."""

from __future__ import annotations

from pathlib import Path

from .harness import run_cli

DEPTH = 3000  # three times Python's default recursion limit (lean.MAX_NESTING is 32)


def test_deeply_nested_node_indexes_are_a_pack_error(tmp_path: Path) -> None:
    expr = "0"
    for _ in range(DEPTH):
        expr = f"upstream[{expr}]['depth']"
    pack = tmp_path / "nested.yaml"
    pack.write_text("pack: hostile\nrules:\n  - id: hostile.nested\n    title: Nested\n"
                    f"    severity: note\n    violation: \"{expr} > 0\"\n    message: \"'x'\"\n")
    result = run_cli(["--verify", "none", "--policy", str(pack), "Ailiance-fr/apertus-math-lora"],
                     timeout=120)
    assert result.rc == 2, result.stderr[-1000:]
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    assert str(pack) in result.stderr and "hostile.nested" in result.stderr


def test_thousands_of_upstream_walks_in_one_expression_load(tmp_path: Path) -> None:
    """Each ``upstream.exists(u, …)`` is rewritten into an index walk, one after the other (a
    bounded loop: it was one recursion per walk, and 1,500 of them crashed the loader)."""
    expr = " || ".join(["upstream.exists(u, u.depth > 99)"] * 1500)
    pack = tmp_path / "walks.yaml"
    pack.write_text("pack: hostile\nrules:\n  - id: hostile.walks\n    title: Walks\n"
                    f"    severity: note\n    violation: \"{expr}\"\n    message: \"'x'\"\n")
    result = run_cli(["--verify", "none", "--format", "json", "--policy", str(pack),
                      "Ailiance-fr/apertus-math-lora"], timeout=120)
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    assert result.rc in (0, 1), result.stderr[-1000:]
    assert "hostile.walks" not in result.stdout  # ran, and no node is that deep
