"""One reading of the offline switch: HF_HUB_OFFLINE (else TRANSFORMERS_OFFLINE) as
huggingface_hub reads it, by every reader in the project (options, hook, Hub source)."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import constants

from auditor.hooks.run import decide_offline
from auditor.options import add_common, options_from
from auditor.pipeline import AuditOptions
from auditor.sources.hub import HubSource
from auditor.sources.offline import offline_from_env

ON = ("1", "true", "True", "TRUE", "yes", "YES", "Yes", "on", "ON", "On")
OFF = ("", "0", "false", "False", "no", "off", "2", "y", "t", "auto", " 1", "1 ", "true\n")
# (HF_HUB_OFFLINE, TRANSFORMERS_OFFLINE); None: unset
PAIRS = (
    (None, None),
    (None, "1"),
    (None, "yes"),
    ("", "ON"),
    ("0", "1"),  # HF_HUB_OFFLINE is set: TRANSFORMERS_OFFLINE is not read
    ("1", "0"),
    *((v, None) for v in ON + OFF),
)

_HF_SCRIPT = """
import importlib, json, os, sys
from huggingface_hub import constants
out = []
for hub, tf in json.loads(sys.argv[1]):
    for name, value in (("HF_HUB_OFFLINE", hub), ("TRANSFORMERS_OFFLINE", tf)):
        os.environ.pop(name, None)
        if value is not None:
            os.environ[name] = value
    out.append(importlib.reload(constants).HF_HUB_OFFLINE)
print(json.dumps(out))
"""


def _set(monkeypatch: pytest.MonkeyPatch, hub: str | None, tf: str | None) -> None:
    for name, value in (("HF_HUB_OFFLINE", hub), ("TRANSFORMERS_OFFLINE", tf)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def test_the_values_mean_what_they_mean_to_huggingface_hub(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The installed huggingface_hub decides, in a process of its own (it reads at import)."""
    switches = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    env = {k: v for k, v in os.environ.items() if k not in switches}
    proc = subprocess.run(
        [sys.executable, "-c", _HF_SCRIPT, json.dumps(PAIRS)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    theirs = json.loads(proc.stdout)
    ours = []
    for hub, tf in PAIRS:
        _set(monkeypatch, hub, tf)
        ours.append(offline_from_env())
    assert ours == theirs
    assert theirs[:3] == [False, True, True] and theirs[4] is False  # the cases are not all one


@pytest.mark.parametrize("value", ON + OFF)
def test_every_reader_agrees(
    value: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with socket.socket() as closed:  # a port nothing listens on once the socket is closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    _set(monkeypatch, value, None)
    expected = value in ON
    assert offline_from_env() is expected

    parser = argparse.ArgumentParser()
    add_common(parser)
    assert options_from(parser.parse_args([])).offline is expected

    options, note = decide_offline(AuditOptions(offline=False))
    if expected:  # the hook goes offline without probing the Hub
        assert options.offline is True and note is None
    else:  # it probes (a closed loopback port here) and says the Hub is unreachable
        assert options.offline is True and "unreachable" in (note or "")

    hub = HubSource(cache_dir=tmp_path / "meta", hf_cache_dir=tmp_path / "hf")
    assert hub.offline is (expected or constants.is_offline_mode())
