"""gateway-assistant under hostile input files and terminals: every run is bounded in time
and memory (each worst input runs in a child process limited to 512 MB of address space
and a deadline), special files are refused unread, the verdicts on broken configs are
right, --write-bundle never writes through a symlink, and no traceback reaches the reader.
Each test here failed on the tool before these bounds and passes now."""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway_assistant import cli
from gateway_assistant.doctor import doctor
from gateway_assistant.validate import validate

SRC = Path(__file__).resolve().parents[2] / "src"
MEMORY = 512 * 1024 * 1024
MODELS = ["claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5"]


def model_list(names) -> str:
    return "model_list:\n" + "".join(
        f"  - model_name: {n}\n    litellm_params:\n      model: anthropic/{n}\n"
        "      api_key: os.environ/ANTHROPIC_API_KEY\n" for n in names)


def bounded(args, seconds=30.0, env=None, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE):
    """Run the CLI in a child limited to 512 MB of address space; return (exit code, stdout,
    stderr, seconds, peak RSS in MB). A child past its deadline is killed and fails the test."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    child_env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "PYTHONPATH": str(SRC),
                 **(env or {})}
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "gateway_assistant", *args], stdin=stdin,
                            stdout=stdout, stderr=subprocess.PIPE, env=child_env,
                            preexec_fn=limit)
    try:
        out, err = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"gateway-assistant {' '.join(map(str, args))[:200]} ran past {seconds} s")
    took = time.monotonic() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # max over children
    return proc.returncode, (out or b"").decode(errors="replace"), err.decode(errors="replace"), \
        took, peak


def one_line(err: str) -> bool:
    return "Traceback" not in err and len(err.strip().splitlines()) <= 1


# -- small inputs, huge cost -----------------------------------------------------------------

def merge_bomb(levels=8, width=9) -> str:
    """434 bytes of nested merge keys: each level merges the one inside it `width` times, all
    flattened before any value is built (1 GB with PyYAML's own loader)."""
    text = "&m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9}"
    for i in range(1, levels):
        text = f"&m{i} {{<<: [{text}{f', *m{i - 1}' * (width - 1)}]}}"
    return "x: {<<: [" + text + "]}\n"


def alias_bomb(levels=9, width=9) -> str:
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_yaml_merge_key_bomb_is_refused_within_budget(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(merge_bomb())
    assert len(merge_bomb()) < 600
    code, _, err, took, _ = bounded(["validate", str(path)], seconds=20)
    assert code == 3 and "merge keys (<<) expand" in err and one_line(err), err
    assert took < 20


def test_yaml_alias_bomb_is_read_once_within_budget(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(alias_bomb())
    code, out, err, took, _ = bounded(["validate", str(path)], seconds=20)
    assert code in (1, 3) and "Traceback" not in err and took < 20, err


def clique(n=12) -> str:
    names = [f"m{i}" for i in range(n)]
    rules = "".join(f"    - {a}: [{', '.join(b for b in names if b != a)}]\n" for a in names)
    return model_list(names) + "router_settings:\n  fallbacks:\n" + rules


def test_fallback_graph_of_all_to_all_is_checked_in_linear_time(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(clique(12))
    code, out, err, took, _ = bounded(["validate", str(path)], seconds=20)
    assert code == 1 and out.count("fallback cycle:") == 1, out + err
    assert took < 20


def test_fallback_cycle_names_are_escaped(tmp_path):
    path = tmp_path / "config\x1b[2J.yaml"
    path.write_text(model_list(["a\x1b]0;x\x07", "b"]).replace("a\x1b]0;x\x07", '"a\\e]0;x\\a"')
                    + "router_settings:\n  fallbacks:\n    - {\"a\\e]0;x\\a\": [b]}\n"
                    "    - {b: [\"a\\e]0;x\\a\"]}\n")
    code, out, err, _, _ = bounded(["validate", str(path)])
    assert code == 1 and "fallback cycle:" in out, out + err
    assert "\x1b" not in out + err and "\x07" not in out + err, out + err


def worst_file(limit=1024 * 1024) -> str:
    """Just under the size limit, the shapes that cost most per byte: many tiny mappings
    with unknown keys (each a spelling suggestion) and many fallbacks."""
    entry = "  - {model_name: m, litellm_params: {model: x/m, rpmm: 1, zz: 1}}\n"
    body = "model_list:\n" + entry * ((limit - 100) // len(entry))
    return body[: limit - 1]


def test_a_file_just_under_the_size_limit_is_checked_within_bounds(tmp_path):
    from gateway_assistant.validate import MAX_BYTES

    path = tmp_path / "config.yaml"
    text = worst_file(MAX_BYTES)
    text = text[: text.rfind("\n") + 1]
    path.write_text(text)
    assert MAX_BYTES - 200 < len(text) <= MAX_BYTES
    code, out, err, took, _ = bounded(["validate", str(path), "--json"], seconds=60)
    assert code in (1, 3) and "Traceback" not in err, err[-500:]
    assert took < 60
    big = tmp_path / "big.yaml"
    big.write_text(text + "#" * 300)
    code, _, err, _, _ = bounded(["validate", str(big)])
    assert code == 3 and "the limit is" in err and one_line(err), err


# -- special files: refused, never read ------------------------------------------------------

@pytest.fixture
def specials(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    return {"fifo": fifo, "device": Path("/dev/zero"), "directory": tmp_path, "loop": loop}


@pytest.mark.parametrize("kind, says", [
    ("fifo", "FIFO"), ("device", "a device"), ("directory", "a directory"),
    ("loop", "symlink loop")])
def test_validate_refuses_special_files(kind, says, specials):
    code, _, err, took, _ = bounded(["validate", str(specials[kind])], seconds=10)
    assert code == 3 and says in err and one_line(err), err


@pytest.mark.parametrize("kind, says", [
    ("fifo", "FIFO"), ("device", "a device"), ("directory", "a directory"),
    ("loop", "symlink loop")])
def test_recommend_answers_refuses_special_files(kind, says, specials):
    code, _, err, _, _ = bounded(["recommend", "--answers", str(specials[kind])], seconds=10)
    assert code == 2 and says in err and one_line(err), err


@pytest.mark.parametrize("kind, says", [
    ("fifo", "FIFO"), ("device", "a device"), ("directory", "a directory"),
    ("loop", "symlink loop")])
def test_doctor_refuses_special_settings_files_in_the_working_directory(kind, says, specials,
                                                                       tmp_path):
    project = tmp_path / "project"
    (project / ".claude").mkdir(parents=True)
    target = project / ".claude" / "settings.local.json"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "loop":
        target.symlink_to(target)
    else:
        target.symlink_to(specials[kind])
    start = time.monotonic()
    found = doctor(env={}, home=tmp_path / "home", cwd=project, managed=tmp_path / "none")[0]
    assert time.monotonic() - start < 5
    bad = [f for f in found if f.code == "settings-unreadable"]
    assert bad and says in bad[0].message, [f.message for f in found]


# -- right verdicts --------------------------------------------------------------------------

def codes(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return [(f.code, f.line) for f in validate(path, {"ANTHROPIC_API_KEY": "x", "K": "x"})]


def test_duplicate_general_settings_is_reported(tmp_path):
    text = (model_list(MODELS) + "general_settings:\n  master_key: os.environ/K\n"
            "general_settings:\n  database_url: os.environ/K\n")
    assert ("duplicate-section", 16) in codes(tmp_path, text)


def test_misspelt_section_is_reported(tmp_path):
    text = model_list(MODELS) + "general_setings:\n  master_key: os.environ/K\n"
    assert ("section-misspelt", 14) in codes(tmp_path, text)


def test_include_is_reported_as_not_followed(tmp_path):
    text = "include:\n  - models.yaml\ngeneral_settings:\n  master_key: os.environ/K\n"
    found = codes(tmp_path, text)
    assert ("include-not-followed", 1) in found
    assert not any(code == "no-models" for code, _ in found), found


@pytest.mark.parametrize("base", ["file:///etc/passwd", "not a url", "http://", "ftp://x",
                                  "http://host:port"])
def test_doctor_rejects_a_base_url_that_is_not_http(base, tmp_path):
    found = doctor(env={"ANTHROPIC_BASE_URL": base, "ANTHROPIC_AUTH_TOKEN": "t"},
                   home=tmp_path, cwd=tmp_path, managed=tmp_path / "none")[0]
    assert any(f.code == "base-url-invalid" and f.severity == "error" for f in found), found


# -- safe writes -----------------------------------------------------------------------------

ANSWERS = ["--team-size", "1", "--security", "none", "--providers", "anthropic",
           "--cost-tracking", "no", "--environment", "open", "--infrastructure", "laptop",
           "--support", "none"]


def bundle_args(where):
    from gateway_assistant.recommend import QUESTIONS

    args = []
    for q in QUESTIONS:
        args += [q.flag, next(iter(q.choices))]
    return ["recommend", *args, "--write-bundle", str(where)]


def test_write_bundle_refuses_a_planted_symlink(tmp_path, capsys):
    out = tmp_path / "bundle"
    assert cli.main(bundle_args(out) + ["--json"]) == 0
    names = json.loads(capsys.readouterr().out)["written"]
    if not names:
        pytest.skip("this answer has no bundle files")
    victim = tmp_path / "victim"
    victim.write_text("keep")
    first = Path(names[0])
    first.unlink()
    first.symlink_to(victim)
    assert cli.main(bundle_args(out)) == 3
    err = capsys.readouterr().err
    assert "symlink" in err and "Traceback" not in err, err
    assert victim.read_text() == "keep"
    link = tmp_path / "linkdir"
    link.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert cli.main(bundle_args(link)) == 3
    assert "symlink" in capsys.readouterr().err


def test_write_bundle_says_what_it_replaced(tmp_path, capsys):
    out = tmp_path / "bundle"
    cli.main(bundle_args(out) + ["--json"])
    first = json.loads(capsys.readouterr().out)
    if not first["written"]:
        pytest.skip("this answer has no bundle files")
    assert first["replaced"] == []
    cli.main(bundle_args(out) + ["--json"])
    assert json.loads(capsys.readouterr().out)["replaced"] == first["written"]
    cli.main(bundle_args(out))
    assert "replaced the file that was there" in capsys.readouterr().out


# -- terminals: no traceback ever ------------------------------------------------------------

def test_ctrl_c_is_one_line_and_exit_130(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr("gateway_assistant.cli._validate", interrupted)
    parser = cli.parser
    monkeypatch.setattr(cli, "parser", lambda: _with_run(parser(), interrupted))
    assert cli.main(["validate", "x.yaml"]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "gateway-assistant: interrupted", err


def _with_run(p, run):
    p.set_defaults(run=run)
    for action in p._subparsers._group_actions:
        for sub in action.choices.values():
            sub.set_defaults(run=run)
    return p


def test_sigint_to_a_running_check_exits_130(tmp_path):
    fifo_free = tmp_path / "config.yaml"
    fifo_free.write_text(clique(12) * 1)
    proc = subprocess.Popen([sys.executable, "-c",
                             "import time, gateway_assistant.cli as c;"
                             "c._validate = lambda a: (print('checking', flush=True), "
                             "time.sleep(30));"
                             "raise SystemExit(c.main(['validate', 'x']))"],
                            env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                            # as from a terminal: a run started in the background (`cmd &`)
                            # passes SIGINT on ignored, and the signal would never arrive
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # SIGINT once the check runs (a fixed wait was outrun by the imports on a busy machine)
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    assert ready and proc.stdout.readline() == b"checking\n", "the check never started"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130 and one_line(err.decode()), err


def test_closed_pipe_full_disk_and_ascii_terminal(tmp_path):
    path = tmp_path / "config é.yaml"
    path.write_text(clique(12) + "general_setings:\n  x: 1\n")
    # a closed pipe (`| head -1`)
    proc = subprocess.Popen([sys.executable, "-m", "gateway_assistant", "validate", str(path)],
                            env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=20)
    assert "Traceback" not in err, err
    # a full disk
    with open("/dev/full", "wb") as full:
        code, _, err, _, _ = bounded(["validate", str(path)], stdout=full)
    assert code == 3 and "cannot write the output" in err and one_line(err), err
    # an ASCII-only terminal
    for env in ({"LANG": "C", "LC_ALL": "C"}, {"PYTHONIOENCODING": "ascii"}):
        code, out, err, _, _ = bounded(["validate", str(path)], env=env)
        assert code == 1 and "Traceback" not in err and "fallback cycle" in out, err


def test_usage_errors_exit_2_and_could_not_check_exits_3(tmp_path):
    code, _, err, _, _ = bounded(["validate"])
    assert code == 2 and "Traceback" not in err
    code, _, err, _, _ = bounded(["recommend", "--providers", "aws"])
    assert code == 2 and one_line(err), err
    code, _, err, _, _ = bounded(["validate", str(tmp_path / "missing.yaml")])
    assert code == 3 and one_line(err), err


# -- property-based: any input, bounded time and memory --------------------------------------

yaml_pieces = st.lists(st.sampled_from(
    ["a: &x {b: 1}\n", "c: *x\n", "d: {<<: *x}\n", "e: {<<: [*x, *x, *x]}\n", "- ", "? ",
     "model_list:\n", "general_settings:\n", "general_settings:\n", "  master_key: k\n",
     "include: [a]\n", "!!python/object:os.system x\n", "[" * 50, "{" * 50, "\x00", "\ufeff",
     "\x1b[31m", "fallbacks: [{a: [a]}]\n", "&y [*y]\n", "'", "\"\\x1b\"\n"]), max_size=40)


@settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(pieces=yaml_pieces)
def test_property_yaml_reader_is_bounded(pieces, tmp_path):
    import tracemalloc

    path = tmp_path / "c.yaml"
    path.write_text("".join(pieces))
    tracemalloc.start()
    start = time.monotonic()
    try:
        try:
            validate(path, {})
        except Exception as e:  # noqa: BLE001 - only the tool's own refusal is allowed
            assert type(e).__name__ == "CannotRun", repr(e)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - start < 2 and peak < 64 * 1024 * 1024


settings_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
        st.sampled_from(["env", "apiKeyHelper", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN",
                         "HTTPS_PROXY", "x\x1b"]), inner, max_size=5), max_leaves=30)


@settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(data=settings_json, raw=st.binary(max_size=200), use_raw=st.booleans())
def test_property_settings_reader_is_bounded(data, raw, use_raw, tmp_path):
    import tracemalloc

    project = tmp_path / "p"
    (project / ".claude").mkdir(parents=True, exist_ok=True)
    target = project / ".claude" / "settings.local.json"
    target.write_bytes(raw if use_raw else json.dumps(data).encode())
    tracemalloc.start()
    start = time.monotonic()
    try:
        found, extra = doctor(env={}, home=tmp_path / "h", cwd=project,
                              managed=tmp_path / "none")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - start < 2 and peak < 64 * 1024 * 1024
    text = extra.get("report", "")
    assert "\x1b" not in text
