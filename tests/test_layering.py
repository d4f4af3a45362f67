"""The import graph of ``auditor``: no cycle, and no arrow from a lower stage to a higher one.

The stages, bottom up, are documented in docs/architecture.md ("Imports point only downward").
Every import counts, also those inside functions and under ``TYPE_CHECKING``: a lazy import
that only dodges a cycle is still an arrow the wrong way.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "auditor"

# Module (or package) prefixes per stage, lowest first. A module belongs to the stage of its
# longest matching prefix; it may import its own stage and lower ones.
STAGES: tuple[tuple[str, ...], ...] = (
    (
        "auditor",  # the package itself: only its version
        "auditor.errors",
        "auditor.models",
        "auditor.severity",
        "auditor.safeyaml",
        "auditor.parallel",
        "auditor.console",
        "auditor.argparsing",
        "auditor.fingerprint",
        "auditor.numbers",
        "auditor.files",
        "auditor.derived",
        "auditor.recache",
        "auditor.lazyre",
        "auditor.git",
        "auditor.formats.escape",
        "auditor.safetensors_header",
        "auditor.prestart",
        "auditor.records",
    ),
    ("auditor.licenses",),
    ("auditor.sources",),
    ("auditor.card",),
    ("auditor.graph", "auditor.lineage", "auditor.upstream"),
    ("auditor.verify",),
    ("auditor.compute", "auditor.compute_text"),
    ("auditor.facts", "auditor.facts_pst"),
    ("auditor.policy",),
    ("auditor.formats",),
    ("auditor.pipeline",),
    ("auditor.baseline",),
    ("auditor.exitcodes", "auditor.targets", "auditor.writing"),
    ("auditor.sync", "auditor.hooks", "auditor.serve", "auditor.census"),
    ("auditor.options",),
    # the command layer: argument parsing of the audit command and of each subcommand
    (
        "auditor.subcommands",
        "auditor.cli",
        "auditor.__main__",
        "auditor.sync.cli",
        "auditor.hooks.cli",
        "auditor.census.cli",
        "auditor.serve.cli",
    ),
)

# Cycles inside auditor/policy/ while that package is being split (the sandbox's worker
# evaluates with the CEL session; the CEL stage starts the sandbox for packs not shipped).
KNOWN_CYCLES = [["auditor.policy.cel", "auditor.policy.sandbox", "auditor.policy.cel"]]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _typing_only(tree: ast.AST) -> set[int]:
    """Ids of the import nodes under ``if TYPE_CHECKING:`` (annotations only, never run)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return out


def imports(path: Path, name: str, *, typing: bool = True) -> set[str]:
    """The ``auditor`` modules ``path`` imports (a name imported from a package counts as its
    submodule when there is one); ``typing=False`` leaves out ``TYPE_CHECKING`` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set() if typing else _typing_only(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "auditor")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if base.split(".")[0] != "auditor":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in MODULES else base)
    out.discard(name)
    return out


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}
GRAPH = {name: imports(path, name) for name, path in MODULES.items()}
RUNTIME = {name: imports(path, name, typing=False) for name, path in MODULES.items()}


def stage(name: str) -> int:
    best, rank = -1, -1
    for i, prefixes in enumerate(STAGES):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    return rank


def test_every_module_has_a_stage() -> None:
    assert [m for m in MODULES if stage(m) < 0] == []
    assert len(MODULES) > 100  # the walk found the package


def test_imports_point_only_downward() -> None:
    upward = sorted(
        f"{src} (stage {stage(src)}) imports {dst} (stage {stage(dst)})"
        for src, targets in GRAPH.items()
        for dst in targets
        if stage(dst) > stage(src)
    )
    assert upward == []


def test_no_import_cycle() -> None:
    """Modules, not packages: a package's ``__init__`` re-exporting its modules is no cycle;
    nor is a type named only in annotations (``TYPE_CHECKING``)."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(RUNTIME.get(node, ())):
            if nxt not in MODULES or MODULES[nxt].name == "__init__.py":
                continue
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for name in MODULES:
        if name not in state:
            visit(name)
    assert cycles == KNOWN_CYCLES


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from auditor.models import Finding\n", {"auditor.models"}),
        ("from auditor import git as g\n", {"auditor.git"}),
        ("import auditor.pipeline\n", {"auditor.pipeline"}),
    ],
)
def test_the_reader_sees_every_form(tmp_path: Path, source: str, expected: set[str]) -> None:
    """The check would pass vacuously if it missed a form of import."""
    path = tmp_path / "m.py"
    path.write_text(source)
    assert imports(path, "auditor.somewhere") == expected


def test_type_only_imports_are_no_cycle(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import auditor.cli\n")
    assert imports(path, "auditor.x") == {"auditor.cli"}
    assert imports(path, "auditor.x", typing=False) == set()


def test_formats_import_only_the_bottom_layer() -> None:
    """A format renders a report: the models and the shared helpers, nothing of the stages."""
    outside = sorted(
        f"{src} imports {dst}"
        for src, targets in GRAPH.items()
        if src.startswith("auditor.formats")
        for dst in targets
        if not dst.startswith("auditor.formats") and stage(dst) > 0
    )
    assert outside == []
