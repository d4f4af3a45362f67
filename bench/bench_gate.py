"""Benchmark: the Hub gate (``ailiance-audit serve``) on the loopback Hub with 50 ms latency.

The service runs as users start it (``python -m auditor serve``, its own process); the loopback
Hub (tests/hub/server.py with discussions) runs in this process with 50 ms added to every
response. Measured:

- **events accepted per second**: 8 client threads POST push events for distinct PR heads (each
  one a committed SQLite row, ``synchronous=FULL``), then the same events again (redeliveries,
  collapsed); the heads are on a repo the Hub does not have, so the workers drop them after one
  Hub call and barely compete with the intake;
- **webhook to comment**, p50 and p95: for the bundled example repo
  (``Ailiance-fr/apertus-math-lora``), one pull request at a time (no queueing), from the POST to
  the moment the bot's comment for that head is on the Hub, with ``--verify header`` and
  ``--verify load``. One untimed warm-up per level.

The "Hub gate" section of bench/RESULTS.md is rewritten.

    .venv/bin/python bench/bench_gate.py [--samples 10] [--events 400] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import httpx  # noqa: E402

from tests.hub.hubdata import HubData  # noqa: E402
from tests.hub.server import HubServer  # noqa: E402
from tests.serve.gate import BOT, SECRET, TOKEN, push_event  # noqa: E402

RESULTS = REPO / "bench" / "RESULTS.md"
START, END = "<!-- bench_gate:start -->", "<!-- bench_gate:end -->"
EXAMPLE = "Ailiance-fr/apertus-math-lora"
LATENCY = 0.05


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """``ailiance-audit serve`` in its own process."""

    def __init__(self, hub: HubServer, tmp: Path, verify: str) -> None:
        port = free_port()
        env = {
            **os.environ,
            "HF_ENDPOINT": hub.url,
            "HF_TOKEN": TOKEN,
            "WEBHOOK_SECRET": SECRET,
            "HF_HOME": str(tmp / f"hf-{verify}"),
        }
        cmd = [sys.executable, "-m", "auditor", "serve", "--port", str(port), "--verify", verify]
        cmd += ["--db", str(tmp / f"gate-{verify}.db"), "--log-level", "warning"]
        self.proc = subprocess.Popen(cmd, env=env, cwd=REPO, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}"
        # One client for every thread (httpx clients are thread-safe; building one per request
        # costs more CPU than the service spends on the request).
        self.client = httpx.Client(timeout=60, limits=httpx.Limits(max_connections=16))
        for _ in range(600):
            try:
                if self.client.get(f"{self.url}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("the service did not start")

    def post(self, payload: Any) -> int:
        headers = {"X-Webhook-Secret": SECRET, "Content-Type": "application/json"}
        body = json.dumps(payload)
        return self.client.post(f"{self.url}/webhook", content=body, headers=headers).status_code

    def stop(self) -> None:
        self.client.close()
        self.proc.terminate()
        self.proc.wait(30)


def intake(hub: HubServer, tmp: Path, events: int) -> dict[str, float]:
    svc = Service(hub, tmp, "none")
    try:
        heads = [push_event("bench/not-on-the-hub", i + 1, f"{i:040x}") for i in range(events)]
        rates = {}
        for name in ("distinct heads", "redeliveries"):
            started = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                codes = list(pool.map(svc.post, heads))
            took = time.perf_counter() - started
            assert codes == [202] * events, sorted(set(codes))
            rates[name] = events / took
        return rates
    finally:
        svc.stop()


def latencies(hub: HubServer, tmp: Path, verify: str, samples: int) -> list[float]:
    svc = Service(hub, tmp, verify)
    out = []
    try:
        for k in range(samples + 1):  # the first is an untimed warm-up
            readme = hub.data.get("model", EXAMPLE).commit("main").files["README.md"]  # type: ignore[union-attr]
            num, sha = hub.discussions.open_pr(
                "model",
                EXAMPLE,
                {"README.md": readme + f"\nRevision note {verify} {k}.\n".encode()},
            )
            started = time.perf_counter()
            assert svc.post(push_event(EXAMPLE, num, sha)) == 202
            while not any(
                c.author == BOT and f"sha={sha}" in c.content
                for c in hub.discussions.comments("model", EXAMPLE, num)
            ):
                if time.perf_counter() - started > 300:
                    raise RuntimeError(f"no comment for {sha} after 300 s")
                time.sleep(0.005)
            if k:
                out.append(time.perf_counter() - started)
    finally:
        svc.stop()
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    data = HubData.from_mirror(REPO / "examples" / "hub")
    load_before = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory(prefix="bench-gate-") as tmp,
        HubServer(data, latency=LATENCY) as hub,
    ):
        hub.discussions.add_user(TOKEN, BOT)
        rates = intake(hub, Path(tmp), args.events)
        lat = {v: latencies(hub, Path(tmp), v, args.samples) for v in ("header", "load")}
    text = render(rates, lat, args, load_before, os.getloadavg()[0])
    print(text)
    if not args.no_write:
        write_section(text)
    return 0


def render(
    rates: dict[str, float],
    lat: dict[str, list[float]],
    args: argparse.Namespace,
    before: float,
    after: float,
) -> str:
    day = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    lines = [
        "## Hub gate (`bench/bench_gate.py`)",
        "",
        f"{day}: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"1-minute load average {before:.1f} before, {after:.1f} after (shared machine: times are "
        "noisy). `ailiance-audit serve` in its own process (2 workers, SQLite WAL with "
        "synchronous=FULL); the loopback Hub in the benchmark's process with 50 ms added to every "
        "response.",
        "",
        "| intake | events | accepted per second |",
        "| --- | ---: | ---: |",
    ]
    for name, rate in rates.items():
        lines.append(f"| {name} (8 concurrent clients) | {args.events} | {rate:.0f} |")
    lines += [
        "",
        f"Webhook to comment for `{EXAMPLE}` (a PR that changes its card), one PR at a time, "
        f"{args.samples} samples after one warm-up; each audits the PR head and its base:",
        "",
        "| verify | p50 | p95 | min | max |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for level, values in lat.items():
        lines.append(
            f"| `--verify {level}` | {statistics.median(values):.2f} s | {pct(values, 0.95):.2f} s "
            f"| {min(values):.2f} s | {max(values):.2f} s |"
        )
    lines += [
        "",
        f"- p95 of {args.samples} samples is close to their maximum; the run is small on purpose "
        "(two cores shared with other work).",
    ]
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    """Replace (or append) our marked section of bench/RESULTS.md."""
    block = f"{START}\n{text.rstrip()}\n{END}\n"
    old = RESULTS.read_text(encoding="utf-8")
    if START in old and END in old:
        new = old[: old.index(START)] + block + old[old.index(END) + len(END) :].lstrip("\n")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
