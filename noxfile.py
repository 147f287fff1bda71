"""Sessions: docs (build), serve (build + serve on 127.0.0.1), verify-docs (the whole proof),
build (gateway-assistant's sdist and wheel),
a11y (the reader-experience tests alone), capture (re-record observed outputs), lint.
Versions come from conf/."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
CONSTRAINTS = ("-c", str(ROOT / "conf" / "constraints.txt"))
# DOCS_OUT: build elsewhere (two checkouts' or two people's builds never share one folder).
BUILD = Path(os.environ.get("DOCS_OUT") or ROOT / "docs" / "_build" / "html").resolve()

QUICKSTART = "tests/guides/test_quickstart.py"

nox.options.sessions = ["verify-docs"]
nox.options.reuse_venv = "yes"


def install(session: nox.Session, *groups: str) -> None:
    reqs = [r for g in groups for r in nox.project.dependency_groups(PYPROJECT, g)]
    session.install(*CONSTRAINTS, *reqs)


def build_docs(session: nox.Session) -> None:
    # -W: warnings fail the build; -n: every cross-reference must resolve. -E: a fresh
    # environment every time, because sphinx-sitemap lists only the pages a build wrote (its
    # open issue 13): after an edit to one page, an incremental build's sitemap.xml held two
    # pages and test_sitemap_lists_every_page_under_the_base_url failed.
    session.run("sphinx-build", "-W", "-n", "-E", "--keep-going", "-q", "-b", "html",
                "docs", str(BUILD))
    # A markdown copy of every page beside its HTML (llms.txt links to them); own doctrees,
    # so neither build invalidates the other's cache.
    session.run("sphinx-build", "-W", "-n", "--keep-going", "-q", "-b", "markdown",
                "-d", str(BUILD.parent / "doctrees-markdown"), "docs", str(BUILD))


# Programs the proof drives that pip cannot install: command -> Debian package.
SYSTEM_TOOLS = {
    "tmux": "tmux",  # Claude Code's interactive screens (/status)
    "curl": "curl",  # readers' verification commands
    "nginx": "nginx",  # the custom enterprise gateway (how-to/enterprise-gateway)
    "envsubst": "gettext-base",  # fills secrets into that gateway's config at start
    # Squid with ssl-bump: the corporate proxy (plain, Basic auth, TLS-inspecting)
    "/usr/lib/squid/security_file_certgen": "squid-openssl",
    "chromium": "chromium",  # the reader's browser: sign-in flows, the site's own checks
    "/usr/lib/postgresql/15/bin/initdb": "postgresql",  # Claude apps gateway's database
    "dockerd": "docker.io",  # the container backend and the production guide
    "debootstrap": "debootstrap",  # the offline base image for containers
    "redis-server": "redis-server",  # shared state between gateway instances
    "haproxy": "haproxy",  # the production guide's load balancer
    "ip": "iproute2",  # a non-loopback address on the test namespace's lo (apps gateway)
    "prometheus": "prometheus",  # metrics scraped from every gateway instance
    "docker-compose": "docker-compose",  # the production guide (Compose v1, what Debian has)
    "strace": "strace",  # every connection a process opens (Foundry without an endpoint)
    "promtool": "prometheus",  # the alert rules' check and unit tests
}


def need_system_tools(session: nox.Session) -> None:
    missing = sorted({pkg for cmd, pkg in SYSTEM_TOOLS.items() if not shutil.which(cmd)})
    if not missing:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", *missing,
                    external=True, env={"DEBIAN_FRONTEND": "noninteractive"})
    else:
        session.error("missing programs; install them first: "
                      f"sudo apt-get install {' '.join(missing)}")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site with warnings as errors."""
    install(session, "docs")
    build_docs(session)


@nox.session
def serve(session: nox.Session) -> None:
    """Build the site and serve it at http://127.0.0.1:8000 (Ctrl-C stops)."""
    install(session, "docs")
    build_docs(session)
    session.log("serving http://127.0.0.1:8000")
    session.run("python", "-m", "http.server", "--bind", "127.0.0.1", "--directory",
                str(BUILD), "8000")


def prove(session: nox.Session, env: dict[str, str]) -> None:
    timings = {}
    started = time.monotonic()
    install(session, "docs", "test")
    session.install("-e", ".")
    need_system_tools(session)
    timings["tools"] = time.monotonic() - started
    t = time.monotonic()
    # Runs the quickstart's own install snippets (the only step that needs the network).
    session.run("python", "-m", "tests.harness.start.components")
    timings["pinned LiteLLM + Claude Code"] = time.monotonic() - t
    t = time.monotonic()
    # What the container images need from the network (a Debian root filesystem, the pinned
    # wheels); the images themselves are built offline inside the tests' namespace.
    session.run("python", "-m", "tests.harness.start.images")
    timings["image downloads"] = time.monotonic() - t
    t = time.monotonic()
    build_docs(session)
    timings["site build"] = time.monotonic() - t
    t = time.monotonic()
    # Two phases over one records directory: the tests (in parallel lanes, several pytest
    # processes) append what they ran, checked and passed there; then the guards judge the
    # union. A run narrowed to some tests (paths, -k, -m) runs those tests only: the guards
    # would rightly fail on what it left out.
    # GATEWAY_BACKEND=container|process (default process) selects the backend for the suite.
    backend = os.environ.get("GATEWAY_BACKEND", "process")
    records = tempfile.mkdtemp(prefix="gateway-docs-records-")
    run_env = {"DOCS_BUILD": str(BUILD), "GATEWAY_DOCS_RECORDS": records,
               "GATEWAY_BACKEND": backend, **env}
    narrowed = any(a.startswith(("-k", "-m")) or Path(a.split("::")[0]).exists()
                   for a in session.posargs)
    # Pages given (docs/…/page.md): prove those pages alone, guards included.
    from tests.harness.proof import page_scope
    pages = [d for a in session.posargs if (d := page_scope.docname(a))]
    failed: dict[str, int] = {}
    try:
        if pages:
            from tests.harness import lanes
            chosen = page_scope.selection(pages, BUILD)
            plan = lanes.split(chosen, str(Path(session.bin) / "python"))
            session.log(f"proving {', '.join(pages)}: {len(chosen)} test paths in "
                        f"{len(plan)} lane(s)")
            codes = lanes.run(plan, {**os.environ, "PATH": f"{session.bin}:{os.environ['PATH']}",
                                     **run_env}, log=lambda line: print(line, flush=True))
            timings["tests (the pages')"] = time.monotonic() - t
            failed = {name: code for name, code in codes.items() if code}
            t = time.monotonic()
            session.run("python", "-m", "pytest", "-m", "guard", "tests/test_coverage_guard.py",
                        "tests/test_claims_guard.py",
                        env={**run_env, page_scope.PAGES_ENV: ",".join(pages)},
                        success_codes=[0, 1] if failed else [0])
            timings["guards (the pages')"] = time.monotonic() - t
            if failed:
                session.error("tests failed in lane(s) " + ", ".join(
                    f"{name} (exit {code})" for name, code in failed.items()))
            return
        if narrowed or backend != "process":
            session.run("python", "-m", "pytest", "-m", "not guard", *session.posargs,
                        env=run_env)
            timings[f"tests ({backend} backend)"] = time.monotonic() - t
        else:
            # The full proof: two lanes at once (tests/harness/lanes.py), the quickstart
            # again with the gateway in a container among them.
            from tests.harness import lanes
            plan = lanes.lanes(str(Path(session.bin) / "python"), session.posargs)
            session.log("lanes: " + "; ".join(
                f"{name}: {len(runs)} pytest run(s)" for name, runs in plan.items()))
            # GATEWAY_DOCS_LANES=serial: the same lanes one after another (the bench's
            # "before parallelism").
            together = os.environ.get("GATEWAY_DOCS_LANES", "together") != "serial"
            from tests.harness.proof import cpu
            with cpu.Sampler() as usage:
                codes = lanes.run(plan, {**os.environ,
                                         "PATH": f"{session.bin}:{os.environ['PATH']}",
                                         **run_env}, log=lambda line: print(line, flush=True),
                                  together=together, cpu=usage)
            timings["tests (lanes" + ("" if together else ", serial") + ")"] = \
                time.monotonic() - t
            session.log(usage.report(time.monotonic() - t))
            failed = {name: code for name, code in codes.items() if code}
        if not narrowed:
            # The guards run and report even after a lane failed: one run tells of every
            # uncovered block and unproven claim, not only of the failed tests.
            t = time.monotonic()
            session.run("python", "-m", "pytest", "-m", "guard", "tests", env=run_env,
                        success_codes=[0, 1] if failed else [0])
            timings["guards"] = time.monotonic() - t
        if failed:
            session.error("tests failed in lane(s) " + ", ".join(
                f"{name} (exit {code})" for name, code in failed.items()))
        if not session.posargs:  # the whole proof passed: record it, and the pages say so
            record = write_proof_record(records)
            session.log(f"proof record {record['date']}: {record['tests_passed']} tests passed; "
                        "commit conf/last-verified.json")
            session.run("sphinx-build", "-W", "-n", "-E", "--keep-going", "-q", "-b", "html",
                        "docs", str(BUILD))
    finally:
        # Also when a lane failed (and for a narrowed run): how often each component started
        # and what its starts cost, from every process's records; then how long each phase
        # took up to there.
        from tests.harness.proof import starts
        try:
            session.log(starts.report(records))
            if not session.posargs:  # the map a page-scoped run selects its tests from
                page_scope.save_map(Path(records))
        except (OSError, ValueError) as e:  # a line torn by a killed process: still finish
            session.warn(f"component starts: no report ({e})")
        shutil.rmtree(records, ignore_errors=True)
        session.log("phases: " + ", ".join(f"{k} {v:.0f}s" for k, v in timings.items()))


def write_proof_record(records: str) -> dict:
    """conf/last-verified.json: what this passing run verified (docs/_ext/last_verified.py)."""
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    import tomllib

    import last_verified

    pins = tomllib.loads((ROOT / "conf" / "versions.toml").read_text())
    return last_verified.write(
        time.strftime("%Y-%m-%d", time.gmtime()),
        {"LiteLLM": pins["litellm"]["version"], "Claude Code": pins["claude_code"]["version"]},
        Path(records), BUILD / "claims.json")


@nox.session(name="verify-docs")
def verify_docs(session: nox.Session) -> None:
    """Build the site and run every snippet against the real components."""
    prove(session, {})


@nox.session
def a11y(session: nox.Session) -> None:
    """The site as readers meet it (tests/site/): axe-core on every page in light and dark at
    1280 and 390 px, copy buttons, search, phone widths, links and machine-readable files.
    verify-docs runs the same tests with everything else."""
    install(session, "docs", "test")
    if not shutil.which("chromium"):
        need_system_tools(session)
    build_docs(session)
    session.run("python", "-m", "pytest", "tests/site", *session.posargs,
                env={"DOCS_BUILD": str(BUILD)})


@nox.session
def capture(session: nox.Session) -> None:
    """Re-record every "you should see" output from a real run, then rebuild the site."""
    prove(session, {"UPDATE_CAPTURES": "1"})
    build_docs(session)


@nox.session
def build(session: nox.Session) -> None:
    """gateway-assistant's sdist and wheel (the wheel built from the sdist) into dist/, or the
    folder given: `nox -s build -- DIR`. The build backend is pinned in conf/constraints.txt;
    verify-docs builds the same way before its tests (tests/harness/start/wheel.py)."""
    from tests.harness.start import wheel
    install(session, "build")
    out = Path(session.posargs[0]).resolve() if session.posargs else ROOT / "dist"
    session.run("python", *wheel.build_args(out), env=wheel.build_env())


@nox.session
def lint(session: nox.Session) -> None:
    """ruff on the Python, shellcheck on every shell snippet and CI script, a secret scan."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    scripts = sorted(str(p) for p in (ROOT / "snippets").rglob("*.sh")) + [".ci/run"]
    session.run("shellcheck", "--shell=bash", "--exclude=SC1091", *scripts)
    secret_scan(session)


SCANNED = ("docs", "snippets", "conf")


def secret_scan(session: nox.Session) -> None:
    """detect-secrets over docs/, snippets/ and conf/: any finding fails, except values the
    allowlist in conf/ names (placeholders, variable references). Then a planted key must be
    found, so a scan that finds nothing cannot pass unnoticed."""
    allow = ROOT / "conf" / "secret-scan-allowlist.txt"
    excludes = [arg for line in allow.read_text().splitlines()
                if line.strip() and not line.startswith("#")
                for arg in ("--exclude-secrets", line)]
    # The proof record holds a sha256 of the proof's inputs: high entropy by design, no secret.
    skip = r"(^|/)(_build|__pycache__)/|\.(png|svg|ico|woff2?)$|^conf/last-verified\.json$"
    files = sorted(str(p.relative_to(ROOT)) for d in SCANNED for p in (ROOT / d).rglob("*")
                   if p.is_file() and not re.search(skip, str(p.relative_to(ROOT))))
    # -n: no verification calls to the providers (the scan stays offline).
    hook = ["detect-secrets-hook", "-n", "--exclude-files", skip, *excludes]
    session.run(*hook, *files)
    with tempfile.TemporaryDirectory() as tmp:
        planted = Path(tmp) / "planted.sh"
        # Fresh random values shaped like an Anthropic key and an AWS secret key.
        planted.write_text(
            f'export ANTHROPIC_API_KEY="sk-ant-api03-{secrets.token_urlsafe(64)}"\n'
            f'export AWS_SECRET_ACCESS_KEY="{secrets.token_urlsafe(30)}"\n')
        found = session.run(*hook, str(planted), success_codes=[1], silent=True) or ""
        missed = [n for n in (1, 2) if f"planted.sh:{n}" not in found]
        if missed:
            session.error(f"the secret scan missed planted keys on lines {missed}:\n{found}")


@nox.session(venv_backend="none")
def bench(session: nox.Session) -> None:
    """Time `verify-docs` end to end: `nox -s bench -- [RUNS] [cold] [serial]`. Warm reuses
    the component cache; cold gives every run an empty one (pip's own download cache stays);
    serial runs the lanes one after another, as the proof ran before it had lanes."""
    import statistics
    import subprocess
    import tempfile

    runs = int(session.posargs[0]) if session.posargs else 3
    cold = "cold" in session.posargs
    serial = "serial" in session.posargs
    seconds = []
    for i in range(runs):
        env = dict(os.environ, GATEWAY_DOCS_LANES="serial" if serial else "together")
        if cold:
            env["GATEWAY_DOCS_CACHE"] = tempfile.mkdtemp(prefix="gateway-docs-cold-")
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "nox",
                                 "-s", "verify-docs"], cwd=ROOT, env=env,
                                capture_output=True, text=True)
        seconds.append(time.monotonic() - started)
        if cold:
            shutil.rmtree(env["GATEWAY_DOCS_CACHE"], ignore_errors=True)
        # verify-docs' own phase timings (tools, installs, site build, tests), from its log.
        phases = "".join(line.split("phases:", 1)[1] for line in result.stderr.splitlines()
                         if "phases:" in line).strip()
        if result.returncode != 0:
            # The tail is the last lane to finish; the failures may be in the other one, and
            # why they failed ("E " lines) is further up: keep the whole run beside the summary.
            log = Path(tempfile.gettempdir()) / f"bench-run-{i + 1}-{int(time.time())}.log"
            log.write_text(result.stdout + "\n--- stderr ---\n" + result.stderr)
            failed = "\n".join(line for line in result.stdout.splitlines()
                               if re.search(r"\b(FAILED|ERROR)\b|(^|\] )E  ", line))
            session.error(f"run {i + 1} failed after {seconds[-1]:.0f} s ({phases}):\n"
                          f"{failed[-6000:]}\n...\n{result.stdout[-3000:]}\nwhole run: {log}")
        session.log(f"run {i + 1}/{runs}: {seconds[-1]:.0f} s ({phases})")
    session.log(f"verify-docs ({'cold' if cold else 'warm'}, "
                f"{'serial' if serial else 'lanes'}, {os.cpu_count()} cores): "
                f"median {statistics.median(seconds):.0f} s over {runs} runs "
                f"({', '.join(f'{s:.0f}' for s in seconds)})")


def with_components(session: nox.Session) -> None:
    """What the measuring sessions share with verify-docs: its tools and pinned components."""
    install(session, "docs", "test")
    session.install("-e", ".")
    need_system_tools(session)
    session.run("python", "-m", "tests.harness.start.components")


@nox.session
def matrix(session: nox.Session) -> None:
    """Measure the compatibility matrix (conf/matrix.toml): install every listed release
    (cached by version), run the checks for each pair, write docs/_generated/.
    `nox -s matrix -- new` measures only the pairs the table lacks."""
    with_components(session)
    session.run("python", "-m", "bench.matrix", *session.posargs)
    build_docs(session)


@nox.session
def drift(session: nox.Session) -> None:
    """The newest Claude Code and the newest LiteLLM that installs here, against the matrix
    checks (`-- all`: the whole suite), and what changed in the binary since the pin."""
    with_components(session)
    session.run("python", "-m", "bench.drift", *session.posargs)


@nox.session(name="bench-gateways")
def bench_gateways(session: nox.Session) -> None:
    """Gateway overhead on Claude Code's route: direct, nginx, LiteLLM (1 and 2 workers),
    Claude apps gateway, LiteLLM in a container, Portkey's gateway, interleaved; writes
    docs/_generated/bench-gateways.{json,md,svg} for the overhead page. A variant that cannot
    run here (no Docker engine, no install) is left out with the reason on the page."""
    with_components(session)
    # What the container row's image needs from the network, and Portkey's npm package; a
    # failure of either leaves that row out (with the reason), not the bench.
    session.run("python", "-m", "tests.harness.start.images", success_codes=[0, 1])
    session.run("python", "-m", "bench.overhead_variants")
    session.run("python", "-m", "bench.overhead")
    build_docs(session)


@nox.session(name="bench-resources")
def bench_resources(session: nox.Session) -> None:
    """What a gateway needs to run: memory and CPU at rest and per request under a Claude
    Code-shaped load, LiteLLM with 1, 2 and 4 workers and Claude apps gateway; writes
    docs/_generated/bench-resources.{json,md} for the FAQ."""
    with_components(session)
    session.run("python", "-m", "bench.resources")
    build_docs(session)


@nox.session(name="bench-instances")
def bench_instances(session: nox.Session) -> None:
    """N LiteLLM instances behind HAProxy: `nox -s bench-instances -- [N ...]` (default
    1 2 4 6 8 10). Throughput and p50/p95 latency as ratios against the provider directly;
    writes docs/_captured/production/bench-instances.txt. Needs root (the Docker engine)."""
    install(session, "test")
    need_system_tools(session)
    session.run("python", "-m", "tests.harness.start.components")
    session.run("python", "-m", "tests.harness.start.images")
    session.run("python", "-m", "bench.bench_instances", *session.posargs)
