"""Policy stage: the CEL programs of the rules, compiled once per source (``policy.plan``
builds the sources)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from auditor.errors import PolicyError
from auditor.lazyre import lazy
from auditor.policy.celimport import cel

if TYPE_CHECKING:
    from auditor.policy.plan import Plan

_CEL_POS = lazy(r"<input>:(\d+):(\d+)")


class Deferred:
    """A shipped rule's program, compiled when it first runs.

    A card-only audit runs about half of the shipped programs (the others belong to rules whose
    ``when`` fails or that find nothing), and compiling is most of loading the packs. The
    shipped packs' syntax is checked by their tests; every other pack is compiled when loaded,
    so its errors still point at its file before anything runs.
    """

    __slots__ = ("_program", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._program: Any = None

    def execute(self, context: Any) -> Any:
        """Run the program (compiling it the first time)."""
        if self._program is None:
            self._program = _compile(self.source)
        return self._program.execute(context)

    def compile(self) -> None:
        """Compile the program now, if it was not yet (see :func:`compile_deferred`)."""
        if self._program is None:
            self._program = _compile(self.source)


class Probed(Deferred):
    """A rule's one-program walk (``plan.Plan.fused``), run only when its probe says some
    candidate violates (``policy.walk``): most rules find nothing, and then the walk, mostly
    finding rows, is never compiled. The probe evaluates the same violations the walk does, so
    it fails where the walk would (the engine then walks in chunks), and when it gives false
    the walk gives no rows.
    """

    __slots__ = ("_probe", "probe")

    def __init__(self, source: str, probe: str) -> None:
        super().__init__(source)
        self.probe = probe
        self._probe: Any = None

    def execute(self, context: Any) -> Any:
        """The walk's rows: none when the probe gives false, else the walk's own result."""
        if self._probe is None:
            self._probe = _compile(self.probe)
        if self._probe.execute(context) is False:
            return []
        return super().execute(context)

    def compile(self) -> None:
        """Compile the probe and the walk now, if they were not yet."""
        if self._probe is None:
            self._probe = _compile(self.probe)
        super().compile()


def compile_deferred(plans: Iterable[Plan]) -> None:
    """Compile the deferred programs of ``plans`` now rather than when they first run: for a
    caller with idle time before it evaluates (the CLI, waiting for the load-check worker)."""
    for plan in plans:
        programs = (plan.when, plan.single, plan.size, plan.each, plan.select, plan.rows,
                    plan.fused)  # fmt: skip
        for program in (*programs, *(program for _, program in plan.lets)):
            if isinstance(program, Deferred):
                program.compile()


_compile = lru_cache(maxsize=1024)(cel.compile)
"""Programs by source: rules share some (``location`` of the upstream rules), and a program is
only ever executed."""


def compile_expr(expr: str, file: str, rule_id: str, line: int | None) -> Any:
    """One CEL program; a syntax error becomes a :class:`PolicyError` at the pack's line/column."""
    try:
        return _compile(expr)
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
