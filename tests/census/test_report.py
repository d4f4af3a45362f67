"""``census report``: DuckDB answers, a self-contained HTML page checked in headless Chromium
(like the HTML report's browser test), the Markdown twin and ``--sql``."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from census_helpers import ROOT, census

from auditor.cli import main

sys.path.insert(0, str(ROOT / "tests" / "html"))
import png_reader as png
from test_screenshot import FLAGS, chromium

EXAMPLES = ROOT / "examples" / "hub"
BAR = (0x2D, 0xA4, 0x4E)
ERROR, NOTE = (0xCF, 0x22, 0x2E), (0x09, 0x69, 0xDA)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("census") / "out"
    census("--mirror", EXAMPLES, "--out", out, "--scheduler", "sync")
    assert main(["census", "report", str(out)]) == 0
    return out


def test_report_is_self_contained_and_answers_the_questions(dataset: Path) -> None:
    page = (dataset / "report.html").read_text()
    assert not re.search(r"<script|\b(?:src|href)=\"?https?:", page)
    assert page.count("<svg") >= 4  # rules, leaks by family, by license, relation mix
    for section in ("rules", "leaks_family", "leaks_license", "relations", "most_errors",
                    "largest"):  # fmt: skip
        assert f'id="{section}"' in page
    markdown = (dataset / "report.md").read_text()
    assert "| adapter\\_of | 3 |" in markdown  # the three example adapters
    assert "| Ailiance-fr/apertus-math-lora | 2 |" in markdown  # the repo with the most errors


def test_sql(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = "SELECT relation, count(*) AS n FROM repos GROUP BY 1 ORDER BY 1"
    assert main(["census", "report", str(dataset), "--sql", query]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["relation\tn", "adapter_of\t3", "finetune_of\t1", "none\t1"]
    assert main(["census", "report", str(dataset), "--sql", "SELECT nope FROM repos"]) == 2


def test_report_renders_in_chromium(dataset: Path, tmp_path: Path) -> None:
    import subprocess

    shot = tmp_path / "report.png"
    cmd = [chromium(), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
           "--window-size=1280,1800", (dataset / "report.html").resolve().as_uri()]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert shot.is_file(), done.stderr[-2000:]
    image = png.read(shot)
    colours = image.colours()
    assert (image.width, image.height) == (1280, 1800)
    assert colours[BAR] > 2_000  # single-colour bar charts drawn
    assert colours[NOTE] > 2_000 and colours[ERROR] > 200  # stacked severity bars


def test_report_escapes_what_the_dataset_holds() -> None:
    from auditor.census.render import render_html, render_markdown
    from auditor.census.report import QUESTIONS, Answer

    hostile = '<img src=x onerror="alert(1)">|[x](javascript:alert(1))'
    totals = {"repos": 1, "ok": 1, "findings": 0, "leaks": 0, "leaking_repos": 0}
    answers = [
        Answer(q, ["label", "a", "b", "c"], [(hostile, 1, 0, 0)])
        if q.chart == "stacked"
        else Answer(q, ["label", "n"], [(hostile, 1)])
        for q in QUESTIONS
    ]
    page = render_html(totals, answers)
    assert "<img" not in page and "&lt;img src=x" in page
    markdown = render_markdown(totals, answers)
    assert "<img" not in markdown and "&lt;img" in markdown
    assert "\\[x\\](javascript" in markdown  # brackets escaped: no link
