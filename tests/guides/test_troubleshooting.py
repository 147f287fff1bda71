"""The troubleshooting page (docs/troubleshooting/index.md):
- every error captured anywhere on the site has a row keyed by its exact text (what counts as
  an error is defined below, `captured_errors`), and every row's key is a captured text;
- "the gateway won't start": each cause reproduced with the real pinned LiteLLM, started by the
  quickstart's own start snippet on a config derived from the quickstart's, and its output
  captured. A failing start of LiteLLM costs 20-50 s of CPU on 2 busy cores, so the five run
  together in a background scenario, each in a network namespace of its own (its port 4000 is
  not the serial tests' port 4000)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml

from tests.harness import background
from tests.harness.project import CAPTURED, ROOT
from tests.harness.proof import captures
from tests.harness.proof.snippets import snippet
from tests.harness.start.gateway import GatewayFailed
from tests.harness.start.gateway_alone import SERVING, PrivateNetworkGateway

PAGE = ROOT / "docs" / "troubleshooting" / "index.md"

# -- which captured texts are errors ----------------------------------------------------------

# A line reports a failure when it carries one of these marks. Each is a form the programs on
# this site use for a failure, not a word that merely may appear in one.
MARKERS = re.compile(
    r"API Error"  # Claude Code's API failures
    r"|\bERR_[A-Z_]+\b"  # Node's and Chromium's error codes
    r"|\bE(?:CONNREFUSED|CONNRESET|TIMEDOUT|NOTFOUND|ADDRINUSE|PIPE)\b"  # system error codes
    r"|Traceback \(most recent call last\)"
    r"|\b[A-Za-z_.]*(?:Error|Exception)\b(?!\()"  # an exception's name: ScannerError, …
    r"|^ERROR\b|^error: |: error: |\[Errno \d+\]"  # tools' and servers' error lines
    r"|^\[log_\S*\] (?:connection failed|.* failed with status [45]\d\d)"  # ANTHROPIC_LOG
    r"|^warn upstream failed"  # Claude apps gateway's failover
    r"|^\s*✘ "  # Claude Code's screens mark a refusal so
    r"|^claude gateway: "  # Claude apps gateway's boot failures
    r"| [45]\d\d -$|: [45]\d\d \w"  # a status in a proxy log or a probe's line
)
# A capture whose name says it shows a failure is an error even without a mark: its message
# is its first output line (the last one for a JSON body or a browser page).
FAILURE_NAME = re.compile(
    r"pitfall|fails?-|refused|-down|missing|wrong|broken|mistake|denied|invalid|dropped|"
    r"reached|restricted|unencoded|undefined|short|unknown|no-|plain-http|public-address|"
    r"proxied|loops|401|403|429|407|-v1\b|wont-start|taken|timeout|stalls")
# Captures that show an error but are not a message of the software the site documents.
NOT_MESSAGES = {
    "apps-gateway/offboarded-sign-in.txt": "the stand-in IdP's own page; a company's IdP "
                                           "words its refusal its own way",
    "bedrock/betas-refused.txt": "counts the test wrote; the messages are in "
                                 "bedrock/betas-refused.console",
}


def _output_lines(text: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group()) for m in re.finditer(r"^.*$", text, re.M)
            if m.group().strip() and not m.group().startswith(("$ ", "> "))]


def captured_errors() -> list[tuple[str, str, str, int]]:
    """(capture, error line, text, offset of the line in text) for every captured error:
    - in a capture file, each output line with a failure mark (MARKERS); in a capture whose
      name marks a failure and that has no such line, its message line;
    - in a captured Markdown table, the last code span of each row whose first cell is a
      4xx/5xx status."""
    found = []
    for path in sorted(CAPTURED.rglob("*")):
        name = str(path.relative_to(CAPTURED))
        if not path.is_file() or name in NOT_MESSAGES:
            continue
        text = path.read_text()
        if path.suffix == ".md":
            for row in text.splitlines():
                cells = [c.strip() for c in row.strip().strip("|").split("|")]
                spans = re.findall(r"`` (.+?) ``", row)
                if spans and re.fullmatch(r"[45]\d\d", cells[0]):
                    found.append((name, spans[-1], spans[-1], 0))
            continue
        lines = _output_lines(text)
        hits = [(o, line) for o, line in lines if MARKERS.search(line)]
        if not hits and lines and FAILURE_NAME.search(path.stem):
            last = [ol for ol in lines if not re.fullmatch(r"[\s\]\[{}]*", ol[1])]
            hits = [last[-1] if path.suffix == ".json" or name.endswith("-page.txt")
                    else lines[0]]
        seen = set()
        for o, line in hits:
            if line not in seen:
                seen.add(line)
                found.append((name, line, text, o))
    return found


def row_keys() -> list[str]:
    """The first cell of each row of the page's error tables: the exact text, in one code
    span, with `…` standing for any text."""
    keys = []
    for line in PAGE.read_text().splitlines():
        if m := re.match(r"^\| (`{1,2}) ?(.+?) ?\1 \|", line):
            keys.append(m.group(2))
    return keys


def key_pattern(key: str) -> re.Pattern:
    return re.compile(".*?".join(re.escape(part) for part in key.split("…")), re.S)


def matches(key: str, text: str, offset: int, line: str) -> bool:
    """The key is the error's text from where its message starts: the line's start, or where
    one of its marks starts (a summary line quoting the message)."""
    starts = {offset + len(line) - len(line.lstrip())}
    starts |= {offset + m.start() for m in MARKERS.finditer(line)}
    pattern = key_pattern(key)
    return any(pattern.match(text, s) for s in starts)


def test_every_captured_error_has_a_row():
    keys = row_keys()
    assert keys, "no rows on the troubleshooting page"
    errors = captured_errors()
    assert len(errors) > 50, "the definition of an error found too few: is it broken?"
    missing = [f"{name}: {line.strip()[:160]}" for name, line, text, offset in errors
               if not any(matches(k, text, offset, line) for k in keys)]
    assert not missing, ("captured errors with no row on troubleshooting/index.md:\n"
                         + "\n".join(missing))


def test_every_row_is_a_captured_text():
    errors = captured_errors()
    invented = [k for k in row_keys()
                if not any(matches(k, text, offset, line) for _, line, text, offset in errors)]
    assert not invented, f"rows keyed by a text no capture holds: {invented}"


# -- the gateway won't start ------------------------------------------------------------------

START = ("quickstart/03-start-gateway.sh",)


def quickstart_config(tmp: Path, change) -> Path:
    """The quickstart's config with one mistake a reader makes."""
    text = snippet("quickstart/02-config.yaml").read_text()
    path = tmp / f"config-{change.__name__}.yaml"
    path.write_text(change(text))
    return path


def tab_indent(text):  # a tab where YAML wants spaces
    return text.replace("  - model_name: claude-sonnet-5-5",
                        "\t- model_name: claude-sonnet-5-5", 1)


def master_key_in_litellm_settings(text):
    config = yaml.safe_load(text)
    config["litellm_settings"]["master_key"] = config["general_settings"].pop("master_key")
    return yaml.safe_dump(config, sort_keys=False)


def misspelt_variable(text):  # os.environ/ names a variable the start snippet never exports
    return text.replace("os.environ/GATEWAY_MASTER_KEY", "os.environ/GATEWAY_MASTERKEY")


def callback_module_missing(text):  # a custom callback whose file is not beside the config
    return text.replace('callbacks: ["prometheus"]',
                        "callbacks: custom_callbacks.proxy_handler_instance")


def unchanged(text):
    return text


CASES = {  # capture name: (config change, another process already on port 4000)
    "port-in-use": (unchanged, True),
    "yaml-error": (tab_indent, False),
    "master-key-misplaced": (master_key_in_litellm_settings, False),
    "unset-variable": (misspelt_variable, False),
    "missing-module": (callback_module_missing, False),
}


def start_log(case: str, tmp: Path) -> tuple[bool, str]:
    """(did LiteLLM serve, its log), stopped either way."""
    change, taken = CASES[case]
    gw = PrivateNetworkGateway(START, {"config.yaml": quickstart_config(tmp, change)})
    gw.port = 0  # nothing listens on port 0 here: launch()'s port check passes
    gw.port_taken = taken
    try:
        gw.launch()
        return True, gw.log()
    except GatewayFailed:
        return False, gw.log()
    finally:
        gw.stop()


@background.scenario
def gateway_wont_start(workdir: Path) -> dict[str, tuple[bool, str, float]]:
    """One start after another (not at once: each is CPU-bound, and the serial tests need
    the cores too); a case that fails does not stop the others."""
    results = {}
    for case in CASES:
        started = time.monotonic()
        try:
            served, log = start_log(case, workdir)
        except AssertionError as e:
            served, log = None, str(e)
        results[case] = (served, log, time.monotonic() - started)
    return results


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def what_the_reader_sees(log: str) -> str:
    """The lines that say why LiteLLM stopped: the last exception's line and the lines that
    continue its message (not the traceback above it), the server's `ERROR:` lines, the first
    line of the explanation LiteLLM prints when it refuses to start, and where it serves; the
    venv's path shortened to `…/site-packages`."""
    lines = [ANSI.sub("", line) for line in log.splitlines()]
    exception = [i for i, line in enumerate(lines)
                 if re.match(r"^[\w.]+(?:Error|Exception)\b", line)]
    shown = []
    if exception:
        i = exception[-1]
        shown.append(lines[i])
        for line in lines[i + 1:]:
            if not line.strip() or line.startswith(("ERROR:", "#", "Traceback", "  File")):
                break
            shown.append(line)
    shown += [line for line in lines if line.startswith("ERROR:") and line not in shown
              and not line.startswith("ERROR:    Traceback")]
    # LiteLLM's own explanation, printed once the server exits: the line after its summary.
    summary = [i for i, line in enumerate(lines)
               if line.startswith("LiteLLM proxy refused to start:")]
    if summary and summary[-1] + 1 < len(lines):
        shown.append(lines[summary[-1] + 1])
    shown += [re.sub(r"(http://[\d.]+:)\d+", r"\1<port>", line)
              for line in lines if SERVING.search(line)]
    assert shown, log[-3000:]
    return re.sub(r"/\S*/site-packages", "…/site-packages", "\n".join(shown))


def check_case(case: str, expected: str, served: bool = False,
               capture: str | None = None) -> str:
    did_serve, log, seconds = background.join(gateway_wont_start)[case]
    assert did_serve is served, f"{case}: served={did_serve}, expected {served}:\n{log[-3000:]}"
    shown = what_the_reader_sees(log)
    assert re.search(expected, shown), shown
    captures.check(capture or f"troubleshooting/wont-start-{case}.txt", shown)
    return shown


@background.joins(gateway_wont_start)
def test_port_4000_taken_litellm_moves_to_another_port():
    """LiteLLM does not fail on a taken port 4000: it picks a random port and serves there
    (`litellm/proxy/proxy_cli.py`: only when the port is the default 4000); Claude Code,
    still pointed at :4000, reaches whatever holds that port."""
    shown = check_case("port-in-use", r"Uvicorn running on http://0\.0\.0\.0:<port>",
                       served=True, capture="troubleshooting/port-4000-taken.txt")
    assert ":4000" not in shown


@background.joins(gateway_wont_start)
def test_gateway_wont_start_yaml_error():
    check_case("yaml-error", r"ScannerError.*\n.*'\\t'")


@background.joins(gateway_wont_start)
def test_gateway_wont_start_master_key_misplaced():
    check_case("master-key-misplaced", r"no master key is set")


@background.joins(gateway_wont_start)
def test_unset_master_key_variable_stops_the_gateway():
    check_case("unset-variable", r"no master key is set")


@background.joins(gateway_wont_start)
def test_gateway_wont_start_missing_module():
    check_case("missing-module", r"custom_callbacks")


def test_wont_start_cases_each_change_the_quickstart_config(tmp_path):
    """Each case is the quickstart's config with one mistake, and YAML sees the tab."""
    original = snippet("quickstart/02-config.yaml").read_text()
    for case, (change, _) in CASES.items():
        changed = quickstart_config(tmp_path, change).read_text()
        assert (changed == original) == (change is unchanged), case
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(tab_indent(original))


# -- timeouts: a provider that accepts the request and never answers --------------------------

@pytest.fixture
def gateway(gateways, provider):
    """The quickstart gateway (shared with the quickstart's tests), in front of the fake."""
    return gateways.get(START, {"config.yaml": "quickstart/02-config.yaml"},
                        env={"ANTHROPIC_API_BASE": provider.url})


def test_provider_that_never_answers_times_out(gateway, upstream, terminal):
    """Claude Code gives up after API_TIMEOUT_MS (3 s here, no retry) and says so."""
    upstream.hang(times=5)
    terminal.env.update(API_TIMEOUT_MS="3000", CLAUDE_CODE_MAX_RETRIES="0")
    started = time.monotonic()
    result = terminal.run("quickstart/06-connect-shell.sh", "quickstart/07-first-request.sh")
    took = time.monotonic() - started
    assert result.code != 0, result.output
    assert 3 <= took < 30, took
    assert "Request timed out" in result.output, result.output
    captures.check("troubleshooting/timeout.console", captures.console(
        snippet("quickstart/07-first-request.sh").read_text(), result.output))


def test_stream_that_stalls(gateway, upstream, terminal):
    """The provider starts the answer, then waits 8 s between events."""
    upstream.sse_gap_s = 8
    terminal.env.update(API_TIMEOUT_MS="3000", CLAUDE_CODE_MAX_RETRIES="0")
    started = time.monotonic()
    result = terminal.run("quickstart/06-connect-shell.sh", "quickstart/07-first-request.sh")
    took = time.monotonic() - started
    assert result.code != 0 and "Request timed out" in result.output, result.output
    assert took < 30, took  # the answer would need about a minute at this pace
    assert upstream.received("POST", "^/v1/messages"), "the request reached the provider"
    captures.check("troubleshooting/stream-stalls.console", captures.console(
        snippet("quickstart/07-first-request.sh").read_text(), result.output))
