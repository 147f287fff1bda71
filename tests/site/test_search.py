"""Search finds what readers type: the first words of an error, the words they use for a task
(SSO, monitoring, MDM, rollout), variable names and config keys. Each query runs through the
site's real searchtools.js, with the site's scorer (docs/_static/search-scorer.js), on the
built search page in the reader's browser, and the page that answers it must be among the
first results."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from .conftest import VARIANTS

TOP = 3  # a reader looks at the first few results, no further
QUERIES = {
    # what the reader types: pages that answer it (any one of them, within TOP)
    # -- the first words of a message, as Claude Code or the gateway prints it
    "Connection refused": ["troubleshooting/index", "tutorials/quickstart"],
    "ECONNREFUSED": ["troubleshooting/index", "tutorials/quickstart"],
    "No connected db": ["troubleshooting/index", "tutorials/quickstart"],
    "API Error: 400 No connected db.": ["troubleshooting/index", "tutorials/quickstart"],
    "Not logged in": ["troubleshooting/index", "tutorials/quickstart",
                      "how-to/connect-to-a-gateway"],
    "ERR_PROXY_TUNNEL": ["how-to/corporate-proxy", "troubleshooting/index"],
    "SELF_SIGNED_CERT_IN_CHAIN": ["how-to/corporate-proxy", "troubleshooting/index"],
    "invalid beta flag": ["how-to/field-failures-betas", "troubleshooting/index"],
    "Request timed out": ["troubleshooting/index", "how-to/field-failures-network"],
    "407": ["how-to/corporate-proxy"],
    "429": ["how-to/enterprise-gateway", "how-to/bedrock"],
    "401": ["tutorials/quickstart", "how-to/enterprise-gateway"],
    # -- the reader's words for what they want to do
    "litellm claude code": ["tutorials/quickstart"],
    "connect to company gateway": ["how-to/connect-to-a-gateway"],
    "subscription": ["how-to/connect-to-a-gateway"],
    "roll out": ["how-to/roll-out-to-a-team"],
    "rollout": ["how-to/roll-out-to-a-team", "how-to/migrate-and-roll-back"],
    "MDM": ["how-to/roll-out-to-a-team", "how-to/migrate-and-roll-back",
            "reference/settings-files"],
    "SSO": ["tutorials/claude-apps-gateway", "how-to/apps-gateway-deploy",
            "how-to/apps-gateway-policy", "how-to/roll-out-to-a-team"],
    "single sign-on": ["tutorials/claude-apps-gateway", "how-to/apps-gateway-deploy"],
    "monitoring": ["how-to/production", "how-to/apps-gateway-operations",
                   "how-to/roll-out-to-a-team"],
    "Prometheus": ["how-to/production"],
    "telemetry": ["how-to/apps-gateway-operations"],
    "virtual keys": ["reference/glossary", "how-to/security", "how-to/roll-out-to-a-team"],
    "per-developer keys": ["how-to/security", "how-to/enterprise-gateway",
                           "how-to/roll-out-to-a-team", "reference/glossary"],
    "master key": ["reference/glossary", "tutorials/quickstart"],
    "managed settings": ["reference/settings-files", "how-to/apps-gateway-policy",
                         "reference/glossary"],
    "model group": ["reference/glossary", "how-to/routing", "reference/litellm-config"],
    "spend limit": ["how-to/apps-gateway-policy"],
    "offboarding": ["how-to/apps-gateway-policy"],
    "bedrock": ["how-to/bedrock"],
    "vertex": ["how-to/vertex"],
    "kubernetes": ["how-to/production", "how-to/apps-gateway-deploy"],
    "corporate proxy": ["how-to/corporate-proxy"],
    "proxy password": ["how-to/corporate-proxy"],
    # -- names: variables, settings, config keys
    "ANTHROPIC_BASE_URL": ["reference/environment-variables", "tutorials/quickstart"],
    "ANTHROPIC_AUTH_TOKEN": ["reference/environment-variables", "how-to/enterprise-gateway",
                             "tutorials/quickstart"],
    "NODE_EXTRA_CA_CERTS": ["how-to/corporate-proxy", "reference/environment-variables"],
    "HTTPS_PROXY": ["how-to/corporate-proxy", "reference/environment-variables"],
    "apiKeyHelper": ["how-to/enterprise-gateway", "how-to/connect-to-a-gateway"],
    "master_key": ["tutorials/quickstart", "reference/environment-variables"],
}
RESULTS = "#search-results ul.search li a"


@pytest.fixture(scope="module")
def search_page(chromium, site_url):
    context = chromium.new_context(**VARIANTS["light-1280"])
    yield context.new_page()
    context.close()


def results(page, site_url: str, query: str) -> list[str]:
    page.goto(f"{site_url}search.html?q={quote(query)}")
    page.wait_for_selector("#search-results .search-summary", timeout=15000)
    hrefs = page.eval_on_selector_all(RESULTS, "links => links.map(a => a.href)")
    pages = []
    for href in hrefs:
        docname = href.removeprefix(site_url).split("#")[0].split("?")[0].removesuffix(".html")
        if docname not in pages:
            pages.append(docname)
    return pages


@pytest.mark.parametrize("query", sorted(QUERIES))
def test_search_finds_the_page_readers_need(search_page, site_url, query):
    found = results(search_page, site_url, query)
    assert set(found[:TOP]) & set(QUERIES[query]), (
        f"search for {query!r}: first results {found[:TOP]}, wanted one of {QUERIES[query]}")


def test_the_site_scorer_is_the_one_searching(search_page, site_url):
    """The ranking above is the site's own (a page's kind, its quotes, its word counts): the
    search page loads the scorer and the data it reads, so a build that lost either fails
    here rather than by one query slipping."""
    results(search_page, site_url, "Connection refused")
    loaded = search_page.evaluate(
        "() => ({scorer: typeof Scorer.score === 'function',"
        " quotes: Object.keys((window.SEARCH_RANKING || {}).quotes || {}).length,"
        " counts: Object.keys((window.SEARCH_RANKING || {}).counts || {}).length})")
    assert loaded["scorer"] and loaded["quotes"] > 10 and loaded["counts"] > 10, loaded
