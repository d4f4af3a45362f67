"""Policy stage: load rule packs (YAML with CEL expressions) and compile them once per run.

A pack file is ``{pack: name, rules: [...]}``; each rule has ``id``, ``title``, ``severity``,
``tags``, ``basis``, ``fix`` and CEL expressions ``when`` (optional precondition), ``each``
(optional list: one candidate per element, bound to ``item``), ``violation``, ``message``,
``location``, ``node``, ``severity_expr`` and ``evidence`` (all optional but ``violation`` and
``message``). CEL cannot run code or reach the file system, so a pack from an untrusted pull
request is safe to evaluate. Errors name the file, the rule and the line/column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from auditor.errors import PolicyError
from auditor.models import Severity
from auditor.policy.celimport import cel

EXPRESSIONS = (
    "when",
    "each",
    "violation",
    "message",
    "location",
    "node",
    "severity_expr",
    "evidence",
)
REQUIRED = ("id", "title", "severity", "violation", "message")
KNOWN_KEYS = {*REQUIRED, *EXPRESSIONS, "tags", "basis", "fix", "doc"}
PROFILES = ("default", "strict", "none")
_RULE_ID = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$")
# libyaml's safe loader when present: packs load on every run, a git hook's start-up budget.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CEL_POS = re.compile(r"<input>:(\d+):(\d+)")


@dataclass(frozen=True)
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
    program: Any = None
    override: Severity | None = None
    sources: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PolicySet:
    """The effective rules of a run, in a stable order (pack file, then position)."""

    rules: tuple[Rule, ...]
    sources: tuple[str, ...]
    profile: str = "default"


def builtin_dir() -> Path:
    """The shipped packs (``policies/`` in a checkout, package data in a wheel)."""
    return Path(str(resources.files("auditor") / "policies"))


def pack_files(path: Path) -> list[Path]:
    """The pack files of a file or directory argument (``*.yaml``/``*.yml``, not tests)."""
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    raise PolicyError("no such policy file or directory", file=str(path))


def load_policies(specs: Sequence[str] = ("default",)) -> PolicySet:
    """Load the packs named by ``--policy`` values: a profile name or a path, merged by rule id.

    The shipped packs come first unless the profile ``none`` is given; user packs follow in
    command-line order and override earlier rules with the same id. ``strict`` is ``default``
    with every ``contested-law`` rule raised to ``error`` (for commercial releases).
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


def _display(path: Path) -> str:
    """Shipped packs are named ``builtin:<file>`` so reports do not depend on the install path."""
    try:
        return f"builtin:{path.resolve().relative_to(builtin_dir().resolve()).as_posix()}"
    except ValueError:
        return str(path)


def _apply_profile(rule: Rule, profile: str) -> Rule:
    if profile == "strict" and "contested-law" in rule.tags:
        return Rule(**{**rule.__dict__, "override": Severity.ERROR})
    return rule


def load_file(path: Path) -> list[Rule]:
    """Parse and compile one pack file."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read: {exc}", file=name) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PolicyError(
            f"invalid YAML: {getattr(exc, 'problem', exc)}",
            file=name,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise PolicyError("a pack is a mapping with a 'rules' list", file=name)
    pack = str(data.get("pack") or path.stem)
    nodes = _rule_nodes(root)
    return [
        _compile_rule(raw, pack, name, nodes[i] if i < len(nodes) else None)
        for i, raw in enumerate(data["rules"])
    ]


def _rule_nodes(root: yaml.Node | None) -> list[yaml.MappingNode]:
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "rules" and isinstance(value, yaml.SequenceNode):
            return [n for n in value.value if isinstance(n, yaml.MappingNode)]
    return []


def _compile_rule(raw: Any, pack: str, file: str, node: yaml.MappingNode | None) -> Rule:
    line = node.start_mark.line + 1 if node else None
    if not isinstance(raw, dict):
        raise PolicyError("a rule is a mapping", file=file, line=line)
    rule_id = str(raw.get("id", ""))
    for key in REQUIRED:
        if key not in raw:
            raise PolicyError(f"missing key {key!r}", file=file, rule=rule_id or None, line=line)
    if not _RULE_ID.match(rule_id):
        raise PolicyError("rule id must look like 'pack.name'", file=file, rule=rule_id, line=line)
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise PolicyError(f"unknown keys {unknown}", file=file, rule=rule_id, line=line)
    try:
        severity = Severity(str(raw["severity"]))
    except ValueError as exc:
        raise PolicyError(
            "severity must be error, warning or note", file=file, rule=rule_id, line=line
        ) from exc
    sources = {}
    for key in EXPRESSIONS:
        if raw.get(key) is None:
            continue
        expr = str(raw[key]).strip()
        _compile(expr, file, rule_id, _value_line(node, key))  # positions for error messages
        nesting = comprehension_depth(expr)
        if nesting > MAX_COMPREHENSION_DEPTH:
            raise PolicyError(
                f"{key}: comprehensions nested {nesting} deep (at most {MAX_COMPREHENSION_DEPTH})",
                file=file, rule=rule_id, line=_value_line(node, key),
            )
        sources[key] = expr
    program = _compile(combine(sources), file, rule_id, line)
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
        program=program,
        sources=sources,
    )


# CEL has no cost limit here: 8 nested map() over 10 elements is 10^8 evaluations from 250 bytes
# of an untrusted pack. Nesting is bounded at load (the shipped packs need 5, over small lists);
# this bounds the damage, it is not a cost model.
MAX_COMPREHENSION_DEPTH = 5
_MACROS = frozenset({"map", "filter", "exists", "all", "exists_one"})
_NESTING = re.compile(
    r"""[rRbB]{0,2}('[^'\\\n]*(?:\\.[^'\\\n]*)*'|"[^"\\\n]*(?:\\.[^"\\\n]*)*")"""
    r"|\.\s*([A-Za-z_]\w*)\s*\(|\(|\)"
)


def comprehension_depth(expr: str) -> int:
    """How deeply comprehension macros (``map``, ``filter``, ``exists``…) nest in ``expr``."""
    stack: list[bool] = []
    deepest = 0
    for m in _NESTING.finditer(expr):
        if m.group(1):
            continue  # a string literal
        if m.group(2) is not None:
            stack.append(m.group(2) in _MACROS)
        elif m.group(0) == "(":
            stack.append(False)
        elif stack:
            stack.pop()
        deepest = max(deepest, sum(stack))
    return deepest


def combine(src: dict[str, str]) -> str:
    """One CEL program per rule returning the list of its findings' fields.

    Evaluating a single program per rule lets the facts document be converted to CEL values once
    per target instead of once per candidate item. With ``each``, the candidates are walked by
    index and every ``item`` in the other expressions becomes ``<list>[_i_]``: cel-rust's
    ``filter``/``map`` copy their accumulator on every step, so accumulating whole nodes is
    quadratic in practice (10,000 upstream nodes, 100 matches: 2.3 s for one rule), while
    accumulating integers is not (0.06 s). ``item`` is therefore a reserved name in rules.
    """
    each = src.get("each")
    if each is None:
        fields = _fields(src, "subject.id")
        body = f"({src['violation']}) ? [{fields}] : []"
        return f"({src['when']}) ? ({body}) : []" if "when" in src else body
    # A plain path (``upstream``) is indexed directly; an expression is evaluated once and bound
    # through a one-element comprehension (CEL has no let).
    direct = bool(_PATH.match(each.strip()))
    coll = f"({each.strip()})" if direct else "_each_"
    pick = f"{coll}[_i_]"
    default_node = f"type({pick}) == map && 'id' in {pick} ? string({pick}.id) : subject.id"
    bound = {k: substitute_item(v, pick) for k, v in src.items() if k not in ("each", "when")}
    fields = _fields(bound, bound.get("node") or default_node)
    body = (f"lists.range({coll}.size()).filter(_i_, ({bound['violation']}))"
            f".map(_i_, {fields})")
    if not direct:
        body = f"[({each})].map(_each_, {body})[0]"
    return f"({src['when']}) ? ({body}) : []" if "when" in src else body


def _fields(src: dict[str, str], node: str) -> str:
    return (
        f"{{'message': ({src['message']}), 'node': ({node}), "
        f"'location': ({src.get('location', 'null')}), "
        f"'severity': ({src.get('severity_expr') or 'null'}), "
        f"'evidence': ({src.get('evidence', '{}')})}}"
    )


_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
# CEL tokens that matter for renaming: string literals (kept whole) and identifiers.
_TOKEN = re.compile(
    r"""(?P<str>[rRbB]{0,2}('\'\'\'[\s\S]*?\'\'\'|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))"""
    r"|(?P<ident>[A-Za-z_]\w*)"
)


def substitute_item(expr: str, replacement: str) -> str:
    """Replace the identifier ``item`` (not a field ``.item``, not inside strings)."""
    out, pos = [], 0
    for m in _TOKEN.finditer(expr):
        if m.group("ident") == "item" and not expr[: m.start()].rstrip().endswith("."):
            out.append(expr[pos : m.start()] + f"({replacement})")
            pos = m.end()
    out.append(expr[pos:])
    return "".join(out)


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


def _compile(expr: str, file: str, rule_id: str, line: int | None) -> Any:
    try:
        return cel.compile(expr)
    except Exception as exc:  # the cel binding raises ValueError; any failure is a policy error
        text = str(exc)
        pos = _CEL_POS.search(text)
        col = int(pos.group(2)) if pos else None
        if pos and line is not None:
            line += int(pos.group(1)) - 1
        detail = text.split("\n", 1)[-1].strip() if "\n" in text else text
        raise PolicyError(
            f"CEL syntax error: {detail}", file=file, rule=rule_id, line=line, column=col
        ) from exc


def rule_ids(policy: PolicySet) -> Iterable[str]:
    """The ids of the effective rules, in evaluation order."""
    return (r.id for r in policy.rules)
