"""Policy stage: evaluate compiled rules against one facts document.

This is the only place where pass/fail and severity are decided, and it decides them by running
the rules' CEL expressions; Python here only binds variables and builds :class:`Finding`s.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from auditor.errors import PolicyError
from auditor.facts import derive
from auditor.fingerprint import fingerprint as fingerprint  # re-exported (policy, waivers)
from auditor.models import Facts, Finding, Location, Severity, finding_order
from auditor.models.codec import dump_some
from auditor.policy import lean, paths
from auditor.policy.celimport import add_stdlib_to_context, cel
from auditor.policy.loader import PolicySet, Rule, is_builtin
from auditor.policy.plan import MAX_FINDINGS_PER_RULE

RULE_DOCS = "docs/rules/{id}.md"


def evaluate(facts: Facts, policy: PolicySet) -> list[Finding]:
    """Run every rule over ``facts``; findings come back sorted (deterministic output).

    Facts assembled by hand (tests, benchmarks, other tools) get their ``derived`` data computed
    here, so rules can always rely on it.
    """
    from auditor.policy import sandbox

    shipped, others = sandbox.split(policy)  # a pack that is not shipped runs with a budget
    session = Session(facts_document(facts, shipped))
    findings: list[Finding] = []
    for rule in shipped.rules:
        findings.extend(_finding(rule, row) for row in session.rows(rule))
    if others.rules:
        findings += sandbox.evaluate_untrusted(facts_document(facts, others), others.rules)
    return sorted(findings, key=finding_order)


def facts_document(facts: Facts, policy: PolicySet) -> dict[str, Any]:
    """The part of the facts document ``policy`` reads, as JSON-able data (``derived`` filled in).

    Only the variables some rule reads are converted to CEL values (no shipped rule reads
    ``edges``): conversion is most of an evaluation's cost on a large lineage. The upstream
    nodes go as columns, their licenses and other repeated values in tables (``policy.lean``).
    """
    if not facts.derived:
        facts = replace(facts, derived=derive(facts))
    selected = policy.selected
    include, nodes = _includes(policy)
    document = dump_some(facts, include)
    if nodes:
        document.update(lean.columns(facts, policy.reads))
    for name in paths.ROOTS & document.keys():
        document[name] = paths.prune(document[name], selected.get(name, paths.WHOLE))
    return document


_INCLUDES: dict[int, tuple[PolicySet, dict[str, Any], bool]] = {}


def _includes(policy: PolicySet) -> tuple[dict[str, Any], bool]:
    """``dump_some``'s include for ``policy`` and whether it reads the upstream nodes: the same
    for every target, so computed once per policy (as ``sandbox.split`` keeps its parts)."""
    cached = _INCLUDES.get(id(policy))
    if cached is not None and cached[0] is policy:
        return cached[1], cached[2]
    names = set(policy.variables)
    nodes = {lean.UPSTREAM, lean.COLUMNS, lean.TABLES}
    selected = policy.selected
    include = {name: _first_level(selected.get(name, paths.WHOLE)) for name in names - nodes}
    if len(_INCLUDES) > 64:
        _INCLUDES.clear()
    _INCLUDES[id(policy)] = (policy, include, bool(names & nodes))  # kept alive: its id is its own
    return include, bool(names & nodes)


def _first_level(spec: Any) -> Any:
    """A ``dump_some`` include for one variable: the fields its paths start with."""
    if spec is paths.WHOLE or paths.ANY in spec or paths.KEYS in spec:
        return True
    return dict.fromkeys(spec, True)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def lower_ascii(text: str) -> str:
    """``lowerAscii``: the stdlib's meaning (only A-Z change), without its loop per character
    (the shipped rules lower-case card text a hundred times per audit)."""
    return text.translate(_ASCII_LOWER)


def make_context(document: dict[str, Any]) -> cel.Context:
    """A CEL context holding the facts document and the extended standard library."""
    context = cel.Context()
    add_stdlib_to_context(context)
    context.add_function("lowerAscii", lower_ascii)
    for key, value in document.items():
        context.add_variable(key, value)
    return context


# Candidates per ``select`` call and rows per ``rows`` call: cel-rust copies a comprehension's
# accumulator on every step, so a call costs up to (chunk size x matches); small chunks keep that
# bounded while the per-call overhead stays small next to the work.
CHUNK = 256
ROW_BATCH = 32


class Session:
    """One facts document converted to CEL once, and the rules run against it.

    The engine's own variables (``_chunk_``, ``_picked_``, ``_slice_``, a rule's ``let`` names)
    are served by the context's variable resolver: adding a variable to a ``cel.Context``
    discards its converted environment, and rebuilding that costs time proportional to the
    whole facts document (190 ms at 10,000 upstream nodes), once per call. The resolver converts
    its values again at every reference, so they are kept small: an ``each`` expression's
    candidates are handed over one chunk at a time (``_slice_``).
    """

    def __init__(self, document: dict[str, Any]) -> None:
        self.context = make_context(document)
        self.scope: dict[str, Any] = {}
        self.context.set_variable_resolver(self.scope.get)

    def rows(self, rule: Rule) -> list[dict[str, Any]]:
        """The finding rows of ``rule`` (at most :data:`MAX_FINDINGS_PER_RULE`), in order."""
        plan = rule.plan
        assert plan is not None
        self.scope.clear()
        if plan.when is not None:
            gate = self._run(rule, plan.when, "when")
            if not isinstance(gate, bool):
                raise _error(rule, f"'when' must give true or false, not {type(gate).__name__}")
            if not gate:
                return []
        rows = self._at_once(rule) if plan.inline_lets else None
        if rows is not None:
            return rows
        for name, program in plan.lets:
            self.scope[name] = self._run(rule, program, f"let.{name}")
        if plan.single is not None:
            fires = self._run(rule, plan.single, "violation")
            if not isinstance(fires, bool):
                raise _error(rule, "'violation' must give true or false, "
                             f"not {type(fires).__name__}")
            return _rows(rule, self._run(rule, plan.rows, "message")) if fires else []
        rows = None if plan.inline_lets else self._at_once(rule)
        if rows is not None:
            return rows
        candidates: list[Any] | None = None  # None: ``each`` is a path, walked in place
        if plan.each is not None:
            candidates = self._run(rule, plan.each, "each")
            if not isinstance(candidates, list):
                raise _error(rule, "'each' must give a list")
            size = len(candidates)
        else:
            size = self._run(rule, plan.size, "each")
            if not isinstance(size, int) or size < 0:
                raise _error(rule, "'each' must give a list")
        return self._build(rule, self._select(rule, size, candidates), candidates)

    def _at_once(self, rule: Rule) -> list[dict[str, Any]] | None:
        """The rows of a rule with ``each`` from its one program (``plan.Plan.fused``), or
        None: more than :data:`MAX_FINDINGS_PER_RULE` candidates, or an error, which the
        chunked walk then reports."""
        plan = rule.plan
        assert plan is not None
        if plan.each is None:  # a path: its indices
            try:
                size = plan.size.execute(self.context)
            except Exception:
                return None
            if not isinstance(size, int) or not 0 <= size <= MAX_FINDINGS_PER_RULE:
                return None
            self.scope["_chunk_"] = list(range(size))
        try:
            rows = plan.fused.execute(self.context)
        except Exception:  # the chunked walk raises the error with the rule's own context
            return None
        if not isinstance(rows, list):
            return None
        rows = [row for parts in rows for row in parts] if plan.parts else rows
        return rows[:MAX_FINDINGS_PER_RULE]

    def _select(self, rule: Rule, size: int, candidates: list[Any] | None) -> list[int]:
        """Positions of the violating candidates, chunk by chunk, stopping at the cap."""
        assert rule.plan is not None
        picked: list[int] = []
        for low in range(0, size, CHUNK):
            high = min(size, low + CHUNK)
            if candidates is None:
                self.scope["_chunk_"] = list(range(low, high))
            else:
                self.scope["_slice_"] = candidates[low:high]
                self.scope["_chunk_"] = list(range(high - low))
            found = _rows(rule, self._run(rule, rule.plan.select, "violation"))
            picked += found if candidates is None else [low + i for i in found]
            if len(picked) >= MAX_FINDINGS_PER_RULE:
                break
        return picked[:MAX_FINDINGS_PER_RULE]

    def _build(
        self, rule: Rule, picked: list[int], candidates: list[Any] | None
    ) -> list[dict[str, Any]]:
        """The finding rows of the picked candidates, a batch at a time."""
        assert rule.plan is not None
        rows: list[dict[str, Any]] = []
        for low in range(0, len(picked), ROW_BATCH):
            batch = picked[low : low + ROW_BATCH]
            if candidates is None:
                self.scope["_picked_"] = batch
            else:
                self.scope["_slice_"] = [candidates[i] for i in batch]
                self.scope["_picked_"] = list(range(len(batch)))
            found = _rows(rule, self._run(rule, rule.plan.rows, "message"))
            rows += [row for parts in found for row in parts] if rule.plan.parts else found
        return rows[:MAX_FINDINGS_PER_RULE]

    def _run(self, rule: Rule, program: Any, what: str) -> Any:
        try:
            return program.execute(self.context)
        except KeyError as exc:  # the binding's error for a missing map key is the bare key
            raise _error(
                rule,
                f"CEL evaluation failed ({what}): no field {exc.args[0]!r} "
                "in the facts (docs/facts.md)",
            ) from exc
        except Exception as exc:  # a CEL runtime error means the rule does not fit the facts
            raise _error(rule, f"CEL evaluation failed ({what}): {exc}") from exc


def _rows(rule: Rule, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _error(rule, "'each' must give a list")
    return value[:MAX_FINDINGS_PER_RULE]


def _error(rule: Rule, message: str) -> PolicyError:
    return PolicyError(message, file=rule.file, rule=rule.id, line=rule.line)


def _finding(rule: Rule, row: dict[str, Any]) -> Finding:
    try:
        computed = row["severity"]
        severity = rule.override or (Severity(str(computed)) if computed else rule.severity)
    except ValueError as exc:
        raise PolicyError(
            f"severity_expr gave {row['severity']!r}", file=rule.file, rule=rule.id, line=rule.line
        ) from exc
    message, node = _text(row["message"]), _text(row["node"])
    location = _location(row["location"])
    raw_ev = row.get("evidence")
    evidence = (
        {str(k): _text(v) for k, v in sorted(raw_ev.items())} if isinstance(raw_ev, dict) else {}
    )
    return Finding(
        rule_id=rule.id,
        severity=severity,
        title=rule.title,
        message=message,
        node=node,
        location=location,
        tags=rule.tags,
        basis=rule.basis,
        fix=rule.fix,
        pack=rule.pack,
        help_uri=doc_link(rule),
        summary=_text(row["summary"]) if row.get("summary") is not None else None,
        evidence=evidence,
        fingerprint=fingerprint(rule.id, node, location, message),
    )


def doc_link(rule: Rule) -> str | None:
    """The rule's documentation page: shipped rules have one in ``docs/rules/``; a custom pack's
    rule has none of ours (a page named after its id would be a dead link)."""
    return RULE_DOCS.format(id=rule.id) if is_builtin(rule.file) else None


def _location(raw: Any) -> Location | None:
    if not isinstance(raw, dict) or not raw.get("file"):
        return None
    line = raw.get("line")
    return Location(
        file=str(raw["file"]), line=int(line) if isinstance(line, int | float) else None
    )


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)
