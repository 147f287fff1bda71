"""A real corporate forward proxy: Squid (Debian's squid-openssl), started on loopback.

Why Squid rather than a Python proxy: it is what many companies run, and three things the
guides need are its own features, not test code: `hosts_file` (names such as
api.anthropic.com or llm-gateway.corp.example resolve *only inside the proxy*, so a request
that arrives proves it went through the proxy; there is no DNS in the test namespace),
`basic_ncsa_auth` (a 407 challenge with real Basic authentication), and `ssl_bump` (TLS
inspection that re-signs every site with the company's CA).

The access log uses one line per request, `METHOD URL STATUS USER`, which the tests read.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.proof import starts
from tests.harness.start.gateway import stop_process_group

SQUID = "/usr/sbin/squid"
HELPERS = Path("/usr/lib/squid")
START_TIMEOUT_S = 30


@dataclass
class Entry:
    method: str
    url: str
    status: int
    user: str

    def __str__(self) -> str:
        return f"{self.method} {self.url} {self.status} {self.user}"


@dataclass
class ForwardProxy:
    port: int = 3128
    hosts: dict[str, str] = field(default_factory=dict)  # name -> IP, known only to the proxy
    users: dict[str, str] | None = None  # Basic auth: user -> password (None: no auth)
    bump_ca: tuple[Path, Path] | None = None  # (cert, key): inspect TLS, re-sign with this CA
    upstream_ca: Path | None = None  # what the inspecting proxy trusts towards servers
    connect_ports: tuple[int, ...] = (443, 4000)  # CONNECT allowed only to these, as usual
    proc: subprocess.Popen | None = None
    workdir: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _config(self) -> str:
        w = self.workdir
        port_opts = ""
        lines = [
            f"pid_filename {w}/squid.pid",
            f"cache_log {w}/cache.log",
            "logformat hops %rm %ru %>Hs %un",
            f"access_log stdio:{w}/access.log hops",
            "cache deny all",
            "cache_mem 4 MB",
            f"coredump_dir {w}",
            f"hosts_file {w}/hosts",
            # No DNS in the namespace: names not in hosts_file fail at once.
            "dns_nameservers 127.0.0.1",
            "dns_timeout 2 seconds",
            "shutdown_lifetime 0 seconds",
            # No ICMP pinger: it runs in a session of its own and outlived every stop.
            "pinger_enable off",
            f"acl allowed_connect port {' '.join(map(str, self.connect_ports))}",
            "http_access deny CONNECT !allowed_connect",
        ]
        if os.geteuid() == 0:
            lines.append("cache_effective_user proxy")
        if self.users is not None:
            lines += [
                f"auth_param basic program {HELPERS}/basic_ncsa_auth {w}/passwd",
                "auth_param basic realm corporate proxy",
                "acl authenticated proxy_auth REQUIRED",
                "http_access allow authenticated",
            ]
        else:
            lines.append("http_access allow localhost")
        lines.append("http_access deny all")
        if self.bump_ca:
            cert, key = self.bump_ca
            port_opts = (f" ssl-bump tls-cert={cert} tls-key={key}"
                         " generate-host-certificates=on dynamic_cert_mem_cache_size=4MB")
            lines += [
                f"sslcrtd_program {HELPERS}/security_file_certgen -s {w}/ssl_db -M 4MB",
                "sslcrtd_children 2 startup=1 idle=1",
                "acl step1 at_step SslBump1",
                "ssl_bump peek step1",
                "ssl_bump bump all",
            ]
            if self.upstream_ca:
                lines.append(f"tls_outgoing_options cafile={self.upstream_ca}")
        lines.insert(0, f"http_port 127.0.0.1:{self.port}{port_opts}")
        return "\n".join(lines) + "\n"

    def start(self) -> ForwardProxy:
        kind = ", ".join(k for k, on in (("Basic auth", self.users is not None),
                                          ("ssl-bump", self.bump_ca)) if on) or "plain"
        with starts.timed("Squid", kind):
            return self._start()

    def _start(self) -> ForwardProxy:
        if not Path(SQUID).exists():
            raise RuntimeError("squid is not installed: apt-get install squid-openssl")
        self.workdir = Path(tempfile.mkdtemp(prefix="forward-proxy-"))
        w = self.workdir
        (w / "hosts").write_text("".join(f"{ip} {name}\n" for name, ip in self.hosts.items()))
        if self.users is not None:
            (w / "passwd").write_text("".join(
                f"{user}:{_apr1(password)}\n" for user, password in self.users.items()))
        (w / "squid.conf").write_text(self._config())
        for name in ("access.log", "cache.log"):
            (w / name).touch()
        if self.bump_ca:
            subprocess.run([f"{HELPERS}/security_file_certgen", "-c", "-s", str(w / "ssl_db"),
                            "-M", "4MB"], check=True, capture_output=True)
        if os.geteuid() == 0:  # Squid drops to the proxy user; it must write its logs
            proxy = pwd.getpwnam("proxy")
            for p in [w, *w.rglob("*")]:
                os.chown(p, proxy.pw_uid, proxy.pw_gid)
        self.proc = subprocess.Popen(
            [SQUID, "-N", "-f", str(w / "squid.conf")], cwd=w,
            stdout=subprocess.DEVNULL, stderr=open(w / "stderr.log", "wb"),
            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"squid exited with {self.proc.returncode}:\n"
                                   + (w / "stderr.log").read_text() + self.cache_log())
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("squid did not listen in time:\n" + self.cache_log())

    def cache_log(self) -> str:
        return (self.workdir / "cache.log").read_text(errors="replace")

    def log(self) -> list[Entry]:
        """The access log so far (Squid writes a line when a request or tunnel ends)."""
        entries = []
        for line in (self.workdir / "access.log").read_text().splitlines():
            method, url, status, user = line.split(" ")
            entries.append(Entry(method, url, int(status), user))
        return entries

    def clear_log(self) -> None:
        # Truncate in place: Squid keeps the file open.
        with open(self.workdir / "access.log", "r+") as f:
            f.truncate(0)

    def stop(self) -> None:
        """Stop by PID: the process group of the squid we started."""
        if self.proc is None:
            return
        stop_process_group(self.proc)
        self.proc = None
        shutil.rmtree(self.workdir, ignore_errors=True)


def _apr1(password: str) -> str:
    """An htpasswd line's hash that basic_ncsa_auth accepts (Apache MD5). The openssl
    command comes with ca-certificates, which squid-openssl recommends."""
    return subprocess.run(["openssl", "passwd", "-apr1", "-stdin"], input=password,
                          capture_output=True, text=True, check=True).stdout.strip()
