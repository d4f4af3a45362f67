"""``census --locked FILE`` against the loopback Hub: every repo, subject or upstream, is audited
at the sha of the lock file. A repo whose ``main`` moved since is audited at its locked sha, not
silently at the new one; a repo missing from the lock is a ``failed`` row saying so."""

from __future__ import annotations

from pathlib import Path

import pytest
from census_helpers import census, table

from auditor.cli import main
from tests.hub.server import HubServer

ADAPTERS = [
    "Ailiance-fr/apertus-math-drift-lora",
    "Ailiance-fr/apertus-math-lora",
    "Ailiance-fr/apertus-math-orca-lora",
]
MOVED = ADAPTERS[1]
UNLOCKED = "acme/lora-a"  # on the Hub, not in the lock file
NEW_CARD = b"---\nlicense: cc-by-nc-4.0\nbase_model: swiss-ai/Apertus-70B-2509\n---\n# v2\n"


def test_locked_audits_the_locked_revisions(
    hub: HubServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lock = tmp_path / "lock.json"
    main(["--verify", "none", "--lock", str(lock), "--format", "json",
          "--output", str(tmp_path / "cli.json"), *ADAPTERS])  # fmt: skip
    assert lock.is_file()
    repos = tmp_path / "repos.txt"
    repos.write_text("\n".join([*ADAPTERS, UNLOCKED]) + "\n")

    def run(out: Path, *extra: str) -> tuple[int, dict[str, dict[str, object]]]:
        code = census("--from-file", repos, "--out", out, "--scheduler", "sync",
                      "--verify", "none", *extra)  # fmt: skip
        return code, {str(r["id"]): r for r in table(out, "repos")}

    _, before = run(tmp_path / "before")
    old_sha = before[MOVED]["sha"]
    new_sha = hub.data.add_revision("model", MOVED, "main", {"README.md": NEW_CARD})
    assert new_sha != old_sha

    locked_out = tmp_path / "locked"
    code, locked = run(locked_out, "--locked", str(lock))
    assert code == 3  # the repo missing from the lock
    assert locked[MOVED]["sha"] == old_sha
    assert locked[MOVED]["license"] == before[MOVED]["license"] != "CC-BY-NC-4.0"
    assert all(locked[a]["status"] == "ok" and locked[a]["sha"] == before[a]["sha"]
               for a in ADAPTERS)  # fmt: skip
    assert hub.count(f"GET /{MOVED}/resolve/{new_sha}/*") == 0  # the new revision never read
    assert locked[UNLOCKED]["status"] == "failed"
    assert str(locked[UNLOCKED]["error"]).startswith("unresolved:")
    assert "lock" in str(locked[UNLOCKED]["error"])

    # Without the lock the next census sees the move (so the lock is what pinned it).
    _, unlocked = run(tmp_path / "unlocked")
    assert unlocked[MOVED]["sha"] == new_sha
    assert unlocked[MOVED]["license"] != before[MOVED]["license"]

    # Resuming the locked census skips the locked (id, sha) pairs already written and tries
    # only the failed repo again (its row, same id and no sha, replaces itself).
    capsys.readouterr()
    run(locked_out, "--locked", str(lock))
    assert "3 already in" in capsys.readouterr().err
    assert sorted(r["id"] for r in table(locked_out, "repos")) == sorted([*ADAPTERS, UNLOCKED])
