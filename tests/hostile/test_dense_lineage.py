"""A dense lineage: N repos that each list the same N bases make N^2 edges from N small cards.

Edges are capped per card and in total (a ``lineage truncated`` walk problem, hence a
``license.lineage-incomplete`` finding), and every format is linear in the graph (Markdown's
highlighted paths, the SVG's, CycloneDX's nested pedigree were one walk per edge or per path).
"""

from __future__ import annotations

from pathlib import Path

from auditor.graph import MAX_EDGES

from .harness import EXAMPLE_HUB, rule_ids, run_cli, target_report

FORMATS = ("json", "markdown", "html", "cyclonedx", "sarif", "spdx", "spdx3", "text")


def dense_mirror(root: Path, n: int) -> str:
    """``dense/subject`` (Apache-2.0) lists ``dense/b0..b{n-1}`` (NonCommercial: findings on
    every base, so every edge is highlighted); each base lists all of them too."""
    bases = [f"dense/b{i}" for i in range(n)]
    front = "base_model:\n" + "".join(f"- {b}\n" for b in bases)
    for repo in ["dense/subject", *bases]:
        folder = root / repo
        folder.mkdir(parents=True)
        license_id = "apache-2.0" if repo == "dense/subject" else "cc-by-nc-4.0"
        (folder / "README.md").write_text(f"---\nlicense: {license_id}\n{front}---\n# A model\n")
    return "dense/subject"


def test_every_format_is_linear_on_a_dense_lineage(tmp_path: Path) -> None:
    target = dense_mirror(tmp_path / "hub", 100)  # 10,100 edges, under the caps
    args = ["--verify", "none", "--fail-on", "never", target]
    for fmt in FORMATS:
        args += ["--format", fmt, "--output", str(tmp_path / f"report.{fmt}")]
    result = run_cli(args, mirrors=(tmp_path / "hub", EXAMPLE_HUB), timeout=240)
    result.assert_clean()
    assert result.rc == 0, result.stderr
    assert result.peak_mb < 1000
    for fmt in FORMATS:
        assert (tmp_path / f"report.{fmt}").stat().st_size > 0, fmt
    assert "linkStyle" in (tmp_path / "report.markdown").read_text()


def test_edges_are_capped_with_a_truncated_problem(tmp_path: Path) -> None:
    target = dense_mirror(tmp_path / "hub", 400)  # 160,400 edges without the cap
    result = run_cli(
        ["--verify", "none", "--format", "json", target],
        mirrors=(tmp_path / "hub", EXAMPLE_HUB),
        timeout=240,
    )
    result.assert_clean()
    entry = target_report(result.json())
    assert len(entry["graph"]["edges"]) <= MAX_EDGES
    assert any("edge limit" in p for p in entry["graph"]["problems"])
    assert "license.lineage-incomplete" in rule_ids(entry)
    assert result.peak_mb < 1000
