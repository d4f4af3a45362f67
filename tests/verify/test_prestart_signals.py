"""A helper forked by ``prestart`` ends quietly when the CLI ends it mid-import.

The CLI makes SIGTERM raise (so finished targets are written), and a forked helper inherits
that handler. ``multiprocessing`` ends the daemon helper with SIGTERM when the CLI exits; if the
helper was still importing mlx-lm, the inherited handler raised inside the import and the
helper printed a traceback on the user's terminal. The helper now restores the default action
before it imports anything. Run in a fresh interpreter (signal handlers and forks stay out of
the test process); the import is held by a marker file, not by timing.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent(
    """
    import signal, sys, time
    from pathlib import Path

    class Terminated(Exception):
        pass

    def terminate(signum, frame):
        raise Terminated()

    signal.signal(signal.SIGTERM, terminate)  # what the CLI installs
    sys.path.insert(0, sys.argv[1])
    from auditor import prestart

    if not prestart.prestart("slowimport:serve"):
        print("not started")
        sys.exit(0)
    marker = Path(sys.argv[1]) / "importing"
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    process, connection = prestart.get("slowimport:serve")
    process.terminate()
    process.join(60)
    print("exitcode", process.exitcode)
    """
)

SLOW_MODULE = textwrap.dedent(
    """
    import time
    from pathlib import Path

    (Path(__file__).parent / "importing").write_text("yes")
    time.sleep(60)  # an import that takes long (mlx-lm's), ended from outside


    def serve(connection):
        connection.send("never reached")
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prestart forks on Linux only")
def test_a_helper_ended_during_its_import_prints_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "slowimport.py").write_text(SLOW_MODULE)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True, text=True, timeout=120,  # hang guard
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "importing").exists()  # the helper was inside its import
    assert done.stdout.split() == ["exitcode", str(-signal.SIGTERM)]
    assert "Traceback" not in done.stderr
    assert "Terminated" not in done.stderr
