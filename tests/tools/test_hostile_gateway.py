"""`gateway-assistant probe` and `doctor --check` against a hostile gateway on 127.0.0.1: the key
never reaches another host, every run ends within its deadline, the reason is one line, no
traceback, no secret in the output. And every path that prints a value read from the
environment, a settings file or a URL masks it."""

from __future__ import annotations

import json
import time

import pytest

from gateway_assistant import secrets
from gateway_assistant.cli import main
from gateway_assistant.doctor import doctor
from tests.harness.wire.hostile_gateway import HostileGateway

SECRET = "sk-hostile-0123456789-SECRETPART"
BOUND_S = 6.0  # a --deadline of 3 s, plus start and stop
# What each mode makes probe say (one line of its output).
PROBE = {
    "redirect": "(another host): not followed, the key was not sent there",
    "redirect-same": "(the same host): not followed, the key was not sent there",
    "trickle": "stopped after 3 s: the deadline for probe (--deadline) was reached",
    "huge": "cut at 1000000 bytes",
    "endless": "stopped reading after 5000 events",
    "broken-sse": "not the Messages stream",
    "close-mid-stream": "the stream ended after 1 events without message_stop",
    "http09": "the answer is not HTTP (no status line)",
    "tls": "CERTIFICATE_VERIFY_FAILED",
    "handshake-trickle": "no answer within the timeout",  # --timeout 2 bounds a handshake
}
DOCTOR = {
    "redirect": "(another host): not followed, the key was not sent there",
    "redirect-same": "(the same host): not followed, the key was not sent there",
    "trickle": "stopped after 3 s: the deadline for doctor --check (--deadline) was reached",
    "huge": "the gateway answered 200",
    "http09": "the answer is not HTTP (no status line)",
    "tls": "CERTIFICATE_VERIFY_FAILED",
    "handshake-trickle": "stopped after 3 s: the deadline for doctor --check (--deadline)",
}


def _clean(monkeypatch, tmp_path, **env):
    for key in ("ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY",
                "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY",
                "no_proxy", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def _run(argv, capsys):
    started = time.monotonic()
    code = main(argv)
    took = time.monotonic() - started
    out, err = capsys.readouterr()
    return code, out + err, took


def _no_secret(output: str, secret: str = SECRET):
    assert "Traceback" not in output, output
    for piece in (secret, secret.strip(), secret[3:-4]):
        assert piece not in output, output
    assert "\x1b" not in output and "\r" not in output, output


def _no_credential_at(listener):
    for request in listener.got:
        assert "authorization" not in request and "x-api-key" not in request, request


@pytest.mark.parametrize("mode", list(PROBE))
def test_probe_against_a_hostile_gateway(mode, capsys, monkeypatch, tmp_path):
    _clean(monkeypatch, tmp_path, ANTHROPIC_AUTH_TOKEN=SECRET)
    with HostileGateway(mode) as g:
        code, output, took = _run(["probe", g.url, "--deadline", "3", "--timeout", "2"],
                                  capsys)
        _no_credential_at(g.other)
    assert took < BOUND_S, (mode, took)
    assert code != 0, output
    assert PROBE[mode] in output, output
    _no_secret(output)


@pytest.mark.parametrize("mode", list(DOCTOR))
def test_doctor_check_against_a_hostile_gateway(mode, capsys, monkeypatch, tmp_path):
    with HostileGateway(mode) as g:
        _clean(monkeypatch, tmp_path, ANTHROPIC_AUTH_TOKEN=SECRET, ANTHROPIC_BASE_URL=g.url)
        code, output, took = _run(["doctor", "--check", "--deadline", "3"], capsys)
        _no_credential_at(g.other)
    assert took < BOUND_S, (mode, took)
    assert DOCTOR[mode] in output, output
    assert (code == 0) == (mode == "huge"), output
    _no_secret(output)


def test_redirect_to_another_host_gets_no_key(monkeypatch, tmp_path, capsys):
    """The other host answers a perfect message: following the redirect would PASS."""
    _clean(monkeypatch, tmp_path, ANTHROPIC_AUTH_TOKEN=SECRET)
    with HostileGateway("redirect") as g:
        code, output, _ = _run(["probe", g.url, "--json"], capsys)
        assert g.got and not g.other.got, g.other.got
        location = f"http://127.0.0.1:{g.other.port}/v1/messages"
    report = json.loads(output)
    assert [c["status"] for c in report["criteria"]] == ["fail"], report
    assert location in report["criteria"][0]["detail"], report


# Keys a reader can end up with: read from a CRLF file, pasted with a newline, non-Latin-1.
ODD_KEYS = {"crlf": SECRET + "\r", "newline": SECRET + "\n", "unicode": "sk-🔑-" + SECRET[3:]}


@pytest.mark.parametrize("kind", list(ODD_KEYS))
def test_odd_keys_are_never_printed_or_sent(kind, monkeypatch, tmp_path, capsys):
    key = ODD_KEYS[kind]
    with HostileGateway("redirect") as g:
        _clean(monkeypatch, tmp_path, ANTHROPIC_AUTH_TOKEN=key, ANTHROPIC_BASE_URL=g.url)
        code, output, _ = _run(["probe", g.url], capsys)
        assert code != 0 and "it cannot be sent" in output, output
        _no_secret(output, key)
        code, output, _ = _run(["doctor", "--check"], capsys)
        assert "no request sent" in output, output
        _no_secret(output, key)
        assert not g.got, g.got


def test_passwords_in_urls_and_proxies_are_not_printed(monkeypatch, tmp_path, capsys):
    _clean(monkeypatch, tmp_path, ANTHROPIC_AUTH_TOKEN=SECRET,
           ANTHROPIC_BASE_URL="http://gw-user:base-hunter2@127.0.0.1:9",
           HTTPS_PROXY="http://bob:proxy-hunter2@127.0.0.1:9", NO_PROXY="127.0.0.1")
    code, output, _ = _run(["doctor", "--check"], capsys)
    assert "http://bob:***@127.0.0.1:9" in output and "gw-user:***@" in output, output
    code, output2, _ = _run(["probe", "http://gw-user:base-hunter2@127.0.0.1:9"], capsys)
    for text in (output, output2):
        assert "hunter2" not in text, text
        _no_secret(text)


def test_a_helper_command_with_a_key_in_it_is_masked_not_run(tmp_path):
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "settings.json").write_text(json.dumps(
        {"apiKeyHelper": f"touch {tmp_path}/ran; echo {SECRET}",
         "env": {"ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}}))
    model = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"  # long, but not a secret
    found, extra = doctor(env={"ANTHROPIC_MODEL": model}, home=tmp_path, cwd=tmp_path,
                          managed=tmp_path / "none")
    assert "; echo …PART" in extra["report"], extra
    assert not (tmp_path / "ran").exists(), "doctor ran the helper"
    assert f"ANTHROPIC_MODEL = {model}" in extra["report"], extra
    _no_secret(extra["report"] + json.dumps(extra["effective"]))


@pytest.mark.parametrize("value,shown", [
    ("sk-0123456789abcd", "…abcd"), ("short", "…"), (SECRET + "\r", "…ART\\r"),
    ("sk-ключ-0123456789", "…6789"), ("sk-0123456789é\n", "…89\\xe9\\n")])
def test_mask_shows_at_most_four_escaped_characters(value, shown):
    assert secrets.mask(value) == shown
