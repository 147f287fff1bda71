"""The whole proof in parallel lanes. Most of a run waits (a gateway booting, Claude Code's
retries, a browser sign-in), so two pytest processes keep both cores busy. Each lane is its
own pytest process and so its own private network namespace (the plugin enters one per
process): the published ports, `localhost:4000` included, are free in each. The lanes share
one records directory, and the guards judge the union in a final `pytest -m guard`.

What shares a heavy world stays in one lane: the Docker engine (one engine at a time may hold
the image store, a lock in docker_engine.py) serves the production guide, the Kubernetes
manifests and the quickstart in a container; PostgreSQL, the IdP and the developers signed in
through the browser serve every Claude apps gateway page. That lane also takes a few long
guide files that need none of it (EVEN_OUT), so both lanes end at about the same time: left
alone, the other lane ran on for 15 minutes after it, using about one core of two. The other lane
runs every other test file, so a new test file is never left out.

Why two lanes and not three: a run with a third lane (the gateway guides and the published
configs split off, 2026-12-02) took as long (lanes 1628 s against 1600 s) with the cores 0 %
idle throughout (vmstat every 10 s), and one interactive session timed out under the extra
contention. The proof is CPU-bound: every whole run prints its CPU by component
(proof/cpu.py). On 2026-12-07, of ~3,100 CPU seconds: LiteLLM 865 (89 starts; importing its
proxy costs about 6 s of CPU per boot, `python -X importtime`, median of 3), Claude Code 471
(534 processes), Chromium 458 (axe-core's colour-contrast rule is nearly all of the
accessibility test's cost)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.harness.project import ROOT

QUICKSTART = "tests/guides/test_quickstart.py"

# The lane with the engines: its test files, and after them the quickstart again with the
# gateway in a container (the same engine, so the same lane).
ENGINES = ["tests/guides/test_production.py", "tests/guides/test_kubernetes.py",
           "tests/guides/test_apps_gateway.py", "tests/guides/test_apps_gateway_policy.py",
           "tests/guides/test_apps_gateway_operations.py",
           "tests/guides/test_apps_gateway_deploy.py",
           "tests/guides/test_apps_gateway_readiness.py",
           "tests/guides/test_apps_gateway_upstreams.py",
           "tests/guides/test_apps_gateway_network.py",
           # the conformance table has a Claude apps gateway row: the same developers
           "tests/tools/test_conformance_gateways.py", "tests/site"]
# Long files that need no engine, run in the engines lane to even the lanes out, chosen from
# each lane's "seconds per test file" line. 2026-12-07, with the Claude apps gateway's
# readiness test (141 s) added to the engines lane: engines 1634 s (published configs 248 s
# of it, Bedrock 77 s), guides 1396 s; Bedrock went back to the guides lane. Re-measure when
# a lane grows. Later on 2026-12-07: guides 1844 s, engines 1456 + 190 s; the FAQ's tests
# (105 s) moved over.
EVEN_OUT = ["tests/test_published_configs.py", "tests/guides/test_faq.py"]


def lanes(python: str, extra_args=()) -> dict[str, list[tuple[list[str], dict[str, str]]]]:
    """lane name -> the pytest runs it makes in order, each (argv, extra environment);
    extra_args (options such as --durations, never paths) go to every run."""
    for path in ENGINES + EVEN_OUT:  # a renamed file must not silently move lanes
        if not (ROOT / path).exists():
            raise FileNotFoundError(f"tests/harness/lanes.py names {path}, which is gone")
    pytest = [python, "-m", "pytest", "-m", "not guard", *extra_args]
    return {
        "engines": [(pytest + ENGINES + EVEN_OUT, {}),
                    (pytest + [QUICKSTART], {"GATEWAY_BACKEND": "container"})],
        "guides": [(pytest + ["tests"] + [f"--ignore={p}" for p in ENGINES + EVEN_OUT], {})],
    }


def split(args: list[str], python: str) -> dict[str, list[tuple[list[str], dict[str, str]]]]:
    """A page-scoped run's tests (node ids, modules, page sources) in two lanes, as the
    whole run: everything of a module in one lane (its fixtures set up once), the engines'
    modules together, the rest given to the lane with fewer tests so far."""
    by_module: dict[str, list[str]] = {}
    for a in args:
        by_module.setdefault(a.split("::")[0], []).append(a)
    engines = [a for m, items in by_module.items() if m in ENGINES
               or any(m.startswith(e.rstrip("/") + "/") for e in ENGINES) for a in items]
    loads = {"a": engines, "b": []}  # the engines' modules, if any, in lane a
    for _, items in sorted(by_module.items(), key=lambda kv: -len(kv[1])):
        if items[0] not in engines:
            min(loads.values(), key=len).extend(items)
    pytest = [python, "-m", "pytest", "-m", "not guard"]
    return {name: [(pytest + items, {})] for name, items in loads.items() if items}


def run(plan: dict[str, list[tuple[list[str], dict[str, str]]]], env: dict[str, str],
        log=print, together: bool = True, cpu=None) -> dict[str, int]:
    """Run every lane at once (together=False: one lane after another, the same runs without
    the parallelism, which is what `nox -s bench -- serial` measures against), each lane's
    runs in order; every output line is printed as it comes, prefixed with its lane. Returns
    each lane's worst exit code (pytest's 5, nothing collected, counts as a failure like any
    other non-zero code). `cpu`: a `cpu.Sampler` told of each pytest process."""
    lock = threading.Lock()
    codes: dict[str, int] = {}

    def lane(name: str, runs) -> None:
        worst = 0
        for argv, extra in runs:
            started = time.monotonic()
            with subprocess.Popen(argv, cwd=ROOT, env={**env, **extra}, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  bufsize=1) as proc:
                if cpu is not None:
                    cpu.watch(proc.pid)
                for line in proc.stdout:
                    with lock:
                        log(f"[{name}] {line.rstrip()}")
            with lock:
                log(f"[{name}] exit {proc.returncode} after {time.monotonic() - started:.0f}s: "
                    + " ".join(Path(a).name if a.startswith("/") else a for a in argv[1:]))
            worst = worst or proc.returncode
        codes[name] = worst

    if not together:
        for item in plan.items():
            lane(*item)
        return codes
    threads = [threading.Thread(target=lane, args=item, daemon=True) for item in plan.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


if __name__ == "__main__":  # the plan, for a reader of the CI log
    for name, runs in lanes(sys.executable).items():
        for argv, extra in runs:
            print(name, *(f"{k}={v}" for k, v in extra.items()), *argv[3:])
