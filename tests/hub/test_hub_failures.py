"""Every failure mode of the Hub source: reason, message, and no token in any message."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from auditor.errors import EXIT_UNRESOLVED, TargetError
from auditor.models import RepoKind
from auditor.sources.hub import HubSource
from auditor.sources.hub_errors import RetryPolicy
from tests.hub.fixtures import GATE_PROMPT
from tests.hub.server import HubServer

Make = Callable[..., HubSource]
SECRET = "hf_SeCrEtToKeN0123456789abcdefghijkl"


def failure(
    source: HubSource, repo_id: str = "acme/base-7b", kind: RepoKind = RepoKind.MODEL
) -> TargetError:
    with pytest.raises(TargetError) as err:
        source.resolve(repo_id, kind, None)
    assert err.value.exit_code == EXIT_UNRESOLVED
    return err.value


def all_text(exc: BaseException) -> str:
    """Message, args, and every chained exception's text."""
    parts, current = [], exc
    while current is not None:
        parts += [str(current), repr(current.args)]
        current = current.__cause__ or current.__context__  # type: ignore[assignment]
    return "\n".join(parts)


def test_gated_api_answer(hub: HubServer, make_source: Make) -> None:
    hub.add_fault(
        "/api/models/acme/base-7b",
        status=403,
        error_code="GatedRepo",
        message="Access to model acme/base-7b is restricted.",
    )
    err = failure(make_source())
    assert err.reason == "gated"
    assert "is gated" in str(err) and "HF_TOKEN" in str(err) and "hf auth login" in str(err)
    assert f"{hub.url}/acme/base-7b" in str(err)


def test_gated_files_name_the_terms(hub: HubServer, make_source: Make) -> None:
    hub.enforce_gates = True
    source = make_source()
    snap = source.resolve("acme/gated-base", RepoKind.MODEL, None)
    assert snap is not None and snap.gated
    with pytest.raises(TargetError) as err:
        source.path(snap, "config.json")
    text = str(err.value)
    assert err.value.reason == "gated"
    assert "no military use" in text and "asks for: I agree, Name" in text
    assert "HF_TOKEN" in text and "hf auth login" in text
    assert source.card_data(snap) is not None
    assert source.card_data(snap)["extra_gated_prompt"] == GATE_PROMPT  # type: ignore[index]


def test_gated_files_with_an_accepted_token(hub: HubServer, make_source: Make) -> None:
    hub.enforce_gates = True
    hub.grant(SECRET, "model", "acme/gated-base")
    source = make_source(token=SECRET)
    snap = source.resolve("acme/gated-base", RepoKind.MODEL, None)
    assert snap is not None
    path = source.path(snap, "config.json")
    assert path is not None and b"llama" in path.read_bytes()
    assert all(r.authorized for r in hub.log)


def test_gated_with_a_token_not_granted(hub: HubServer, make_source: Make) -> None:
    hub.enforce_gates = True
    source = make_source(token=SECRET)
    snap = source.resolve("acme/gated-base", RepoKind.MODEL, None)
    assert snap is not None
    with pytest.raises(TargetError) as err:
        source.path(snap, "README.md")
    assert err.value.reason == "gated" and SECRET not in all_text(err.value)


def test_private_repo(hub: HubServer, make_source: Make) -> None:
    err = failure(make_source(), "acme/private-model")
    assert err.reason == "private"
    assert "private" in str(err) and "HF_TOKEN" in str(err)
    # With a token but no access the Hub says 404: not found.
    assert make_source(token=SECRET).resolve("acme/private-model", RepoKind.MODEL, None) is None
    hub.grant(SECRET, "model", "acme/private-model")
    snap = make_source(token=SECRET).resolve("acme/private-model", RepoKind.MODEL, None)
    assert snap is not None and snap.files == ("README.md",)


def test_invalid_token(hub: HubServer, make_source: Make) -> None:
    hub.valid_tokens = {"hf_the_only_valid_token_here"}
    err = failure(make_source(token=SECRET))
    assert err.reason == "auth" and "rejected the token" in str(err)
    assert SECRET not in all_text(err)


def test_token_from_env_is_used_and_never_shown(
    hub: HubServer, make_source: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", SECRET)
    source = make_source(token=None)
    assert source.authenticated and SECRET not in repr(source)
    for pattern, status in (
        ("/api/models/acme/base-7b", 403),
        ("/api/models/acme/lora-a", 500),
        ("/api/models/acme/lora-b", 400),
    ):
        hub.add_fault(pattern, status=status, echo_auth=True)
    for repo in ("acme/base-7b", "acme/lora-a", "acme/lora-b"):
        err = failure(source, repo)
        assert SECRET not in all_text(err), repo
    assert hub.log[0].authorized


def test_429_retry_after_is_honoured(hub: HubServer, make_source: Make) -> None:
    hub.add_fault("/api/models/acme/base-7b", status=429, headers={"Retry-After": "1"}, times=1)
    start = time.monotonic()
    snap = make_source().resolve("acme/base-7b", RepoKind.MODEL, None)
    assert snap is not None and time.monotonic() - start >= 1.0
    assert hub.count("GET /api/models/acme/base-7b") == 2


def test_429_persistent_is_rate_limited(hub: HubServer, make_source: Make) -> None:
    hub.add_fault("/api/models/acme/base-7b", status=429, headers={"Retry-After": "0"})
    err = failure(make_source())
    assert err.reason == "rate-limited" and "429" in str(err)
    assert hub.count("GET /api/models/acme/base-7b") == 3  # bounded: 1 + 2 retries


def test_429_with_a_long_retry_after_is_not_waited_for(hub: HubServer, make_source: Make) -> None:
    hub.add_fault("/api/models/acme/base-7b", status=429, headers={"Retry-After": "3600"})
    start = time.monotonic()
    err = failure(make_source())
    assert time.monotonic() - start < 1.0
    assert err.reason == "rate-limited" and "retry after 3600 s" in str(err)
    assert hub.count("GET /api/models/acme/base-7b") == 1


def test_5xx_transient_then_persistent(hub: HubServer, make_source: Make) -> None:
    hub.add_fault("/api/models/acme/base-7b", status=502, times=2)
    assert make_source().resolve("acme/base-7b", RepoKind.MODEL, None) is not None
    assert hub.count("GET /api/models/acme/base-7b") == 3
    hub.add_fault("/api/datasets/acme/data-1", status=500)
    err = failure(make_source(), "acme/data-1", RepoKind.DATASET)
    assert (
        err.reason == "network" and "HTTP 500" in str(err) and "dataset 'acme/data-1'" in str(err)
    )


def test_backoff_grows(hub: HubServer, make_source: Make) -> None:
    waits: list[float] = []
    policy = RetryPolicy(retries=3, backoff=0.01, max_wait=5.0, sleep=waits.append)
    hub.add_fault("/api/models/acme/base-7b", status=503)
    failure(make_source(retry=policy))
    assert waits == [0.01, 0.02, 0.04]


def test_timeout(hub: HubServer, make_source: Make) -> None:
    hub.add_fault("/api/models/acme/base-7b", delay=1.0)
    err = failure(make_source(timeout=0.2))
    assert err.reason == "network" and "Timeout" in str(err)
    assert hub.count("GET /api/models/acme/base-7b") == 3


def test_connection_reset(hub: HubServer, make_source: Make) -> None:
    hub.add_fault("/api/models/acme/lora-a", action="reset", times=1)
    assert make_source().resolve("acme/lora-a", RepoKind.MODEL, None) is not None
    hub.add_fault("/api/models/acme/base-7b", action="reset")
    err = failure(make_source())
    assert err.reason == "network" and "failure after bounded retries" in str(err)


def test_truncated_api_body(hub: HubServer, make_source: Make) -> None:
    hub.add_fault("/api/models/acme/base-7b", action="truncate", keep=20)
    err = failure(make_source())
    assert err.reason == "network"
    assert hub.count("GET /api/models/acme/base-7b") == 3


def test_truncated_file_body_is_retried(hub: HubServer, make_source: Make) -> None:
    source = make_source()
    snap = source.resolve("acme/lora-a", RepoKind.MODEL, None)
    assert snap is not None
    hub.add_fault(
        "/acme/lora-a/resolve/*/README.md", action="truncate", keep=10, times=1, methods=("GET",)
    )
    path = source.path(snap, "README.md")
    assert path is not None and path.read_text().endswith("# LoRA A\n")
    assert hub.count("GET /acme/lora-a/resolve/*/README.md") == 2


def test_truncated_file_body_persistent(hub: HubServer, make_source: Make) -> None:
    source = make_source(retry=RetryPolicy(retries=0))
    snap = source.resolve("acme/lora-a", RepoKind.MODEL, None)
    assert snap is not None
    hub.add_fault(
        "/acme/lora-a/resolve/*/README.md", action="truncate", keep=0, times=6, methods=("GET",)
    )
    with pytest.raises(TargetError) as err:
        source.path(snap, "README.md")
    assert err.value.reason == "network" and "RemoteProtocolError" in str(err.value)


def test_file_5xx_on_head_is_retried(hub: HubServer, make_source: Make) -> None:
    source = make_source()
    snap = source.resolve("acme/lora-a", RepoKind.MODEL, None)
    assert snap is not None
    hub.add_fault("/acme/lora-a/resolve/*", status=500, times=1, methods=("HEAD",))
    assert source.path(snap, "adapter_config.json") is not None


def test_file_gone_after_listing_is_absent(hub: HubServer, make_source: Make) -> None:
    source = make_source()
    snap = source.resolve("acme/lora-a", RepoKind.MODEL, None)
    assert snap is not None
    hub.add_fault(
        "/acme/lora-a/resolve/*",
        status=404,
        error_code="EntryNotFound",
        headers={"X-Repo-Commit": str(snap.revision)},
    )
    assert source.path(snap, "adapter_config.json") is None


def test_file_network_failure_is_a_target_error(hub: HubServer, make_source: Make) -> None:
    source = make_source()
    snap = source.resolve("acme/lora-a", RepoKind.MODEL, None)
    assert snap is not None
    hub.add_fault("/acme/lora-a/resolve/*", status=500, methods=("GET",))
    with pytest.raises(TargetError) as err:
        source.path(snap, "adapter_config.json")
    assert err.value.reason == "network" and "'adapter_config.json'" in str(err.value)
