"""The provider fake speaks the Anthropic wire format and injects faults as asked: the
proof's only stand-in is itself tested."""

import http.client
import json

import pytest

BODY = {"model": "claude-opus-5-5", "max_tokens": 16,
        "messages": [{"role": "user", "content": "hi"}]}


def post(fake, path, body, timeout=5):
    conn = http.client.HTTPConnection(fake.host, fake.port, timeout=timeout)
    conn.request("POST", path, json.dumps(body),
                 {"content-type": "application/json", "anthropic-version": "2023-06-01"})
    return conn.getresponse()


def test_message_json_and_recording(upstream):
    r = post(upstream, "/v1/messages?beta=true", BODY)
    answer = json.loads(r.read())
    assert r.status == 200
    assert answer["content"] == [{"type": "text", "text": "pong"}]
    assert answer["usage"]["output_tokens"] > 0
    (req,) = upstream.received("POST", "/v1/messages")
    assert req.query == {"beta": ["true"]}
    assert req.header("Anthropic-Version") == "2023-06-01"
    assert req.json["model"] == "claude-opus-5-5"


def test_message_sse_event_sequence(upstream):
    r = post(upstream, "/v1/messages", dict(BODY, stream=True))
    assert r.getheader("content-type") == "text/event-stream"
    events = [line.split(": ", 1)[1] for line in r.read().decode().splitlines()
              if line.startswith("event: ")]
    assert events == ["message_start", "content_block_start", "ping", "content_block_delta",
                      "content_block_delta", "content_block_stop", "message_delta",
                      "message_stop"]


def test_count_tokens(upstream):
    r = post(upstream, "/v1/messages/count_tokens", BODY)
    assert r.status == 200 and json.loads(r.read())["input_tokens"] > 0


def test_fault_status_retry_after_then_recovers(upstream):
    upstream.fail(429, {"type": "error", "error": {"type": "rate_limit_error",
                                                  "message": "slow down"}}, retry_after="7")
    r = post(upstream, "/v1/messages", BODY)
    assert (r.status, r.getheader("retry-after")) == (429, "7")
    assert json.loads(r.read())["error"]["message"] == "slow down"
    assert post(upstream, "/v1/messages", BODY).status == 200


def test_fault_drop_resets_connection(upstream):
    upstream.drop()
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        post(upstream, "/v1/messages", BODY).read()


def test_fault_hang_never_answers(upstream):
    upstream.hang()
    with pytest.raises(TimeoutError):
        post(upstream, "/v1/messages", BODY, timeout=1).read()


def test_reset_restores_the_reply(provider):
    provider.reply_text = "something else"
    provider.reset()
    assert provider.reply_text == "pong"
