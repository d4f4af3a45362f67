"""Regenerate the committed hostile-input corpus (``tests/hostile/corpus/hub``), byte for byte.

    .venv/bin/python tests/hostile/make_corpus.py

The corpus is a mirror laid out like the Hub (``hostile/<case>/``); every file is small (the
largest is a 64 KiB binary card). Inputs that are big, or that git cannot carry (a 50 MB card, a
1,000-deep chain, symlinks, FIFOs, symlink loops), are built at test time by ``generated.py``.
What each case must produce is in ``cases.py``. Output is deterministic (seeded), so running
this script on a clean checkout changes nothing.
"""

from __future__ import annotations

import json
import random
import shutil
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent
HUB = HERE / "corpus" / "hub"
ORG = HUB / "hostile"
POLICIES = HERE / "corpus" / "policies"  # rule packs from an untrusted pull request
BASE = "swiss-ai/Apertus-70B-Instruct-2509"  # resolved from examples/hub (second --mirror)

CARD = f"""---
license: apache-2.0
base_model: {BASE}
datasets:
- microsoft/orca-math-word-problems-200k
library_name: mlx
---

# A small hostile-corpus adapter

| Parameter | Value |
|---|---|
| rank | 16 |
| scale | 2.0 |
"""

ADAPTER_CONFIG = {
    "fine_tune_type": "lora",
    "model": BASE,
    "num_layers": 2,
    "lora_parameters": {
        "rank": 16,
        "scale": 2.0,
        "dropout": 0.0,
        "keys": ["self_attn.q_proj", "self_attn.v_proj"],
    },
}

# Card text built to break out of every report format and into terminals: OSC title (BEL and ST
# terminated), CSI (7-bit and 8-bit C1), an OSC 8 hyperlink, CR/BS overwrites, a bidi override,
# HTML, a javascript: link, an @-mention, an issue reference, a Markdown table/code-span break,
# an HTML comment opener and TeX math.
PAYLOAD = (
    "\x1b]0;PWNED-TITLE\x07\x1b]2;PWNED-TITLE2\x1b\\\x1b[2J\x1b[31mRED\x9b31m\x9d0;PWNED-C1\x9c"
    "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\\r\x08\u202eevil "
    "<script>alert(1)</script><img src=x onerror=alert(2)> @ailiance-fr/admins #1 "
    "[click](javascript:alert(3)) <!-- ` | ``` $x$ "
)


def _q(text: str) -> str:
    """A YAML double-quoted scalar holding ``text`` (JSON escapes are valid YAML escapes)."""
    return json.dumps(text)


def injection_card() -> str:
    """A card carrying the payload in front-matter fields, headings, tables and prose."""
    return f"""---
license: {_q(PAYLOAD)}
license_name: {_q(PAYLOAD)}
base_model: {_q(PAYLOAD)}
datasets:
- {_q(PAYLOAD)}
library_name: {_q(PAYLOAD)}
extra_gated_prompt: {_q(PAYLOAD)}
tags:
- {_q(PAYLOAD)}
---
# {PAYLOAD}

Finetuned from {PAYLOAD}

This adapter is released under {PAYLOAD} license. Released under CC BY-NC 4.0 {PAYLOAD}.

| Parameter | Value |
|---|---|
| rank | 16 {PAYLOAD} |
| optimizer | Adam {PAYLOAD} |

The optimizer is AdamW {PAYLOAD}. We used rank 8.

## License chain

| Component | License |
|---|---|
| This adapter | {PAYLOAD} |
| base {PAYLOAD} | CC-BY-SA-4.0 {PAYLOAD} |

No web scraping was used {PAYLOAD}.
"""


def injection_waivers() -> str:
    """A waiver file whose free-text fields carry the payload (one expired, one live)."""
    return (
        f"waivers:\n- rule: {_q(PAYLOAD)}\n  reason: {_q(PAYLOAD)}\n  owner: {_q(PAYLOAD)}\n"
        f"  expires: 2020-01-01\n- rule: license.invalid-id\n  reason: {_q(PAYLOAD)}\n"
        f"  owner: {_q(PAYLOAD)}\n  expires: 2099-01-01\n"
    )


def safetensors(header: bytes, claimed: int | None = None) -> bytes:
    """A safetensors file: 8-byte little-endian header length (or a lie), header, no data."""
    return struct.pack("<Q", len(header) if claimed is None else claimed) + header


def tiny_adapter() -> bytes:
    """A valid, tiny mlx-lm adapter file: rank-2 A and B factors of one module (F32, 2x2)."""
    tensors = {}
    data = b""
    for name in (
        "model.layers.79.self_attn.q_proj.lora_a",
        "model.layers.79.self_attn.q_proj.lora_b",
    ):
        tensors[name] = {
            "dtype": "F32",
            "shape": [2, 2],
            "data_offsets": [len(data), len(data) + 16],
        }
        data += struct.pack("<4f", 0.5, -0.25, 0.125, 1.0)
    return safetensors(json.dumps(tensors, sort_keys=True).encode()) + data


def alias_bomb() -> str:
    """Billion laughs: 9^11 strings if expanded; a handful of nodes if aliases stay shared."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    return "\n".join(lines)


def _cases() -> dict[str, dict[str, bytes | str]]:
    weights_huge = json.dumps(
        {
            "model.layers.78.self_attn.q_proj.lora_a": {
                "dtype": "F32",
                "shape": [2**40, 2**40],
                "data_offsets": [0, 2**62],
            }
        }
    ).encode()
    cfg = json.dumps(ADAPTER_CONFIG, indent=2)
    paths = dict(
        ADAPTER_CONFIG,
        model="/home/alice/models/../../../etc/passwd",
        adapter_path="../../../../etc",
        data="/root/secret-data",
    )
    remote = dict(ADAPTER_CONFIG, model="hostile/remote-code-base")
    rng = random.Random(20261126)
    deep = 10_000
    return {
        "safetensors-terabytes": {
            "README.md": CARD,
            "adapter_config.json": cfg,
            "adapters.safetensors": safetensors(b"{", claimed=2**40),
        },
        "safetensors-huge-shape": {
            "README.md": CARD,
            "adapter_config.json": cfg,
            "adapters.safetensors": safetensors(weights_huge),
        },
        "safetensors-deep-json": {
            "README.md": CARD,
            "adapter_config.json": cfg,
            "adapters.safetensors": safetensors(
                b'{"__metadata__":' + b'{"a":' * deep + b"1" + b"}" * deep + b"}"
            ),
        },
        "yaml-deep-nesting": {
            "README.md": f"---\nlicense: apache-2.0\nbase_model: "
            f"{'[' * deep}{']' * deep}\n---\n# deep\n"
        },
        "yaml-alias-bomb": {
            "README.md": f"---\nlicense: apache-2.0\n{alias_bomb()}\n"
            "base_model: *a11\ndatasets: *a11\ntags: *a11\n---\n# bomb\n"
        },
        "card-binary": {"README.md": rng.randbytes(64 << 10)},
        "card-latin1": {
            "README.md": "---\nlicense: apache-2.0\n---\n# Modèle café\n\nDonnées "
            "d'entraînement : ½ million de phrases, licence « Apache » ©.\n".encode("latin-1")
        },
        "card-crlf": {"README.md": CARD.replace("\n", "\r\n")},
        "card-bom": {"README.md": "\ufeff" + CARD},
        "cycle-a": {"README.md": "---\nlicense: apache-2.0\nbase_model: hostile/cycle-b\n---\n"},
        "cycle-b": {"README.md": "---\nlicense: apache-2.0\nbase_model: hostile/cycle-a\n---\n"},
        "paths-in-config": {
            "README.md": "---\nlicense: apache-2.0\nbase_model: ../../etc/passwd\ndatasets:\n"
            "- /etc/shadow\n- ../../../x\n- C:\\Windows\\win.ini\n---\n# paths\n",
            "adapter_config.json": json.dumps(paths, indent=2),
        },
        "remote-code-base": {
            "README.md": "---\nlicense: apache-2.0\n---\n# a base that wants its own code\n",
            "config.json": json.dumps(
                dict(
                    json.loads(
                        (HERE.parents[1] / "examples" / "hub" / BASE / "config.json").read_text()
                    ),
                    auto_map={"AutoModelForCausalLM": "modeling_evil.EvilModel"},
                    model_file="modeling_evil.py",
                    trust_remote_code=True,
                ),
                indent=2,
            ),
            "modeling_evil.py": (
                '"""Code of a hostile base: records that it ran (it never may)."""\n\n'
                "import os\nfrom pathlib import Path\n\n"
                'Path(os.environ["AILIANCE_HOSTILE_MARKER"]).write_text("remote code ran")\n'
            ),
        },
        "remote-code": {
            "README.md": CARD.replace(BASE, "hostile/remote-code-base"),
            "adapter_config.json": json.dumps(remote, indent=2),
            "adapters.safetensors": tiny_adapter(),
        },
        "config-deep-json": {
            "README.md": CARD,
            "adapter_config.json": '{"lora_parameters": ' + "[" * deep + "]" * deep + "}",
        },
        "config-wrong-types": {
            "README.md": CARD,
            "adapter_config.json": json.dumps(
                {
                    "fine_tune_type": None,
                    "num_layers": True,
                    "model": 5,
                    "lora_parameters": {"rank": "16", "scale": [2], "keys": "q", "dropout": {}},
                }
            ),
        },
        "config-infinite-rank": {
            "README.md": CARD,
            "adapters.safetensors": tiny_adapter(),
            "adapter_config.json": '{"fine_tune_type": "lora", "model": "'
            + BASE
            + '", "lora_parameters": {"rank": Infinity, '
            '"scale": NaN}}',
        },
        "waivers-malformed": {
            "README.md": CARD,
            ".ailiance-audit.yaml": "waivers:\n- rule: [1, 2]\n  reason: {a: b}\n  owner: 7\n"
            "  expires: not-a-date\n- 12\n- just a string\n"
            "- rule: license.missing\n  expires: 2099-01-01\n",
        },
        "waivers-not-yaml": {
            "README.md": CARD,
            ".ailiance-audit.yaml": "waivers: [\n  - rule: x\n  :::\n\x00",
        },
        "waivers-python-tag": {
            "README.md": CARD,
            ".ailiance-audit.yaml": "waivers: !!python/object/apply:os.system ['echo PWNED']\n",
        },
        "waivers-deep": {
            "README.md": CARD,
            ".ailiance-audit.yaml": "waivers: " + "[" * 5000 + "]" * 5000 + "\n",
        },
        "waivers-bad-date": {
            "README.md": CARD,
            ".ailiance-audit.yaml": "waivers:\n- rule: license.missing\n  reason: r\n  owner: o\n"
            "  expires: 2099-13-45\n",
        },
        "base-config-deep": {
            "README.md": "---\nlicense: apache-2.0\n---\n# deep config\n",
            "config.json": '{"model_type": "apertus", "x": ' + "[" * deep + "]" * deep + "}",
        },
        "adapter-on-deep-base": {
            "README.md": CARD.replace(BASE, "hostile/base-config-deep"),
            "adapter_config.json": json.dumps(
                dict(ADAPTER_CONFIG, model="hostile/base-config-deep")
            ),
        },
        "peft-layers-mismatch": {
            "README.md": CARD,
            "adapters.safetensors": tiny_adapter(),
            "adapter_config.json": json.dumps(
                {
                    "peft_type": "LORA",
                    "r": 2,
                    "lora_alpha": 4,
                    "target_modules": ["q_proj"],
                    "base_model_name_or_path": BASE,
                }
            ),
        },
        "injection": {
            "README.md": injection_card(),
            "adapter_config.json": json.dumps(
                dict(ADAPTER_CONFIG, model=PAYLOAD, optimizer=PAYLOAD, data="/home/" + PAYLOAD)
            ),
            ".ailiance-audit.yaml": injection_waivers(),
        },
    }


def _rule(rule_id: str, violation: str) -> str:
    return (
        f"pack: hostile\nrules:\n- id: {rule_id}\n  title: t\n  severity: error\n"
        f"  violation: {json.dumps(violation)}\n  message: \"'m'\"\n"
    )


def _nested_maps(levels: int) -> str:
    """``levels`` nested ``map`` over a 10-element list: 10^levels evaluations, 250 bytes."""
    ten = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"
    inner = "a0"
    for i in reversed(range(levels)):
        inner = f"{ten}.map(a{i}, {inner})"
    return f"{inner}.size() > 0"


def _policies() -> dict[str, bytes | str]:
    deep = 5000
    return {
        "yaml-deep-nesting.yaml": "pack: hostile\nrules: " + "[" * deep + "]" * deep + "\n",
        "yaml-alias-bomb.yaml": alias_bomb() + "\npack: hostile\nrules: *a11\n",
        "not-utf8.yaml": b"\x00\xff rules: [",
        "cel-deep-nesting.yaml": _rule("hostile.deep", "(" * deep + "true" + ")" * deep),
        "cel-unknown-keys.yaml": _rule("hostile.keys", "true").replace(
            "  title: t", "  title: t\n  exec: rm -rf /\n  __class__: x"
        ),
        "cel-comprehension-bomb.yaml": _rule("hostile.bomb", _nested_maps(8)),
    }


def main() -> None:
    """Write every case (the ``hostile`` org and the policies folder are replaced whole)."""
    for folder in (ORG, POLICIES):
        if folder.exists():
            shutil.rmtree(folder)
    POLICIES.mkdir(parents=True)
    for filename, content in _policies().items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (POLICIES / filename).write_bytes(data)
    for name, files in _cases().items():
        folder = ORG / name
        folder.mkdir(parents=True)
        for filename, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            (folder / filename).write_bytes(data)
    print(f"wrote {len(_cases())} cases under {ORG.relative_to(HERE.parents[1])}")


if __name__ == "__main__":
    main()
