"""Every configuration page carries the security warning, and every page that configures a
third-party gateway carries the third-party notice (docs/how-to/security.md says both, and
names this test). Read from the page sources: what a page includes is what it shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.harness.project import ROOT, SNIPPETS

DOCS = ROOT / "docs"
SKIPPED = ("_build", "_captured", "_generated", "_includes", "_ext", "_static")
# The secrets warning: the general one (with LiteLLM's master key), or the Claude apps
# gateway's, which names only the secrets its gateway.yaml holds.
WARNINGS = ("_includes/secrets-warning.md", "_includes/secrets-warning-apps-gateway.md")
LITELLM_NOTICE = "_includes/litellm-notice.md"
OPEN_SOURCE_NOTICE = "_includes/open-source-notice.md"
# Both notice templates (LiteLLM's include, the vendors page's own) say this.
THIRD_PARTY = "made neither by Anthropic nor by this site"

CONFIG_SUFFIXES = {".yaml", ".yml", ".json", ".env", ".cfg", ".template", ".map", ".conf"}
# A shell snippet is configuration when it sets a credential or points a client somewhere.
SETS_CONFIG = re.compile(
    r"^(export\s+)?[A-Z_]*(KEY|TOKEN|SECRET|PASSWORD|BASE_URL|_PROXY|CERT\w*)=", re.M)
# A snippet that configures or starts LiteLLM.
LITELLM = re.compile(r"^\s*model_list:|litellm_params:|^\s*litellm\s+--", re.M)
# nginx (a server or location block, proxy_pass) and HAProxy (a section line; `listen:` with
# a colon is a Claude apps gateway key, not HAProxy's `listen NAME`).
OPEN_SOURCE = re.compile(r"^\s*(server|location|upstream)\b[^\n]*\{|\bproxy_pass\s|"
                         r"^(frontend|backend|defaults|listen)(?=\s)", re.M)
# Vendor gateways (the vendors page): each is third-party as LiteLLM is.
VENDOR = re.compile(r"cf-aig-|x-portkey-|truefoundry|zuplo|mintmcp", re.I)


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md")
                  if not set(p.relative_to(DOCS).parts) & set(SKIPPED))


def included_snippets(page: Path) -> list[Path]:
    text = page.read_text()
    return [(page.parent / rel).resolve() for rel in
            re.findall(r"```\{literalinclude\}\s+(\S*snippets/\S+)", text)]


def is_configuration(snippet: Path) -> bool:
    if snippet.suffix in CONFIG_SUFFIXES:
        return True
    return snippet.suffix == ".sh" and bool(SETS_CONFIG.search(snippet.read_text()))


def includes(page: Path, include: str) -> bool:
    return re.search(r"```\{include\}\s+\S*" + re.escape(include), page.read_text()) is not None


def configuration_pages() -> list[Path]:
    return [p for p in pages() if any(is_configuration(s) for s in included_snippets(p))]


def test_the_rules_see_the_pages_they_are_about():
    """The rules are not vacuous: they find the quickstart's config and its LiteLLM."""
    quickstart = DOCS / "tutorials" / "quickstart.md"
    assert quickstart in configuration_pages()
    assert any(LITELLM.search(s.read_text()) for s in included_snippets(quickstart))
    # …and nginx on the enterprise gateway page, HAProxy (not the apps gateway's `listen:`)
    # on the production page only among the apps gateway's and production's.
    found = {p.name for p in pages() for s in included_snippets(p)
             if OPEN_SOURCE.search(s.read_text())}
    assert {"enterprise-gateway.md", "production.md"} <= found, found
    assert not {"claude-apps-gateway.md", "apps-gateway-deploy.md"} & found, found
    assert all(s.is_relative_to(SNIPPETS) and s.exists()
               for p in pages() for s in included_snippets(p))


@pytest.mark.parametrize("page", configuration_pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_configuration_page_carries_the_security_warning(page):
    """SC-006: every page that shows a configuration (a config file, or a snippet that sets a
    key, a token, an address or a proxy) includes the secrets warning."""
    assert any(includes(page, w) for w in WARNINGS), (
        f"{page.relative_to(DOCS)}: none of {WARNINGS}")


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_third_party_page_carries_the_notice(page):
    """FR-038: a page that configures LiteLLM includes its notice; one that configures nginx
    or HAProxy, or names Cntlm, the open-source notice; a page that configures a vendor's
    gateway carries the same notice for that vendor."""
    shown = [s.read_text() for s in included_snippets(page)]
    rel = page.relative_to(DOCS)
    if any(LITELLM.search(text) for text in shown):
        assert includes(page, LITELLM_NOTICE), f"{rel}: configures LiteLLM, no {LITELLM_NOTICE}"
    if any(OPEN_SOURCE.search(text) for text in shown) or "Cntlm" in page.read_text():
        assert includes(page, OPEN_SOURCE_NOTICE), (
            f"{rel}: configures nginx or HAProxy, or names Cntlm; no {OPEN_SOURCE_NOTICE}")
    if any(VENDOR.search(text) for text in shown):
        text = " ".join(page.read_text().split())
        assert THIRD_PARTY in text, f"{rel}: configures a vendor, no notice"


GUIDES = sorted(p for p in pages() if p.parent.name in ("tutorials", "how-to")
                and p.name != "index.md")


@pytest.mark.parametrize("page", GUIDES, ids=lambda p: str(p.relative_to(DOCS)))
def test_guide_links_to_its_prerequisites(page):
    """FR-032: each guide links, near its top, to its own section of the prerequisites page."""
    head = "\n".join(page.read_text().splitlines()[:30])
    m = re.search(r"\]\(\.\./reference/prerequisites\.md#([\w-]+)\)", head)
    assert m, f"{page.relative_to(DOCS)}: no prerequisites link in its first 30 lines"
    headings = re.findall(r"^#{2,3} (.+)$", (DOCS / "reference" / "prerequisites.md").read_text(),
                          re.M)
    slugs = {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}
    assert m.group(1) in slugs, f"{page.relative_to(DOCS)}: #{m.group(1)} is not a section"
