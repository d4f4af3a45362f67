"""The compiled-rule cache (``auditor.derived``, ``policy.compiled``): a hit gives exactly the
rules and findings of a cold compile, any change to a pack or to the compiler misses, and the
cache can be turned off. Hostile entries are in tests/hostile/test_rule_cache.py."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from auditor import derived
from auditor.models import VerifyLevel
from auditor.models.codec import dump
from auditor.pipeline import AuditOptions, make_report, run_iter
from auditor.policy import PolicySet, load_policies, loader
from auditor.policy import compiled as compiled_rules
from auditor.policy.loader import builtin_dir, load_file
from auditor.policy.plan import Deferred
from auditor.targets import expand_targets

EXAMPLE = "Ailiance-fr/apertus-math-lora"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory of this test (``XDG_CACHE_HOME``)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(derived.DISABLE, raising=False)
    return tmp_path / "xdg" / "ailiance-audit" / "derived"


def cold(specs: list[str], monkeypatch: pytest.MonkeyPatch) -> PolicySet:
    """The policy compiled from the packs, the cache off."""
    with monkeypatch.context() as mp:
        mp.setenv(derived.DISABLE, "1")
        return load_policies(specs)


def no_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, a pack compiled from its text fails the test: only hits are allowed."""

    def fail(*args: Any) -> Any:
        raise AssertionError("compiled from the text: the cache missed")

    monkeypatch.setattr(loader, "_compile_file", fail)


def shape(policy: PolicySet) -> list[dict[str, Any]]:
    data = compiled_rules.rules_data(policy.rules)
    for rule, raw in zip(policy.rules, data, strict=True):
        raw["override"] = rule.override
    return data


def findings(policy: PolicySet, example_hub: Path, verify: VerifyLevel = "none") -> str:
    options = AuditOptions(mirrors=[example_hub], offline=True, verify=verify)
    targets = expand_targets([EXAMPLE], None, mirrors=[example_hub], offline=True)
    report = make_report(list(run_iter(targets, options, policy)), policy)
    return json.dumps([dump(f) for t in report.targets for f in t.findings])


@pytest.mark.parametrize("profile", ["default", "strict"])
def test_a_hit_gives_the_rules_and_findings_of_a_cold_compile(
    cache: Path, example_hub: Path, monkeypatch: pytest.MonkeyPatch, profile: str
) -> None:
    reference = cold([profile], monkeypatch)
    assert not cache.exists()
    written = load_policies([profile])  # a miss: compiled, then written
    assert len(list(cache.glob("*.json"))) == len(list(builtin_dir().glob("*.yaml")))
    no_compiling(monkeypatch)
    hit = load_policies([profile])
    assert shape(hit) == shape(written) == shape(reference)
    assert all(
        isinstance(getattr(r.plan, name), Deferred | None)
        for r in hit.rules
        for name in compiled_rules.PROGRAMS
    )
    assert hit.variables == reference.variables
    assert hit.selected == reference.selected
    assert hit.reads == reference.reads
    assert findings(hit, example_hub) == findings(reference, example_hub)


def test_a_user_pack_hit_is_compiled_at_load(cache: Path, tmp_path: Path) -> None:
    pack = tmp_path / "mine.yaml"
    pack.write_text(
        "pack: mine\nrules:\n  - id: mine.no-card\n    title: t\n    severity: note\n"
        "    when: card.present\n    violation: 'false'\n    message: '\"m\"'\n"
    )
    first = load_file(pack)
    again = load_file(pack)
    assert compiled_rules.rules_data(again) == compiled_rules.rules_data(first)
    plan = again[0].plan
    assert plan is not None and not isinstance(plan.single, Deferred)  # errors come at load


def test_a_changed_pack_misses(cache: Path, tmp_path: Path) -> None:
    pack = tmp_path / "packs" / "license-chain.yaml"
    pack.parent.mkdir()
    shutil.copy(builtin_dir() / "license-chain.yaml", pack)
    before = load_file(pack)
    text = pack.read_text(encoding="utf-8")
    pack.write_text(text.replace("title: ", "title: Changed ", 1), encoding="utf-8")
    after = load_file(pack)
    assert after[0].title == "Changed " + before[0].title
    assert [r.title for r in after[1:]] == [r.title for r in before[1:]]
    assert len(list(cache.glob("*.json"))) == 2


def test_the_key_holds_every_input(monkeypatch: pytest.MonkeyPatch) -> None:
    base = compiled_rules.key(b"rules: []", "a.yaml", True)
    assert compiled_rules.key(b"rules: [ ]", "a.yaml", True) != base
    assert compiled_rules.key(b"rules: []", "b.yaml", True) != base
    assert compiled_rules.key(b"rules: []", "a.yaml", False) != base
    monkeypatch.setattr(compiled_rules, "compiler", lambda: "other compiler code")
    assert compiled_rules.key(b"rules: []", "a.yaml", True) != base
    monkeypatch.undo()
    monkeypatch.setattr(derived, "__version__", "99.0")
    assert compiled_rules.key(b"rules: []", "a.yaml", True) != base


def test_the_compiler_fingerprint_reads_its_own_sources() -> None:
    here = Path(compiled_rules.__file__).parent
    for name in ("plan", "rewrite", "lean", "paths", "loader", "compiled"):
        assert (here / f"{name}.py").is_file()
    assert len(compiled_rules.compiler()) == 64


@pytest.mark.parametrize("value", ["1", "yes"])
def test_the_cache_can_be_turned_off(
    cache: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(derived.DISABLE, value)
    load_policies(["default"])
    assert not cache.parent.exists()
    assert derived.directory() is None


def test_a_relative_xdg_cache_home_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(derived.DISABLE, raising=False)
    assert derived.directory() == tmp_path / "home" / ".cache" / "ailiance-audit" / "derived"


def test_nothing_is_written_outside_the_directory(cache: Path) -> None:
    xdg = cache.parent.parent
    load_policies(["default"])
    derived.write("0" * 64, {"x": 1})
    derived.write("../../escape", {"x": 1})  # not a key: refused
    derived.write("A" * 64, {"x": 1})
    files = [p for p in xdg.rglob("*") if p.is_file()]
    assert files and all(p.parent == cache for p in files)
    assert all(len(p.stem) == 64 and p.suffix == ".json" for p in files)
    assert all(p.stat().st_mode & 0o077 == 0 for p in files)


def test_the_directory_is_bounded(cache: Path) -> None:
    for n in range(derived.MAX_ENTRIES + 10):
        derived.write(f"{n:064x}", {"n": n})
    kept = sorted(int(p.stem, 16) for p in cache.glob("*.json"))
    assert len(kept) == derived.MAX_ENTRIES
    assert derived.read(f"{derived.MAX_ENTRIES + 9:064x}") == {"n": derived.MAX_ENTRIES + 9}


def test_an_entry_too_large_is_not_written(cache: Path) -> None:
    derived.write("1" * 64, "x" * (derived.MAX_ENTRY_BYTES + 1))
    assert derived.read("1" * 64) is None
    assert not list(cache.glob("*.json"))


def test_an_unwritable_cache_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.delenv(derived.DISABLE, raising=False)
    assert len(load_policies(["default"]).rules) > 40


def test_a_killed_writers_temporary_file_goes_in_time(cache: Path) -> None:
    cache.mkdir(parents=True)
    old, new = cache / f".{'0' * 64}.json.aaaa.tmp", cache / f".{'1' * 64}.json.bbbb.tmp"
    for path in (old, new):
        path.write_text("{")
    os.utime(old, (1, 1))
    derived.write("2" * 64, {"x": 1})
    assert not old.exists() and new.exists()


def test_every_field_of_a_rule_and_a_plan_is_stored() -> None:
    """A field added to ``Rule`` or ``Plan`` must be added to the cache's shape too: a hit would
    otherwise give it its default."""
    import dataclasses

    from auditor.policy.loader import Rule
    from auditor.policy.plan import Plan

    rule_fields = {f.name for f in dataclasses.fields(Rule)}
    assert rule_fields == compiled_rules._RULE_KEYS | {"override"}  # the profile's, not stored
    assert {f.name for f in dataclasses.fields(Plan)} == compiled_rules._PLAN_KEYS
