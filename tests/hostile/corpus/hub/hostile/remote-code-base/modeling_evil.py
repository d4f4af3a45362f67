"""Code of a hostile base: records that it ran (it never may)."""

import os
from pathlib import Path

Path(os.environ["AILIANCE_HOSTILE_MARKER"]).write_text("remote code ran")
