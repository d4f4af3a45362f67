"""build_graph(): lineage walk with dedup, guards and concurrency (CardClaims built directly)."""

from __future__ import annotations

import threading
import time
from collections import Counter

from auditor.graph import Upstream, build_graph
from auditor.models import (
    CardClaims,
    CardMetadata,
    Location,
    RepoKind,
    RepoSnapshot,
    Statement,
)


def snap(repo: str, kind: RepoKind = RepoKind.MODEL, files: tuple[str, ...] = ()) -> RepoSnapshot:
    return RepoSnapshot(
        repo_id=repo,
        kind=kind,
        origin="mirror",
        location=f"/m/{repo}",
        revision="abc",
        files=("README.md", *files),
    )


def card(**meta: object) -> CardClaims:
    lines = {"license": 2, "base_model": 3, "datasets": 4}
    return CardClaims(metadata=CardMetadata(lines=lines, **meta))  # type: ignore[arg-type]


class FakeHub:
    """A lookup over an in-memory dict; counts calls per repo and the most in flight at once."""

    def __init__(self, repos: dict[tuple[str, RepoKind], Upstream], delay: float = 0.0) -> None:
        self.repos = repos
        self.delay = delay
        self.calls: Counter[tuple[str, RepoKind]] = Counter()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0

    def __call__(self, repo: str, kind: RepoKind) -> Upstream:
        with self.lock:
            self.calls[(repo, kind)] += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.in_flight -= 1
        return self.repos.get((repo, kind), Upstream(None, None, "not in mirror"))


def model(
    repo: str, claims: CardClaims | None, files: tuple[str, ...] = ()
) -> tuple[tuple[str, RepoKind], Upstream]:
    return (repo, RepoKind.MODEL), Upstream(snap(repo, files=files), claims)


def dataset(repo: str, claims: CardClaims | None) -> tuple[tuple[str, RepoKind], Upstream]:
    return (repo, RepoKind.DATASET), Upstream(snap(repo, RepoKind.DATASET), claims)


def test_adapter_chain_with_datasets() -> None:
    scraping = Statement(
        kind="scraping-declared",
        text="We crawled the web.",
        location=Location(file="README.md", line=9),
    )
    hub = FakeHub(
        dict(
            [
                model(
                    "org/base",
                    card(
                        license=("apache-2.0",),
                        base_model=("org/pre",),
                        datasets=("org/sft",),
                        gated=True,
                        extra_gated_prompt="Accept the AUP",
                    ),
                ),
                model("org/pre", card(license=("apache-2.0",), datasets=("org/web",))),
                dataset("org/sft", card(license=("cc-by-sa-4.0",))),
                dataset(
                    "org/web",
                    CardClaims(metadata=CardMetadata(license=("odc-by",)), statements=(scraping,)),
                ),
            ]
        )
    )
    subject = snap("me/adapter", files=("adapter_config.json", "adapters.safetensors"))
    claims = card(license=("apache-2.0",), base_model=("org/base",), datasets=("org/sft",))
    graph = build_graph(subject, claims, hub)

    assert [(n.id, n.role, n.depth) for n in graph.nodes] == [
        ("me/adapter", "subject", 0),
        ("org/base", "base", 1),
        ("org/sft", "dataset", 1),
        ("org/pre", "base", 2),
        ("org/web", "dataset", 3),
    ]
    rel = {(e.source, e.target): (e.relation, e.inferred) for e in graph.edges}
    assert rel == {
        ("me/adapter", "org/base"): ("adapter_of", True),  # inferred from the adapter files
        ("me/adapter", "org/sft"): ("trained_on", False),
        ("org/base", "org/pre"): ("finetune_of", True),
        ("org/base", "org/sft"): ("trained_on", False),
        ("org/pre", "org/web"): ("trained_on", False),
    }
    nodes = {n.id: n for n in graph.nodes}
    assert nodes["org/sft"].license.spdx == "CC-BY-SA-4.0" and nodes["org/sft"].license.sharealike
    assert nodes["org/sft"].kind is RepoKind.DATASET
    base = nodes["org/base"]
    assert base.gated and base.gated_prompt == "Accept the AUP" and base.license.gated_terms
    assert base.declared_at == Location(file="README.md", line=3)
    assert base.origin == "mirror" and base.revision == "abc" and base.card_file == "README.md"
    assert nodes["org/web"].statements == (scraping,)
    assert nodes["me/adapter"].license.spdx == "Apache-2.0"
    assert graph.problems == ()
    assert hub.calls[("org/sft", RepoKind.DATASET)] == 1  # reached twice, fetched once


def test_declared_relation_and_hub_tags_win_over_inference() -> None:
    hub = FakeHub({})
    claims = card(base_model=("a/x", "b/y"), tags=("base_model:quantized:b/y",))
    graph = build_graph(snap("me/m"), claims, hub)
    rel = {e.target: (e.relation, e.inferred) for e in graph.edges}
    assert rel == {"a/x": ("merge_of", True), "b/y": ("quantized_of", False)}
    declared = build_graph(
        snap("me/m"), card(base_model=("a/x",), base_model_relation="adapter"), hub
    )
    assert [(e.relation, e.inferred) for e in declared.edges] == [("adapter_of", False)]


def test_shared_base_reached_by_two_paths_is_fetched_once() -> None:
    hub = FakeHub(
        dict(
            [
                model("org/a", card(base_model=("org/shared",))),
                model("org/b", card(base_model=("org/shared",))),
                model("org/shared", card(license=("mit",))),
            ]
        )
    )
    graph = build_graph(snap("me/merge"), card(base_model=("org/b", "org/a")), hub)
    assert [n.id for n in graph.nodes] == ["me/merge", "org/a", "org/b", "org/shared"]
    assert hub.calls[("org/shared", RepoKind.MODEL)] == 1
    assert sum(hub.calls.values()) == 3
    assert sorted((e.source, e.target) for e in graph.edges if e.target == "org/shared") == [
        ("org/a", "org/shared"),
        ("org/b", "org/shared"),
    ]


def test_cycle_is_recorded_not_followed() -> None:
    hub = FakeHub(dict([model("org/b", card(base_model=("org/a",)))]))
    graph = build_graph(snap("org/a"), card(base_model=("org/b",)), hub)
    assert [n.id for n in graph.nodes] == ["org/a", "org/b"]
    assert graph.problems == ("cycle: org/a -> org/b -> org/a",)
    assert hub.calls == Counter({("org/b", RepoKind.MODEL): 1})


def test_self_reference_is_a_cycle() -> None:
    graph = build_graph(snap("org/a"), card(base_model=("org/a",)), FakeHub({}))
    assert graph.problems == ("cycle: org/a -> org/a",)


def chain_hub(length: int) -> FakeHub:
    repos = dict(model(f"org/m{i}", card(base_model=(f"org/m{i + 1}",))) for i in range(length))
    return FakeHub(repos)


def test_thousand_deep_chain_hits_the_depth_guard_fast() -> None:
    hub = chain_hub(1000)
    start = time.perf_counter()
    graph = build_graph(snap("org/top"), card(base_model=("org/m0",)), hub)
    assert time.perf_counter() - start < 5.0  # a hang guard: 11 lookups, not 1,000
    assert len(graph.nodes) == 11 and graph.nodes[-1].depth == 10
    assert len(graph.problems) == 1 and graph.problems[0].startswith("depth limit 10 reached")
    assert all(e.target in {n.id for n in graph.nodes} for e in graph.edges)


def test_thousand_deep_chain_without_depth_guard_no_recursion_error() -> None:
    hub = chain_hub(1000)
    start = time.perf_counter()
    graph = build_graph(snap("org/top"), card(base_model=("org/m0",)), hub, max_depth=5000)
    assert time.perf_counter() - start < 5.0
    assert len(graph.nodes) == 1002  # subject + 1000 + the unresolved org/m1000
    assert graph.nodes[-1].id == "org/m1000" and not graph.nodes[-1].resolved
    assert graph.problems == ()


def test_node_guard() -> None:
    hub = FakeHub({})
    claims = card(datasets=tuple(f"org/d{i:02d}" for i in range(30)))
    graph = build_graph(snap("me/m"), claims, hub, max_nodes=10)
    assert len(graph.nodes) == 10
    assert len(graph.problems) == 1 and "node limit 10" in graph.problems[0]
    assert len(graph.edges) == 9


def test_local_path_and_malformed_bases_are_unresolved_without_lookup() -> None:
    hub = FakeHub({})
    claims = card(base_model=("/Users/me/models/Apertus-70B", "./base", "not a repo id!"))
    graph = build_graph(snap("me/m"), claims, hub)
    reasons = {n.id: (n.resolved, n.reason) for n in graph.nodes[1:]}
    assert reasons == {
        "/Users/me/models/Apertus-70B": (False, "local path"),
        "./base": (False, "local path"),
        "not a repo id!": (False, "not a Hub repo id"),
    }
    assert hub.calls == Counter()
    assert all(not n.license.known and n.license.spdx == "NOASSERTION" for n in graph.nodes)


def test_unresolved_upstream_and_failing_lookup() -> None:
    def lookup(repo: str, kind: RepoKind) -> Upstream:
        if repo == "org/boom":
            raise OSError("connection reset")
        return Upstream(None, None, "gated")

    graph = build_graph(
        snap("me/m"), card(base_model=("org/gated",), datasets=("org/boom",)), lookup
    )
    nodes = {n.id: n for n in graph.nodes}
    assert nodes["org/gated"].reason == "gated" and not nodes["org/gated"].resolved
    assert nodes["org/boom"].reason == "lookup failed: OSError: connection reset"
    assert not nodes["org/boom"].license.known


def test_upstream_without_card_or_license_is_noassertion() -> None:
    hub = FakeHub(dict([model("org/nocard", None), model("org/nolic", card())]))
    graph = build_graph(snap("me/m"), card(base_model=("org/nocard", "org/nolic")), hub)
    for node in graph.nodes[1:]:
        assert node.resolved and node.license.spdx == "NOASSERTION" and not node.license.known
    assert graph.nodes[1].card_file is None and graph.nodes[2].card_file == "README.md"


def test_other_with_license_name_upstream() -> None:
    hub = FakeHub(dict([model("meta/llama4", card(license=("other",), license_name="llama4"))]))
    graph = build_graph(snap("me/m"), card(base_model=("meta/llama4",)), hub)
    assert graph.nodes[1].license.spdx == "LicenseRef-scancode-llama-4-license-2025"


def test_levels_are_fetched_concurrently() -> None:
    hub = FakeHub({}, delay=0.05)
    claims = card(datasets=tuple(f"org/d{i}" for i in range(10)))
    graph = build_graph(snap("me/m"), claims, hub, workers=10)
    assert len(graph.nodes) == 11
    # Counted, not timed (a wall-clock bound is flaky on a loaded machine): the ten lookups of
    # one level overlap while each sleeps 50 ms.
    assert hub.most_in_flight > 1, hub.most_in_flight


def test_output_is_deterministic() -> None:
    hub = FakeHub(dict([model("org/b", card(datasets=("z/d", "a/d")))]), delay=0.001)
    claims = card(base_model=("org/b",), datasets=("m/d", "b/d"))
    first = build_graph(snap("me/m"), claims, hub)
    assert [n.id for n in first.nodes] == ["me/m", "org/b", "b/d", "m/d", "a/d", "z/d"]
    for _ in range(5):
        assert build_graph(snap("me/m"), claims, hub) == first
