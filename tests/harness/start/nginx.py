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

from tests.harness.start.gateway import Gateway

NGINX_PATH = "/usr/sbin:/usr/bin:/bin"  # Debian installs nginx in /usr/sbin


class NginxGateway(Gateway):
    health_path = "/healthz"  # the published config answers it without a token
    component = "nginx"


def start(start: tuple[str, ...], files: dict[str, str | Path], port: int = 8080,
          env: dict[str, str] | None = None) -> NginxGateway:
    return NginxGateway(start, files, port, {"PATH": NGINX_PATH, **(env or {})}).launch()


def reader_name(path: Path) -> str:
    return re.sub(r"^\d+-", "", path.name)


SSL_FILE = re.compile(r"^\s*(ssl_certificate_key|ssl_certificate|ssl_client_certificate|"
                      r"ssl_trusted_certificate)\s+(\S+);", re.MULTILINE)


def _placeholder_tls_files(text: str, directory: Path) -> None:
    """Throwaway certificates under the file names a config's ssl_* directives give (a
    reader's own come from the company CA), so `nginx -t` can load them."""
    from tests.harness.start import tls
    named = SSL_FILE.findall(text)
    if not named:
        return
    leaf = tls.corp().ca.issue_cert("localhost")
    for directive, name in named:
        target = directory / name
        if directive == "ssl_certificate_key":
            leaf.private_key_pem.write_to_path(str(target))
        elif directive == "ssl_certificate":
            target.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        else:
            tls.corp().write_ca(target)


# A fragment (`*.fragment.conf`): lines a page tells the reader to put into a published
# template in place of one of its lines; its first line names both.
FRAGMENT_HOME = re.compile(r"^\s*# Put these lines in (\S+) in place of: (.+)$", re.MULTILINE)


def is_fragment(path: Path) -> bool:
    return path.name.endswith(".fragment.conf")


def with_fragment(fragment: Path) -> tuple[Path, str]:
    """(the published template the fragment names, that template's text with the fragment's
    lines, as written, in place of the line it names): what the reader's file becomes."""
    from tests.harness.project import SNIPPETS
    text = fragment.read_text()
    m = FRAGMENT_HOME.search(text)
    assert m, f"{fragment.name}: no '# Put these lines in <file> in place of: <line>'"
    name, line = m.groups()
    homes = [p for p in SNIPPETS.rglob("*") if p.is_file() and reader_name(p) == name]
    assert len(homes) == 1, f"{fragment.name}: {name} is {len(homes)} published files"
    home = homes[0].read_text()
    lines = re.findall(rf"^[ \t]*{re.escape(line.strip())}[ \t]*$", home, re.MULTILINE)
    assert len(lines) == 1, f"{fragment.name}: {line!r} is {len(lines)} lines of {name}"
    return homes[0], home.replace(lines[0], text.rstrip("\n"), 1)


def check_config(path: Path) -> None:
    """`nginx -t` on every config template (or plain `.conf`) in the snippet's folder (a
    `.map` is checked through the template that includes it, a fragment in the template it
    names), with a placeholder for each ${SECRET} and for each certificate file it names."""
    templates = [(t, t.read_text()) for t in sorted(path.parent.glob("*.conf.template"))
                 + sorted(path.parent.glob("*.conf")) if not is_fragment(t)]
    if is_fragment(path):
        home, text = with_fragment(path)
        path, templates = home, [(home, text)]
    assert templates, f"{path.name}: no nginx config template next to it"
    if path.suffix == ".map":
        templates = [(t, text) for t, text in templates if reader_name(path) in text]
        assert templates, f"{path.name}: no config template includes {reader_name(path)}"
    for template, text in templates:
        with tempfile.TemporaryDirectory() as tmp:
            for f in path.parent.glob("*.map"):
                shutil.copyfile(f, Path(tmp) / reader_name(f))
            for name in set(re.findall(r"\$\{([A-Z_]+)\}", text)):
                text = text.replace(f"${{{name}}}", "placeholder")
            _placeholder_tls_files(text, Path(tmp))
            conf = Path(tmp) / "gateway.conf"
            conf.write_text(text)
            r = subprocess.run(["nginx", "-e", "stderr", "-t", "-p", tmp, "-c", str(conf)],
                               capture_output=True, text=True, env={"PATH": NGINX_PATH})
            assert r.returncode == 0, f"nginx -t {template.name}:\n{r.stderr}"
