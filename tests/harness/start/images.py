"""Container images without a registry: built offline from the same releases the process
backend runs, cached by what they contain.

Two halves, because the tests have no network:
- `python -m tests.harness.start.images` (nox runs it before pytest, like the component installs)
  downloads what the images need: a Debian bookworm root filesystem (`debootstrap`, from the
  host's Debian mirror) and the wheels pinned in conf/litellm-image.txt. Both are cached by
  the hash of what produced them.
- `ensure(engine)` (inside the test namespace) imports the root filesystem and builds each
  image with `docker build --network none`, tagged with the name the published snippets use.
  An image whose `gateway-docs.content` label matches the hash of its inputs is kept, so a
  warm run builds nothing.

How the tested images differ from the official ones is stated on docs/how-to/production.md.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.harness.project import CACHE, LITELLM_VERSION, ROOT

MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"
# One root filesystem for every image: Python for LiteLLM, and Debian's own Redis, HAProxy and
# Prometheus (the versions the images below are tagged with).
PACKAGES = ["python3", "python3-venv", "ca-certificates", "redis-server", "haproxy",
            "prometheus"]
WHEELS_PIN = ROOT / "conf" / "litellm-image.txt"

# Published names (snippets/production/*) -> what the tested image runs. Versions are the
# Debian bookworm packages' upstream versions; a test checks them inside the images.
LITELLM_IMAGE = f"ghcr.io/berriai/litellm:v{LITELLM_VERSION}"
REDIS_IMAGE = "redis:7.0.15"
HAPROXY_IMAGE = "haproxy:2.6.12"
PROMETHEUS_IMAGE = "prom/prometheus:v2.42.0"

DOCKERFILES = {
    LITELLM_IMAGE: """\
COPY wheels /wheels
RUN python3 -m venv /opt/litellm \\
 && /opt/litellm/bin/pip install --no-index --find-links /wheels -r /wheels/litellm-image.txt \\
 && rm -rf /wheels
ENV PATH=/opt/litellm/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /app
EXPOSE 4000
ENTRYPOINT ["litellm"]
CMD ["--port", "4000"]
""",
    REDIS_IMAGE: """\
EXPOSE 6379
CMD ["redis-server"]
""",
    HAPROXY_IMAGE: """\
RUN mkdir -p /usr/local/etc/haproxy /run/haproxy
CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
""",
    PROMETHEUS_IMAGE: """\
RUN mkdir -p /etc/prometheus /prometheus
WORKDIR /prometheus
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
""",
}


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode())
    return h.hexdigest()[:12]


def rootfs_tar() -> Path:
    return CACHE / "images" / f"rootfs-{_digest(MIRROR, SUITE, *PACKAGES)}.tar"


def wheels_dir() -> Path:
    return CACHE / "images" / f"wheels-{_digest(WHEELS_PIN.read_bytes())}"


# -- Downloads (outside the namespace, before the tests) -------------------------------

def prepare() -> None:
    tar = rootfs_tar()
    if tar.exists():
        print(f"images: root filesystem cached in {tar}")
    else:
        tar.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=tar.parent) as tmp:
            rootfs = Path(tmp) / "rootfs"
            print(f"images: debootstrap {SUITE} (+{', '.join(PACKAGES)})", flush=True)
            subprocess.run(["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}",
                            SUITE, str(rootfs), MIRROR], check=True,
                           stdout=subprocess.DEVNULL)
            shutil.rmtree(rootfs / "var/cache/apt/archives", ignore_errors=True)
            subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tar) + ".part", "."], check=True)
            Path(str(tar) + ".part").rename(tar)
        print(f"images: root filesystem in {time.monotonic() - started:.0f} s", flush=True)
    wheels = wheels_dir()
    if (wheels / ".done").exists():
        print(f"images: wheels cached in {wheels}")
        return
    shutil.rmtree(wheels, ignore_errors=True)
    wheels.mkdir(parents=True)
    started = time.monotonic()
    # pip wheel: binary wheels as published, any sdist built here, so the image build needs
    # no compiler and no network.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "-w", str(wheels), "-r", str(WHEELS_PIN)], check=True)
    shutil.copyfile(WHEELS_PIN, wheels / "litellm-image.txt")
    (wheels / ".done").write_text("done\n")
    print(f"images: wheels in {time.monotonic() - started:.0f} s", flush=True)


# -- Builds (inside the namespace, on the harness's engine) -----------------------------

def _content(tag: str) -> str:
    inputs = [rootfs_tar().name, DOCKERFILES[tag]]
    if tag == LITELLM_IMAGE:
        inputs.append(wheels_dir().name)
    return _digest(*inputs)


def ensure(engine, tags: list[str] | None = None) -> dict[str, float]:
    """Build whatever is missing or stale; returns seconds spent per built image."""
    tags = tags or list(DOCKERFILES)
    missing = [p for p in (rootfs_tar(), wheels_dir() / ".done") if not p.exists()]
    if missing:
        raise FileNotFoundError(f"{missing[0]} is not prepared; run `python -m "
                                "tests.harness.start.images` (nox -s verify-docs does) first")
    spent = {}
    base = f"gateway-docs/bookworm-base:{_digest(rootfs_tar().name)}"
    for tag in tags:
        want = _content(tag)
        have = engine.docker("image", "inspect", "-f",
                             '{{index .Config.Labels "gateway-docs.content"}}', tag,
                             check=False).stdout.strip()
        if have == want:
            continue
        started = time.monotonic()
        if engine.docker("image", "inspect", base, check=False).returncode != 0:
            engine.docker("import", str(rootfs_tar()), base)
        with tempfile.TemporaryDirectory() as ctx:
            if tag == LITELLM_IMAGE:
                shutil.copytree(wheels_dir(), Path(ctx) / "wheels")
            (Path(ctx) / "Dockerfile").write_text(
                f"FROM {base}\nLABEL gateway-docs.content={want}\n" + DOCKERFILES[tag])
            engine.docker("build", "--network", "none", "-q", "-t", tag, ctx, timeout=900)
        spent[tag] = time.monotonic() - started
    return spent


if __name__ == "__main__":
    prepare()
