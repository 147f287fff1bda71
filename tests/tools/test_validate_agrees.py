"""`gateway-assistant validate` says what LiteLLM does with a key; here the pinned LiteLLM
says it itself. Each case is the quickstart's config with one change, started by the
quickstart's own start snippet; the test reads everything LiteLLM printed (every line, not a
filtered few) and its exit code, and beside it what `validate` reports for the same file.

A start costs 10-50 s of CPU on 2 busy cores, so the cases run one after another in a
background scenario, each in a network namespace of its own (as the troubleshooting page's
"won't start" cases do)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from gateway_assistant import litellm_schema
from gateway_assistant.validate import validate
from tests.harness import background
from tests.harness.proof.snippets import snippet
from tests.harness.start.gateway import GatewayFailed
from tests.harness.start.gateway_alone import PrivateNetworkGateway

START = ("quickstart/03-start-gateway.sh",)
QUICKSTART = snippet("quickstart/02-config.yaml").read_text()
MASTER = "  master_key: os.environ/GATEWAY_MASTER_KEY\n"
CALLBACKS = '  callbacks: ["prometheus"]\n'
# The variables the start snippet exports, for validate's os.environ/ checks.
SHELL = dict(re.findall(r'^export (\w+)="([^"]*)"', snippet(START[0]).read_text(), re.M))


def change(old: str, new: str, text: str = QUICKSTART) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def cache(params: str) -> str:
    return QUICKSTART + "  cache: true\n  cache_params:\n" + params


WITHOUT_MASTER = change(MASTER, "  alerting_threshold: 300\n")  # general_settings stays
CASES = {  # name: config.yaml (and the other files beside it)
    "unchanged": QUICKSTART,
    # keys LiteLLM does not read, in each section; a fallback cycle; a cache key the local
    # cache does not have
    "ignored": change(MASTER, MASTER + "  alerting_treshold: 300\n",
                      change(CALLBACKS, CALLBACKS + "  drop_parms: true\n"
                             "  cache: true\n  cache_params:\n    type: local\n"
                             "    max_size_mb: 100\n"))
    + "router_settings:\n  num_retires: 3\n  fallbacks:\n"
      "    - claude-opus-5-5: [claude-sonnet-5-5]\n    - claude-sonnet-5-5: [claude-opus-5-5]\n",
    "master-key-top-level": WITHOUT_MASTER + MASTER.lstrip(),
    "master-key-in-litellm-settings": WITHOUT_MASTER + MASTER,
    "master-key-in-router-settings": WITHOUT_MASTER + "router_settings:\n" + MASTER,
    "health-check-interval-in-router-settings":
        QUICKSTART + "router_settings:\n  health_check_interval: 30\n",
    "routing-strategy-unknown": QUICKSTART + "router_settings:\n  routing_strategy: round-robin\n",
    "redis-cache-unknown-key": cache("    type: redis\n    host: 127.0.0.1\n    port: 6379\n"
                                     "    max_size_mb: 100\n"),
    "redis-cache-client-setting": cache("    type: redis\n    host: 127.0.0.1\n"
                                        "    port: 6379\n    socket_timeout: 5\n"),
    "s3-cache-unknown-key": cache("    type: s3\n    s3_bucket_name: b\n"
                                  "    s3_region_name: us-east-1\n    max_size_mb: 100\n"),
    "general-settings-twice": change("litellm_settings:\n", "general_settings:\n"
                                     "  alerting_threshold: 300\nlitellm_settings:\n"),
    "general-settings-misspelt": change("general_settings:\n", "general_setings:\n"),
    "empty": "# nothing yet\n",
    "not-a-mapping": "- model_name: claude-opus-5-5\n",
    "no-models": change(QUICKSTART[QUICKSTART.index("model_list:"):
                                   QUICKSTART.index("general_settings:")], "model_list: []\n\n"),
    "include": change(QUICKSTART[QUICKSTART.index("model_list:"):
                                 QUICKSTART.index("general_settings:")],
                      "include:\n  - models.yaml\n\n"),
}
EXTRA_FILES = {"include": {"models.yaml": QUICKSTART[QUICKSTART.index("model_list:"):
                                                     QUICKSTART.index("general_settings:")]}}


@dataclass
class Start:
    config: Path
    served: bool
    code: int | None  # exit code when it did not serve
    log: str  # everything it printed, ANSI colours removed

    def lines(self) -> list[str]:
        return self.log.splitlines()


ANSI = re.compile(r"\x1b\[[0-9;]*m")


@background.scenario
def litellm_on_each_case(workdir: Path) -> dict[str, Start]:
    results = {}
    for name, text in CASES.items():
        folder = workdir / name
        folder.mkdir()
        files = {"config.yaml": folder / "config.yaml"}
        files["config.yaml"].write_text(text)
        for extra, content in EXTRA_FILES.get(name, {}).items():
            files[extra] = folder / extra
            files[extra].write_text(content)
        # Unbuffered, as in the reader's terminal: otherwise what LiteLLM print()s (its model
        # list, "Setting Cache on Proxy") sits in a buffer that a stopped server never writes.
        gw = PrivateNetworkGateway(START, files)
        gw.port = 0  # nothing listens on port 0 here: launch()'s port check passes
        served, code = True, None
        try:
            gw.launch()
        except GatewayFailed:
            served, code = False, gw.proc.returncode if gw.proc else None
        finally:
            gw.stop()  # then the log holds all it printed, shutting down included
            log = gw.log()
        results[name] = Start(files["config.yaml"], served, code, ANSI.sub("", log))
        time.sleep(0.5)
    return results


def started(name: str) -> Start:
    return background.join(litellm_on_each_case)[name]


def findings(start: Start):
    return validate(start.config, SHELL)


def complaints(start: Start) -> list[str]:
    """LiteLLM's warning, error and critical lines, without their time stamps."""
    return [re.sub(r"^\d\d:\d\d:\d\d - ", "", line) for line in start.lines()
            if re.search(r"(?::(?:WARNING|ERROR|CRITICAL):|^ERROR:|Error\b|Exception\b)", line)]


def new_complaints(start: Start) -> list[str]:
    """What this config made LiteLLM print beyond what it prints for the quickstart's."""
    baseline = complaints(started("unchanged"))
    assert started("unchanged").served, started("unchanged").log[-3000:]
    return [line for line in complaints(start) if line not in baseline]


def mentions(start: Start, word: str) -> list[str]:
    return [line for line in start.lines() if word in line]


def assert_refused(start: Start, message: str) -> None:
    assert not start.served and start.code not in (None, 0), (start.code, start.log[-3000:])
    assert any(message in line for line in start.lines()), start.log[-3000:]


# -- keys LiteLLM does not read ---------------------------------------------------------------

@background.joins(litellm_on_each_case)
def test_unknown_keys_what_litellm_does_per_section():
    """router_settings: a warning naming the key; general_settings and litellm_settings:
    not a word; LiteLLM starts either way. validate warns about each and says which."""
    start = started("ignored")
    assert start.served, start.log[-3000:]
    warning = litellm_schema.load()["router_settings_unknown_warning"] % "num_retires"
    (logged,) = [line for line in new_complaints(start) if "num_retires" in line]
    assert re.fullmatch(r"LiteLLM Proxy:WARNING: proxy_server\.py:\d+ - " + re.escape(warning),
                        logged), logged
    assert logged.endswith("is not a valid argument for Router.__init__(). Ignoring this key.")
    assert mentions(start, "num_retires") == [line for line in start.lines() if warning in line]
    for key in ("alerting_treshold", "drop_parms"):
        assert mentions(start, key) == [], mentions(start, key)
    found = {f.message.split(" ")[0]: f for f in findings(start) if f.code == "unknown-key"}
    assert set(found) == {"general_settings.alerting_treshold", "litellm_settings.drop_parms",
                          "router_settings.num_retires"}, found
    assert found["router_settings.num_retires"].message.endswith(warning)
    assert found["router_settings.num_retires"].fix == "did you mean num_retries?"
    for key in ("general_settings.alerting_treshold", "litellm_settings.drop_parms"):
        assert found[key].message.endswith("says nothing about it"), found[key].message
        assert found[key].severity == "warning"


@background.joins(litellm_on_each_case)
def test_fallback_cycle_litellm_starts_without_a_word():
    start = started("ignored")
    assert start.served
    assert not [line for line in new_complaints(start) if "num_retires" not in line], \
        new_complaints(start)
    assert not [line for line in start.lines() if "fallback" in line.lower()]
    (cycle,) = [f for f in findings(start) if f.code == "fallback-cycle"]
    assert cycle.severity == "error" and "without a warning" in cycle.message


# -- keys that stop LiteLLM ---------------------------------------------------------------------

@background.joins(litellm_on_each_case)
def test_master_key_outside_general_settings_stops_litellm():
    for case, where in (("master-key-top-level", "the top level"),
                        ("master-key-in-litellm-settings", "litellm_settings"),
                        ("master-key-in-router-settings", "router_settings")):
        start = started(case)
        assert_refused(start, "LiteLLM proxy refused to start: no master key is set")
        (finding,) = [f for f in findings(start) if f.code == "master-key-misplaced"]
        assert finding.severity == "error" and f"under {where} is not read" in finding.message
        assert '("no master key is set")' in finding.message


@background.joins(litellm_on_each_case)
def test_health_check_interval_in_router_settings_stops_litellm():
    start = started("health-check-interval-in-router-settings")
    assert_refused(start, "ValueError: 'health_check_interval' is NOT a valid router_settings "
                   "parameter. Please move it to 'general_settings'.")
    assert [(f.code, f.severity) for f in findings(start)] == [("router-key-refused", "error")]


@background.joins(litellm_on_each_case)
def test_unknown_routing_strategy_stops_litellm():
    start = started("routing-strategy-unknown")
    assert_refused(start, "ValueError: Invalid routing_strategy: 'round-robin'.")
    assert [(f.code, f.severity) for f in findings(start)] == [
        ("routing-strategy-unknown", "error")]


@background.joins(litellm_on_each_case)
def test_unknown_cache_params_per_cache_type():
    """Redis and S3 hand a key the cache does not have to their client: one it does not take
    stops LiteLLM; one it takes (socket_timeout) is fine. The local cache drops it silently."""
    for case, client in (("redis-cache-unknown-key", "TypeError: Redis.__init__()"),
                         ("s3-cache-unknown-key", "TypeError: Session.client()")):
        start = started(case)
        assert_refused(start, f"{client} got an unexpected keyword argument 'max_size_mb'")
        (finding,) = [f for f in findings(start) if f.code == "cache-param-unknown"]
        assert finding.severity == "error" and "refuses to start" in finding.message
    start = started("redis-cache-client-setting")
    assert start.served, start.log[-3000:]
    assert mentions(start, "socket_timeout") == []
    assert [f for f in findings(start) if f.code.startswith("cache")] == []
    start = started("ignored")
    assert start.served and mentions(start, "max_size_mb") == []
    (finding,) = [f for f in findings(start) if f.code == "cache-param-unknown"]
    assert finding.message.endswith("the local cache ignores it")


# -- sections lost or unreadable -----------------------------------------------------------

@background.joins(litellm_on_each_case)
def test_duplicate_section_loses_the_master_key():
    start = started("general-settings-twice")
    assert_refused(start, "LiteLLM proxy refused to start: no master key is set")
    assert mentions(start, "general_settings:") == [] and mentions(start, "twice") == []
    assert ("duplicate-section", "error") in [(f.code, f.severity) for f in findings(start)]


@background.joins(litellm_on_each_case)
def test_misspelt_section_loses_the_master_key():
    start = started("general-settings-misspelt")
    assert_refused(start, "LiteLLM proxy refused to start: no master key is set")
    assert mentions(start, "general_setings") == []
    (finding,) = [f for f in findings(start) if f.code == "section-misspelt"]
    assert finding.fix == "rename it to general_settings"


@background.joins(litellm_on_each_case)
def test_unreadable_config_stops_litellm_and_no_models_starts_empty():
    for case, message, code in (("empty", "Exception: Config cannot be None or Empty.", "empty"),
                                ("not-a-mapping", "AttributeError: 'list' object has no "
                                                  "attribute 'items'", "not-a-mapping")):
        start = started(case)
        assert_refused(start, message)
        assert [(f.code, f.severity) for f in findings(start)] == [(code, "error")]
    start = started("no-models")
    assert start.served, start.log[-3000:]
    assert mentions(start, "Set models:") == [] and mentions(start, "claude-") == []
    assert ("no-models", "error") in [(f.code, f.severity) for f in findings(start)]


@background.joins(litellm_on_each_case)
def test_include_litellm_follows_it():
    start = started("include")
    assert start.served, start.log[-3000:]
    models = start.lines()[start.lines().index("LiteLLM: Proxy initialized with Config, "
                                               "Set models:") + 1:][:3]
    assert [m.strip() for m in models] == ["claude-opus-5-5", "claude-sonnet-5-5",
                                           "claude-haiku-5-5"], start.log[-3000:]
    assert [(f.code, f.severity) for f in findings(start)] == [
        ("include-not-followed", "warning")]

