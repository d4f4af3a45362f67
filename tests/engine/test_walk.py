"""The one-program walk's compile savings (``policy.walk``): a probe that spares compiling the
finding rows; same rows."""

from __future__ import annotations

from pathlib import Path

from auditor.policy import load_policies
from auditor.policy.cel import Session, facts_document
from auditor.policy.programs import Deferred, Probed
from auditor.policy.testing import case_facts


def _rule(name: str, pack: Path, violation: str) -> None:
    pack.write_text(
        "pack: p\nrules:\n"
        f"  - id: p.{name}\n    title: t\n    severity: error\n    each: upstream\n"
        f"    violation: \"{violation}\"\n"
        "    message: \"item.kind + ' ' + item.id + ' ' + item.license.spdx + ' '"
        " + item.license.name + ' ' + item.license.family + ' ' + item.role\"\n"
    )


def _walk(tmp_path: Path, violation: str) -> tuple[Probed, Session]:
    """The probed walk of a one-rule pack over two upstream nodes, and a session that binds
    both as the candidates, as the engine does."""
    pack = tmp_path / "p.yaml"
    _rule("r", pack, violation)
    facts = case_facts({"upstream": [{"id": "o/a"}, {"id": "o/b"}]})
    policy = load_policies(["none", str(pack)])
    rule = policy.rules[0]
    assert rule.plan is not None and isinstance(rule.plan.fused, Probed)
    session = Session(facts_document(facts, policy))
    session.scope["_chunk_"] = [0, 1]
    return rule.plan.fused, session


def test_a_rule_that_finds_nothing_compiles_only_its_probe(tmp_path: Path) -> None:
    fused, session = _walk(tmp_path, "item.license.sharealike")
    walk = Probed(fused.source, fused.probe)
    assert walk.execute(session.context) == []
    assert walk._program is None  # the rows were never compiled
    assert Deferred(fused.source).execute(session.context) == []


def test_a_rule_that_fires_gives_the_rows_of_its_walk(tmp_path: Path) -> None:
    fused, session = _walk(tmp_path, "item.id == 'o/b'")
    rows = fused.execute(session.context)
    assert rows == Deferred(fused.source).execute(session.context)
    assert [row["node"] for row in rows] == ["o/b"]
