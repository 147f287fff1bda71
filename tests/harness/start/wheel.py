"""gateway-assistant as a wheel: before the tests (they have no network), build its sdist and
wheel with the reference page's own snippet (snippets/gateway-assistant/00-build-wheel.sh, run
in the checkout's root: `nox -s build`, which runs `python -m build`: the sdist, then the wheel
from the unpacked sdist, setuptools pinned by conf/constraints.txt), keep them in the cache,
and fetch PyYAML's wheel for each Python the package's classifiers name that this machine has.
tests/tools/test_wheel.py then installs the wheel with the page's install snippet, offline,
into a clean venv per Python.

Where a Python comes from: the one running the tests, `pythonX.Y` on PATH, or pyenv's
~/.pyenv/versions/X.Y.*. The project cannot install the others itself: PyPI, npm and Debian's
packages (the registries its machines reach) carry no CPython 3.9, 3.10, 3.12 or 3.13 for this
Debian (bookworm has 3.11 only), and the standalone builds uv and portable-python install are
downloaded from GitHub releases, not from a registry."""

from __future__ import annotations

import functools
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.harness.project import CACHE, ROOT, SNIPPETS

CONSTRAINTS = ROOT / "conf" / "constraints.txt"
BUILD = "gateway-assistant/00-build-wheel.sh"
INSTALL = "gateway-assistant/00-install-wheel.sh"
WHERE = "python{v} on PATH or ~/.pyenv/versions/{v}.*"


def build_args(out: Path | str) -> list[str]:
    """After `python`: build the sdist and, from it, the wheel into `out`."""
    return ["-m", "build", "--outdir", str(out), str(ROOT)]


def build_env() -> dict[str, str]:
    """The build backend pyproject.toml names, pinned: build's isolated environment installs it
    with pip, which reads PIP_CONSTRAINT."""
    return {"PIP_CONSTRAINT": str(CONSTRAINTS)}


def supported() -> list[str]:
    """The Python versions the package's classifiers name, oldest first."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    prefix = "Programming Language :: Python :: 3."
    return [f"3.{c.removeprefix(prefix)}" for c in project["classifiers"]
            if c.startswith(prefix) and c.removeprefix(prefix).isdigit()]


def pythons() -> dict[str, str | None]:
    """version -> an interpreter of it on this machine that can make a venv with pip, or None."""
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    found: dict[str, str | None] = {}
    for v in supported():
        candidates = [sys.executable] if v == running else []
        candidates += [shutil.which(f"python{v}"),
                       *sorted(glob.glob(str(Path.home() / f".pyenv/versions/{v}.*/bin/python{v}")),
                               reverse=True)]
        found[v] = next((c for c in candidates if c and _works(c, v)), None)
    return found


def _works(python: str, version: str) -> bool:
    check = ("import sys, venv, ensurepip; "
             f"sys.exit('%d.%d' % sys.version_info[:2] != {version!r})")
    return subprocess.run([python, "-c", check], capture_output=True).returncode == 0


@functools.cache
def folder() -> Path:
    """The cache folder for the package sources as this process first found them: dist/ (sdist,
    wheel), wheelhouse/."""
    h = hashlib.sha256(CONSTRAINTS.read_bytes() + (ROOT / "pyproject.toml").read_bytes()
                       + (ROOT / "MANIFEST.in").read_bytes() + (ROOT / "noxfile.py").read_bytes())
    for path in sorted([*(ROOT / "src").rglob("*"), *SNIPPETS.rglob("*")]):
        if path.is_file() and "__pycache__" not in path.parts and ".egg-info" not in str(path):
            h.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return CACHE / f"wheel-{h.hexdigest()[:12]}"


def dist() -> Path:
    return folder() / "dist"


def wheelhouse() -> Path:
    return folder() / "wheelhouse"


def prepare() -> None:
    work = folder()
    if not (work / ".built").exists():
        shutil.rmtree(work, ignore_errors=True)
        print(f"gateway-assistant: running snippets/{BUILD} (sdist and wheel)", flush=True)
        for old in (ROOT / "dist").glob("gateway_assistant-*"):
            old.unlink()
        # python3 is this environment's: the snippet installs nox into it, as into a reader's.
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}"
                                    f"{os.environ['PATH']}")
        built = subprocess.run(["bash", str(SNIPPETS / BUILD)], cwd=ROOT, env=env,
                               capture_output=True, text=True)
        made = sorted((ROOT / "dist").glob("gateway_assistant-*"))
        if built.returncode != 0 or len(made) != 2:
            shutil.rmtree(work, ignore_errors=True)
            sys.exit(f"gateway-assistant: snippets/{BUILD} failed:\n{built.stdout[-3000:]}"
                     f"\n{built.stderr[-3000:]}")
        (work / "dist").mkdir(parents=True)
        for path in made:
            shutil.copy2(path, work / "dist" / path.name)
        (work / ".built").write_text(hashlib.sha256((SNIPPETS / BUILD).read_bytes()).hexdigest())
    for version, python in pythons().items():
        marker = work / f".pyyaml-{version}"
        if python is None:
            print(f"gateway-assistant: no Python {version} here ({WHERE.format(v=version)}); "
                  "the wheel is not installed on it", flush=True)
        elif not marker.exists():
            # PyYAML for that interpreter, pinned, by that interpreter's own pip.
            subprocess.run([python, "-m", "pip", "download", "-q", "--disable-pip-version-check",
                            "--only-binary=:all:", "-c", str(CONSTRAINTS), "-d",
                            str(work / "wheelhouse"), "PyYAML"], check=True)
            marker.write_text(python + "\n")


if __name__ == "__main__":
    prepare()
