"""Run every benchmark in bench/ and record the results in bench/RESULTS.md (the one command).

    .venv/bin/python bench/run.py [--only NAME,...] [--skip NAME,...] [--runs N]

Each script (``bench_*.py`` and ``simulate_scale.py``) runs in its own subprocess, one after the
other (the machine has few cores: parallel benchmarks would measure each other). Scripts that
follow the protocol of ``common.py`` hand back a result dict through ``BENCH_JSON``; run.py
renders each into its section of RESULTS.md, between ``<!-- NAME:start -->`` and
``<!-- NAME:end -->``. Scripts that write their own section (bench_verify.py, bench_hub.py) are
run as they are and their sections left as they wrote them. A summary section records the
machine, date, versions, the load average and, for every script, its exit status, duration and
targets. Everything outside the sections run.py owns is preserved. The raw records of the last
run of each script are kept in bench/results.json, so a partial run (``--only``) updates its
rows of the summary and keeps the others.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, load_average, machine, python

BENCH = ROOT / "bench"
RESULTS = BENCH / "RESULTS.md"
RECORDS = BENCH / "results.json"
TIMEOUT_S = 3600
SUMMARY = "bench_summary"


def scripts() -> list[Path]:
    """The benchmark scripts, in a stable order (the fast targets first)."""
    order = ["bench_startup", "bench_full", "bench_policy", "simulate_scale"]
    found = [*sorted(BENCH.glob("bench_*.py")), BENCH / "simulate_scale.py"]
    found = [p for p in found if p.is_file()]
    return sorted(
        found, key=lambda p: (order.index(p.stem) if p.stem in order else len(order), p.stem)
    )


def run_one(path: Path, runs: int | None) -> dict[str, Any]:
    """Run one script in a subprocess; its result dict if it speaks the protocol."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        out = Path(tmp) / "result.json"
        env = dict(os.environ, BENCH_JSON=str(out))  # scripts choose offline themselves
        if runs:
            env["BENCH_RUNS"] = str(runs)
        start, load = time.perf_counter(), load_average()
        try:
            done = subprocess.run(
                [python(), str(path)],
                cwd=ROOT,
                env=env,
                text=True,
                capture_output=True,
                timeout=TIMEOUT_S,
                check=False,
            )
            code, stdout, stderr = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired:
            code, stdout, stderr = None, "", f"timed out after {TIMEOUT_S} s"
        record: dict[str, Any] = {
            "script": path.name,
            "name": path.stem,
            "exit": code,
            "load_before": load,
            "seconds": time.perf_counter() - start,
            "load_after": load_average(),
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        }
        print(stdout, end="")
        if code != 0:
            print(stderr[-3000:], file=sys.stderr)
        if out.is_file():
            record["result"] = json.loads(out.read_text())
        return record


def _fmt(value: float, unit: str) -> str:
    if unit == "s" and value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.3g} {unit}" if value < 100 else f"{value:,.0f} {unit}"


def render(record: dict[str, Any]) -> str:
    """The Markdown section of one protocol result."""
    r = record["result"]
    lines = [f"## {r['title']}", ""]
    lines += [f"- {s}" for s in r.get("setup", [])]
    lines += [
        "",
        "| measurement | median | min | max | runs |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for m in r.get("metrics", []):
        lines.append(
            f"| {m['name']} | {_fmt(m['median'], m['unit'])} | "
            f"{_fmt(m['min'], m['unit'])} | {_fmt(m['max'], m['unit'])} | {m['runs']} |"
        )
    lines.append("")
    lines += [f"- ratio {x['name']}: **{x['value']:.2f}x**" for x in r.get("ratios", [])]
    for t in r.get("targets", []):
        verdict = "**met**" if t["met"] else "**NOT met**"
        lines.append(
            f"- target: {t['name']} = {_fmt(t['value'], t['unit'])} "
            f"(target < {_fmt(t['limit'], t['unit'])}): {verdict}"
        )
    lines += [f"- {n}" for n in r.get("notes", [])]
    lines.append(
        f"- load average (1 min) {record['load_before']:.1f} before, "
        f"{record['load_after']:.1f} after; script took {record['seconds']:.0f} s"
    )
    return "\n".join(lines) + "\n"


def summary(records: list[dict[str, Any]], when: str) -> str:
    """Machine, date, versions and the outcome of every script."""
    m = machine()
    pkgs = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    lines = [
        "## Run summary (`python bench/run.py`)",
        "",
        f"{when}; {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM; {m['os']}; "
        f"Python {m['python']}; {pkgs}.",
        "The machine is shared and noisy: medians of repeated fresh runs are quoted; "
        "compare ratios, not absolute times, across machines.",
        "",
        "| script | run at | exit | took | targets |",
        "| --- | --- | --- | ---: | --- |",
    ]
    for rec in records:
        targets = rec.get("result", {}).get("targets")
        if targets:
            text = "; ".join(
                f"{t['name']}: {_fmt(t['value'], t['unit'])} {'met' if t['met'] else 'NOT met'}"
                for t in targets
            )
        elif "result" in rec:
            text = "no target (measurement only)"
        else:
            text = "writes its own section below"
        lines.append(
            f"| `{rec['script']}` | {rec.get('date', '')} | {rec['exit']} | "
            f"{rec['seconds']:.0f} s | {text} |"
        )
    return "\n".join(lines) + "\n"


def replace_section(doc: str, name: str, body: str, first: bool = False) -> str:
    """Put ``body`` between the markers of ``name``; add the section if it is new."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body}{end}"
    if start in doc and end in doc:
        head, rest = doc.split(start, 1)
        return head + block + rest.split(end, 1)[1]
    if first:
        title, _, rest = doc.partition("\n")
        return f"{title}\n\n{block}\n{rest}"
    return doc.rstrip("\n") + f"\n\n{block}\n"


def main() -> int:
    """Run the selected scripts and rewrite the sections they own."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated script names (stems)")
    parser.add_argument("--skip", default="", help="comma-separated script names to skip")
    parser.add_argument("--runs", type=int, help="repetitions for protocol scripts (BENCH_RUNS)")
    args = parser.parse_args()
    only = {s for s in args.only.split(",") if s}
    skip = {s for s in args.skip.split(",") if s}
    selected = [p for p in scripts() if (not only or p.stem in only) and p.stem not in skip]
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    records = [run_one(p, args.runs) for p in selected]
    # Read after the runs: scripts with their own section have just rewritten the file.
    doc = RESULTS.read_text() if RESULTS.is_file() else "# Benchmark results\n"
    for rec in records:
        if "result" in rec:
            doc = replace_section(doc, rec["name"], render(rec))
    kept = json.loads(RECORDS.read_text()) if RECORDS.is_file() else {}
    kept.update({rec["name"]: rec for rec in records})
    ordered = [kept[p.stem] for p in scripts() if p.stem in kept]
    doc = replace_section(doc, SUMMARY, summary(ordered, when), first=True)
    RESULTS.write_text(doc)
    RECORDS.write_text(json.dumps(kept, indent=2, sort_keys=True) + "\n")
    failed = [r["script"] for r in records if r["exit"] != 0]
    print(
        f"wrote {RESULTS.relative_to(ROOT)}" + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
