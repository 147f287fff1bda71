"""The custom enterprise gateway: the OS's nginx, started by a published start snippet on
published config files, byte for byte, in the foreground (`daemon off`), so the harness
stops it by the PID it started, like a LiteLLM gateway.

A published nginx config is a template (`*.conf.template`, secrets filled in by envsubst at
start) plus files it includes (`*.map`). Readers save each under its snippet name without the
`NN-` prefix; the static check below does the same and runs `nginx -t` on the result.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .gateway import Gateway

NGINX_PATH = "/usr/sbin:/usr/bin:/bin"  # Debian installs nginx in /usr/sbin


class NginxGateway(Gateway):
    health_path = "/healthz"  # the published config answers it without a token


def start(start: tuple[str, ...], files: dict[str, str | Path], port: int = 8080,
          env: dict[str, str] | None = None) -> NginxGateway:
    return NginxGateway(start, files, port, {"PATH": NGINX_PATH, **(env or {})}).launch()


def reader_name(path: Path) -> str:
    return re.sub(r"^\d+-", "", path.name)


def check_config(path: Path) -> None:
    """`nginx -t` on every config template in the snippet's folder (a `.map` is checked
    through the template that includes it), with a placeholder for each ${SECRET}."""
    templates = sorted(path.parent.glob("*.conf.template"))
    assert templates, f"{path.name}: no nginx config template next to it"
    if path.suffix == ".map":
        templates = [t for t in templates if reader_name(path) in t.read_text()]
        assert templates, f"{path.name}: no config template includes {reader_name(path)}"
    for template in templates:
        with tempfile.TemporaryDirectory() as tmp:
            for f in path.parent.glob("*.map"):
                shutil.copyfile(f, Path(tmp) / reader_name(f))
            text = template.read_text()
            for name in set(re.findall(r"\$\{([A-Z_]+)\}", text)):
                text = text.replace(f"${{{name}}}", "placeholder")
            conf = Path(tmp) / "gateway.conf"
            conf.write_text(text)
            r = subprocess.run(["nginx", "-e", "stderr", "-t", "-p", tmp, "-c", str(conf)],
                               capture_output=True, text=True, env={"PATH": NGINX_PATH})
            assert r.returncode == 0, f"nginx -t {template.name}:\n{r.stderr}"
