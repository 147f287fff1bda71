"""How-to: roll out Claude Code through a gateway (docs/how-to/roll-out-to-a-team.md). Most of
its checkpoints are snippets other guides' tests already run; this module runs the ones only
this page has: managed settings that carry the gateway's address and a token helper, read by
the real Claude Code from /etc/claude-code (a private overlay of /etc for that one process, the
machine untouched), checked from a developer's machine, and rolled back."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.harness import isolation
from tests.harness.proof import captures, snippets
from tests.harness.proof.snippets import snippet
from tests.harness.reader import claude_binary
from tests.harness.reader.expect import claude_replied, upstream_messages
from tests.harness.start import nginx

MANAGED = "rollout/01-managed-settings.json"
HELPER = "enterprise/05-gateway-token.sh"  # saved as /etc/claude-code/gateway-token.sh
CHECK = "connect/01-auth-status.sh"
FIRST_REQUEST = "quickstart/07-first-request.sh"
ALICE = "sk-gw-alice-change-me"
PROVIDER_KEY = "sk-ant-your-anthropic-key"


@pytest.fixture
def company_gateway(gateways, provider):
    gateways.get(("quickstart/03-start-gateway.sh",), {"config.yaml": "quickstart/02-config.yaml"},
                 env={"ANTHROPIC_API_BASE": provider.url})
    gw = nginx.start(("enterprise/12-start-gateway.sh",),
                     {"gateway.conf.template": "enterprise/10-gateway.conf.template",
                      "developers.map": "enterprise/11-developers.map"})
    yield gw
    gw.stop()


@pytest.fixture
def managed_etc(tmp_path):
    """/etc/claude-code as the rollout's MDM delivers it: the managed settings file and the
    token helper it names, laid over /etc for the commands run through `on_machine`."""
    if why := isolation.private_etc_unavailable(tmp_path):
        pytest.skip(f"managed settings live in /etc/claude-code; no private overlay of /etc "
                    f"here: {why}")
    upper, work = tmp_path / "etc-upper", tmp_path / "etc-work"
    (upper / "claude-code").mkdir(parents=True)
    work.mkdir()
    shutil.copyfile(snippet(MANAGED), upper / "claude-code" / "managed-settings.json")
    shutil.copyfile(snippet(HELPER), upper / "claude-code" / "gateway-token.sh")
    return upper, work


def on_machine(terminal, managed_etc, rel: str):
    """Run a snippet on the developer's machine with the managed files in place."""
    upper, work = managed_etc
    result = terminal.sh(isolation.with_private_etc(upper, work, f"source {snippet(rel)}"))
    snippets.ran(rel, MANAGED, HELPER)  # sourced there; Claude Code read the managed files
    return result


def developer_token(terminal, token: str = ALICE) -> None:
    """What the company's sign-in agent leaves for the helper to print."""
    path = terminal.home / ".config" / "llm-gateway" / "token"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(token + "\n")


def test_managed_settings_bring_the_address_and_the_helper(company_gateway, managed_etc,
                                                           terminal, upstream):
    """A developer's machine with nothing of its own: no shell variables, no settings files.
    The managed file alone points Claude Code at the gateway and runs the helper."""
    developer_token(terminal)
    status = on_machine(terminal, managed_etc, CHECK)
    assert status.stdout.splitlines() == ["Auth token: apiKeyHelper",
                                          "Anthropic base URL: http://localhost:8080"], \
        status.output
    captures.check("connect/auth-status-managed.console",
                   captures.console(snippet(CHECK).read_text(), status.stdout))
    claude_replied(on_machine(terminal, managed_etc, FIRST_REQUEST), "pong")
    (call,) = upstream_messages(upstream)
    assert call.header("x-api-key") == PROVIDER_KEY and ALICE not in str(call.headers)
    access = (company_gateway.workdir / "gateway-access.log").read_text()
    assert re.search(r'"POST /v1/messages\?beta=true HTTP/1.1" 200', access), access


def test_managed_address_beats_the_developers_own_settings(company_gateway, managed_etc,
                                                          terminal, upstream):
    """A developer whose own settings still name another address is taken to the managed
    one."""
    developer_token(terminal)
    terminal.settings("user", "quickstart/06-connect-project-settings.json")  # localhost:4000
    status = on_machine(terminal, managed_etc, CHECK)
    assert "Anthropic base URL: http://localhost:8080" in status.stdout.splitlines(), \
        status.output
    claude_replied(on_machine(terminal, managed_etc, FIRST_REQUEST), "pong")
    access = (company_gateway.workdir / "gateway-access.log").read_text()
    assert "POST /v1/messages" in access, access


def test_removing_the_managed_file_rolls_the_machine_back(managed_etc, terminal):
    developer_token(terminal)
    assert "Anthropic base URL: http://localhost:8080" in \
        on_machine(terminal, managed_etc, CHECK).stdout
    (managed_etc[0] / "claude-code" / "managed-settings.json").unlink()
    after = on_machine(terminal, managed_etc, CHECK)
    assert "Anthropic base URL" not in after.output and "apiKeyHelper" not in after.output, \
        after.output


def test_managed_settings_folders_are_the_pinned_binarys():
    """The folders the page names for macOS and Windows are the ones the pinned binary reads
    managed-settings.json from (the Linux one is exercised above)."""
    data = claude_binary.binary().read_bytes()
    for folder in (b"/Library/Application Support/ClaudeCode", b"C:\\Program Files\\ClaudeCode",
                   b"/etc/claude-code"):
        assert folder in data, folder
    assert b"managed-settings.json" in data
