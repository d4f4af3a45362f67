"""Marked regions and where sections go: regenerate in place, adopt, insert, never guess."""

from __future__ import annotations

from sync_factories import facts

from auditor.sync import markers, sections
from auditor.sync.frontmatter import split_lines
from auditor.sync.layout import adopt, insertion_point

FRONT = "---\nlicense: apache-2.0\n---\n"


def test_broken_markers_are_reported_per_role() -> None:
    lines = split_lines(
        "<!-- ailiance-audit:begin training -->\n"
        "x\n"
        "<!-- ailiance-audit:begin notices -->\n"
        "<!-- ailiance-audit:end notices -->\n"
        "<!-- ailiance-audit:end license-chain -->\n"
        "<!-- ailiance-audit:begin training-summary -->\n"
    )
    regions, problems = markers.find_regions(lines)
    assert regions == {}
    assert set(problems) == {"training", "notices", "license-chain", "training-summary"}


def test_a_role_with_broken_markers_is_left_alone() -> None:
    text = FRONT + "\n<!-- ailiance-audit:begin training -->\n| Rank | 8 |\n\n## License\n"
    lines, notes = sections.place(split_lines(text), "training", facts([], []), "\n")
    assert "".join(lines) == text
    assert notes and "markers are broken" in notes[0]


def test_a_marked_region_keeps_its_shape_and_is_regenerated() -> None:
    text = (
        FRONT + "\n## Hyperparameters (our words)\n\nPeople's intro.\n\n"
        + markers.begin("training") + "\n| Rank | 8 |\n\n" + markers.end("training")
        + "\n\nPeople's outro.\n"
    )  # fmt: skip
    lines, _ = sections.place(split_lines(text), "training", facts([], []), "\n")
    new = "".join(lines)
    assert new.startswith(FRONT + "\n## Hyperparameters (our words)\n\nPeople's intro.\n\n")
    assert new.endswith(markers.end("training") + "\n\nPeople's outro.\n")
    assert "| Rank | 16 | (tensors, config agrees) |" in new and "| Rank | 8 |" not in new
    assert "## Training" not in new  # the region had no heading: none is added


def test_a_legacy_section_with_prose_keeps_heading_and_prose() -> None:
    text = FRONT + (
        "\n## Training details\n\nWe fine-tuned on our own GPUs.\n\n"
        "| Param | Value |\n|---|---|\n| Rank | 8 |\n| Alpha | 16 |\n\nMore prose.\n\n## License\n"
    )
    span = adopt("training", split_lines(text), 3)
    assert span is not None and not span.whole
    lines = split_lines(text)
    assert lines[span.start] == "| Param | Value |\n" and lines[span.stop - 1] == "| Alpha | 16 |\n"
    new = "".join(sections.place(lines, "training", facts([], []), "\n")[0])
    assert "We fine-tuned on our own GPUs.\n\n" + markers.begin("training") in new
    assert markers.end("training") + "\n\nMore prose.\n" in new


def test_a_push_v2_section_is_adopted_whole() -> None:
    text = FRONT + "\n## License chain\n\n| Component | License |\n|---|---|\n| **x** | mit |\n\n" \
        "_All upstream components are MIT._\n\n## License\n"  # fmt: skip
    span = adopt("license-chain", split_lines(text), 3)
    assert span is not None and span.whole and span.level == 2


def test_new_sections_go_before_license_or_at_the_end() -> None:
    lines = split_lines(FRONT + "# T\n\n## Usage\n\n```\n## License\n```\n\n## License\n\nMIT\n")
    at, level = insertion_point(lines, 3)
    assert lines[at] == "## License\n" and at == 11 and level == 2  # not the one in the fence
    at, level = insertion_point(split_lines(FRONT + "# T\n\ntext\n"), 3)
    assert at == 6 and level == 2


def test_insert_keeps_blank_lines_around_the_region() -> None:
    lines = split_lines("a\n## License\n")
    new = markers.insert(lines, 1, ["X\n"], "\n")
    assert new == ["a\n", "\n", "X\n", "\n", "## License\n"]
    assert markers.insert(["a"], 1, ["X\n"], "\n") == ["a\n", "\n", "X\n"]
