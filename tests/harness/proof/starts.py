"""Component starts: how many times the run started each component it drives, and what each
start cost (seconds from launch until the component was ready, or until it failed to be).

Every start function calls `started(component, key, seconds)` (or times its start with
`timed(component, key)`): `gateway.Gateway.launch` (LiteLLM as a process or a container,
nginx, HAProxy, Claude apps gateway), the terminal's Claude Code runs and sessions, the
browser, the Docker engine, PostgreSQL, Squid, Redis and the IdP. The starts are a run record
(`records.RunRecord`), so the lanes' pytest processes add up; `nox -s verify-docs` prints
`report(records_dir)` at its end, also after a failed lane.

`key` is a short readable label (for LiteLLM: start snippets, config file names, environment
variable names, never their values); `same` distinguishes starts whose label is alike but
whose bytes or values are not (a digest of config bytes and environment values). Two starts
with the same key and `same` could have shared one running component."""

from __future__ import annotations

import itertools
import os
import statistics
import threading
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path

from tests.harness.proof.records import RunRecord

STARTS = RunRecord("starts")
_serial = itertools.count()  # with the pid: every start is its own entry in the set

# The report's order; a component recorded under another name is listed after these.
COMPONENTS = ("LiteLLM", "Claude Code (terminal runs)", "Claude Code (sessions)",
              "Claude apps gateway", "Chromium", "Docker engine", "PostgreSQL", "nginx",
              "HAProxy", "Squid", "Redis", "OIDC IdP")
TOP = 10  # most-started LiteLLM keys listed


def started(component: str, key: str, seconds: float, *, same: str = "",
            ready: bool = True) -> None:
    """Record one start of `component`: `seconds` from launch to ready (`ready=False`: it
    exited or timed out first; the start still cost that long)."""
    STARTS.add((component, key, same, round(seconds, 3), ready, os.getpid(), next(_serial),
                _test_module()))


def _test_module() -> str:
    """The test file that asked for the start (a background scenario's thread: "background")."""
    if threading.current_thread() is not threading.main_thread():
        return "background"
    test = os.environ.get("PYTEST_CURRENT_TEST", "")
    return test.split("::")[0].removeprefix("tests/") if test else ""


@contextmanager
def timed(component: str, key: str = "", same: str = ""):
    """`with timed("Redis"): <start it and wait until it answers>`; an exception out of the
    block records the start as never ready."""
    t = time.monotonic()
    ready = False
    try:
        yield
        ready = True
    finally:
        started(component, key, time.monotonic() - t, same=same, ready=ready)


def report(records_dir: str | Path | None = None) -> str:
    """What every process of the run recorded in `records_dir` (default: this process's
    records): per component the starts, the seconds to ready in total and their median;
    for LiteLLM the distinct keys and the most-started ones."""
    entries = STARTS.all(Path(records_dir) if records_dir else None)
    by_component: dict[str, list] = defaultdict(list)
    for component, key, same, seconds, ready, *rest in entries:
        module = rest[2] if len(rest) > 2 else ""
        by_component[component].append((key, same, seconds, ready, module))
    names = [*COMPONENTS, *sorted(set(by_component) - set(COMPONENTS))]
    width = max(map(len, names))
    lines = ["component starts (seconds from launch to ready):"]
    for name in names:
        starts = by_component.get(name, [])
        if not starts:
            lines.append(f"  {name:<{width}}  {0:>3}")
            continue
        seconds = [s for _, _, s, _, _ in starts]
        failed = sum(1 for _, _, _, ready, _ in starts if not ready)
        lines.append(f"  {name:<{width}}  {len(starts):>3}  total {sum(seconds):7.1f} s  "
                     f"median {statistics.median(seconds):5.1f} s"
                     + (f"  ({failed} never ready)" if failed else ""))
    litellm = by_component.get("LiteLLM", [])
    if litellm:
        by_key = Counter((key, same) for key, same, *_ in litellm)
        modules: dict[tuple, Counter] = defaultdict(Counter)
        for key, same, *_, module in litellm:
            modules[key, same][module or "?"] += 1
        labels = {key for key, _ in by_key}
        lines.append(f"LiteLLM: {len(litellm)} starts of {len(by_key)} distinct keys (start "
                     f"snippets, config bytes, env values), {len(labels)} distinct by name "
                     "(start snippets, config files, env names); most started:")
        alike = Counter(key for key, _ in by_key)  # labels whose bytes or values differ
        for (key, same), n in sorted(by_key.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]:
            lines.append(f"  {n:>3}  {key}" + (f"  [{same}]" if alike[key] > 1 else ""))
            if n > 1:  # who asked for it again: where sharing would save starts
                lines.append("       by " + ", ".join(
                    f"{m} ×{c}" if c > 1 else m for m, c in modules[key, same].most_common()))
    return "\n".join(lines)
