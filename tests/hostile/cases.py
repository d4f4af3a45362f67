"""What each hostile input must produce: a problem record or finding, an exit code, bounds.

Every case runs the real CLI in a fresh process (``harness.run_cli``) with ``--format json``;
``check`` receives the case's target entry of the JSON report. Bounds are generous for a shared
2-core machine: they catch hangs and unbounded memory, not small regressions (``bench/`` does).
Bugs these inputs found have their regression tests in ``test_known_bugs.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .harness import card_problem_kinds, evidence_problem_kinds, rule_ids

Check = Callable[[Any], None]


@dataclass(frozen=True)
class Case:
    """One hostile input: its target, verification level, expectations and bounds."""

    name: str
    target: str
    check: Check
    verify: str = "none"
    exit_codes: frozenset[int] = frozenset({0, 1})
    seconds: float = 60.0
    peak_mb: float = 400.0
    env: dict[str, str] = field(default_factory=dict)


def _card(*kinds: str) -> Check:
    def check(t: Any) -> None:
        assert set(kinds) <= card_problem_kinds(t), card_problem_kinds(t)

    return check


def _evidence(*kinds: str) -> Check:
    def check(t: Any) -> None:
        assert set(kinds) <= evidence_problem_kinds(t), t["evidence"]["problems"]

    return check


def _rules(*ids: str) -> Check:
    def check(t: Any) -> None:
        assert set(ids) <= rule_ids(t), sorted(rule_ids(t))

    return check


def _all(*checks: Check) -> Check:
    def check(t: Any) -> None:
        for c in checks:
            c(t)

    return check


def _metadata(**expected: Any) -> Check:
    def check(t: Any) -> None:
        meta = t["claims"]["metadata"]
        for key, value in expected.items():
            assert meta[key] == value, (key, meta[key])

    return check


def _no_front_matter_problem(t: Any) -> None:
    kinds = card_problem_kinds(t)
    assert not kinds & {"front-matter-missing", "front-matter-invalid", "unreadable"}, kinds


def _crlf(t: Any) -> None:
    _no_front_matter_problem(t)
    ranks = [c for c in t["claims"]["hyperparameters"] if c["name"] == "rank"]
    assert ranks and ranks[0]["value"] == 16 and ranks[0]["location"]["line"] == 13, ranks


def _cycle(t: Any) -> None:
    problems = t["graph"]["problems"]
    assert "cycle: hostile/cycle-a -> hostile/cycle-b -> hostile/cycle-a" in problems, problems
    assert [n["id"] for n in t["graph"]["nodes"]] == ["hostile/cycle-a", "hostile/cycle-b"]


def _paths(t: Any) -> None:
    reasons = {n["id"]: n["reason"] for n in t["graph"]["nodes"] if not n["resolved"]}
    assert reasons.get("../../etc/passwd") == "local path", reasons
    assert reasons.get("/etc/shadow") == "local path", reasons
    assert "/root/secret-data" in t["evidence"]["local_paths"]
    _evidence("base-unresolvable")(t)
    _rules("adapter.local-path-leak", "license.upstream-unknown", "adapter.base-unresolvable")(t)


def _no_waivers_applied(t: Any) -> None:
    assert "waiver.invalid" in rule_ids(t), sorted(rule_ids(t))
    assert not any(f["suppressed_by"] for f in t["findings"])


def _depth_limit(t: Any) -> None:
    problems = t["graph"]["problems"]
    assert any(p.startswith("depth limit 10 reached") for p in problems), problems
    assert len(t["graph"]["nodes"]) == 11


def _nothing_followed_outside(t: Any) -> None:
    # README.md, adapter_config.json, LICENSE, weights: all symlinks leaving the repo.
    assert t["snapshot"]["files"] == [], t["snapshot"]["files"]
    _card("missing")(t)


def _wide(t: Any) -> None:
    datasets = [n for n in t["graph"]["nodes"] if n["kind"] == "dataset"]
    assert len(datasets) == 1000 and not any(n["resolved"] for n in datasets)
    assert len([w for w in t["incomplete"] if "nobody/dataset-" in w]) == 1000


CORPUS: tuple[Case, ...] = (
    Case(
        "safetensors header claiming 1 TiB",
        "hostile/safetensors-terabytes",
        _evidence("header-too-large"),
        verify="load",
    ),
    Case(
        "safetensors tensor of 2^80 elements",
        "hostile/safetensors-huge-shape",
        _evidence("offsets-invalid"),
        verify="load",
    ),
    Case(
        "safetensors header nested 10,000 deep",
        "hostile/safetensors-deep-json",
        _evidence("header-invalid"),
        verify="load",
    ),
    Case(
        "front matter nested 10,000 deep",
        "hostile/yaml-deep-nesting",
        _all(_card("front-matter-invalid"), _rules("card.front-matter-invalid")),
    ),
    Case(
        "front matter alias bomb (9^11 if expanded)",
        "hostile/yaml-alias-bomb",
        _all(_card("field-type"), _rules("card.front-matter-invalid")),
        seconds=30,
        peak_mb=300,
    ),
    Case("binary card", "hostile/card-binary", _card("unreadable")),
    Case(
        "Latin-1 card",
        "hostile/card-latin1",
        _all(_no_front_matter_problem, _metadata(license=["apache-2.0"])),
    ),
    Case(
        "CRLF card",
        "hostile/card-crlf",
        _all(
            _crlf,
            _metadata(license=["apache-2.0"], base_model=["swiss-ai/Apertus-70B-Instruct-2509"]),
        ),
    ),
    Case("BOM card (metadata: see test_known_bugs)", "hostile/card-bom", lambda t: None),
    Case("base_model cycle A -> B -> A", "hostile/cycle-a", _cycle),
    Case(
        "absolute and .. paths in config and card",
        "hostile/paths-in-config",
        _paths,
        verify="header",
    ),
    Case(
        "base config asking for remote code",
        "hostile/remote-code",
        _evidence("remote-code-refused"),
        verify="load",
    ),
    Case(
        "adapter_config.json nested 10,000 deep",
        "hostile/config-deep-json",
        _evidence("config-invalid"),
        verify="header",
    ),
    Case(
        "adapter_config.json with wrong types",
        "hostile/config-wrong-types",
        _evidence("config-invalid"),
        verify="header",
    ),
    Case("malformed waiver entries", "hostile/waivers-malformed", _no_waivers_applied),
    Case("waiver file that is not YAML", "hostile/waivers-not-yaml", _no_waivers_applied),
    Case("waiver file with a python tag", "hostile/waivers-python-tag", _no_waivers_applied),
)

# Built at test time by generated.py (the fixture name says which builder).
GENERATED: tuple[tuple[str, Case], ...] = (
    ("big_card", Case("50 MB card", "", _card("truncated"), seconds=90, peak_mb=600)),
    ("chain", Case("1,000-deep base_model chain", "", _depth_limit, seconds=60)),
    (
        "symlinks_outside",
        Case("symlinks leaving the repo", "", _nothing_followed_outside, verify="load", seconds=30),
    ),
    (
        "fifos",
        Case(
            "named pipes as card, config and waivers",
            "",
            _card("missing"),
            verify="load",
            seconds=30,
        ),
    ),
    # Offline, none of them is in a mirror or a cache: could-not-look, an incomplete audit.
    ("wide_lineage", Case("1,000 unresolvable datasets", "", _wide, exit_codes=frozenset({3}))),
)
