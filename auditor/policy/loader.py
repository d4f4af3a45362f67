"""Policy stage: load rule packs (YAML with CEL expressions) and compile them once per run.

A pack file is ``{pack: name, rules: [...]}``; each rule has ``id``, ``title``, ``severity``,
``tags``, ``basis``, ``fix``, ``let`` (named expressions evaluated once, before the candidates)
and CEL expressions ``when`` (optional precondition), ``each`` (optional list: one candidate per
element, bound to ``item``), ``parts`` (optional, with ``each``: a small list per candidate, one
finding per violating element, bound to ``part``), ``violation``, ``message``, ``location``,
``node``, ``severity_expr`` and ``evidence`` (all optional but ``violation`` and ``message``).
``policy.plan`` compiles the expressions; docs/writing-rules.md says how to write rules that
stay fast on large lineages. CEL cannot run code or reach the file system; what it can spend is
bounded by ``policy.sandbox``, which runs the rules of every pack that is not shipped in a
worker process with a deadline and a memory limit.
Errors name the file, the rule and the line/column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from auditor import derived, safeyaml
from auditor.errors import PolicyError
from auditor.models import Severity
from auditor.policy import compiled
from auditor.policy import paths as facts_paths
from auditor.policy import plan as cel_plan
from auditor.policy.lean import Reads
from auditor.policy.plan import Plan, checked, compile_expr
from auditor.policy.ruleschema import EXPRESSIONS, KNOWN_KEYS, REQUIRED, RULE_ID, rule_lets
from auditor.records import record

PROFILES = ("default", "strict", "none")


@record
class Rule:
    """One compiled rule."""

    id: str
    title: str
    severity: Severity
    pack: str
    file: str
    line: int
    tags: tuple[str, ...] = ()
    basis: str | None = None
    fix: str | None = None
    plan: Plan | None = None
    override: Severity | None = None
    sources: dict[str, str] = field(default_factory=dict)
    lets: dict[str, str] = field(default_factory=dict)


@record
class PolicySet:
    """The effective rules of a run, in a stable order (pack file, then position)."""

    rules: tuple[Rule, ...]
    sources: tuple[str, ...]
    profile: str = "default"

    @cached_property
    def variables(self) -> frozenset[str]:
        """Every name the rules' programs reference: the facts variables worth converting."""
        names: set[str] = set()
        for rule in self.rules:
            names.update(rule.plan.variables if rule.plan else ())
        return frozenset(names)

    @cached_property
    def selected(self) -> dict[str, Any]:
        """What the rules select of the facts variables, as a tree (``policy.paths``)."""
        return facts_paths.trie(p for rule in self.rules if rule.plan for p in rule.plan.paths)

    @cached_property
    def reads(self) -> Reads:
        """What the rules read of the upstream nodes (``policy.lean``)."""
        plans = [rule.plan.reads for rule in self.rules if rule.plan is not None]
        fields = frozenset().union(*(r.fields for r in plans))
        return Reads(fields, any(r.whole for r in plans))


def builtin_dir() -> Path:
    """The shipped packs (``policies/`` in a checkout, package data in a wheel)."""
    # The package's directory as ``importlib.resources.files("auditor")`` gives it (installed or
    # checked out), without importing importlib.resources and zipfile on every run.
    return Path(__file__).parents[1] / "policies"


@lru_cache(maxsize=1)
def _builtin_root() -> Path:
    """:func:`builtin_dir` resolved once (resolving walks every component of the path)."""
    return builtin_dir().resolve()


def pack_files(path: Path) -> list[Path]:
    """The pack files of a file or directory argument (``*.yaml``/``*.yml``, not tests)."""
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    import difflib  # a wrong argument only

    close = difflib.get_close_matches(str(path), PROFILES, n=1)
    hint = f" (did you mean the profile {close[0]!r}?)" if close else ""
    raise PolicyError(
        f"no such policy file or directory, and not a profile ({', '.join(PROFILES)}){hint}",
        file=str(path),
    )


def load_policies(specs: Sequence[str] = ("default",)) -> PolicySet:
    """Load the packs named by ``--policy`` values: a profile name or a path, merged by rule id.

    The shipped packs come first unless the profile ``none`` is given; user packs follow in
    command-line order and override earlier rules with the same id. ``strict`` is ``default``
    with every ``contested-law`` and ``could-not-check`` rule raised to ``error``.
    """
    specs = list(specs) or ["default"]
    profile = "strict" if "strict" in specs else "default"
    files: list[Path] = []
    if "none" not in specs:
        files += pack_files(builtin_dir())
    for spec in specs:
        if spec not in PROFILES:
            files += pack_files(Path(spec))
    merged: dict[str, Rule] = {}
    for path in files:
        for rule in load_file(path):
            merged.pop(rule.id, None)  # re-insert so the override keeps its own position
            merged[rule.id] = rule
    rules = tuple(_apply_profile(r, profile) for r in merged.values())
    return PolicySet(rules=rules, sources=tuple(_display(f) for f in files), profile=profile)


@lru_cache(maxsize=256)
def is_builtin(file: str) -> bool:
    """Whether a rule's ``file`` is one of the shipped packs."""
    try:
        Path(file).resolve().relative_to(_builtin_root())
    except ValueError:
        return False
    return True


def _display(path: Path) -> str:
    """Shipped packs are named ``builtin:<file>`` so reports do not depend on the install path."""
    try:
        return f"builtin:{path.resolve().relative_to(_builtin_root()).as_posix()}"
    except ValueError:
        return str(path)


STRICT_TAGS = frozenset({"contested-law", "could-not-check"})
"""Rules the ``strict`` profile raises to ``error``: contested readings of the law, and checks
that could not run (fail closed)."""


def _apply_profile(rule: Rule, profile: str) -> Rule:
    if profile == "strict" and STRICT_TAGS & set(rule.tags):
        return Rule(**{**rule.__dict__, "override": Severity.ERROR})
    return rule


def load_file(path: Path) -> list[Rule]:
    """Parse and compile one pack file, or take its compiled rules from the cache on disk
    (``policy.compiled``: the same rules, keyed by the file's text and the compiler's code)."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read: {exc}", file=name) from exc
    deferred = is_builtin(name)
    key = compiled.key(text.encode("utf-8", "surrogatepass"), name, deferred)
    rules = _cached(key, name, deferred)
    if rules is None:
        rules = _compile_file(text, name, deferred)
        derived.write(key, compiled.rules_data(rules))
    return rules


def _cached(key: str, name: str, deferred: bool) -> list[Rule] | None:
    """The rules of a cache entry; None for a miss, and for an entry of any other shape."""
    data = derived.read(key)
    if data is None:
        return None
    try:
        rules = [Rule(**kw) for kw in compiled.rules_from(data, deferred)]
    except (compiled.Malformed, PolicyError, ValueError, TypeError, RecursionError):
        return None
    return rules if all(r.file == name for r in rules) else None


def _compile_file(text: str, name: str, deferred: bool) -> list[Rule]:
    try:
        data, root = safeyaml.load(text)
    except safeyaml.YamlError as exc:
        raise PolicyError(str(exc), file=name, line=exc.line, column=exc.column) from exc
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise PolicyError("a pack is a mapping with a 'rules' list", file=name)
    pack = str(data.get("pack") or Path(name).stem)
    nodes = _rule_nodes(root)
    return [
        _compile_rule(raw, pack, name, nodes[i] if i < len(nodes) else None, deferred)
        for i, raw in enumerate(data["rules"])
    ]


def _rule_nodes(root: yaml.Node | None) -> list[yaml.MappingNode]:
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "rules" and isinstance(value, yaml.SequenceNode):
            return [n for n in value.value if isinstance(n, yaml.MappingNode)]
    return []


def _compile_rule(
    raw: Any, pack: str, file: str, node: yaml.MappingNode | None, deferred: bool
) -> Rule:
    line = node.start_mark.line + 1 if node else None
    if not isinstance(raw, dict):
        raise PolicyError("a rule is a mapping", file=file, line=line)
    rule_id = str(raw.get("id", ""))
    for key in REQUIRED:
        if key not in raw:
            raise PolicyError(f"missing key {key!r}", file=file, rule=rule_id or None, line=line)
    if not RULE_ID.match(rule_id):
        raise PolicyError("rule id must look like 'pack.name'", file=file, rule=rule_id, line=line)
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise PolicyError(f"unknown keys {unknown}", file=file, rule=rule_id, line=line)
    try:
        severity = Severity(str(raw["severity"]))
    except ValueError as exc:
        raise PolicyError(
            "severity must be " + ", ".join(s.value for s in Severity),
            file=file,
            rule=rule_id,
            line=line,
        ) from exc
    sources = {}
    for key in EXPRESSIONS:
        if raw.get(key) is None:
            continue
        sources[key] = checked(str(raw[key]).strip(), key, file, rule_id, _value_line(node, key))
    lets = rule_lets(raw.get("let"), file, rule_id, line)
    try:
        plan = cel_plan.build(sources, lets, file, rule_id, line, deferred=deferred)
    except PolicyError:
        for key, expr in sources.items():
            compile_expr(expr, file, rule_id, _value_line(node, key))
        for expr in lets.values():
            compile_expr(expr, file, rule_id, line)
        raise
    tags = raw.get("tags") or []
    if not isinstance(tags, list):
        raise PolicyError("tags must be a list", file=file, rule=rule_id, line=line)
    return Rule(
        id=rule_id,
        title=str(raw["title"]),
        severity=severity,
        pack=pack,
        file=file,
        line=line or 0,
        tags=tuple(str(t) for t in tags),
        basis=_opt(raw.get("basis")),
        fix=_opt(raw.get("fix")),
        plan=plan,
        sources=sources,
        lets=lets,
    )


def _opt(value: Any) -> str | None:
    return None if value is None else str(value).strip()


def _value_line(node: yaml.MappingNode | None, key: str) -> int | None:
    """First line of the expression text of ``key`` (block scalars start one line below)."""
    if node is None:
        return None
    for k, v in node.value:
        if k.value == key:
            block = isinstance(v, yaml.ScalarNode) and v.style in ("|", ">")
            line: int = v.start_mark.line + 1 + (1 if block else 0)
            return line
    return None


def rule_ids(policy: PolicySet) -> Iterable[str]:
    """The ids of the effective rules, in evaluation order."""
    return (r.id for r in policy.rules)
