"""The Kubernetes manifests on docs/how-to/production.md: no cluster runs here, so each is
validated offline against the Kubernetes schemas (kubernetes-validate, strict) and the
ConfigMap's LiteLLM config is loaded and served by the pinned LiteLLM."""

from __future__ import annotations

import subprocess

import kubernetes_validate
import pytest
import yaml

from tests.harness.proof.snippets import ran, snippet
from tests.harness.reader.expect import claude_replied
from tests.harness.start import images

KUBERNETES_VERSION = "1.37.0"  # the page names it
MANIFESTS = ["kubernetes/01-configmap.yaml", "kubernetes/02-deployment.yaml",
             "kubernetes/03-service.yaml", "kubernetes/04-poddisruptionbudget.yaml",
             "kubernetes/05-horizontalpodautoscaler.yaml"]


@pytest.mark.parametrize("rel", MANIFESTS)
def test_manifest_is_valid_for_kubernetes(rel):
    for doc in yaml.safe_load_all(snippet(rel).read_text()):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    ran(rel)


def test_invalid_manifest_is_refused():
    """The validator is not a rubber stamp: a misspelt probe field fails strict validation."""
    doc = yaml.safe_load(snippet("kubernetes/02-deployment.yaml").read_text())
    doc["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["periodSecond"] = 5
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_deployment_matches_the_tested_image_and_probes():
    deployment = yaml.safe_load(snippet("kubernetes/02-deployment.yaml").read_text())
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == images.LITELLM_IMAGE
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/readiness"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/liveliness"


def test_configmap_config_is_served_by_litellm(gateways, provider, terminal, tmp_path):
    """The ConfigMap's config.yaml, started with the quickstart's start snippet; `redis`
    resolves to a real Redis on loopback, as the Service name would in the cluster."""
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_load(snippet("kubernetes/01-configmap.yaml").read_text())
                      ["data"]["config.yaml"])
    redis = subprocess.Popen(["redis-server", "--port", "6379", "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL,
                             start_new_session=True)
    try:
        gw = gateways.get(("quickstart/03-start-gateway.sh",), {"config.yaml": config},
                          env={"ANTHROPIC_API_BASE": provider.url},
                          hosts={"redis": "127.0.0.1"})
        claude_replied(terminal.run("quickstart/06-connect-shell.sh",
                                    "quickstart/07-first-request.sh"), "pong")
        gateways.free_port(gw.port)
    finally:
        redis.terminate()
        redis.wait(10)


def test_bench_instances_output_is_consistent():
    """The page includes the output of `nox -s bench-instances` (a benchmark, not a test):
    check it is that session's output and that its ratios follow from its own figures."""
    import re

    from tests.harness.project import CAPTURED
    from tests.harness.proof import captures
    text = (CAPTURED / "production/bench-instances.txt").read_text()
    assert text.startswith("nox -s bench-instances:") and "\nmachine: " in text
    direct = float(re.search(r"direct to the provider stand-in: (\d+) req/s", text).group(1))
    rows = re.findall(r"^\s+(\d+) \|\s+([\d.]+) \|\s+([\d.]+) \|", text, re.M)
    assert [int(n) for n, _, _ in rows][0] == 1 and len(rows) >= 2
    for _, rps, ratio in rows:
        assert abs(float(rps) / direct - float(ratio)) < 0.01, (rps, ratio)
    captures.check("production/bench-instances.txt", text)
