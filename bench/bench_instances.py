"""`nox -s bench-instances -- [N ...]`: N LiteLLM containers behind HAProxy, throughput and
latency overhead per N as ratios against the provider stand-in reached directly.

A benchmark, not a test: nothing asserts numbers. It runs in its own private network
namespace on the harness's engine and images (production guide config and balancer), and
writes its table to docs/_captured/production/bench-instances.txt with the machine named.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from tests.harness import isolation
from tests.harness.project import CAPTURED, SNIPPETS
from tests.harness.start import images
from tests.harness.start.docker_engine import Engine
from tests.harness.wire import anthropic_wire

KEY = "sk-litellm-change-me"
BODY = json.dumps({"model": "claude-haiku-5-5", "max_tokens": 16,
                   "messages": [{"role": "user", "content": "bench"}]}).encode()
REQUESTS, CONCURRENCY = 300, 8


def measure(url: str, headers: dict[str, str]) -> tuple[float, float, float]:
    """Requests per second, p50 and p95 latency (ms) for REQUESTS at CONCURRENCY."""
    latencies, lock = [], threading.Lock()
    counter = iter(range(REQUESTS))

    def worker():
        for i in counter:
            body = BODY.replace(b'"bench"', f'"bench {i} {time.time()}"'.encode())
            started = time.monotonic()
            req = urllib.request.Request(url + "/v1/messages", body,
                                         {"content-type": "application/json", **headers})
            with urllib.request.urlopen(req, timeout=60) as r:
                r.read()
            with lock:
                latencies.append((time.monotonic() - started) * 1000)
    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - started
    q = statistics.quantiles(latencies, n=20)
    return REQUESTS / seconds, statistics.median(latencies), q[18]


def haproxy_cfg(n: int) -> str:
    cfg = (SNIPPETS / "production/08-haproxy-tuned.cfg").read_text()
    servers = "".join(f"  server litellm-{i} 127.0.0.1:{4000 + i}\n" for i in range(1, n + 1))
    head = cfg[:cfg.index("  server litellm-1")]
    return head + servers


def main(counts: list[int]) -> None:
    why = isolation.enter_private_network()
    if why:
        sys.exit(why)
    from tests.harness.wire.provider_fake import serving
    work = Path(tempfile.mkdtemp(prefix="bench-instances-"))
    config = work / "config.yaml"
    # The production config without the response cache: every request must do real work.
    config.write_text((SNIPPETS / "production/02-config.yaml").read_text()
                      .replace("  cache: true\n", "  cache: false\n"))
    engine = Engine().start()
    rows = []
    try:
        images.ensure(engine)
        engine.docker("run", "-d", "--network", "host", "--name", "redis", images.REDIS_IMAGE,
                      "redis-server", "--save", "", "--appendonly", "no")
        with serving(anthropic_wire.install) as fake:
            direct = measure(fake.url, {"x-api-key": "sk-ant-your-anthropic-key"})
            running = 0
            for n in counts:
                for i in range(running + 1, n + 1):
                    engine.docker(
                        "run", "-d", "--network", "host", "--name", f"litellm-{i}",
                        "-v", f"{config}:/app/config.yaml:ro",
                        "-e", "ANTHROPIC_API_KEY=sk-ant-your-anthropic-key",
                        "-e", f"GATEWAY_MASTER_KEY={KEY}", "-e", f"ANTHROPIC_API_BASE={fake.url}",
                        "-e", "LITELLM_LOCAL_MODEL_COST_MAP=True",
                        "-e", "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS=True",
                        images.LITELLM_IMAGE, "--config", "/app/config.yaml",
                        "--port", str(4000 + i))
                running = n
                for i in range(1, n + 1):
                    _wait_live(4000 + i)
                (work / "haproxy.cfg").write_text(haproxy_cfg(n))
                engine.docker("rm", "-f", "haproxy", check=False)
                engine.docker("run", "-d", "--network", "host", "--name", "haproxy", "-v",
                              f"{work / 'haproxy.cfg'}:/usr/local/etc/haproxy/haproxy.cfg:ro",
                              images.HAPROXY_IMAGE)
                _wait_live(4000)
                time.sleep(3)  # every server's first health checks
                rows.append((n, *measure("http://127.0.0.1:4000",
                                         {"authorization": f"Bearer {KEY}"})))
                print(f"N={n}: {rows[-1][1]:.1f} req/s", flush=True)
    finally:
        engine.stop()
        shutil.rmtree(work, ignore_errors=True)
    d_rps, d50, d95 = direct
    lines = [f"nox -s bench-instances: {REQUESTS} non-streaming /v1/messages requests, "
             f"{CONCURRENCY} concurrent, per row",
             f"machine: {os.cpu_count()} cores, {platform.machine()}, "
             f"Linux {platform.release()}; shared with other jobs",
             f"direct to the provider stand-in: {d_rps:.0f} req/s, p50 {d50:.1f} ms, "
             f"p95 {d95:.1f} ms",
             "N instances | req/s | req/s vs direct | p50 vs direct | p95 vs direct"]
    lines += [f"{n:>11} | {rps:5.1f} | {rps / d_rps:15.3f} | {p50 / d50:13.1f} | "
              f"{p95 / d95:13.1f}" for n, rps, p50, p95 in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    out = CAPTURED / "production" / "bench-instances.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


def _wait_live(port: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/liveliness",
                                        timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"nothing live on {port} after {timeout} s")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 2, 4, 6, 8, 10])
