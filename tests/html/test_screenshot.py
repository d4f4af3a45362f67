"""The example's HTML report opened in headless Chromium, as a compliance lead would open it.

Chromium from Debian (``apt-get install chromium``), with networking, sync and updates off. The
screenshot must have the window's size and show the license graph (node fills and the red
leaking path) above the findings table (severity badges). Skipped only when chromium is absent
outside CI; with ``CI`` set a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import png_reader as png
import pytest
from html_helpers import SCREENSHOT

WIDTH, HEIGHT = 1280, 2000
NODE_FILL = (0xDA, 0xFB, 0xE1)  # permissive group fill (auditor.formats.svg.GROUPS)
HIGHLIGHT = (0xCF, 0x22, 0x2E)  # leaking path / finding badge
WARNING_BADGE = (0xFF, 0xF8, 0xC5)  # .sev-warning .sev background
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--force-device-scale-factor=1",
)  # fmt: skip


def chromium() -> str:
    """The browser binary, or skip/fail (CI) when it is not installed."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    message = "chromium not installed (Debian: apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI is set, so the browser test must run")
    pytest.skip(message + "; set CI=1 to make this a failure")


def screenshot(page: Path, out: Path, profile: Path) -> None:
    """Render ``page`` to ``out`` with the issue's headless Chromium command line."""
    cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", f"--screenshot={out}",
           f"--window-size={WIDTH},{HEIGHT}", page.resolve().as_uri()]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert out.is_file(), f"no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"


def first_row(image: png.Image, colour: tuple[int, int, int], count: int) -> int:
    """The first pixel row holding at least ``count`` pixels of ``colour``."""
    return next(y for y, row in enumerate(image.rows) if row.count(colour) >= count)


def test_report_renders_graph_and_findings_in_chromium(example: str, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(example, encoding="utf-8")
    shot = tmp_path / "report.png"
    screenshot(page, shot, tmp_path / "profile")
    image = png.read(shot)
    assert (image.width, image.height) == (WIDTH, HEIGHT)
    colours = image.colours()
    assert len(colours) > 100 and colours[(255, 255, 255)] < 0.95 * WIDTH * HEIGHT
    assert colours[NODE_FILL] > 20_000  # three node boxes drawn by the SVG
    assert colours[HIGHLIGHT] > 1_000  # the leaking path and the finding badges
    assert colours[WARNING_BADGE] > 1_000  # severity badges of the findings table
    assert first_row(image, NODE_FILL, 200) < first_row(image, WARNING_BADGE, 40)


def test_committed_screenshot_is_a_real_screenshot() -> None:
    image = png.read(SCREENSHOT)
    assert (image.width, image.height) == (WIDTH, HEIGHT)
    assert image.colours()[NODE_FILL] > 20_000
