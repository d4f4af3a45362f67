"""Front-matter rewriting: only the named keys change, every other byte stays."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sync_factories import evidence

from auditor.sync import desired_keys
from auditor.sync.frontmatter import FrontMatterError, locate, read, rewrite, split_lines

CARD = (
    "---\r\n"
    "license: apache-2.0  # the adapter's own terms\r\n"
    'base_model: "swiss-ai/Apertus-70B-Instruct-2509"\r\n'
    "library_name: peft\r\n"
    "tags:\r\n"
    "  - mlx\r\n"
    "  - lora\r\n"
    "\r\n"
    "# a comment people wrote\r\n"
    "model-index: &idx\r\n"
    "  - name: x\r\n"
    "---\r\n"
    "# Title\r\n"
)


def fm_lines(text: str) -> list[str]:
    block = locate(text)
    return split_lines(text)[block.start : block.stop]


def test_rewrite_changes_only_named_keys_and_keeps_crlf_comments_quotes() -> None:
    lines = fm_lines(CARD)
    new = rewrite(lines, {"library_name": "mlx", "base_model_relation": "adapter",
                          "datasets": ["org/data"]}, "\r\n")  # fmt: skip
    assert new == [
        "license: apache-2.0  # the adapter's own terms\r\n",
        'base_model: "swiss-ai/Apertus-70B-Instruct-2509"\r\n',
        "base_model_relation: adapter\r\n",
        "datasets:\r\n",
        "  - org/data\r\n",
        "library_name: mlx\r\n",
        "tags:\r\n",
        "  - mlx\r\n",
        "  - lora\r\n",
        "\r\n",
        "# a comment people wrote\r\n",
        "model-index: &idx\r\n",
        "  - name: x\r\n",
    ]
    assert read(new)["datasets"] == ["org/data"]


def test_a_list_base_model_stays_a_list() -> None:
    lines = split_lines("base_model:\n- a/b\n- c/d\nlicense: mit\n")
    new = rewrite(lines, {"base_model": ["e/f"]}, "\n")
    assert new == ["base_model:\n", "- e/f\n", "license: mit\n"]


@pytest.mark.parametrize(
    "bad", ["license: [unclosed\n", "- just\n- a list\n", "a: !!python/object:os.system x\n:"]
)
def test_unreadable_front_matter_is_refused(bad: str) -> None:
    with pytest.raises(FrontMatterError):
        rewrite(split_lines(bad), {"library_name": "mlx"}, "\n")


def test_only_sync_keys_may_be_written() -> None:
    with pytest.raises(FrontMatterError, match="does not write"):
        rewrite(split_lines("license: mit\n"), {"license": "apache-2.0"}, "\n")


def test_desired_keys_follow_the_weights_not_the_card() -> None:
    current = {"library_name": "peft", "base_model": "x/y", "base_model_relation": None,
               "datasets": ["a/b"]}  # fmt: skip
    want = desired_keys(current, evidence(base_model="x/y"), ["c/d", "a/b"])  # type: ignore[arg-type]
    assert want == {"library_name": "mlx", "base_model_relation": "adapter",
                    "datasets": ["a/b", "c/d"]}  # fmt: skip
    same = {"library_name": "mlx-lm", "base_model": ["x/y"], "base_model_relation": "adapter",
            "datasets": None}  # fmt: skip
    assert desired_keys(same, evidence(base_model="X/Y"), []) == {}  # type: ignore[arg-type]
    local = evidence(base_model="/Users/me/models/base", base_model_is_path=True)
    assert "base_model" not in desired_keys(same, local, [])  # type: ignore[arg-type]


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_other_keys_survive_any_value_or_nothing_is_written(value: str) -> None:
    import yaml

    other = yaml.safe_dump({"pipeline_tag": value}, allow_unicode=True)
    lines = split_lines(f"license: mit\n{other}library_name: peft\n")
    try:
        new = rewrite(lines, {"library_name": "mlx"}, "\n")
    except FrontMatterError:  # e.g. a NEL, a YAML line break that is no Markdown line break
        assert any(ch in other for ch in "\x85\u2028\u2029")
        return
    assert "".join(new) == f"license: mit\n{other}library_name: mlx\n"
