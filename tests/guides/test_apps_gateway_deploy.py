"""How-to: deploy Claude apps gateway (docs/how-to/apps-gateway-deploy.md). No Kubernetes
cluster can run here: the manifests are validated offline against the Kubernetes schemas
(kubernetes-validate), and the production gateway.yaml they mount is booted for real."""

from __future__ import annotations

import json
import re

import kubernetes_validate
import yaml

from tests.harness.proof import captures
from tests.harness.proof.snippets import ran, snippet
from tests.harness.start import apps_gateway

MANIFESTS = "apps-gateway/30-kubernetes.yaml"
PRODUCTION = "apps-gateway/32-gateway-production.yaml"
KUBERNETES_VERSION = "1.33.0"


def documents():
    return [d for d in yaml.safe_load_all(snippet(MANIFESTS).read_text()) if d]


def test_manifests_are_valid_kubernetes_objects():
    for doc in documents():
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    assert [d["kind"] for d in documents()] == ["Deployment", "Service", "Secret"]
    ran(MANIFESTS)


def test_manifests_match_the_gateway_they_run():
    deployment, service, secret = documents()
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["gateway", "--config", "/etc/claude-gateway/gateway.yaml"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    config = yaml.safe_load(snippet(PRODUCTION).read_text())
    # The numbers the page reasons with: the mounted config's readiness grace, then the
    # probe's failures (every 5 s, 3 in a row) before the pod leaves the Service.
    probe = container["readinessProbe"]
    assert (probe["periodSeconds"], probe["failureThreshold"]) == (5, 3), probe
    assert config["store"]["readiness_grace_seconds"] == 120, config["store"]
    assert container["ports"][0]["containerPort"] == config["listen"]["port"]
    assert service["spec"]["type"] == "ClusterIP"  # internal only: the private-address rule
    referenced = set(re.findall(r"\$\{(\w+)\}", snippet(PRODUCTION).read_text()))
    assert set(secret["stringData"]) == referenced


def test_production_config_boots_and_publishes_its_public_url(apps_gateway_world, upstream):
    """Bound to 0.0.0.0 (inside the test's namespace that is loopback only); the discovery
    document names listen.public_url, not the address the request came to."""
    gw = apps_gateway.start({"gateway.yaml": PRODUCTION}, apps_gateway_world)
    try:
        status, body = apps_gateway.get(gw, "/.well-known/oauth-authorization-server")
        assert status == 200, body
        meta = json.loads(body)
        assert meta["issuer"] == "https://claude-gateway.corp.example.com", meta
        assert meta["device_authorization_endpoint"].startswith(meta["issuer"])
        captures.check("apps-gateway/discovery-production.json", json.dumps(meta, indent=2))
        assert "listening on http://0.0.0.0:8080" in gw.log(), gw.log()
    finally:
        gw.stop()


def test_host_without_public_url_fails_boot(apps_gateway_world, tmp_path):
    config = yaml.safe_load(snippet(PRODUCTION).read_text())
    del config["listen"]["public_url"]
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    log = apps_gateway.boot_failure({"gateway.yaml": path}, apps_gateway_world)
    lines = log.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("claude gateway:"))
    captures.check("apps-gateway/boot-no-public-url.txt", "\n".join(lines[start:]))
