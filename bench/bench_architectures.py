"""Benchmark: ``--verify load`` per architecture family, up to DeepSeek-V3 (671B, MoE).

Run from the repository root: ``python bench/bench_architectures.py [--repeats N]``.

For every base of the verification matrix (``tests/verify/data/architectures.json``: real
config.json fields) and of the held-out set (``tests/verify/data/heldout.json``) and both
adapter formats, a clean adapter is generated in a temporary folder
(``tests/verify/matrix.py``, the test suite's generator) and verified in a fresh subprocess:
``collect_evidence(level="load")``, imports included (what a CLI run pays). Recorded: wall time
(median of the repeats) and the child's own peak RSS (VmHWM). Target: every skeleton under
150 MB and 5 s. The machine is shared by several people: the load average is recorded with the
table, and a run on a busy machine says so.

Writes a markdown table into ``bench/RESULTS.md`` between markers (other sections are kept).
``--only ARCH,...`` measures those bases and prints their rows without touching RESULTS.md
(a quick check that the script still runs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import child_json_runs  # noqa: E402

from tests.verify.heldout import architectures as heldout  # noqa: E402
from tests.verify.matrix import Case, architectures, block_dims, write_case  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- bench_architectures:start -->", "<!-- bench_architectures:end -->"
TARGET_MB, TARGET_S = 150.0, 5.0

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
from auditor.models import RepoSnapshot
from auditor.verify import collect_evidence
folder, config = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
snap = RepoSnapshot(repo_id="bench/adapter", kind="model", origin="local", location=str(folder),
                    files=tuple(sorted(p.name for p in folder.iterdir())))
import mlx_lm.tuner.utils, mlx_lm.utils, auditor.verify.mlx, auditor.verify.peft
from auditor.verify import skeletons
t1 = time.perf_counter()
ev = collect_evidence(snap, lambda n: folder / n, level="load", base_config=lambda _: config)
t2 = time.perf_counter()
cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])  # the fresh process's, one check
again = collect_evidence(snap, lambda n: folder / n, level="load", base_config=lambda _: config)
t3 = time.perf_counter()
assert ev.load_ok and again == ev and skeletons.DEFAULT.builds == 1, (ev.load_errors, ev.problems)
with open("/proc/self/status") as fh:
    rss = next(int(l.split()[1]) for l in fh if l.startswith("VmHWM")) / 1024
print(json.dumps({"seconds": t2 - t0, "cpu": cpu, "rss_mb": rss, "check": t2 - t1,
                  "cached": t3 - t2}))
"""


MOE = ("num_local_experts", "num_experts", "n_routed_experts")


def measure(arch: str, fmt: str, repeats: int, variant: str = "clean") -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-arch-") as tmp:
        table = {**architectures(), **heldout()}
        folder, mirror, base_id = write_case(Case(arch, fmt, variant, None), Path(tmp), table)
        config = mirror / base_id / "config.json"
        runs = child_json_runs(["-c", CHILD, str(folder), str(config)], repeats, timeout=300)
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "rss_mb": max(r["rss_mb"] for r in runs),
        "check": statistics.median(r["check"] for r in runs),
        "cached": statistics.median(r["cached"] for r in runs),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", help="comma-separated bases: print their rows, write nothing")
    args = parser.parse_args()
    rows, met, cpu_met = [], True, True
    load_before = os.getloadavg()[0]
    jobs = []
    bases = {**architectures(), **heldout()}
    if args.only:
        bases = {k: v for k, v in bases.items() if k in args.only.split(",")}
    for arch, entry in bases.items():
        cfg = entry["config"]
        last = (cfg.get("text_config") or cfg)["num_hidden_layers"] - 1
        moe = any(cfg.get(k) for k in MOE) and any(".experts." in m for m in block_dims(cfg, last))
        for fmt in ("mlx-lm", "peft"):
            if moe:
                jobs.append((arch, entry, fmt, "attention", "attention only (the skeleton's cost)"))
            jobs.append(
                (arch, entry, fmt, "clean", "attention + every expert" if moe else "attention")
            )
    for arch, entry, fmt, variant, what in jobs:
        m = measure(arch, fmt, args.repeats, variant)
        ok = m["rss_mb"] < TARGET_MB and m["seconds"] < TARGET_S
        cpu_ok = m["rss_mb"] < TARGET_MB and m["cpu"] < TARGET_S
        cpu_met &= cpu_ok
        met &= ok
        rows.append(
            f"| {arch} | `{entry['config']['model_type']}` | {fmt} | {what} | {m['seconds']:.2f} s "
            f"| {m['cpu']:.2f} s | {m['check'] * 1000:.0f} ms | {m['cached'] * 1000:.0f} ms "
            f"| {m['rss_mb']:.0f} MB | {'yes' if ok else 'NO'} "
            f"| {'yes' if cpu_ok else 'NO'} |"
        )
        print(rows[-1], flush=True)
    if args.only:
        return 0 if met else 1
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_after = os.getloadavg()[0]
    section = "\n".join(
        [
            START,
            "## Verification per architecture (`bench/bench_architectures.py`)",
            "",
            f"{stamp}; median of {args.repeats} fresh processes per row (imports included), "
            "peak RSS = the child's VmHWM; a clean rank-8 adapter on the last two blocks "
            "(on MoE bases, once on attention only, the skeleton's own cost, and once with every "
            "expert of those blocks, where the adapter's own size adds). Target: under "
            f"{TARGET_MB:.0f} MB and {TARGET_S:.0f} s each. The machine is shared (2 cores, "
            f"several people): load average {load_before:.1f} before, {load_after:.1f} after; "
            "times on a busy machine are upper bounds.",
            "",
            "CPU time (user + system of the child) is what contention inflates least; the "
            "target is judged on wall time and, separately, on CPU time. Wall and CPU include "
            'the imports (what a CLI run pays); "check" is the load check alone once mlx-lm '
            'is imported (skeleton built), "cached" the same adapter checked again in the same '
            "process (the skeleton comes from the cache: what each further adapter of a base "
            "costs a census worker); peak RSS covers both checks.",
            "",
            "Bases of the held-out set (`tests/verify/data/heldout.json`) are listed with the "
            "matrix's.",
            "",
            "| base (config.json of) | model_type | format | adapter | wall | CPU | check "
            "| cached | peak RSS | met (wall) | met (CPU) |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            *rows,
            "",
            f"All targets met on wall time: {'yes' if met else 'no'}; "
            f"on CPU time: {'yes' if cpu_met else 'no'}.",
            END,
        ]
    )
    text = RESULTS.read_text() if RESULTS.exists() else ""
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text + "\n" + section
    RESULTS.write_text(text.rstrip() + "\n")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
