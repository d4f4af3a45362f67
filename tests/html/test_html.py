"""The HTML report: well-formed, self-contained, escaped, deterministic, and carrying every part.

Parsed strictly (the output is well-formed XML as well as HTML) and with ``html.parser``; the
hand-built reports of the format tests cover a Llama chain, an empty report, an unresolved target,
a baseline and hostile card text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from format_cases import CASES, HOSTILE, HOSTILE_ID
from html_helpers import EXAMPLE_REPORT, unversioned

from auditor.formats import svg
from auditor.formats.base import get
from auditor.models import AuditReport, Finding, Severity

NS = {"h": "http://www.w3.org/1999/xhtml", "s": "http://www.w3.org/2000/svg"}
VOID = {"meta", "br"}


def render(report: AuditReport) -> str:
    return get("html").render(report)


class Tags(HTMLParser):
    """Collects start tags with their attributes and checks that elements nest properly."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (self.stack[-3:], tag)
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(text: str) -> Tags:
    tags = Tags()
    tags.feed(text)
    tags.close()
    assert tags.stack == []
    return tags


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_case_is_well_formed_and_self_contained(name: str) -> None:
    text = render(CASES[name]())
    root = ET.fromstring(text.removeprefix("<!DOCTYPE html>\n"))  # strict XML parse
    assert root.tag == f"{{{NS['h']}}}html"
    tags = parse(text)
    names = {t for t, _ in tags.tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed", "form", "base"}
    for _, attrs in tags.tags:
        for key, value in attrs:
            assert not key.startswith("on") and key not in ("src", "srcset", "formaction")
            if key == "href":
                hub = r"^https://huggingface\.co/[\w./-]+$"
                docs = r"^https://github\.com/Ailiance-fr/ailiance-audit/blob/main/docs/rules/[\w.-]+$"
                assert value and (re.match(hub, value) or re.match(docs, value)), value
    assert 'http-equiv="Content-Security-Policy" content="default-src \'none\';' in text
    assert not re.search(r"url\((?!#)", text)  # no CSS/SVG fetch, only in-page markers
    assert text == render(CASES[name]())  # deterministic


def test_the_adapter_report_has_every_part() -> None:
    report = CASES["adapter"]()
    text = render(report)
    root = ET.fromstring(text.removeprefix("<!DOCTYPE html>\n"))
    target = report.targets[0]
    active = [f for f in target.findings if f.suppressed_by is None]
    rows = root.findall(".//h:table[@class='findings']/h:tbody/h:tr", NS)
    assert len(rows) == len(active) > 0
    packs = [(h.text or "").strip() for h in root.findall(".//h:h4", NS)]
    assert {"adapter-integrity", "license-chain"} <= set(packs)
    assert "Basis" in text and "Fix" in text  # legal basis and fix from the packs
    graph = root.find(".//s:svg", NS)
    assert graph is not None and target.graph is not None
    assert len(graph.findall("s:g", NS)) == len(target.graph.nodes)
    for node in target.graph.nodes:  # the exact revisions audited
        if node.revision:
            assert f"<code>{node.revision}</code>" in text
    assert "Adapter evidence vs card claims" in text and "@media print" in text


def test_hostile_card_text_is_inert() -> None:
    text = render(CASES["hostile"]())
    tags = parse(text)
    assert "<script" not in text and "<img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "javascript:" not in "".join(v or "" for _, a in tags.tags for _, v in a)
    assert "\u202e" not in text  # bidi override flattened
    visible = "".join(tags.text)
    assert HOSTILE_ID in visible  # shown, as text
    svg_text = text[text.index("<svg") : text.index("</svg>")]
    assert "&lt;b&gt;" in svg_text and "<b>" not in svg_text


def test_leaking_paths_are_highlighted() -> None:
    report = CASES["adapter"]()
    graph = report.targets[0].graph
    assert graph is not None
    leaf = graph.nodes[-1].id
    finding = Finding(rule_id="license.sharealike-leak", severity=Severity.WARNING, title="t",
                      message="m", node=leaf)  # fmt: skip
    hot, edges = svg.leaking(graph, [finding])
    assert hot == {leaf}
    assert edges and all(graph.edges[i].target in {e.target for e in graph.edges} for i in edges)
    path_targets = {graph.edges[i].target for i in edges}
    assert leaf in path_targets
    boxes = svg.layout(graph)
    assert boxes[graph.subject].y < min(b.y for k, b in boxes.items() if k != graph.subject)
    for a in boxes.values():  # boxes never overlap
        for b in boxes.values():
            if a is not b and a.y == b.y:
                assert abs(a.x - b.x) >= svg.BOX_W


def test_committed_example_report_is_current(example: str) -> None:
    assert EXAMPLE_REPORT.is_file(), "run scripts or the README command to write it"
    assert unversioned(EXAMPLE_REPORT.read_text(encoding="utf-8")) == unversioned(example)
    assert HOSTILE not in example
