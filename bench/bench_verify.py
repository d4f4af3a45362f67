"""Benchmark: verifying an adapter on a lazy skeleton vs a plain ``mlx_lm.load`` of the base.

Run from the repository root: ``python bench/bench_verify.py [--repeats N] [--sizes 50M,200M]``.

Measures peak RSS and wall time, each in a fresh subprocess, of

(a) ``auditor.verify.collect_evidence(level="load")``: a rank-16 q/v adapter loaded with mlx-lm
    onto a skeleton built from ``config.json`` alone (never evaluating base weights), on the
    Apertus-70B architecture of ``examples/hub`` and on generated bases of growing size;
(b) ``mlx_lm.load(base, adapter_path=...)``, the plain way, which needs the base's weights: on
    generated Llama-architecture bases of about 50M, 200M and 800M parameters (random float16
    weights written to a temporary folder at bench time, never committed).

Prints a markdown table and writes it into ``bench/RESULTS.md`` between markers (other sections
of that file are kept). Times include imports: that is what a CLI run pays.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

from common import child_json_runs

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
EXAMPLE = ROOT / "examples" / "hub" / "Ailiance-fr" / "apertus-math-lora"
EXAMPLE_BASE = ROOT / "examples" / "hub" / "swiss-ai" / "Apertus-70B-Instruct-2509"
TOKENIZER = ROOT / "tests" / "fixtures" / "adapters" / "hub" / "tiny-random" / "llama-4l"
START, END = "<!-- bench_verify:start -->", "<!-- bench_verify:end -->"
BASES = {  # name -> (hidden, layers, intermediate); vocab 32000, GQA 4:1, untied
    "50M": (512, 6, 1536),
    "200M": (1024, 12, 2816),
    "800M": (2048, 15, 5632),
}

PEAK = """
def peak_mb():
    # VmHWM is this process's own peak; ru_maxrss keeps the parent's peak across exec on Linux
    try:
        with open("/proc/self/status") as fh:
            return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM")) / 1024
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024)
"""

SKELETON_CHILD = (
    PEAK
    + """
import json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
from auditor.models import RepoSnapshot
from auditor.verify import collect_evidence
folder, base_dir = Path(sys.argv[1]), Path(sys.argv[2])
snap = RepoSnapshot(repo_id="bench/adapter", kind="model", origin="local", location=str(folder),
                    files=tuple(sorted(p.name for p in folder.iterdir())))
base = json.loads((base_dir / "config.json").read_text())
ev = collect_evidence(snap, lambda n: folder / n, level="load", base_config=lambda _: base)
assert ev.load_ok, (ev.load_errors, ev.problems)
print(json.dumps({"seconds": time.perf_counter() - t0,
                  "rss_mb": peak_mb(), "cpu": sum(resource.getrusage(resource.RUSAGE_SELF)[:2])}))
"""
)

PLAIN_CHILD = (
    PEAK
    + """
import json, resource, sys, time
t0 = time.perf_counter()
from mlx_lm import load
model, tokenizer = load(sys.argv[2], adapter_path=sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - t0,
                  "rss_mb": peak_mb(), "cpu": sum(resource.getrusage(resource.RUSAGE_SELF)[:2])}))
"""
)


def base_config(hidden: int, layers: int, intermediate: int) -> dict[str, Any]:
    """A Llama-architecture config.json."""
    return {
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "intermediate_size": intermediate,
        "num_attention_heads": hidden // 64,
        "num_key_value_heads": max(1, hidden // 256),
        "vocab_size": 32000,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "max_position_embeddings": 2048,
        "tie_word_embeddings": False,
        "torch_dtype": "float16",
    }


def make_base(folder: Path, config: dict[str, Any]) -> int:
    """Write config, random float16 weights (mlx-lm's own model class) and a tokenizer."""
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm.utils import _get_classes

    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(config))
    model_class, args_class = _get_classes(config)
    model = model_class(args_class.from_dict(config))
    weights = {k: v.astype(mx.float16) for k, v in tree_flatten(model.parameters())}
    mx.save_safetensors(str(folder / "model.safetensors"), weights, metadata={"format": "mlx"})
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(TOKENIZER / name, folder / name)
    return sum(v.size for v in weights.values())


def make_adapter(folder: Path, config: dict[str, Any], base_id: str) -> None:
    """A rank-16 q/v adapter on the last two blocks, in mlx-lm's layout and config format."""
    import numpy as np
    from safetensors.numpy import save_file

    hidden, layers = config["hidden_size"], config["num_hidden_layers"]
    head = hidden // config["num_attention_heads"]
    outs = {"q_proj": hidden, "v_proj": config["num_key_value_heads"] * head}
    rng = np.random.default_rng(0)
    tensors = {}
    for layer in (layers - 2, layers - 1):
        for module, out in outs.items():
            name = f"model.layers.{layer}.self_attn.{module}"
            tensors[f"{name}.lora_a"] = rng.uniform(-0.01, 0.01, (hidden, 16)).astype(np.float16)
            tensors[f"{name}.lora_b"] = (rng.standard_normal((16, out)) * 1e-3).astype(np.float16)
    folder.mkdir(parents=True)
    save_file(tensors, str(folder / "adapters.safetensors"))
    adapter_config = {
        "fine_tune_type": "lora",
        "num_layers": 2,
        "model": base_id,
        "lora_parameters": {
            "rank": 16,
            "scale": 2.0,
            "dropout": 0.0,
            "keys": ["self_attn.q_proj", "self_attn.v_proj"],
        },
    }
    (folder / "adapter_config.json").write_text(json.dumps(adapter_config))


def measure(child: str, adapter: Path, base: Path, repeats: int) -> dict[str, float]:
    """Medians over ``repeats`` fresh subprocesses."""
    runs = child_json_runs(["-c", child, str(adapter), str(base)], repeats)
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "rss_mb": statistics.median(r["rss_mb"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
    }


def machine() -> str:
    """One line describing the machine and versions."""
    import mlx.core as mx
    import mlx_lm

    cpu = platform.processor() or platform.machine()
    info = Path("/proc/cpuinfo")
    if info.is_file():
        found = re.search(r"model name\s*:\s*(.+)", info.read_text())
        cpu = found.group(1).strip() if found else cpu
    mem = ""
    if Path("/proc/meminfo").is_file():
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024**2:.0f} GiB RAM"
    return (
        f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores{mem}; "
        f"Python {platform.python_version()}, mlx {mx.__version__}, mlx-lm {mlx_lm.__version__}"
    )


def run(sizes: list[str], repeats: int) -> list[dict[str, Any]]:
    """All measurements, 70B skeleton first."""
    rows: list[dict[str, Any]] = []
    apertus = json.loads((EXAMPLE_BASE / "config.json").read_text())
    rows.append(
        {
            "base": "Apertus-70B (config only)",
            "params": 70_599_864_480,
            "skeleton": measure(SKELETON_CHILD, EXAMPLE, EXAMPLE_BASE, repeats),
            "plain": None,
            "layers": apertus["num_hidden_layers"],
        }
    )
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        for size in sizes:
            config = base_config(*BASES[size])
            base, adapter = Path(tmp) / f"base-{size}", Path(tmp) / f"adapter-{size}"
            params = make_base(base, config)
            make_adapter(adapter, config, f"bench/base-{size}")
            rows.append(
                {
                    "base": f"Llama {size}",
                    "params": params,
                    "skeleton": measure(SKELETON_CHILD, adapter, base, repeats),
                    "plain": measure(PLAIN_CHILD, adapter, base, repeats),
                    "layers": config["num_hidden_layers"],
                }
            )
            shutil.rmtree(base)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The results as a markdown table with plain/skeleton ratios."""
    lines = [
        "| base | parameters | skeleton RSS (MB) | skeleton wall / CPU (s) | plain load RSS (MB) "
        "| plain load wall / CPU (s) | RSS ratio | CPU ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        sk, plain = row["skeleton"], row["plain"]
        cells = [
            row["base"],
            f"{row['params'] / 1e6:,.0f}M",
            f"{sk['rss_mb']:.0f}",
            f"{sk['seconds']:.2f} / {sk['cpu']:.2f}",
        ]
        if plain:
            cells += [
                f"{plain['rss_mb']:.0f}",
                f"{plain['seconds']:.2f} / {plain['cpu']:.2f}",
                f"{plain['rss_mb'] / sk['rss_mb']:.1f}x",
                f"{plain['cpu'] / sk['cpu']:.1f}x",
            ]
        else:
            cells += ["needs ~141 GB of bf16 weights", "n/a", "n/a", "n/a"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_results(section: str) -> None:
    """Replace (or append) this benchmark's section of bench/RESULTS.md."""
    text = RESULTS.read_text() if RESULTS.is_file() else "# Benchmark results\n"
    block = f"{START}\n{section}\n{END}"
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(text)


def main() -> None:
    """Run, print, record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default=",".join(BASES))
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = parser.parse_args()
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = run([s for s in args.sizes.split(",") if s], args.repeats)
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    body = table(rows)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    section = (
        "## Adapter verification: skeleton vs plain mlx_lm.load (`bench/bench_verify.py`)\n\n"
        f"{today}; {machine()}; medians of {args.repeats} fresh processes "
        f"(times include imports; 1-minute load average {load_before:.1f} before, "
        f"{load_after:.1f} after: the machine is shared, so times are noisy, RSS is not).\n"
        "Adapter: rank 16 on self_attn.q_proj/v_proj of the last two blocks. Target for the 70B "
        "skeleton: under 300 MB peak RSS and under 5 s.\n\n" + body + "\n"
    )
    print(section)
    if not args.no_write:
        write_results(section)


if __name__ == "__main__":
    main()
