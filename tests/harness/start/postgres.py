"""PostgreSQL from Debian (`postgresql` 15): a throwaway cluster in a temporary directory,
listening on loopback only, started with `pg_ctl`-free `postgres -D` in the foreground so the
harness stops it by the PID it started.

initdb and postgres refuse to run as root; when the tests run as root (as in CI) the
cluster runs as Debian's unprivileged `postgres` user through `runuser`, which execs in
place (the PID the harness holds is the server's own process).
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

BIN = Path("/usr/lib/postgresql/15/bin")
START_TIMEOUT_S = 30


def why_unavailable() -> str | None:
    if not (BIN / "initdb").exists():
        return f"no PostgreSQL 15 at {BIN} (Debian package postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no unprivileged postgres user to run it as"
    return None


def _as_server_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@dataclass
class Postgres:
    port: int = 5432
    database: str = "gateway"
    workdir: Path | None = None
    proc: subprocess.Popen | None = None
    log_path: Path | None = field(default=None)

    @property
    def url(self) -> str:
        # trust authentication on loopback: a throwaway cluster only this test run reaches
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def init(self) -> Postgres:
        self.workdir = Path(tempfile.mkdtemp(prefix="pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres", "postgres")
        self.log_path = self.workdir / "server.log"
        r = subprocess.run(_as_server_user(
            [str(BIN / "initdb"), "-D", str(self.workdir / "data"), "-U", "postgres",
             "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]),
            capture_output=True, text=True, cwd=self.workdir)
        if r.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{r.stdout}\n{r.stderr}")
        return self

    def start(self) -> Postgres:
        # The first start of a cluster includes CREATE DATABASE (and initdb, unless init()
        # ran before); a later one (after an outage, stop()) is the server alone.
        first = not getattr(self, "_created", False)
        with starts.timed("PostgreSQL", "first start" if first else "restart"):
            return self._start()

    def _start(self) -> Postgres:
        if self.workdir is None:
            self.init()
        log = open(self.log_path, "ab")
        if os.geteuid() == 0:
            shutil.chown(self.log_path, "postgres", "postgres")
        self.proc = subprocess.Popen(_as_server_user(
            [str(BIN / "postgres"), "-D", str(self.workdir / "data"), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.workdir}",
             "-c", "fsync=off"]),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=self.workdir)
        log.close()
        self._wait_ready()
        if not getattr(self, "_created", False):
            self.sql(f"CREATE DATABASE {self.database}", database="postgres")
            self._created = True
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited:\n" + self.log())
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    r = subprocess.run([str(BIN / "pg_isready"), "-h", "127.0.0.1",
                                        "-p", str(self.port)], capture_output=True)
                    if r.returncode == 0:
                        return
            time.sleep(0.1)
        raise RuntimeError("postgres not ready:\n" + self.log())

    def sql(self, statement: str, database: str | None = None) -> str:
        r = subprocess.run([str(BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", "postgres", "-d", database or self.database, "-At",
                            "-v", "ON_ERROR_STOP=1", "-c", statement],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"psql {statement!r}: {r.stderr}")
        return r.stdout

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """Stop by PID (the process group the server leads); the data directory stays, so
        `start()` again brings the same database back (an outage, then recovery)."""
        stop_process_group(self.proc)
        self.proc = None

    def remove(self) -> None:
        self.stop()
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
