"""pytest wiring for the harness: isolation first, then the shared fixtures every guide uses.
Loaded for every run through `-p tests.harness.plugin` in pyproject.toml."""

from __future__ import annotations

import pytest

from . import anthropic_wire, gateway, isolation
from .project import CLAUDE_CODE_VERSION, LITELLM_VERSION
from .provider_fake import ProviderFake
from .terminal import Terminal

NO_ISOLATION: str | None = "not entered"


def pytest_configure(config):
    global NO_ISOLATION
    # Before any thread or server exists: everything the tests start inherits the namespace.
    NO_ISOLATION = isolation.enter_private_network()


def pytest_report_header(config):
    where = NO_ISOLATION or "private network namespace, loopback only (no route out)"
    return [f"isolation: {where}",
            f"pinned: LiteLLM {LITELLM_VERSION}, Claude Code {CLAUDE_CODE_VERSION}",
            gateway.backend_report()]


def pytest_collection_modifyitems(items):
    # The coverage guard judges what the rest of the run exercised, so it runs last.
    items.sort(key=lambda item: item.get_closest_marker("guard") is not None)


@pytest.fixture(scope="session")
def isolated():
    if NO_ISOLATION:
        pytest.skip(f"needs a private network namespace for the published ports: {NO_ISOLATION}")


@pytest.fixture(scope="session")
def provider(isolated):
    """The Anthropic API stand-in every gateway in the session forwards to."""
    fake = anthropic_wire.install(ProviderFake()).start()
    yield fake
    fake.stop()


@pytest.fixture
def upstream(provider):
    """The provider fake with an empty request log and no pending faults."""
    provider.reset()
    return provider


@pytest.fixture(scope="session")
def gateways(isolated):
    pool = gateway.GatewayPool()
    yield pool
    pool.stop_all()


@pytest.fixture
def terminal(tmp_path, isolated):
    return Terminal(tmp_path)
