"""The load-check worker's own limits: an adapter check that needs more memory than the worker
may have is a could-not-check finding and an incomplete target (exit 3), never a pass.

The worker (``auditor.verify.worker``) runs the mlx-lm load check under an address-space limit
(``AILIANCE_AUDIT_LOAD_MEMORY_MB``). Here the limit is far below what mlx needs, so the worker
cannot even import it. Bounds: exit code 3, no traceback, within the hang guard, report written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from .harness import EXAMPLE_HUB, run_cli

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the worker is forked on Linux only"
)


def test_worker_over_its_memory_limit_is_incomplete_not_a_pass(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    args = ["--format", "json", "--output", str(out), "Ailiance-fr/apertus-math-lora"]
    result = run_cli(
        args, mirrors=(EXAMPLE_HUB,), timeout=120, extra_env={"AILIANCE_AUDIT_LOAD_MEMORY_MB": "64"}
    )
    result.assert_clean()
    assert result.rc == 3  # incomplete
    entry = json.loads(out.read_text())["targets"][0]
    assert any("load-check worker stopped" in why for why in entry["incomplete"])
    assert entry["evidence"]["load_ok"] is None and entry["evidence"]["verified_with"] == "header"
    assert "adapter.not-verified" in {f["rule_id"] for f in entry["findings"]}
