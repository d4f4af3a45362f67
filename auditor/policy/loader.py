"""Policy stage: load rule packs (YAML with CEL expressions) and compile them once per run.

A pack file is ``{pack: name, rules: [...]}``; each rule has ``id``, ``title``, ``severity``,
``tags``, ``basis``, ``fix``, ``let`` (named expressions evaluated once, before the candidates)
and CEL expressions ``when`` (optional precondition), ``each`` (optional list: one candidate per
element, bound to ``item``), ``parts`` (optional, with ``each``: a small list per candidate, one
finding per violating element, bound to ``part``), ``violation``, ``message``, ``location``,
``node``, ``severity_expr`` and ``evidence`` (all optional but ``violation`` and ``message``).
docs/writing-rules.md says how to write rules that stay fast on large lineages. CEL cannot run
code or reach the file system; what it can spend is bounded by ``policy.sandbox``, which runs
the rules of every pack that is not shipped in a worker process with a deadline and a memory
limit.
Errors name the file, the rule and the line/column.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from auditor import safeyaml
from auditor.errors import PolicyError
from auditor.models import Severity
from auditor.policy.celimport import cel

EXPRESSIONS = (
    "when",
    "each",
    "parts",
    "violation",
    "message",
    "location",
    "node",
    "severity_expr",
    "evidence",
    "summary",
)
REQUIRED = ("id", "title", "severity", "violation", "message")
KNOWN_KEYS = {*REQUIRED, *EXPRESSIONS, "let", "tags", "basis", "fix", "doc"}
# Names a rule's ``let`` may not take: the facts document's variables and the engine's own.
RESERVED = frozenset(
    {"item", "part", "schema_version", "subject", "upstream", "edges", "card", "adapter", "compute",
     "files", "derived", "lists", "math", "strings", "sets"}
)
_LET_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PROFILES = ("default", "strict", "none")
_RULE_ID = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$")
_CEL_POS = re.compile(r"<input>:(\d+):(\d+)")


@dataclass(frozen=True)
class Plan:
    """The compiled programs of one rule (see :func:`plan`); ``policy.cel`` runs them.

    A rule without ``each`` is one program giving zero or one finding row. A rule with ``each``
    is walked by index in chunks: ``select`` gives the indices of the violating candidates in
    ``_chunk_`` and ``rows`` the finding rows of the indices in ``_picked_``, so no CEL list
    ever grows with the size of the lineage (cel-rust copies a comprehension's accumulator on
    every step) and the walk stops once a rule has reported its maximum number of findings.
    """

    when: Any = None
    lets: tuple[tuple[str, Any], ...] = ()
    single: Any = None
    size: Any = None
    each: Any = None
    select: Any = None
    rows: Any = None
    parts: bool = False

    @property
    def variables(self) -> frozenset[str]:
        """The names the programs reference (comprehension variables included)."""
        programs = [self.when, self.single, self.size, self.each, self.select, self.rows]
        programs += [program for _name, program in self.lets]
        return frozenset(v for p in programs if p is not None for v in p.variables())


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
    plan: Plan | None = None
    override: Severity | None = None
    sources: dict[str, str] = field(default_factory=dict)
    lets: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
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


def builtin_dir() -> Path:
    """The shipped packs (``policies/`` in a checkout, package data in a wheel)."""
    return Path(str(resources.files("auditor") / "policies"))


def pack_files(path: Path) -> list[Path]:
    """The pack files of a file or directory argument (``*.yaml``/``*.yml``, not tests)."""
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
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
        Path(file).resolve().relative_to(builtin_dir().resolve())
    except ValueError:
        return False
    return True


def _display(path: Path) -> str:
    """Shipped packs are named ``builtin:<file>`` so reports do not depend on the install path."""
    try:
        return f"builtin:{path.resolve().relative_to(builtin_dir().resolve()).as_posix()}"
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
    """Parse and compile one pack file."""
    name = str(path)
    try:
        data, root = safeyaml.load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read: {exc}", file=name) from exc
    except safeyaml.YamlError as exc:
        raise PolicyError(str(exc), file=name, line=exc.line, column=exc.column) from exc
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
            "severity must be " + ", ".join(s.value for s in Severity),
            file=file,
            rule=rule_id,
            line=line,
        ) from exc
    sources = {}
    for key in EXPRESSIONS:
        if raw.get(key) is None:
            continue
        sources[key] = _checked(str(raw[key]).strip(), key, file, rule_id, _value_line(node, key))
    lets = _lets(raw.get("let"), file, rule_id, line)
    try:
        plan = _plan(sources, lets, file, rule_id, line)
    except PolicyError:
        for key, expr in sources.items():
            _compile(expr, file, rule_id, _value_line(node, key))
        for expr in lets.values():
            _compile(expr, file, rule_id, line)
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


# CEL has no cost limit here: 8 nested map() over 10 elements is 10^8 evaluations from 250 bytes
# of an untrusted pack. Nesting is bounded at load (the shipped packs need 5, over small lists);
# this bounds the damage, it is not a cost model.
MAX_COMPREHENSION_DEPTH = 5
_MACROS = frozenset({"map", "filter", "exists", "all", "exists_one"})


def comprehension_depth(expr: str) -> int:
    """How deeply comprehension macros (``map``, ``filter``, ``exists``…) nest in ``expr``."""
    return _structure(expr)[1]


def _structure(expr: str) -> tuple[bool, int]:
    """Whether the brackets of ``expr`` balance, and how deeply its comprehensions nest."""
    toks = _tokens(expr)
    stack: list[bool] = []  # one entry per open bracket: is it a comprehension macro's "("?
    balanced, deepest = True, 0
    for n, (kind, text, _start, _end) in enumerate(toks):
        if kind != "punct":
            continue
        if text in "([{":
            stack.append(text == "(" and n >= 2 and toks[n - 1][1] in _MACROS
                         and toks[n - 1][0] == "ident" and toks[n - 2][1] == ".")
            deepest = max(deepest, sum(stack))
        elif text in ")]}":
            if stack:
                stack.pop()
            else:
                balanced = False
    return balanced and not stack, deepest


def _checked(expr: str, key: str, file: str, rule_id: str, line: int | None) -> str:
    """``expr`` if its brackets balance and it nests few loops.

    Balanced brackets keep an expression inside the parentheses the plan puts it in; whether it
    compiles is checked with the plan's programs (compiling each expression on its own as well
    would double a git hook's policy start-up), and only when those fail is each expression
    compiled alone, for an error that points at its own line and column.
    """
    balanced, nesting = _structure(expr)
    if not balanced:
        _compile(expr, file, rule_id, line)  # the binding's message, with the position
        raise PolicyError(f"{key}: unbalanced brackets", file=file, rule=rule_id, line=line)
    if nesting > MAX_COMPREHENSION_DEPTH:
        raise PolicyError(
            f"{key}: comprehensions nested {nesting} deep (at most {MAX_COMPREHENSION_DEPTH})",
            file=file, rule=rule_id, line=line,
        )
    return expr


def _lets(raw: Any, file: str, rule_id: str, line: int | None) -> dict[str, str]:
    """A rule's ``let``: named expressions evaluated once per target, before ``each`` is walked.

    They hoist what does not depend on ``item`` out of the per-candidate expressions (a card
    section check repeated for 10,000 upstream nodes is 10,000 times the work).
    """
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PolicyError("let must map names to expressions", file=file, rule=rule_id, line=line)
    lets = {}
    for name, expr in raw.items():
        if not isinstance(name, str) or not _LET_NAME.match(name) or name in RESERVED:
            raise PolicyError(
                f"let: {name!r} is not a usable name (lower-case, not a facts variable or 'item')",
                file=file, rule=rule_id, line=line,
            )
        lets[name] = _checked(str(expr).strip(), f"let.{name}", file, rule_id, line)
    return lets


def _plan(src: dict[str, str], lets: dict[str, str], file: str, rule_id: str,
          line: int | None) -> Plan:
    """Compile a rule's expressions into the programs of its :class:`Plan`.

    Every expression is first rewritten for cel-rust's cost model (same meaning, measured in
    bench/RESULTS.md): field selection ``a.b`` becomes ``a['b']`` (selecting a large map by
    name copies it; indexing does not) and ``upstream.exists(u, …)``/``all`` walk by index
    (iterating a list of large maps copies each element). With ``each``, every ``item`` becomes
    ``<list>[_i_]``: ``item`` is therefore a reserved name in rules.
    """
    def prog(expr: str) -> Any:
        return _compile(expr, file, rule_id, line)

    # A path ``each`` (``upstream``, ``derived.x.y``) is walked in place, by index.
    direct = "each" in src and bool(_PATH.match(src["each"]))
    src = {key: fast(expr) for key, expr in src.items()}
    compiled_lets = tuple((name, prog(fast(expr))) for name, expr in lets.items())
    when = src.get("when")
    each = src.get("each")
    if each is None:
        if "parts" in src:
            raise PolicyError("'parts' needs 'each'", file=file, rule=rule_id, line=line)
        body = f"({src['violation']}) ? [{_fields(src, 'subject.id')}] : []"
        if when is not None and not lets:
            return Plan(single=prog(f"({when}) ? ({body}) : []"))
        return Plan(when=prog(when) if when else None, lets=compiled_lets, single=prog(body))
    coll = f"({each})" if direct else "_each_"
    pick = f"{coll}[_i_]"
    default_node = f"type({pick}) == map && 'id' in {pick} ? string({pick}.id) : subject.id"
    bound = {k: substitute_item(v, pick) for k, v in src.items() if k not in ("each", "when")}
    violation = bound["violation"]
    fields = _fields(bound, bound.get("node") or default_node)
    parts = bound.get("parts")
    if parts is not None:
        # One finding per violating part of a candidate: parts are small lists, so binding them
        # through a comprehension variable is cheap, and the candidates are still walked by index.
        select = f"_chunk_.filter(_i_, ({parts}).exists(part, ({violation})))"
        rows = f"_picked_.map(_i_, ({parts}).filter(part, ({violation})).map(part, {fields}))"
    else:
        select = f"_chunk_.filter(_i_, ({violation}))"
        rows = f"_picked_.map(_i_, {fields})"
    if not direct:
        # The candidates of one chunk arrive as ``_slice_``, bound once per call.
        select = f"[_slice_].map(_each_, {select})[0]"
        rows = f"[_slice_].map(_each_, {rows})[0]"
    return Plan(
        when=prog(when) if when else None,
        lets=compiled_lets,
        size=prog(f"type({coll}) == list ? {coll}.size() : -1") if direct else None,
        each=None if direct else prog(each),
        select=prog(select),
        rows=prog(rows),
        parts=parts is not None,
    )


def _fields(src: dict[str, str], node: str) -> str:
    return (
        f"{{'message': ({src['message']}), 'node': ({node}), "
        f"'location': ({src.get('location', 'null')}), "
        f"'severity': ({src.get('severity_expr') or 'null'}), "
        f"'evidence': ({src.get('evidence', '{}')}), "
        f"'summary': ({src.get('summary', 'null')})}}"
    )


_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
# CEL tokens that matter for rewriting: string literals (kept whole), numbers (``1.5`` is not a
# field selection), identifiers, and the punctuation around selections and calls.
_TOKEN = re.compile(
    r"""(?P<str>[rRbB]{0,2}('\'\'\'[\s\S]*?\'\'\'|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))"""
    r"|(?P<num>\d[\w]*(?:\.\d[\w]*)?)"
    r"|(?P<ident>[A-Za-z_]\w*)"
    r"|(?P<punct>\S)"
)
# Lists whose elements are whole repository nodes: the only ones big enough for the way a
# comprehension iterates them to matter.
LARGE_LISTS = ("upstream", "edges")


def _tokens(expr: str) -> list[tuple[str, str, int, int]]:
    """(kind, text, start, end) of every token of ``expr``; whitespace is skipped."""
    return [(m.lastgroup or "", m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(expr)]


def substitute_item(expr: str, replacement: str) -> str:
    """Replace the identifier ``item`` (not a field ``.item``, not inside strings)."""
    return rename(expr, "item", f"({replacement})")


def rename(expr: str, name: str, replacement: str) -> str:
    """Replace the identifier ``name`` (not a field ``.name``, not inside strings)."""
    out, pos, prev = [], 0, ""
    for kind, text, start, end in _tokens(expr):
        if kind == "ident" and text == name and prev != ".":
            out.append(expr[pos:start] + replacement)
            pos = end
        prev = text
    out.append(expr[pos:])
    return "".join(out)


def fast(expr: str) -> str:
    """``expr`` rewritten for cel-rust's cost model, with the same meaning (see :func:`_plan`)."""
    return bracket_fields(walk_by_index(expr))


def bracket_fields(expr: str) -> str:
    """``a.b`` -> ``a['b']``, except calls (``s.size()``, ``lists.range(…)``) and ``has(a.b)``."""
    toks = _tokens(expr)
    out, pos = [], 0
    parens: list[bool] = []  # one entry per open "(": is it has()'s?
    for n, (kind, text, start, _end) in enumerate(toks):
        if kind == "punct" and text == "(":
            parens.append(n > 0 and toks[n - 1][1] == "has" and (n < 2 or toks[n - 2][1] != "."))
        elif kind == "punct" and text == ")" and parens:
            parens.pop()
        if not (kind == "punct" and text == "." and 0 < n < len(toks) - 1):
            continue
        before, name, after = toks[n - 1], toks[n + 1], toks[n + 2] if n + 2 < len(toks) else None
        ends_operand = before[0] in ("ident", "str") or before[1] in (")", "]")
        if name[0] != "ident" or not ends_operand:
            continue
        if after is not None and after[1] == "(":
            continue  # a call: member function or namespaced function
        if after is not None and after[1] == ")" and parens and parens[-1]:
            continue  # has(a.b) needs a selection
        out.append(expr[pos:start] + f"['{name[1]}']")
        pos = name[3]
    out.append(expr[pos:])
    return "".join(out)


def walk_by_index(expr: str) -> str:
    """``upstream.exists(u, P)`` -> ``lists.range(upstream.size()).exists(_u_, P')``.

    ``P'`` is ``P`` with ``u`` replaced by ``upstream[_u_]``. Also ``all``; only over
    :data:`LARGE_LISTS`, and only when ``u`` is not bound again inside ``P``. Comprehensions that
    build lists (``filter``, ``map``) are left alone: their results would be lists of nodes,
    which no rewrite makes cheap.
    """
    if not any(f"{name}." in expr for name in LARGE_LISTS):
        return expr
    toks = _tokens(expr)
    for n in range(len(toks) - 5):
        if toks[n][1] not in LARGE_LISTS:
            continue
        head, dot, macro, paren, var, comma = (t[1] for t in toks[n : n + 6])
        if not (dot == "." and macro in ("exists", "all") and paren == "("
                and toks[n + 4][0] == "ident" and comma == ","
                and (n == 0 or toks[n - 1][1] != ".")):
            continue
        close = _closing(toks, n + 3)
        if close is None:
            return expr
        body = expr[toks[n + 5][3] : toks[close][2]]
        if re.search(rf"\(\s*{var}\s*,", body):
            continue  # rebound inside: leave this one as written
        index = f"_{var}_"
        new_body = rename(body, var, f"{head}[{index}]")
        rewritten = f"lists.range({head}.size()).{macro}({index},{new_body})"
        return walk_by_index(expr[: toks[n][2]] + rewritten + expr[toks[close][3] :])
    return expr


def _closing(toks: list[tuple[str, str, int, int]], open_at: int) -> int | None:
    depth = 0
    for n in range(open_at, len(toks)):
        if toks[n][1] == "(":
            depth += 1
        elif toks[n][1] == ")":
            depth -= 1
            if depth == 0:
                return n
    return None


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
