"""gateway-assistant installed the way its reference page says (snippets/gateway-assistant/
00-install.sh, run in the checkout's root), once per tested Python: the oldest the package
declares (requires-python) and the one running the tests. Runs before the tests, like the
other installs (the tests have no network); cached by the bytes of the snippet, the package
and the interpreter's version."""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.harness.project import CACHE, ROOT, SNIPPETS

INSTALL = "gateway-assistant/00-install.sh"


def oldest_python() -> str:
    """The version requires-python names as the minimum, e.g. "3.9"."""
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    return spec.removeprefix(">=").strip()


def interpreters() -> dict[str, str | None]:
    """version -> path of an interpreter for it, or None when this machine has none."""
    found: dict[str, str | None] = {}
    oldest = oldest_python()
    candidates = [shutil.which(f"python{oldest}"),
                  *sorted(glob.glob(str(Path.home() / f".pyenv/versions/{oldest}.*/bin/python"
                                                     f"{oldest}")))]
    found[oldest] = next((c for c in candidates if c and _works(c)), None)
    found[f"{sys.version_info.major}.{sys.version_info.minor}"] = sys.executable
    return found


def _works(python: str) -> bool:
    return subprocess.run([python, "-c", "import venv"], capture_output=True).returncode == 0


def _digest(python: str) -> str:
    h = hashlib.sha256((SNIPPETS / INSTALL).read_bytes())
    h.update((ROOT / "pyproject.toml").read_bytes())
    for path in sorted([*(ROOT / "src").rglob("*"), *SNIPPETS.rglob("*")]):  # the wheel has both
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    h.update(subprocess.run([python, "-VV"], capture_output=True, text=True).stdout.encode())
    return h.hexdigest()[:12]


def venv(version: str, python: str) -> Path:
    return CACHE / f"gateway-assistant-py{version}-{_digest(python)}"


def install(version: str, python: str) -> Path:
    work = venv(version, python)
    if (work / ".installed").exists():
        return work
    shutil.rmtree(work, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(work)], check=True)
    env = dict(os.environ, PATH=f"{work / 'bin'}{os.pathsep}{os.environ['PATH']}",
               VIRTUAL_ENV=str(work))
    print(f"gateway-assistant: running snippets/{INSTALL} with Python {version}", flush=True)
    if subprocess.run(["bash", str(SNIPPETS / INSTALL)], cwd=ROOT, env=env).returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        sys.exit(f"gateway-assistant: snippets/{INSTALL} failed with Python {version}")
    (work / ".installed").write_text(python + "\n")
    return work


def install_all() -> None:
    for version, python in interpreters().items():
        if python is None:
            print(f"gateway-assistant: no Python {version} on this machine; not installed")
            continue
        install(version, python)
