"""YAML front matter → :class:`CardMetadata`, with the line of every top-level key.

The block is located with the regex of ``huggingface_hub.repocard.REGEX_YAML_BLOCK`` ("exact same
regex as in the Hub server"), so a card has front matter here exactly when it has metadata on the
Hub. The pattern is copied, not imported: importing ``huggingface_hub.repocard`` pulls in
``hf_api`` (about 200 ms), which a git hook's start-up budget cannot afford; a test checks the copy
is identical to the library's.
``RepoCard``/``ModelCard`` themselves are not used to read it: they call ``yaml.safe_load`` on the
block (no line numbers, aliases expanded without limit) and raise ``ValueError``/``TypeError``/
``yaml.YAMLError`` on bad input. Instead the block is *composed* with PyYAML's safe loader (a node
tree with marks; libyaml when available, which also caps nesting depth) and only the fields the
auditor needs are read from the nodes. Nothing is ever constructed, so no Python object is created
from tags and an alias bomb costs nothing (an alias is a shared node, never an expansion). Blocks
over :data:`MAX_FRONT_MATTER` characters are refused.

Scalars keep their source text (YAML 1.2 reading, like the Hub's own parser): ``language: no`` is
Norwegian, not ``False``. A string field holding a mapping, a list of lists, or a number where an
id is expected (``base_model: 7``) is a ``field-type`` problem; that field is dropped, the others
are kept.
"""

from __future__ import annotations

from typing import Any

import yaml

from auditor.card.lazyre import lazy
from auditor.models import CardMetadata, CardProblem, CardProblemKind, Location
from auditor.records import record

# What JavaScript's \s matches at the start of a card (the Hub's regex runs there): Unicode
# white space (str.isspace, up to U+3000) and the byte-order mark. Spelled out: computing it
# cost 1.4 ms of every start-up (tests/card/test_frontmatter.py recomputes it).
_LEADING = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# Copy of huggingface_hub.repocard.REGEX_YAML_BLOCK (tests/card/test_frontmatter.py compares them).
REGEX_YAML_BLOCK = lazy(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))")

MAX_FRONT_MATTER = 256 * 1024
"""Largest YAML block read (characters). Real cards with a big ``model-index`` stay far below."""

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "null", "bool", "int", "float", "timestamp")
)
# A flattened card: "--- license: apache-2.0 base_model: x --- # Title ..." on one line.
_FLAT = lazy(r"^\s*---[ \t]+(\S.*?)[ \t]+---(?=[ \t]|$)")

_LIST_FIELDS = ("license", "base_model", "datasets")
_STR_FIELDS = (
    "license_name",
    "license_link",
    "library_name",
    "pipeline_tag",
    "base_model_relation",
)


@record
class FrontMatter:
    """What the front-matter pass found, and where the body starts."""

    metadata: CardMetadata
    problems: tuple[CardProblem, ...]
    present: bool
    body_line: int
    flattened_body: str | None = None


class _FieldType(Exception):
    """A field whose YAML type is not the one the Hub card spec gives it."""


def _problem(kind: CardProblemKind, message: str, file: str, line: int) -> CardProblem:
    return CardProblem(kind=kind, message=message, location=Location(file=file, line=line))


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
        return "a list"
    if not node.tag.startswith("tag:yaml.org,2002:") or node.tag.count(":") > 2:
        return "a tagged value"
    return f"a {node.tag.rsplit(':', 1)[-1]}"


def _string(node: yaml.Node, strict: bool) -> str | None:
    """A scalar's source text; ``strict`` refuses numbers and booleans where an id belongs."""
    if not isinstance(node, yaml.ScalarNode) or node.tag not in _PLAIN_TAGS:
        raise _FieldType(_describe(node))
    if node.tag == _NULL and not node.style:
        return None
    if strict and node.tag != _STR and not node.style:
        raise _FieldType(_describe(node))
    text = str(node.value).strip()
    return text or None


def _strings(node: yaml.Node, strict: bool) -> tuple[str, ...]:
    """A string or a list of strings, as a tuple (the Hub accepts both shapes)."""
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:  # e.g. "!!python/object/apply:…": never a list of ids
            raise _FieldType(_describe(node))
        items = (_string(item, strict) for item in node.value)
        return tuple(s for s in items if s)
    value = _string(node, strict)
    return (value,) if value else ()


def _truthy(node: yaml.Node) -> bool:
    if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL:
        return False
    return str(node.value).strip().lower() not in ("false", "no", "off", "0", "")


def _read_fields(
    root: yaml.MappingNode, first_line: int, file: str
) -> tuple[CardMetadata, list[CardProblem]]:
    nodes: dict[str, tuple[yaml.Node, int]] = {}
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode):
            nodes[str(key.value)] = (value, first_line + key.start_mark.line)
    fields: dict[str, Any] = {"lines": {k: line for k, (_, line) in nodes.items()}}
    problems: list[CardProblem] = []
    for name in (*_LIST_FIELDS, *_STR_FIELDS, "tags", "language", "extra_gated_prompt"):
        if name not in nodes:
            continue
        node, line = nodes[name]
        try:
            if name in _STR_FIELDS or name == "extra_gated_prompt":
                fields[name] = _string(node, strict=name in _STR_FIELDS)
            else:
                fields[name] = _strings(node, strict=name in _LIST_FIELDS)
        except _FieldType as exc:
            problems.append(
                _problem(
                    "field-type",
                    f"front matter '{name}' is {exc}, expected "
                    f"{'a string' if name in _STR_FIELDS else 'a string or a list of strings'}",
                    file,
                    line,
                )
            )
    gated = any(k.startswith("extra_gated_") for k in nodes)
    fields["gated"] = gated or ("gated" in nodes and _truthy(nodes["gated"][0]))
    return CardMetadata(**fields), problems


def _flattened(text: str, file: str) -> FrontMatter | None:
    first = text.split("\n", 1)[0]
    m = _FLAT.match(first)
    if m is None:
        return None
    problems = (
        _problem(
            "front-matter-invalid",
            "the YAML front matter is flattened onto one line "
            "('--- key: value ... ---'), so it is not metadata",
            file,
            1,
        ),
        _problem("flattened", "the card's newlines are gone: Markdown structure is lost", file, 1),
    )
    return FrontMatter(CardMetadata(), problems, True, 1, first[m.end() :])


def opens_front_matter(text: str, complete: bool = True) -> bool:
    """Whether a card opens a front-matter block, as the Hub's regex sees it (``^\\s*---``):
    leading whitespace and a byte-order mark are skipped.

    The one predicate for "this folder has a model card", shared by the parser and the git hook
    (which reads only the start of a README: ``complete=False`` counts a start that is all
    blank as a card, since the fence may follow further down).
    """
    rest = text.lstrip(_LEADING)
    return rest.startswith("---") or (not complete and bool(text) and not rest)


def parse_front_matter(text: str, file: str) -> FrontMatter:
    """Locate, compose and normalise the front matter of a card (``\\n`` line endings)."""
    m = REGEX_YAML_BLOCK.search(text)
    if m is None:
        flat = _flattened(text, file)
        if flat is not None:
            return flat
        if opens_front_matter(text):
            line = text.count("\n", 0, len(text) - len(text.lstrip())) + 1
            problem = _problem(
                "front-matter-invalid",
                "the front matter opens with '---' but is never closed",
                file,
                line,
            )
            return FrontMatter(CardMetadata(), (problem,), True, line + 1)
        problem = _problem(
            "front-matter-missing",
            "the card has no YAML front matter (metadata block between '---' lines at the top)",
            file,
            1,
        )
        return FrontMatter(CardMetadata(), (problem,), False, 1)
    first_line = text.count("\n", 0, m.start(2)) + 1
    body_line = text.count("\n", 0, m.end()) + 1 + (0 if m.group(4) else 1)
    block = m.group(2)
    if len(block) > MAX_FRONT_MATTER:
        problem = _problem(
            "front-matter-invalid",
            f"the front matter is larger than {MAX_FRONT_MATTER} characters and was not read",
            file,
            first_line,
        )
        return FrontMatter(CardMetadata(), (problem,), True, body_line)
    metadata, problems = _compose(block, first_line, file)
    return FrontMatter(metadata, tuple(problems), True, body_line)


def _compose(block: str, first_line: int, file: str) -> tuple[CardMetadata, list[CardProblem]]:
    loader = _Loader(block)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        reason = exc.problem or "invalid YAML"
        return CardMetadata(), [
            _problem(
                "front-matter-invalid", f"the front matter is not valid YAML: {reason}", file, line
            )
        ]
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        return CardMetadata(), [
            _problem(
                "front-matter-invalid",
                f"the front matter is not valid YAML: {type(exc).__name__}",
                file,
                first_line,
            )
        ]
    finally:
        loader.dispose()
    if root is None:
        return CardMetadata(), []
    if not isinstance(root, yaml.MappingNode):
        return CardMetadata(), [
            _problem(
                "front-matter-invalid",
                f"the front matter is {_describe(root)}, not a mapping of fields",
                file,
                first_line,
            )
        ]
    metadata, problems = _read_fields(root, first_line, file)
    return metadata, problems
