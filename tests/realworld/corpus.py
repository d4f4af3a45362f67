"""Score the audit on the real cards of ../shared/realworld-cards against expected.yaml.

The corpus is third-party text, read at run time and never copied into the repo. Its folders are
``models/<org>__<name>`` and ``datasets/<org>__<name>``; :func:`lay_out_mirror` builds a mirror
laid out like the Hub in a temporary directory (one README.md per repo: the complete card when
there is one, else the stored excerpt of the current revision, else of an older one; companion
files as they are), so upstreams present in the corpus resolve through it, and every card is
audited through the real pipeline, offline.

The score is recall of the ``must`` rule ids and false alarms on the ``must_not`` ones, per root
cause (``cause`` in expected.yaml). ``python -m tests.realworld.corpus`` prints the table that
bench/RESULTS.md records.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = Path(__file__).with_name("expected.yaml")
# ../shared relative to the repo root, as the other real-world tests; a worktree may point
# AILIANCE_SHARED at the shared folder instead.
SHARED = Path(os.environ.get("AILIANCE_SHARED") or ROOT.parent / "shared")
CORPUS = SHARED / "realworld-cards"
_CARD_ORDER = ("README.md", "README.truncated.md", "README.flattened.md")


def _card_file(folder: Path) -> Path | None:
    """The complete card, else the current revision's excerpt, else any excerpt."""
    for name in _CARD_ORDER:
        if (folder / name).is_file():
            return folder / name
    readmes = sorted(p for p in folder.glob("README*") if p.is_file())
    current = [p for p in readmes if ".rev-" not in p.name]
    return (current or readmes or [None])[0]


def repo_id(folder: Path) -> str:
    """``models/org__name`` -> ``org/name``; ``datasets/org__name`` -> ``datasets/org/name``."""
    rid = folder.name.replace("__", "/", 1)
    return f"datasets/{rid}" if folder.parent.name == "datasets" else rid


def lay_out_mirror(corpus: Path, mirror: Path) -> list[str]:
    """Copy the corpus into a Hub-shaped mirror; returns the repo ids laid out."""
    ids = []
    for kind in ("models", "datasets"):
        for folder in sorted((corpus / kind).iterdir()):
            if not folder.is_dir():
                continue
            rid = repo_id(folder)
            dest = mirror / rid
            dest.mkdir(parents=True, exist_ok=True)
            card = _card_file(folder)
            for path in folder.rglob("*"):
                if path.is_file() and not path.name.startswith("README"):
                    target = dest / path.relative_to(folder)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, target)
            if card is not None:
                shutil.copyfile(card, dest / "README.md")
            ids.append(rid)
    return ids


@dataclass(frozen=True)
class Expectation:
    repo: str
    rule: str
    cause: str
    why: str
    must: bool


def load_expected(path: Path = EXPECTED) -> list[Expectation]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Expectation(entry["repo"], item["rule"], item["cause"], item["why"], must)
        for entry in data
        for key, must in (("must", True), ("must_not", False))
        for item in entry.get(key) or ()
    ]


@dataclass
class Score:
    """Hits and misses, overall and per cause."""

    hits: list[Expectation] = field(default_factory=list)
    misses: list[Expectation] = field(default_factory=list)
    clean: list[Expectation] = field(default_factory=list)
    false_alarms: list[Expectation] = field(default_factory=list)
    false_errors: list[tuple[str, str, str]] = field(default_factory=list)  # repo, rule, message
    findings: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)

    @property
    def recall(self) -> float:
        total = len(self.hits) + len(self.misses)
        return len(self.hits) / total if total else 1.0

    def by_cause(self) -> dict[str, tuple[int, int, int, int]]:
        """cause -> (must hit, must total, must-not false alarms, must-not total)."""
        rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for e in self.hits:
            rows[e.cause][0] += 1
            rows[e.cause][1] += 1
        for e in self.misses:
            rows[e.cause][1] += 1
        for e in self.false_alarms:
            rows[e.cause][2] += 1
            rows[e.cause][3] += 1
        for e in self.clean:
            rows[e.cause][3] += 1
        return {k: (v[0], v[1], v[2], v[3]) for k, v in sorted(rows.items())}


def audit_all(mirror: Path, ids: Iterable[str]) -> dict[str, list[tuple[str, str, str]]]:
    """rule id, severity, message of every finding, per repo id (offline, mirror only)."""
    from auditor.models import RepoKind, Target
    from auditor.pipeline import AuditOptions, run_iter

    targets = []
    for rid in ids:
        kind = RepoKind.DATASET if rid.startswith("datasets/") else RepoKind.MODEL
        targets.append(Target(spec=rid, repo_id=rid.removeprefix("datasets/"), kind=kind))
    options = AuditOptions(mirrors=(mirror,), offline=True, verify="header", workers=2)
    out: dict[str, list[tuple[str, str, str]]] = {}
    for target, report in zip(targets, run_iter(targets, options), strict=True):
        out[target.spec] = [(f.rule_id, f.severity.value, f.message) for f in report.findings]
        if report.status != "audited":
            out[target.spec].append(("<" + report.status + ">", "error", report.error or ""))
    return out


def score(expected: list[Expectation], findings: dict[str, list[tuple[str, str, str]]]) -> Score:
    result = Score(findings=findings)
    for e in expected:
        fired = [f for f in findings.get(e.repo, []) if f[0] == e.rule]
        if e.must:
            (result.hits if fired else result.misses).append(e)
        elif fired:
            result.false_alarms.append(e)
            result.false_errors.extend((e.repo, e.rule, f[2]) for f in fired if f[1] == "error")
        else:
            result.clean.append(e)
    return result


def run(corpus: Path, workdir: Path) -> Score:
    mirror = workdir / "hub"
    ids = lay_out_mirror(corpus, mirror)
    expected = load_expected()
    missing = sorted({e.repo for e in expected} - set(ids))
    if missing:
        raise ValueError(f"expected.yaml names repos not in the corpus: {missing}")
    return score(expected, audit_all(mirror, ids))


def table(result: Score) -> str:
    """The Markdown score table and the list of misses and false alarms."""
    lines = [
        "| root cause | must found | recall | must-not fired | false alarms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for cause, (hit, total, fa, nt) in result.by_cause().items():
        recall = f"{hit / total:.0%}" if total else "-"
        lines.append(f"| {cause} | {hit}/{total} | {recall} | {fa}/{nt} | {fa} |")
    hits, total = len(result.hits), len(result.hits) + len(result.misses)
    fas = len(result.false_alarms)
    nt = fas + len(result.clean)
    lines.append(f"| **all** | {hits}/{total} | {result.recall:.1%} | {fas}/{nt} | {fas} |")
    lines.append("")
    lines.append(f"False errors (error severity on a must-not): {len(result.false_errors)}")
    lines += [f"- miss: {e.repo} {e.rule} ({e.cause}): {e.why}" for e in result.misses]
    lines += [f"- false alarm: {e.repo} {e.rule} ({e.cause}): {e.why}" for e in result.false_alarms]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    import tempfile

    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        result = run(CORPUS, Path(tmp))
    print(table(result))
    if "-v" in argv:
        for repo, found in sorted(result.findings.items()):
            print(f"\n== {repo}")
            for rule, sev, msg in found:
                print(f"  {sev:7} {rule}: {msg[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
