"""Hypothesis strategies for whole audited repos: cards, adapter configs, safetensors headers,
waiver files and policy packs, each mixing plausible structure with hostile values.

Parser-level fuzzing belongs to the parser owners (tests/card, tests/verify, ...); these
strategies build *files* that go through the CLI together, so they favour shapes that get deep
into the pipeline (a real base from examples/hub, adapter tensor names, rule ids that exist).
"""

from __future__ import annotations

import json
import struct
from typing import Any

import yaml
from hypothesis import strategies as st

BASE = "swiss-ai/Apertus-70B-Instruct-2509"
RULE_IDS = (
    "license.missing",
    "license.sharealike-leak",
    "adapter.rank-mismatch",
    "card.front-matter-invalid",
    "waiver.unused",
    "no.such-rule",
)
HOSTILE_TEXT = st.sampled_from([
    "", " ", "\x00", "\x1b]0;title\x07", "\x9b31m", "\u202e", "\ufeff", "\r", "---", "|", "`",
    "<script>", "@org/team", "../../etc/passwd", "/root/x", "C:\\x", "~", "&a", "*a", "{{", "%s",
    "NaN", "1e999", "-1", "0", "9" * 30, "é", "日本", "🙂", "apache-2.0", "cc-by-nc-4.0", "other",
    BASE, "datasets/org/x", "org/name", "Apache 2.0", "CC BY-SA 4.0", "Llama 3.1",
])  # fmt: skip
SHORT_TEXT = st.one_of(HOSTILE_TEXT, st.text(max_size=40))
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    SHORT_TEXT,
)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(inner, max_size=4), st.dictionaries(SHORT_TEXT, inner, max_size=4))


JSONISH = st.recursive(SCALAR, _containers, max_leaves=12)
NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])

# ------------------------------------------------------------------------------ cards

FRONT_KEYS = (
    "license",
    "license_name",
    "license_link",
    "base_model",
    "base_model_relation",
    "datasets",
    "library_name",
    "tags",
    "language",
    "pipeline_tag",
    "gated",
    "extra_gated_prompt",
    "model-index",
)


LICENSE_IDS = st.sampled_from(
    [
        "apache-2.0",
        "mit",
        "cc-by-sa-4.0",
        "cc-by-nc-4.0",
        "llama3.1",
        "gemma",
        "openrail",
        "other",
        "unknown",
        "Apache 2.0",
        "GPL-3.0",
    ]
)
# Per key, values that parse into the field (so the run gets past the front matter) or not.
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "license": st.one_of(LICENSE_IDS, st.lists(LICENSE_IDS, max_size=3)),
    "base_model": st.one_of(
        st.just(BASE), st.lists(st.sampled_from([BASE, "org/name"]), max_size=3)
    ),
    "datasets": st.lists(
        st.sampled_from(["microsoft/orca-math-word-problems-200k", "org/x"]), max_size=3
    ),
    "base_model_relation": st.sampled_from(["adapter", "finetune", "merge", "quantized", "x"]),
    "extra_gated_prompt": SHORT_TEXT,
}


@st.composite
def front_matter(draw: st.DrawFn) -> str:
    """A YAML front-matter block: dumped from data, raw fragments, or broken delimiters."""
    kind = draw(st.sampled_from(["data", "data", "data", "raw", "unclosed", "none"]))
    if kind == "none":
        return ""
    if kind == "data":
        keys = draw(st.lists(st.sampled_from(FRONT_KEYS), max_size=6, unique=True))
        wild = st.one_of(JSONISH, SHORT_TEXT, st.lists(SHORT_TEXT, max_size=3))
        values = {
            k: draw(st.one_of(FIELD_VALUES[k], wild) if k in FIELD_VALUES else wild) for k in keys
        }
        body = yaml.safe_dump(values, allow_unicode=True)
    else:
        fragments = st.sampled_from([
            "license: ", "base_model: ", "datasets:\n- ", "tags: [", "&a ", "*a", ": :", "'",
            "!!python/object:os.system ", "{", "- - -", "\t", "language: no\n",
        ])  # fmt: skip
        body = draw(st.lists(fragments, max_size=12).map("".join)) + draw(SHORT_TEXT) + "\n"
    return f"---\n{body}" + ("" if kind == "unclosed" else "---\n")


BODY_BLOCK = st.one_of(
    st.builds(lambda t: f"# {t}\n", SHORT_TEXT),
    st.builds(
        lambda t: f"## {t}\n",
        st.sampled_from(
            ["Training", "License chain", "EU AI Act", "1.1. Provider identification", "x"]
        ),
    ),
    st.builds(
        lambda rows: (
            "| Parameter | Value |\n|---|---|\n" + "".join(f"| {k} | {v} |\n" for k, v in rows)
        ),
        st.lists(
            st.tuples(
                st.sampled_from(
                    [
                        "rank",
                        "alpha",
                        "scale",
                        "dropout",
                        "optimizer",
                        "learning rate",
                        "iterations",
                        "layers",
                        "target modules",
                        "base model",
                        "License",
                    ]
                ),
                SHORT_TEXT,
            ),
            max_size=6,
        ),
    ),
    st.builds(lambda v: f"| rank | {v}\n", SHORT_TEXT),  # an unclosed table row
    st.builds(
        lambda a, b: f"Released under {a}. Finetuned from {b}. Trained with rank {a}.\n",
        SHORT_TEXT,
        SHORT_TEXT,
    ),
    st.builds(lambda t: f"```\n{t}\n", SHORT_TEXT),  # an unclosed fence
    st.builds(lambda t: f"<!-- {t} -->\n", SHORT_TEXT),
    st.text(max_size=200),
)


@st.composite
def cards(draw: st.DrawFn) -> bytes:
    """README.md bytes: front matter + body blocks, any newline style, maybe a BOM or Latin-1."""
    text = draw(front_matter()) + "".join(draw(st.lists(BODY_BLOCK, max_size=8)))
    text = text.replace("\n", draw(NEWLINES))
    if draw(st.integers(0, 9)) == 0:
        text = "\ufeff" + text
    encoding = draw(st.sampled_from(["utf-8"] * 7 + ["latin-1", "utf-16", "utf-32"]))
    return text.encode(encoding, errors="replace")


# ------------------------------------------------------------------------------ configs

MODULES = st.sampled_from(
    ["self_attn.q_proj", "self_attn.v_proj", "q_proj", "v_proj", "mlp.up_proj", "", "*", "../x"]
)


@st.composite
def adapter_configs(draw: st.DrawFn) -> bytes:
    """adapter_config.json bytes: mlx-lm or PEFT shaped with odd values, any JSON, or not JSON."""
    kind = draw(st.sampled_from(["mlx", "peft", "json", "bytes"]))
    value = st.one_of(SCALAR, JSONISH)
    if kind == "mlx":
        doc: Any = {
            "fine_tune_type": draw(st.one_of(st.sampled_from(["lora", "dora", "full"]), value)),
            "model": draw(st.one_of(st.just(BASE), SHORT_TEXT)),
            "num_layers": draw(st.one_of(st.integers(-3, 100), value)),
            "lora_parameters": {
                "rank": draw(st.one_of(st.integers(-2, 64), value)),
                "scale": draw(st.one_of(st.floats(-10, 100), value)),
                "alpha": draw(value),
                "keys": draw(st.one_of(st.lists(MODULES, max_size=3), value)),
            },
        }
    elif kind == "peft":
        doc = {
            "peft_type": draw(st.one_of(st.sampled_from(["LORA", "IA3", "LOHA"]), value)),
            "r": draw(st.one_of(st.integers(-2, 64), value)),
            "lora_alpha": draw(st.one_of(st.integers(0, 64), value)),
            "use_rslora": draw(st.one_of(st.booleans(), value)),
            "target_modules": draw(st.one_of(st.lists(MODULES, max_size=3), value)),
            "layers_to_transform": draw(
                st.one_of(st.lists(st.integers(-5, 200), max_size=4), value)
            ),
            "base_model_name_or_path": draw(st.one_of(st.just(BASE), SHORT_TEXT)),
        }
    elif kind == "json":
        doc = draw(JSONISH)
    else:
        return draw(st.binary(max_size=300))
    return json.dumps(doc, allow_nan=True).encode()


# ------------------------------------------------------------------------------ safetensors

TENSOR_NAMES = st.one_of(
    st.builds(
        "model.layers.{}.self_attn.{}.lora_{}".format,
        st.integers(-1, 100),
        st.sampled_from(["q_proj", "v_proj", "k_proj"]),
        st.sampled_from(["a", "b"]),
    ),
    st.builds(
        "base_model.model.model.layers.{}.self_attn.q_proj.lora_{}.weight".format,
        st.integers(0, 80),
        st.sampled_from(["A", "B"]),
    ),
    SHORT_TEXT,
)
DTYPES = st.sampled_from(["F32", "F16", "BF16", "I8", "F8_E4M3", "BOOL", "Q4", "", "f32"])
DIMENSION = st.one_of(st.integers(0, 32), st.integers(-5, 2**63), st.just(2**40), SCALAR)


@st.composite
def safetensors_files(draw: st.DrawFn) -> bytes:
    """A weights file: a header of plausible entries with hostile shapes/offsets/lengths."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=64))
    header: dict[str, Any] = {}
    for name in draw(st.lists(TENSOR_NAMES, max_size=6, unique=True)):
        shape = draw(st.one_of(st.lists(DIMENSION, max_size=3), SCALAR))
        start = draw(st.integers(0, 64))
        header[name] = {
            "dtype": draw(DTYPES),
            "shape": shape,
            "data_offsets": draw(
                st.one_of(st.tuples(st.just(start), st.integers(0, 2**64)).map(list), SCALAR)
            ),
        }
    if draw(st.booleans()):
        header["__metadata__"] = draw(
            st.one_of(st.dictionaries(SHORT_TEXT, SHORT_TEXT, max_size=2), JSONISH)
        )
    raw = json.dumps(header, allow_nan=True).encode()
    claimed = draw(
        st.one_of(
            st.just(len(raw)),
            st.integers(0, 2**64 - 1),
            st.integers(max(0, len(raw) - 8), len(raw) + 8),
        )
    )
    return struct.pack("<Q", claimed) + raw + draw(st.binary(max_size=128))


# ------------------------------------------------------------------------------ waivers, policy

DATES = st.one_of(
    st.dates().map(str),
    st.sampled_from(["2099-13-45", "2099-02-30", "never", "2020-01-01", "2999-12-31"]),
    SCALAR,
)


@st.composite
def waiver_files(draw: st.DrawFn) -> bytes:
    """A .ailiance-audit.yaml: waiver entries with odd fields, other YAML, or not YAML."""
    kind = draw(st.sampled_from(["entries", "entries", "yaml", "text"]))
    if kind == "text":
        return draw(st.text(max_size=200)).encode("utf-8", errors="replace")
    if kind == "yaml":
        return yaml.safe_dump(draw(JSONISH), allow_unicode=True).encode()
    entries = [
        {
            "rule": draw(st.one_of(st.sampled_from(RULE_IDS), SCALAR)),
            "node": draw(st.one_of(st.none(), SHORT_TEXT)),
            "reason": draw(SHORT_TEXT),
            "owner": draw(SHORT_TEXT),
            "expires": draw(DATES),
        }
        for _ in range(draw(st.integers(0, 4)))
    ]
    text = yaml.safe_dump({"waivers": entries}, allow_unicode=True)
    # Unquote dates so that YAML's own timestamp parsing sees them (where real files differ).
    return text.replace("'", "").encode() if draw(st.booleans()) else text.encode()


PATHS = st.sampled_from([
    "subject.id", "subject.license.spdx", "subject.license.sharealike", "upstream",
    "upstream.size()", "card.metadata.license", "card.hyperparameters", "adapter.rank",
    "adapter.tensor_ranks", "derived.bases", "derived.claim_values", "compute.ratio", "edges",
    "files", "nosuch", "item",
])  # fmt: skip


def _cel_compound(e: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds("({} == {})".format, e, e),
        st.builds("({} && {})".format, e, e),
        st.builds("!{}".format, e),
        st.builds("({} + {})".format, e, e),
        st.builds("{}.size()".format, e),
        st.builds("string({})".format, e),
        st.builds("{}.exists(u, {})".format, e, e),
        st.builds("{}.map(u, {})".format, e, e),
        st.builds("{}.filter(u, {})".format, e, e),
        st.builds("({} ? {} : {})".format, e, e, e),
        st.builds("{}[0]".format, e),
        st.builds("{}.contains({})".format, e, e),
        st.text(max_size=10),
    )


CEL_LEAVES = st.one_of(
    PATHS,
    st.sampled_from(["true", "false", "null", "1", "'x'", "[]", "{}", "1.5", "'\\u202e'", "1/0"]),
)
CEL = st.recursive(CEL_LEAVES, _cel_compound, max_leaves=6)


LISTS = st.sampled_from(
    [
        "upstream",
        "card.hyperparameters",
        "edges",
        "upstream.filter(u, u.resolved)",
        "[]",
        "[1, 'a', null]",
        "card.license_mentions",
    ]
)
BOOLS = st.sampled_from(
    [
        "true",
        "false",
        "subject.license.sharealike",
        "upstream.size() > 0",
        "subject.license.spdx == 'Apache-2.0'",
        "adapter.rank == 16",
        "upstream.exists(u, u.license.noncommercial)",
        "item.resolved",
        "'license' in card.metadata.lines",
        "files.size() > 1",
    ]
)
STRINGS = st.sampled_from(
    [
        "'fuzz'",
        "subject.id",
        "'x ' + subject.license.spdx",
        "item.id",
        "string(upstream.size())",
        "'\\u202e<b>@team</b>'",
    ]
)


@st.composite
def rule_entries(draw: st.DrawFn) -> dict[str, Any]:
    """A rule: mostly well-formed (so it evaluates against real facts), sometimes not."""
    wild = draw(st.integers(0, 3)) == 0
    rule: dict[str, Any] = {
        "id": draw(
            st.sampled_from(["fuzz.rule", "fuzz.other", "license.missing"])
            if not wild
            else st.one_of(st.sampled_from(["fuzz.rule"]), SHORT_TEXT)
        ),
        "title": draw(SHORT_TEXT),
        "severity": draw(
            st.sampled_from(["error", "warning", "note"])
            if not wild
            else st.one_of(st.sampled_from(["error"]), SCALAR)
        ),
        "violation": draw(CEL if wild else BOOLS),
        "message": draw(CEL if wild else STRINGS),
    }
    optional = {
        "when": BOOLS,
        "each": LISTS,
        "node": STRINGS,
        "location": st.just("{'file': 'README.md', 'line': 3}"),
        "severity_expr": st.just("'note'"),
        "evidence": st.just("{'k': subject.id}"),
    }
    for key, values in optional.items():
        if draw(st.integers(0, 3)) == 0:
            rule[key] = draw(CEL if wild else values)
    if wild and draw(st.booleans()):
        rule[draw(SHORT_TEXT)] = draw(SCALAR)
    return rule


@st.composite
def policy_files(draw: st.DrawFn) -> bytes:
    """A rule pack: rules over the real facts paths, some with random CEL, ids or severities."""
    rules = draw(st.lists(rule_entries(), min_size=1, max_size=3))
    doc = draw(
        st.one_of(
            st.just({"pack": "fuzz", "rules": rules}),
            st.just({"pack": "fuzz", "rules": rules}),
            JSONISH,
        )
    )
    return yaml.safe_dump(doc, allow_unicode=True).encode()
