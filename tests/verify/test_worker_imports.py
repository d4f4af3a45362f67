"""The load-check worker imports neither pydantic nor the data model.

Everything the worker imports after mlx-lm is on the ``--verify load`` critical path
(docs/speed.md, "What `--verify load` runs where"): the data model alone cost about 0.13 s of
CPU there. So the check modules record problems as plain ``kinds.Problem`` records and only
``collect_evidence``, in the CLI, builds the data model. This runs the worker's own entry point
(``auditor.prestart`` -> ``auditor.verify.worker.serve``) in a fresh interpreter on real
requests (an mlx-lm adapter whose config has a problem, a PEFT adapter, a drifted one) and
looks at what it imported. No timing.
"""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor.prestart import LOAD_CHECK, drop
from auditor.verify import worker

from .helpers import FIXTURE_HUB, evidence, fixture

ROOT = Path(__file__).resolve().parents[2]
HANG_GUARD = 300

SERVE = """
import json, pickle, sys

class Connection:
    '''The two calls serve() makes on its pipe: recv() unpickles, send_bytes() answers.'''

    def __init__(self, blobs):
        self.blobs, self.answers = list(blobs), []

    def recv(self):
        if not self.blobs:
            raise EOFError
        return pickle.loads(self.blobs.pop(0))

    def send_bytes(self, data):
        self.answers.append(json.loads(data))

connection = Connection(pickle.loads(sys.stdin.buffer.read()))
from auditor import prestart
prestart._run(prestart.LOAD_CHECK, connection, ())
leaked = sorted(
    m for m in sys.modules if m.split(".")[0] in ("pydantic", "pydantic_core")
    or m == "auditor.models" or m.startswith("auditor.models.")
)
sys.__stdout__.write(json.dumps({"answers": connection.answers, "leaked": leaked}) + "\\n")
"""


def _requests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The requests the CLI would send the worker for three adapters (checked here, too)."""
    drop(LOAD_CHECK)
    sent: list[tuple[Any, ...]] = []

    def capture(request: tuple[Any, ...]) -> None:
        sent.append(request)  # and answer None: the check runs in this process

    monkeypatch.setattr(worker, "ask", capture)
    unscaled = tmp_path / "no-scale"
    shutil.copytree(FIXTURE_HUB / "fixtures" / "mlx-llama-lora", unscaled)
    config = json.loads((unscaled / "adapter_config.json").read_text())
    del config["lora_parameters"]["scale"]
    (unscaled / "adapter_config.json").write_text(json.dumps(config))
    assert evidence(unscaled).load_ok
    assert fixture("peft-llama-lora").load_ok
    assert fixture("drift-rank").load_ok is False
    assert [p.kind for p in sent[0][0].problems] == ["config-incomplete"]  # crosses as a record
    return sent


def test_the_worker_imports_no_pydantic_and_no_data_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = _requests(tmp_path, monkeypatch)
    done = subprocess.run(
        [sys.executable, "-c", SERVE],
        input=pickle.dumps([pickle.dumps(r) for r in requests]),
        cwd=ROOT,
        capture_output=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert seen["leaked"] == []
    answers = seen["answers"]
    assert [a["fields"].get("load_ok") for a in answers] == [True, True, False]
    assert all(a["verified"].startswith("mlx-lm ") for a in answers)
