"""`nox -s bench-gateways`: what a gateway adds to Claude Code's own route. One fast
recording provider fake; the same streaming `/v1/messages` request (a Claude-Code-shaped
body) sent directly and through each gateway, variants interleaved round by round so load on
the machine hits them alike; time to first byte and to the end of the stream, p50/p95, paired
differences against direct; throughput at concurrency; resident memory; and, for scale, real
`claude -p` round trips. Writes docs/_generated/bench-gateways.{json,md,svg}.

Paths: direct, nginx (twice), LiteLLM (the quickstart; and 2 workers), and the variants
`overhead_variants` starts (Claude apps gateway, LiteLLM in a container, Portkey's gateway);
one of those that cannot start here is left out with the reason, written into the results.

Runs in a private network namespace like the tests (literal ports, nothing leaves loopback).
Smaller runs for trying it out: BENCH_ROUNDS, BENCH_PER_CONCURRENCY, BENCH_CLAUDE_RUNS;
BENCH_VARIANTS=apps,container,portkey (a subset) starts only those extra variants."""

from __future__ import annotations

import contextlib
import datetime
import http.client
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import overhead_variants as extra
from bench.matrix import GENERATED
from bench.measure import (
    HEADERS,
    MASTER_KEY,
    Client,
    Discard,
    claude_code_body,
    claude_terminal,
    memory_mb,
    pct,
    wait_port,
)
from bench.overhead_variants import Variant
from tests.harness import isolation
from tests.harness.project import CLAUDE_CODE_VERSION, LITELLM_VERSION, SNIPPETS
from tests.harness.reader.terminal import Terminal
from tests.harness.start import components
from tests.harness.start.gateway import GatewayPool, stop_process_group
from tests.harness.wire import anthropic_wire
from tests.harness.wire.provider_fake import serving

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))
CONCURRENCY = (1, 8, 32)
PER_CONCURRENCY = int(os.environ.get("BENCH_PER_CONCURRENCY", "400"))  # per level and path
CLAUDE_RUNS = int(os.environ.get("BENCH_CLAUDE_RUNS", "15"))
EXTRA = os.environ.get("BENCH_VARIANTS", "apps,container,portkey").split(",")


NGINX_CONF = """daemon off; worker_processes 1; pid {dir}/nginx.pid; error_log stderr;
events {{ worker_connections 1024; }}
http {{ access_log off; client_body_temp_path {dir}; proxy_temp_path {dir};
  upstream provider {{ server 127.0.0.1:{upstream}; keepalive 16; }}
  server {{ listen 127.0.0.1:{port}; client_max_body_size 10m;
    location / {{ proxy_pass http://provider; proxy_http_version 1.1;
      proxy_set_header Connection ""; proxy_buffering off; {request_buffering} }} }} }}
"""
# With keep-alive to the upstream and the request body buffered, nginx sends Claude Code's
# ~20 KB body in pieces that wait for the upstream's delayed ACK: measured ~44 ms a request.
REQUEST_BUFFERING = {"nginx": "proxy_request_buffering off;",
                     "nginx, request buffering on": ""}


def start_nginx(upstream: int, port: int, request_buffering: str) -> subprocess.Popen:
    d = tempfile.mkdtemp(prefix="bench-nginx-")
    conf = Path(d) / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=d, upstream=upstream, port=port,
                                      request_buffering=request_buffering))
    proc = subprocess.Popen(["/usr/sbin/nginx", "-e", "stderr", "-p", d, "-c", str(conf)],
                            start_new_session=True, stderr=subprocess.DEVNULL)
    wait_port(port)
    return proc


def start_litellm_workers(provider_url: str, port: int, workers: int) -> subprocess.Popen:
    """The quickstart's config and start, with `--num_workers` added (not a page snippet:
    the quickstart runs one worker)."""
    d = Path(tempfile.mkdtemp(prefix="bench-litellm-"))
    (d / "config.yaml").write_bytes((SNIPPETS / "quickstart/02-config.yaml").read_bytes())
    env = {"HOME": str(d), "PATH": f"{components.litellm_bin()}:/usr/bin:/bin",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "ANTHROPIC_API_BASE": provider_url,
           "ANTHROPIC_API_KEY": "sk-ant-your-anthropic-key", "GATEWAY_MASTER_KEY": MASTER_KEY}
    proc = subprocess.Popen(["litellm", "--config", "config.yaml", "--port", str(port),
                             "--num_workers", str(workers)], cwd=d, env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_port(port, path="/health/liveliness", timeout=120)
    return proc


def sequential(variants: dict[str, Variant], body: bytes) -> dict[str, dict]:
    """Per path and round: (ttfb, total) or None for an error; rounds stay aligned, so
    the paired differences compare the same round."""
    clients = {name: Client(v.port, v.headers) for name, v in variants.items()}
    samples = {name: {"rounds": [], "errors": 0} for name in variants}
    # Warm each path (a fresh server's first requests can take seconds), then every
    # connection, interleaved: a connection left idle while the others warm would have been
    # closed by its server (keep-alive timeouts of a few seconds) and fail the first round.
    for _ in range(2):
        for c in clients.values():
            with contextlib.suppress(http.client.HTTPException, OSError):
                c.stream(body)
    for _ in range(10):
        for c in clients.values():
            with contextlib.suppress(http.client.HTTPException, OSError):
                c.stream(body)
    order = list(variants)
    for r in range(ROUNDS):
        random.shuffle(order)
        for name in order:
            try:
                ttfb, total, status = clients[name].stream(body)
            except (http.client.HTTPException, OSError):
                status = None
            ok = status == 200
            samples[name]["errors"] += not ok
            samples[name]["rounds"].append((ttfb, total) if ok else None)
        if (r + 1) % 50 == 0:
            print(f"  sequential: round {r + 1}/{ROUNDS}", flush=True)
    return samples


def summary(s: dict, base: dict) -> dict:
    ok = [x for x in s["rounds"] if x]
    out = {"n": len(ok), "errors": s["errors"]}
    if not ok:
        return out
    ttfb, total = [x[0] for x in ok], [x[1] for x in ok]
    out.update({"ttfb_p50_ms": pct(ttfb, .5) * 1000, "ttfb_p95_ms": pct(ttfb, .95) * 1000,
                "total_p50_ms": pct(total, .5) * 1000, "total_p95_ms": pct(total, .95) * 1000})
    # paired: round i of this path against round i direct, where both answered
    diffs = [a[1] - b[1] for a, b in zip(s["rounds"], base["rounds"]) if a and b]
    if diffs:
        out["paired_p50_ms"] = pct(diffs, .5) * 1000
        out["paired_p95_ms"] = pct(diffs, .95) * 1000
    return out


def concurrent(v: Variant, body: bytes, threads: int) -> dict:
    per_thread = max(1, PER_CONCURRENCY // threads)

    def worker(_):
        c, ok, lat = Client(v.port, v.headers), 0, []
        for _ in range(per_thread):
            try:
                _, total, status = c.stream(body)
                if status == 200:
                    ok += 1
                    lat.append(total)
            except (http.client.HTTPException, OSError):
                pass
        return ok, lat

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(worker, range(threads)))
    wall = time.perf_counter() - started
    ok = sum(r[0] for r in results)
    lat = [x for r in results for x in r[1]]
    return {"threads": threads, "requests": per_thread * threads, "ok": ok,
            "req_per_s": ok / wall, "p50_ms": pct(lat, .5) * 1000 if lat else None}


def claude_round_trips(terminals: dict[str, Terminal], runs: int) -> dict[str, float]:
    """Each path's own terminal (HOME) for all its runs, as a developer's machine keeps one."""
    times = {name: [] for name in terminals}
    order = list(terminals)
    for _ in range(runs):
        random.shuffle(order)
        for name in order:
            r = terminals[name].sh('claude -p "Reply with the word pong"')
            if r.code == 0:
                times[name].append(r.seconds)
    return {name: statistics.median(v) * 1000 for name, v in times.items() if v}


def main() -> None:
    why = isolation.enter_private_network()
    if why:
        sys.exit(f"bench-gateways needs a private network namespace: {why}")
    body = claude_code_body()
    results = {"date": datetime.date.today().isoformat(), "rounds": ROUNDS,
               "body_bytes": len(body), "litellm": LITELLM_VERSION,
               "claude_code": CLAUDE_CODE_VERSION,
               "machine": f"{os.cpu_count()} cores, {platform.machine()}, loopback",
               "loadavg_start": round(os.getloadavg()[0], 2),
               "variants": {}, "concurrency": {}, "rss_mb": {}, "left_out": {},
               "answers": {}, "not_concurrent": {}}
    pool = GatewayPool()
    procs = []
    with serving(anthropic_wire.install) as fake, contextlib.ExitStack() as stack:
        fake.requests = Discard()
        try:
            print("starting nginx, LiteLLM (1 worker, the quickstart), LiteLLM (2 workers)",
                  flush=True)
            for i, (name, setting) in enumerate(REQUEST_BUFFERING.items()):
                procs.append((name, start_nginx(fake.port, 8081 + i, setting)))
            lite = pool.get(("quickstart/03-start-gateway.sh",),
                            {"config.yaml": "quickstart/02-config.yaml"},
                            env={"ANTHROPIC_API_BASE": fake.url})
            procs.append(("LiteLLM, 2 workers", start_litellm_workers(fake.url, 4002, 2)))
            variants = [Variant("direct", fake.port, terminal=claude_terminal(fake.url)),
                        Variant("nginx", 8081, pgid=procs[0][1].pid),
                        Variant("nginx, request buffering on", 8082, pgid=procs[1][1].pid),
                        Variant("LiteLLM", 4000, pgid=lite.proc.pid,
                                terminal=claude_terminal("http://localhost:4000")),
                        Variant("LiteLLM, 2 workers", 4002, pgid=procs[2][1].pid),
                        *extra.start(stack, EXTRA, fake, body, HEADERS, results)]
            by_name = {v.name: v for v in variants}
            memory(results, variants, "at rest")
            samples = sequential(by_name, body)
            for name, s in samples.items():
                results["variants"][name] = summary(s, samples["direct"])
            for v in variants:
                if not results["variants"][v.name]["n"]:
                    results["not_concurrent"][v.name] = "no request succeeded one at a time"
                    continue
                results["concurrency"][v.name] = []
                for threads in CONCURRENCY:
                    print(f"  {v.name}: {threads} concurrent", flush=True)
                    results["concurrency"][v.name].append(concurrent(v, body, threads))
            memory(results, variants, "after load")
            print("claude -p round trips", flush=True)
            results["claude_round_trip_ms"] = claude_round_trips(
                {v.name: v.terminal for v in variants
                 if v.terminal and results["variants"][v.name]["n"]}, CLAUDE_RUNS)
        finally:
            stack.close()
            for _, proc in procs:
                stop_process_group(proc)
            pool.stop_all()
    results["loadavg_end"] = round(os.getloadavg()[0], 2)
    GENERATED.mkdir(exist_ok=True)
    (GENERATED / "bench-gateways.json").write_text(json.dumps(results, indent=1) + "\n")
    from bench.overhead_report import render_md, render_svg
    (GENERATED / "bench-gateways.md").write_text(render_md(results))
    (GENERATED / "bench-gateways.svg").write_text(render_svg(results))
    print(render_md(results))


def memory(results: dict, variants: list[Variant], when: str) -> None:
    for v in variants:
        if v.pgid:
            results["rss_mb"].setdefault(v.name, {})[when] = memory_mb(v.pgid)
        if v.companion:
            results["rss_mb"].setdefault(f"{v.name}: {v.companion[0]}", {})[when] = \
                memory_mb(v.companion[1])


if __name__ == "__main__":
    main()
