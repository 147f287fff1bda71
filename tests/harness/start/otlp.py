"""The company's OpenTelemetry collector stand-in: an OTLP/HTTP receiver that records what it
is sent (POST /v1/metrics, /v1/logs, /v1/traces) and answers 200, like a collector would.

Bodies are decoded without the OpenTelemetry SDK: JSON as JSON, protobuf by walking the wire
format and keeping every string field, which is where OTLP carries names, attribute keys and
values (`strings()`), enough to assert what reached the collector."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass

from tests.harness.wire.provider_fake import ProviderFake


@dataclass
class Export:
    path: str
    content_type: str
    body: bytes
    headers: dict[str, str]

    def strings(self) -> list[str]:
        if "json" in self.content_type:
            out: list[str] = []
            _json_strings(json.loads(self.body), out)
            return out
        return _proto_strings(self.body)


def _json_strings(value, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            out.append(k)
            _json_strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _json_strings(v, out)


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _proto_strings(data: bytes, depth: int = 0) -> list[str]:
    """Every length-delimited field that is printable UTF-8 text is kept as a string; any
    other is walked as a nested message."""
    out, i = [], 0
    try:
        while i < len(data):
            key, i = _varint(data, i)
            wire = key & 7
            if wire == 0:
                _, i = _varint(data, i)
            elif wire == 1:
                i += 8
            elif wire == 5:
                i += 4
            elif wire == 2:
                n, i = _varint(data, i)
                chunk = data[i:i + n]
                i += n
                try:  # OTLP messages start with a tag byte that is not printable text
                    text = chunk.decode()
                except UnicodeDecodeError:
                    text = None
                if text is not None and text.isprintable():
                    out.append(text)
                elif depth < 12 and chunk:
                    out.extend(_proto_strings(chunk, depth + 1))
            else:
                return [] if depth else out  # not a message after all
        return out
    except IndexError:
        return [] if depth else out


class Collector:
    """The collector: the provider fake's recording server with the OTLP/HTTP routes."""

    def __init__(self):
        self._fake = ProviderFake()
        for signal in ("metrics", "logs", "traces"):
            self._fake.route("POST", rf"/v1/{signal}/?",
                             lambda req, resp, _m: resp.json(200, {}))

    @property
    def url(self) -> str:
        return self._fake.url

    def start(self) -> Collector:
        self._fake.start()
        return self

    @property
    def exports(self) -> list[Export]:
        out = []
        for r in self._fake.received("POST", r"^/v1/(metrics|logs|traces)/?$"):
            body = gzip.decompress(r.body) if r.header("content-encoding") == "gzip" else r.body
            out.append(Export(r.path, r.header("content-type") or "", body, dict(r.headers)))
        return out

    def received(self, signal: str) -> list[Export]:
        return [e for e in self.exports if e.path.rstrip("/").endswith(f"/v1/{signal}")]

    def stop(self) -> None:
        self._fake.stop()
