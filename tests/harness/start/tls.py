"""Private certificate authorities (trustme) for the TLS scenarios.

Two authorities, because a reader's world has two:
- PUBLIC stands in for the public web PKI that really signs api.anthropic.com. Programs trust
  it only because the harness says so in their environment (world shaping, like
  ANTHROPIC_API_BASE): Node through NODE_EXTRA_CA_CERTS, Python through SSL_CERT_FILE.
- CORP is the company's own CA: it signs the team gateway's certificate and the certificates
  a TLS-inspecting proxy forges. Pages tell the reader to save it as ~/corp-ca.pem; tests put
  it there.
"""

from __future__ import annotations

import functools
import ssl
from pathlib import Path

import trustme


class Authority:
    def __init__(self, name: str):
        self.name = name
        self.ca = trustme.CA(organization_name=name)

    def write_ca(self, path: Path) -> Path:
        """The CA certificate (PEM), as a reader saves it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.ca.cert_pem.write_to_path(str(path))
        return path

    def write_ca_key_pair(self, directory: Path) -> tuple[Path, Path]:
        """CA certificate and private key: what a TLS-inspecting proxy signs with."""
        directory.mkdir(parents=True, exist_ok=True)
        cert, key = directory / f"{self.name}-ca.pem", directory / f"{self.name}-ca.key"
        self.ca.cert_pem.write_to_path(str(cert))
        self.ca.private_key_pem.write_to_path(str(key))
        return cert, key

    def issue(self, directory: Path, *hosts: str) -> tuple[Path, Path]:
        """A server certificate (with its chain) and key for `hosts`, as files."""
        directory.mkdir(parents=True, exist_ok=True)
        leaf = self.ca.issue_cert(*hosts)
        cert, key = directory / f"{hosts[0]}.pem", directory / f"{hosts[0]}.key"
        cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        leaf.private_key_pem.write_to_path(str(key))
        return cert, key

    def server_context(self, directory: Path, *hosts: str) -> ssl.SSLContext:
        cert, key = self.issue(directory, *hosts)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        return ctx


@functools.cache
def public() -> Authority:
    return Authority("public-web-pki-stand-in")


@functools.cache
def corp() -> Authority:
    return Authority("corp-example")
