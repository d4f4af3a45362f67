"""Policy stage: pack tests, run by ``ailiance-audit policy test DIR`` and by the test suite.

A test file (``DIR/tests/*.yaml``) holds examples for one or more rules::

    rule: license.noncommercial-leak
    cases:
      - name: NC dataset under an apache-2.0 adapter
        expect: fail              # fail: the rule fires; pass: it does not
        facts:                    # merged over a minimal valid facts document
          upstream: [...]
        texts:                    # optional: contents of the repo's LICENSE / NOTICE files
          LICENSE: "MIT License ..."

The merged document is validated against the facts schema, so examples stay realistic, and its
``derived`` section is computed from it exactly as in a real run (``auditor.facts.derive``); a
case may still override single ``derived`` keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from auditor import safeyaml
from auditor.errors import PolicyError
from auditor.facts import derive
from auditor.models import (
    AdapterEvidence,
    CardClaims,
    ComputeEstimate,
    Facts,
    License,
    Node,
    RepoKind,
)
from auditor.models.codec import ModelError, dump, load
from auditor.policy.cel import evaluate
from auditor.policy.loader import PolicySet, load_policies


@dataclass(frozen=True)
class CaseResult:
    """Outcome of one example."""

    rule: str
    name: str
    expect: str
    ok: bool
    detail: str


def base_facts() -> dict[str, Any]:
    """A minimal valid facts document: an apache-2.0 model with no card claims."""
    subject = Node(
        id="example/subject",
        kind=RepoKind.MODEL,
        role="subject",
        depth=0,
        resolved=True,
        license=License(
            declared="apache-2.0",
            spdx="Apache-2.0",
            name="Apache License 2.0",
            known=True,
            hub_id=True,
            family="apache",
            matched_by="hub-id",
            attribution=True,
            notice_required=True,
            foss_under_ai_act="yes",
        ),
    )
    facts = Facts(
        subject=subject, card=CardClaims(), adapter=AdapterEvidence(), compute=ComputeEstimate()
    )
    document: dict[str, Any] = dump(replace(facts, derived=derive(facts)))
    return document


def case_facts(over: dict[str, Any] | None, texts: dict[str, str] | None = None) -> Facts:
    """An example's facts: ``over`` merged over :func:`base_facts`, ``derived`` recomputed.

    ``texts`` are the contents of repo files (LICENSE, NOTICE) that ``derive`` reads; keys of
    ``over["derived"]`` still win, for examples about a single derived value. Raises
    ``ModelError`` when the merged document does not fit the schema.
    """
    over = with_item_defaults(over or {})
    files = sorted({*over.get("files", ()), *(texts or {})})
    facts = load(Facts, merge(base_facts(), {**over, "files": files}))
    derived = merge(derive(facts, texts=texts), over.get("derived") or {})
    return replace(facts, derived=derived)


_LOCATION = {"file": "README.md"}
_UNKNOWN_LICENSE = {"declared": None, "spdx": "NOASSERTION", "name": "unknown", "known": False}


def _claim(item: dict[str, Any]) -> dict[str, Any]:
    return {"raw": str(item.get("value", "")), "source": "table", "location": _LOCATION}


# The required fields an example may leave out of a list element, by list (the facts schema in
# docs/facts.md): an example states what its rule reads, not the whole document.
_ITEM_DEFAULTS: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("", "upstream"): lambda item: {
        "kind": "model",
        "role": "base",
        "depth": 1,
        "resolved": True,
        "license": _UNKNOWN_LICENSE,
    },
    ("card", "hyperparameters"): _claim,
    ("card", "base_models_in_prose"): _claim,
    ("card", "license_mentions"): lambda item: {
        "text": str(item.get("license", "")),
        "context": "prose",
        "about_subject": True,
        "location": _LOCATION,
    },
    ("card", "chain_rows"): lambda item: {
        "license_text": str(item.get("license") or ""),
        "is_subject": False,
        "location": _LOCATION,
    },
    ("card", "statements"): lambda item: {"location": _LOCATION},
    ("card", "sections"): lambda item: {"level": 2, "line": 1},
    ("card", "problems"): lambda item: {
        "message": str(item.get("kind", "")),
        "location": _LOCATION,
    },
    ("adapter", "problems"): lambda item: {"message": str(item.get("kind", ""))},
}


def with_item_defaults(over: dict[str, Any]) -> dict[str, Any]:
    """``over`` with defaults filled into the elements of the lists it gives."""
    out = dict(over)
    for (section, name), defaults in _ITEM_DEFAULTS.items():
        holder = out if not section else out.get(section)
        if not isinstance(holder, dict) or not isinstance(holder.get(name), list):
            continue
        items = [
            merge(defaults(item), item) if isinstance(item, dict) else item for item in holder[name]
        ]
        if section:
            out[section] = {**holder, name: items}
        else:
            out[name] = items
    return out


def plain_errors(exc: ModelError, limit: int = 5) -> str:
    """A schema error in plain words: where (``upstream[0].license.spdx``) and what."""
    lines = []
    for err in exc.errors[:limit]:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
        lines.append(f"{where.lstrip('.') or 'facts'}: {err['msg'].lower()}")
    more = len(exc.errors) - limit
    return "; ".join(lines) + (f"; and {more} more" if more > 0 else "")


def merge(base: Any, over: Any) -> Any:
    """Deep-merge ``over`` into ``base`` (mappings merge, everything else replaces)."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(base.get(key), value) if key in base else value
        return out
    return over


def run_tests(
    directory: Path, policy: PolicySet | None = None
) -> tuple[list[CaseResult], list[str]]:
    """Run every example under ``directory/tests``; also list rules without pass+fail examples."""
    policy = policy or load_policies(["none", str(directory)])
    rules = {r.id: r for r in policy.rules}
    results: list[CaseResult] = []
    for path in sorted((directory / "tests").glob("*.y*ml")):
        results += _run_file(path, policy, rules)
    covered = {(r.rule, r.expect) for r in results}
    missing = [rid for rid in rules if not {(rid, "pass"), (rid, "fail")} <= covered]
    return results, missing


def _run_file(path: Path, policy: PolicySet, rules: dict[str, Any]) -> list[CaseResult]:
    try:
        data, _ = safeyaml.load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read the test file: {exc}", file=str(path)) from exc
    except safeyaml.YamlError as exc:
        raise PolicyError(f"invalid test file: {exc}", file=str(path), line=exc.line) from exc
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise PolicyError("a test file is a mapping with 'rule' and 'cases'", file=str(path))
    rule_id = str(data.get("rule", ""))
    if rule_id not in rules:
        raise PolicyError(f"tests name unknown rule {rule_id!r}", file=str(path))
    single = PolicySet(rules=(rules[rule_id],), sources=policy.sources, profile=policy.profile)
    out = []
    for case in data["cases"]:
        name, expect = str(case.get("name", "?")), str(case.get("expect", ""))
        if expect not in ("pass", "fail"):
            raise PolicyError(
                f"case {name!r}: expect must be pass or fail", file=str(path), rule=rule_id
            )
        try:
            facts = case_facts(case.get("facts"), _texts(case.get("texts")))
        except ModelError as exc:
            raise PolicyError(
                f"case {name!r}: facts do not fit the schema (docs/facts.md): {plain_errors(exc)}",
                file=str(path),
                rule=rule_id,
            ) from exc
        fired = [f for f in evaluate(facts, single) if f.rule_id == rule_id]
        ok = bool(fired) == (expect == "fail")
        if "count" in case:  # how many findings the case must give ("one finding per fact")
            ok = ok and len(fired) == int(case["count"])
        detail = fired[0].message if fired else "no finding"
        out.append(CaseResult(rule=rule_id, name=name, expect=expect, ok=ok, detail=detail))
    return out


def _texts(raw: Any) -> dict[str, str] | None:
    if not isinstance(raw, dict):
        return None
    return {str(k): str(v) for k, v in raw.items()}
