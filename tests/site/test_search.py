"""Search finds what readers type: error codes, variable names, config keys. Each query runs
through the site's real searchtools.js on the built search page in the reader's browser, and
the page that answers it must be among the first results."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from .conftest import VARIANTS

TOP = 3  # a reader looks at the first few results, no further
QUERIES = {
    # what the reader types: pages that answer it (any one of them, within TOP)
    "407": ["how-to/corporate-proxy"],
    "429": ["how-to/enterprise-gateway", "how-to/bedrock"],
    "ECONNREFUSED": ["troubleshooting/index", "tutorials/quickstart"],
    "ERR_PROXY_TUNNEL": ["how-to/corporate-proxy"],
    "ANTHROPIC_BASE_URL": ["reference/environment-variables", "tutorials/quickstart"],
    "ANTHROPIC_AUTH_TOKEN": ["reference/environment-variables", "how-to/enterprise-gateway"],
    "NODE_EXTRA_CA_CERTS": ["how-to/corporate-proxy", "reference/environment-variables"],
    "HTTPS_PROXY": ["how-to/corporate-proxy", "reference/environment-variables"],
    "apiKeyHelper": ["how-to/enterprise-gateway"],
    "master_key": ["tutorials/quickstart", "reference/environment-variables"],
    "401": ["tutorials/quickstart", "how-to/enterprise-gateway"],
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
