"""The start report adds up every process's starts (the lanes are several pytest processes)
and says which starts never became ready."""

from __future__ import annotations

import subprocess
import sys

from tests.harness.project import ROOT
from tests.harness.proof import records, starts

START = """
from tests.harness.proof import starts
starts.started("LiteLLM", "quickstart/03-start-gateway.sh | config.yaml | env X", 8.0, same="a")
starts.started("LiteLLM", "quickstart/03-start-gateway.sh | config.yaml | env X", 6.0, same="b",
               ready=False)
"""


def test_starts_of_several_processes_add_up(tmp_path):
    env = {"PATH": "/usr/bin:/bin", records.RECORDS_ENV: str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", START], cwd=ROOT, env=env, check=True)
    lines = [" ".join(line.split()) for line in starts.report(tmp_path).splitlines()]
    assert "LiteLLM 4 total 28.0 s median 7.0 s (2 never ready)" in lines
    assert "Redis 0" in lines
    assert any("4 starts of 2 distinct keys" in line and "1 distinct by name" in line
               for line in lines)
    assert "2 quickstart/03-start-gateway.sh | config.yaml | env X [a]" in lines
    assert "by ? ×2" in lines  # outside a test: no module to name


def test_a_start_names_the_test_file_that_asked_for_it():
    import threading
    assert starts._test_module() == "test_starts.py"
    seen = []
    worker = threading.Thread(target=lambda: seen.append(starts._test_module()))
    worker.start()
    worker.join()
    assert seen == ["background"]
