"""Long scenarios that run beside the rest of the suite, so their waits cost no wall time.

Some behaviour only shows after minutes: Claude Code's default retries (~3 minutes before a
failure shows), the 5-minute apiKeyHelper cache, a rate limit that never clears. A guide
declares such a scenario with `@background.scenario`; the test that asserts on it names it
with `@background.joins(scenario)`. When that test is collected, the plugin starts the
scenario in a thread as the session begins (after the network namespace is entered, so it
runs inside it), sorts the joining test to the end of the run (before the guards), and the
test gets what the scenario returned with `background.join(scenario)` (an exception in the
scenario is raised there).

A scenario brings its own world: its own provider fake on an ephemeral port (never 4000 or
another published port), its own Terminal under the directory it is given. It must not use
the shared fixtures, which the serial tests reset under it.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

Scenario = Callable[[Path], object]

JOIN_TIMEOUT_S = 900  # the longest scenario measured ~5.5 min on 2 busy cores


class _Run:
    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.result: object = None
        self.error: BaseException | None = None
        self.seconds = 0.0
        self.thread = threading.Thread(target=self._main, daemon=True,
                                       name=f"background:{scenario.__name__}")

    def _main(self):
        started = time.monotonic()
        workdir = Path(tempfile.mkdtemp(prefix=f"bg-{self.scenario.__name__}-"))
        atexit.register(shutil.rmtree, workdir, ignore_errors=True)  # results may point in
        try:
            self.result = self.scenario(workdir)
        except BaseException as e:  # handed to the joining test
            self.error = e
        finally:
            self.seconds = time.monotonic() - started


_RUNS: dict[Scenario, _Run] = {}


def scenario(fn: Scenario) -> Scenario:
    """Declare a long scenario: `fn(workdir) -> result`, run in a thread at session start."""
    fn.background_scenario = True
    return fn


def joins(*scenarios: Scenario):
    """Mark the test that asserts on these scenarios' results (it runs near the end)."""
    for s in scenarios:
        assert getattr(s, "background_scenario", False), f"{s.__name__} is not a @scenario"
    return pytest.mark.background(scenarios=scenarios)


def start(scenarios) -> None:
    for s in scenarios:
        if s not in _RUNS:
            _RUNS[s] = _Run(s)
            _RUNS[s].thread.start()


def join(s: Scenario):
    """What the scenario returned, once it finished (its exception, if it raised)."""
    run = _RUNS.get(s)
    if run is None:
        raise AssertionError(f"{s.__name__} was never started: mark the test "
                             f"@background.joins({s.__name__})")
    run.thread.join(JOIN_TIMEOUT_S)
    if run.thread.is_alive():
        raise AssertionError(f"{s.__name__} still running after {JOIN_TIMEOUT_S} s")
    if run.error is not None:
        raise run.error
    return run.result


def seconds(s: Scenario) -> float:
    return _RUNS[s].seconds
