"""The loopback Hub itself: deterministic shas, ranges, Hub-style errors, counters."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

from tests.hub.hubdata import HubData, commit_sha, git_blob_id
from tests.hub.server import HubServer


def fetch(
    url: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_sha_is_derived_from_content() -> None:
    files = {"README.md": b"hi\n", "a/b.json": b"{}"}
    assert commit_sha(files) == commit_sha(dict(reversed(list(files.items()))))
    assert commit_sha(files) != commit_sha({**files, "README.md": b"hi!\n"})
    assert git_blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"  # = git


def test_resolve_headers_and_ranges(hub: HubServer) -> None:
    repo = hub.data.get("model", "acme/lora-a")
    assert repo is not None
    sha = repo.refs["main"]
    url = f"{hub.url}/acme/lora-a/resolve/main/README.md"
    body = repo.commits[sha].files["README.md"]
    status, headers, data = fetch(url, "HEAD")
    assert (status, data) == (200, b"")
    assert headers["X-Repo-Commit"] == sha and headers["Content-Length"] == str(len(body))
    assert headers["ETag"] == f'"{git_blob_id(body)}"'
    assert fetch(url, headers={"Range": "bytes=0-3"})[::2] == (206, body[:4])
    assert fetch(url, headers={"Range": "bytes=-5"})[2] == body[-5:]
    status, headers, _ = fetch(url, headers={"Range": f"bytes={len(body)}-"})
    assert status == 416 and headers["Content-Range"] == f"bytes */{len(body)}"
    status, headers, _ = fetch(f"{hub.url}/acme/lora-a/resolve/main/nope")
    assert (status, headers["X-Error-Code"]) == (404, "EntryNotFound")
    status, headers, _ = fetch(f"{hub.url}/api/models/acme/lora-a/revision/nope")
    assert (status, headers["X-Error-Code"]) == (404, "RevisionNotFound")


def test_pagination_and_admin_endpoints(hub: HubServer) -> None:
    hub.page_size = 3
    status, headers, data = fetch(f"{hub.url}/api/models?author=acme")
    assert status == 200 and len(json.loads(data)) == 3
    assert 'rel="next"' in headers["Link"] and "cursor=3" in headers["Link"]
    stats = json.loads(fetch(f"{hub.url}/__hub__/stats")[2])
    assert stats == {"total": 1, "counts": {"GET /api/models": 1}}
    fetch(f"{hub.url}/__hub__/reset", "POST")
    assert hub.total == 0


def test_faults_are_counted_and_used_up(hub: HubServer) -> None:
    fault = hub.add_fault("/api/models/*", status=500, times=1)
    assert fetch(f"{hub.url}/api/models/acme/lora-a")[0] == 500
    assert fetch(f"{hub.url}/api/models/acme/lora-a")[0] == 200
    assert fault.hits == 1 and hub.count("GET /api/models/acme/lora-a") == 2


def test_from_mirror_layout(tmp_path: Path) -> None:
    root = tmp_path / "m"
    (root / "org" / "model").mkdir(parents=True)
    (root / "org" / "model" / "README.md").write_text("# m\n")
    (root / "datasets" / "org" / "data").mkdir(parents=True)
    (root / "datasets" / "org" / "data" / "README.md").write_text("# d\n")
    data = HubData.from_mirror(root)
    assert data.get("model", "org/model") is not None
    assert data.get("dataset", "org/data") is not None
    assert data.get("model", "datasets/org") is None
