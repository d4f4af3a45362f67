"""The census gives the CLI's answer: for a sample of repos, the findings and lineage edges in
the Parquet tables equal those of ``ailiance-audit --format json`` on the same repo, revision and
policy. The sample covers each shape of the synthetic mirror (adapters on popular and rare
bases, gated bases, merges, quantised copies, fine-tunes of adapters, unresolved datasets) and
the bundled example mirror with header verification."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from census_helpers import census, table

from auditor.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "hub"


def cli_report(mirror: Path, repo: str, tmp: Path, *extra: str) -> dict[str, object]:
    out = tmp / "cli.json"
    main(
        [
            "--mirror",
            str(mirror),
            "--offline",
            *extra,
            "--format",
            "json",
            "--output",
            str(out),
            repo,
        ]
    )
    report = json.loads(out.read_text())
    (target,) = report["targets"]
    return target  # type: ignore[no-any-return]


def cli_findings(target: dict[str, object]) -> list[tuple[object, ...]]:
    return sorted(
        (f["rule_id"], f["severity"], f["node"], (f.get("location") or {}).get("file"),
         (f.get("location") or {}).get("line"), f["message"], f.get("suppressed_by") is not None)
        for f in target["findings"]  # type: ignore[attr-defined]
    )  # fmt: skip


def census_findings(out: Path, repo: str) -> list[tuple[object, ...]]:
    return sorted(
        (r["rule"], r["severity"], r["node"], r["file"], r["line"], r["message"], r["suppressed"])
        for r in table(out, "findings")
        if r["repo"] == repo
    )


def edges_of(rows: list[dict[str, object]], repo: str) -> list[tuple[object, ...]]:
    return sorted((e["source"], e["target"], e["relation"], e["inferred"]) for e in rows
                  if e.get("repo", repo) == repo)  # fmt: skip


def sample(mirror: Path) -> list[str]:
    """One repo of each shape, found from the cards (written before looking at any result)."""
    picks: dict[str, str] = {}
    for card in sorted(mirror.glob("sim-org*/*/README.md")):
        text = card.read_text()
        repo = f"{card.parent.parent.name}/{card.parent.name}"
        shape = ("merge" if "relation: merge" in text else "quantized" if "quantized" in text
                 else "chain" if "- sim-org" in text else "gated" if "- sim/base-1\n" in text
                 else "unresolved" if "data-22\n" in text else "adapter")  # fmt: skip
        picks.setdefault(shape, repo)
    picks["base"] = "sim/base-1"
    return sorted(picks.values())


def test_census_findings_equal_cli_on_a_sample(mirror: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    repos = sample(mirror)
    assert len(repos) >= 6  # every shape is present in the generated mirror
    listing = tmp_path / "repos.txt"
    listing.write_text("\n".join(repos) + "\n")
    census("--mirror", mirror, "--from-file", listing, "--out", out, "--scheduler", "sync",
           "--verify", "none")  # fmt: skip
    rows = {r["id"]: r for r in table(out, "repos")}
    assert sorted(rows) == repos
    for repo in repos:
        target = cli_report(mirror, repo, tmp_path, "--verify", "none")
        assert rows[repo]["status"] == "ok" and target["status"] == "audited"
        assert census_findings(out, repo) == cli_findings(target), repo
        assert edges_of(table(out, "edges"), repo) == edges_of(target["graph"]["edges"], repo)
        assert rows[repo]["nodes"] == len(target["graph"]["nodes"])
        assert census_findings(out, repo), f"{repo}: a sample repo with no finding tests little"


@pytest.mark.parametrize(
    "verify", ["header", pytest.param("load", marks=[pytest.mark.mlx, pytest.mark.slow])]
)
def test_census_equals_cli_on_the_examples(verify: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    census("--mirror", EXAMPLES, "--out", out, "--scheduler", "sync", "--verify", verify)
    rows = {r["id"]: r for r in table(out, "repos")}
    assert len(rows) == 5 and {r["status"] for r in rows.values()} == {"ok"}
    for repo in rows:
        target = cli_report(EXAMPLES, repo, tmp_path, "--verify", verify)
        assert census_findings(out, repo) == cli_findings(target), repo
