"""Policy stage: a pack's compiled rules as plain data and back, for the cache on disk
(``auditor.derived``).

Loading a pack is reading its YAML, checking every rule and rewriting and analysing every
expression (``policy.plan``): pure Python, about 90 ms for the shipped packs on every run,
with the same result for the same file. The result is plain data except the CEL programs,
which the binding cannot serialise; they are kept as their sources, and become programs as
:func:`policy.plan.build` makes them: deferred (compiled when first run) for the shipped packs,
compiled now for any other pack, so its errors still come at load.

A cache entry is untrusted input: :func:`rules_from` accepts exactly the shape
:func:`rules_data` writes (every key, every type) and raises :class:`Malformed` on anything
else, which the loader takes as a miss.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor import derived
from auditor.models import Severity
from auditor.policy import lean
from auditor.policy.plan import Deferred, Plan, compile_expr
from auditor.policy.programs import Probed

if TYPE_CHECKING:
    from auditor.policy.loader import Rule

KIND = "policy-pack"
PROGRAMS = ("when", "single", "size", "each", "select", "rows", "fused")
_COMPILER = ("compiled", "lean", "loader", "paths", "plan", "programs", "rewrite", "ruleschema",
             "walk")


class Malformed(ValueError):
    """A cache entry that is not the shape :func:`rules_data` writes."""


def key(text: bytes, file: str, deferred: bool) -> str:
    """The cache key of the rules compiled from ``text``, read from ``file``."""
    fields = ",".join(sorted(lean.FIELDS))  # the node fields lean.rewrite reads as columns
    return derived.digest(KIND, text, file, str(deferred), compiler(), fields)


@lru_cache(maxsize=1)
def compiler() -> str:
    """A digest of the modules whose code decides what a pack compiles to."""
    here = Path(__file__).parent
    root = here.parent
    files = [here / f"{name}.py" for name in _COMPILER]
    files += [root / "safeyaml.py", root / "severity.py", root / "derived.py"]
    return derived.code_fingerprint(files)


def rules_data(rules: Iterable[Rule]) -> list[dict[str, Any]]:
    """The rules as JSON-able data (their programs as sources)."""
    return [
        {
            "id": r.id, "title": r.title, "severity": r.severity.value, "pack": r.pack,
            "file": r.file, "line": r.line, "tags": list(r.tags), "basis": r.basis,
            "fix": r.fix, "sources": r.sources, "lets": r.lets,
            "plan": None if r.plan is None else _plan_data(r.plan),
        }
        for r in rules
    ]  # fmt: skip


def _plan_data(plan: Plan) -> dict[str, Any]:
    data: dict[str, Any] = {name: _source(getattr(plan, name)) for name in PROGRAMS}
    data.update(
        lets=[[name, _source(program)] for name, program in plan.lets],
        parts=plan.parts,
        inline_lets=plan.inline_lets,
        reads=[sorted(plan.reads.fields), plan.reads.whole],
        paths=sorted(list(p) for p in plan.paths),
        names=sorted(plan.names),
    )
    if isinstance(plan.fused, Probed):  # the walk and its probe (policy.programs)
        data["fused"] = [plan.fused.source, plan.fused.probe]
    return data


def _source(program: Any) -> str | None:
    if program is None:
        return None
    source = getattr(program, "source", None)  # a Deferred; a compiled program has none
    if not isinstance(source, str):
        raise Malformed("a compiled program has no source")
    return source


Compile = Callable[[str, str, str, int], Any]


def rules_from(data: Any, deferred: bool) -> list[dict[str, Any]]:
    """The keyword arguments of each :class:`~policy.loader.Rule` in ``data``; its programs
    deferred, or compiled now (``deferred`` False: a pack not shipped)."""
    if not isinstance(data, list):
        raise Malformed("not a list of rules")

    def program(source: str, file: str, rule_id: str, line: int) -> Any:
        return Deferred(source) if deferred else compile_expr(source, file, rule_id, line)

    return [_rule(raw, program) for raw in data]


_RULE_KEYS = frozenset(
    {"id", "title", "severity", "pack", "file", "line", "tags", "basis", "fix", "sources",
     "lets", "plan"}
)  # fmt: skip
_PLAN_KEYS = frozenset({*PROGRAMS, "lets", "parts", "inline_lets", "reads", "paths", "names"})


def _rule(raw: Any, program: Compile) -> dict[str, Any]:
    if not isinstance(raw, dict) or raw.keys() != _RULE_KEYS:
        raise Malformed("not a rule")
    rule_id, file, line = _str(raw["id"]), _str(raw["file"]), raw["line"]
    if type(line) is not int or raw["severity"] not in _SEVERITIES:
        raise Malformed("bad line or severity")
    plan = raw["plan"]
    return {
        "id": rule_id, "title": _str(raw["title"]), "severity": Severity(raw["severity"]),
        "pack": _str(raw["pack"]), "file": file, "line": line,
        "tags": tuple(_strs(raw["tags"])), "basis": _opt(raw["basis"]), "fix": _opt(raw["fix"]),
        "sources": _str_map(raw["sources"]), "lets": _str_map(raw["lets"]),
        "plan": None if plan is None else _plan(plan, lambda s: program(s, file, rule_id, line)),
    }  # fmt: skip


_SEVERITIES = frozenset(s.value for s in Severity)


def _plan(raw: Any, program: Callable[[str], Any]) -> Plan:
    if not isinstance(raw, dict) or raw.keys() != _PLAN_KEYS:
        raise Malformed("not a plan")
    walk = _walk(raw["fused"])
    programs = {name: _opt(raw[name]) for name in PROGRAMS if name != "fused"}
    lets = raw["lets"]
    reads = raw["reads"]
    if not (isinstance(lets, list) and all(isinstance(x, list) and len(x) == 2 for x in lets)):
        raise Malformed("bad lets")
    if not (isinstance(reads, list) and len(reads) == 2 and type(reads[1]) is bool):
        raise Malformed("bad reads")
    if type(raw["parts"]) is not bool or type(raw["inline_lets"]) is not bool:
        raise Malformed("bad flags")
    if not isinstance(raw["paths"], list):
        raise Malformed("bad paths")
    return Plan(
        **{name: None if src is None else program(src) for name, src in programs.items()},
        fused=walk,
        lets=tuple((_str(name), program(_str(src))) for name, src in lets),
        parts=raw["parts"],
        inline_lets=raw["inline_lets"],
        reads=lean.Reads(frozenset(_strs(reads[0])), reads[1]),
        paths=frozenset(tuple(_strs(p)) for p in raw["paths"]),
        names=frozenset(_strs(raw["names"])),
    )


def _walk(raw: Any) -> Any:
    """The one-program walk: deferred, as ``plan.build`` makes it, with its probe if it has one."""
    if isinstance(raw, list) and len(raw) == 2:
        return Probed(_str(raw[0]), _str(raw[1]))
    return None if raw is None else Deferred(_str(raw))


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise Malformed("not a string")
    return value


def _opt(value: Any) -> str | None:
    return None if value is None else _str(value)


def _strs(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise Malformed("not a list")
    return [_str(v) for v in value]


def _str_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Malformed("not a mapping")
    return {_str(k): _str(v) for k, v in value.items()}
