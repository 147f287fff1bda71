"""`nox -s bench-resources`: what a gateway needs to run, for the FAQ's "what does it cost
me?". For LiteLLM (the quickstart: one worker; then `--num_workers` 2 and 4) and Claude apps
gateway (the tutorial's gateway.yaml, with its PostgreSQL counted apart): resident memory and
CPU at rest, then under a Claude Code-shaped load (streaming `/v1/messages`, the ~20 KB body of
`overhead.claude_code_body`, several keep-alive connections at once), CPU time per request
and memory after it. Each gateway runs alone, one after another, against one fast provider
fake; the machine's other load during each window is recorded beside the figures.
Writes docs/_generated/bench-resources.{json,md}.

CPU is read from /proc (utime + stime of every process in the gateway's process group);
memory is the sum of VmRSS over the same processes (shared pages counted once per process,
so several workers' figure is an upper bound)."""

from __future__ import annotations

import datetime
import http.client
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.matrix import GENERATED
from bench.measure import (
    MASTER_KEY,
    TICK,
    Discard,
    claude_code_body,
    cpu_s,
    group,
    memory_mb,
    pct,
    wait_port,
)
from tests.harness import isolation
from tests.harness.project import CLAUDE_CODE_VERSION, LITELLM_VERSION, SNIPPETS
from tests.harness.start import components
from tests.harness.start.gateway import GatewayPool, stop_process_group
from tests.harness.wire import anthropic_wire
from tests.harness.wire.provider_fake import serving

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "400"))
THREADS = 4  # developers sending at once, each on one keep-alive connection
REST_S = 10  # seconds of idle CPU measured after the gateway settled
SETTLE_S = 5
HEALTHCHECK_S = 120  # --timeout_worker_healthcheck for the multi-worker starts


def machine_busy_s() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine, wall seconds × cores) since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / TICK, sum(fields) / TICK


def own_cpu_s() -> float:
    """This process (the provider fake and the load's client threads)."""
    t = os.times()
    return t.user + t.system


class Window:
    """CPU of the gateway, of a companion (its database), of this process, of the machine."""

    def __init__(self, pgid: int, companion: int | None = None):
        self.pgid, self.companion = pgid, companion

    def __enter__(self):
        self.t0, self.g0, self.o0 = time.monotonic(), cpu_s(self.pgid), own_cpu_s()
        self.c0 = cpu_s(self.companion) if self.companion else 0.0
        self.m0 = machine_busy_s()
        self.load0 = os.getloadavg()[0]
        return self

    def __exit__(self, *exc):
        self.wall = time.monotonic() - self.t0
        self.gateway = cpu_s(self.pgid) - self.g0
        self.companion_cpu = (cpu_s(self.companion) - self.c0) if self.companion else 0.0
        self.own = own_cpu_s() - self.o0
        busy, total = machine_busy_s()
        self.machine_busy = (busy - self.m0[0]) / max(total - self.m0[1], 1e-9)
        self.others = max(0.0, (busy - self.m0[0]) - self.gateway - self.companion_cpu
                          - self.own) / self.wall / os.cpu_count()
        self.load = (self.load0, os.getloadavg()[0])


def load(port: int, headers: dict[str, str], body: bytes, requests: int) -> tuple[int, list]:
    per_thread = max(1, requests // THREADS)

    def worker(_):
        conn, ok, lat = http.client.HTTPConnection("127.0.0.1", port, timeout=60), 0, []
        for _ in range(per_thread):
            started = time.perf_counter()
            try:
                conn.request("POST", "/v1/messages", body, headers)
                resp = conn.getresponse()
                resp.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            if resp.status == 200:
                ok += 1
                lat.append(time.perf_counter() - started)
        conn.close()
        return ok, lat

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    return sum(r[0] for r in results), [x for r in results for x in r[1]]


def measure(name: str, pgid: int, port: int, headers: dict[str, str], body: bytes,
            companion: int | None = None) -> dict:
    print(f"{name}: settling, then {REST_S} s at rest", flush=True)
    time.sleep(SETTLE_S)
    out = {"rss_at_rest_mb": memory_mb(pgid), "processes": len(group(pgid))}
    with Window(pgid, companion) as rest:
        time.sleep(REST_S)
    out["cpu_at_rest_pct"] = 100 * rest.gateway / rest.wall
    out["rest_machine_busy_pct"] = 100 * rest.machine_busy
    ok, _ = load(port, headers, body, THREADS * 5)  # warm every connection and worker
    if not ok:
        raise RuntimeError(f"{name}: no request succeeded; is it serving /v1/messages?")
    print(f"{name}: {REQUESTS} requests, {THREADS} at once", flush=True)
    with Window(pgid, companion) as busy:
        ok, lat = load(port, headers, body, REQUESTS)
    out.update({
        "requests": REQUESTS // THREADS * THREADS, "ok": ok,
        "req_per_s": ok / busy.wall, "p50_ms": pct(lat, .5) * 1000,
        "cpu_ms_per_request": 1000 * busy.gateway / max(ok, 1),
        "cpu_pct_under_load": 100 * busy.gateway / busy.wall,
        "rss_after_load_mb": memory_mb(pgid), "peak_rss_mb": memory_mb(pgid, "VmHWM"),
        "load_machine_busy_pct": 100 * busy.machine_busy,
        "load_others_pct": 100 * busy.others,
        "loadavg": [round(x, 2) for x in busy.load],
    })
    if companion:
        out["companion_cpu_ms_per_request"] = 1000 * busy.companion_cpu / max(ok, 1)
        out["companion_rss_mb"] = memory_mb(companion)
    print(f"  {json.dumps(out)}", flush=True)
    return out


def start_litellm_workers(provider_url: str, port: int, workers: int):
    """The quickstart's config and start with `--num_workers` added (as overhead.py does),
    its output kept. With uvicorn's default 5 s worker health check, a worker still importing
    LiteLLM on a saturated machine misses the check, is killed and restarted, and the server
    never comes up (seen here): `--timeout_worker_healthcheck` gives workers the time."""
    d = Path(tempfile.mkdtemp(prefix="bench-litellm-"))
    (d / "config.yaml").write_bytes((SNIPPETS / "quickstart/02-config.yaml").read_bytes())
    env = {"HOME": str(d), "PATH": f"{components.litellm_bin()}:/usr/bin:/bin",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "ANTHROPIC_API_BASE": provider_url,
           "ANTHROPIC_API_KEY": "sk-ant-your-anthropic-key", "GATEWAY_MASTER_KEY": MASTER_KEY}
    with open(d / "litellm.log", "wb") as log:
        proc = subprocess.Popen(["litellm", "--config", "config.yaml", "--port", str(port),
                                 "--num_workers", str(workers),
                                 "--timeout_worker_healthcheck", str(HEALTHCHECK_S)],
                                cwd=d, env=env,
                                start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_port(port, path="/health/liveliness", timeout=600)
    except RuntimeError:
        stop_process_group(proc)
        raise RuntimeError((d / "litellm.log").read_text(errors="replace")[-2000:]) from None
    return proc


def litellm_headers() -> dict[str, str]:
    return {"content-type": "application/json", "anthropic-version": "2023-06-01",
            "authorization": f"Bearer {MASTER_KEY}",
            "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14"}


def apps_gateway(fake, body: bytes) -> dict:
    """The tutorial's gateway with its PostgreSQL and the IdP; a developer signs in once (the
    real /login and device page), and the load carries that developer's token."""
    from tests.harness.reader.terminal import Terminal
    from tests.harness.start import apps_gateway as ag
    from tests.harness.start import oidc_idp, postgres
    why = postgres.why_unavailable() or oidc_idp.why_unavailable()
    if why:
        return {"skipped": why}
    pg = postgres.Postgres().start()
    idp = oidc_idp.IdP().start()
    gw = None
    try:
        gw = ag.start({"gateway.yaml": "apps-gateway/01-gateway.yaml"},
                      ag.world(idp, pg, fake.url))
        t = Terminal(Path(tempfile.mkdtemp(prefix="bench-dev-")))
        t.settings("user", "apps-gateway/04-developer-settings.json")
        t.seed_first_run()
        ag.sign_in(t, "alice")
        token = json.loads(ag.credentials(t).read_text())["enterpriseGateway"]["jwt"]
        headers = {**litellm_headers(), "authorization": f"Bearer {token}"}
        out = measure("Claude apps gateway", gw.proc.pid, gw.port, headers, body,
                      companion=pg.proc.pid)
        out["inference_events"] = len(ag.events(gw, "inference"))
        return out
    finally:
        if gw:
            gw.stop()
        idp.stop()
        pg.remove()


def main() -> None:
    why = isolation.enter_private_network()
    if why:
        sys.exit(f"bench-resources needs a private network namespace: {why}")
    body = claude_code_body()
    results = {"date": datetime.date.today().isoformat(), "litellm": LITELLM_VERSION,
               "claude_code": CLAUDE_CODE_VERSION, "body_bytes": len(body),
               "threads": THREADS, "rest_s": REST_S,
               "machine": f"{os.cpu_count()} cores, {platform.machine()}, loopback",
               "gateways": {}}
    with serving(anthropic_wire.install) as fake:
        fake.requests = Discard()
        pool = GatewayPool()
        try:
            lite = pool.get(("quickstart/03-start-gateway.sh",),
                            {"config.yaml": "quickstart/02-config.yaml"},
                            env={"ANTHROPIC_API_BASE": fake.url})
            results["gateways"]["LiteLLM, 1 worker (the quickstart)"] = measure(
                "LiteLLM, 1 worker", lite.proc.pid, 4000, litellm_headers(), body)
        finally:
            pool.stop_all()
        for workers in (2, 4):
            name = f"LiteLLM, {workers} workers"
            print(f"starting {name}", flush=True)
            try:
                proc = start_litellm_workers(fake.url, 4002, workers)
            except RuntimeError as e:
                results["gateways"][name] = {"skipped": f"did not come up: {str(e)[-300:]}"}
                continue
            try:
                results["gateways"][name] = measure(name, proc.pid, 4002, litellm_headers(),
                                                    body)
            finally:
                stop_process_group(proc)
        try:
            results["gateways"]["Claude apps gateway"] = apps_gateway(fake, body)
        except Exception as e:  # recorded, so the LiteLLM figures are still written
            results["gateways"]["Claude apps gateway"] = {"skipped": f"failed: {e}"[:300]}
    GENERATED.mkdir(exist_ok=True)
    (GENERATED / "bench-resources.json").write_text(json.dumps(results, indent=1) + "\n")
    (GENERATED / "bench-resources.md").write_text(render_md(results))
    print(render_md(results))


def render_md(r: dict) -> str:
    lines = [f"Measured on {r['date']} by the nox session `bench-resources` ({r['machine']}; "
             f"LiteLLM {r['litellm']}; Claude Code {r['claude_code']}). Load: streaming "
             f"`/v1/messages`, a {r['body_bytes'] // 1024} KB Claude Code-shaped request, "
             f"{r['threads']} connections at once; each gateway measured alone.", "",
             "| Gateway | memory at rest | CPU at rest | CPU per request | memory after load "
             "| requests/s | machine busy (others) |",
             "|---|---|---|---|---|---|---|"]
    notes = []
    for name, g in r["gateways"].items():
        if "skipped" in g:
            notes.append(f"- {name}: not measured ({g['skipped']}).")
            continue
        cpu = f"{g['cpu_ms_per_request']:.1f} ms"
        if "companion_cpu_ms_per_request" in g:
            cpu += f" + {g['companion_cpu_ms_per_request']:.1f} ms PostgreSQL"
        lines.append(
            f"| {name} | {g['rss_at_rest_mb']:.0f} MB ({g['processes']} processes) | "
            f"{g['cpu_at_rest_pct']:.1f} % of a core | {cpu} | {g['rss_after_load_mb']:.0f} MB | "
            f"{g['req_per_s']:.0f} ({g['ok']}/{g['requests']} ok) | "
            f"{g['load_machine_busy_pct']:.0f} % ({g['load_others_pct']:.0f} %) |")
        if "companion_rss_mb" in g:
            notes.append(f"- {name}: its PostgreSQL used {g['companion_rss_mb']:.0f} MB "
                         "(its processes' resident memory, after the load).")
    lines += ["", "The several-worker rows are the quickstart's start with `--num_workers N "
              f"--timeout_worker_healthcheck {HEALTHCHECK_S}` added: with uvicorn's default "
              "5-second worker health check, workers still loading LiteLLM on this busy "
              "machine were killed and restarted without end.", "",
              "*Machine busy* is the share of all cores in use during the load, *others* "
              "the part of it neither the gateway nor the benchmark's own client and local fake "
              "provider used. Memory is the sum of the gateway's processes' resident memory "
              "(pages several workers share count once per process)."]
    if notes:
        lines += [""] + notes
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
