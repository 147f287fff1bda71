"""What the search ranking needs beyond Sphinx's index, for the search page only
(`_static/search-ranking.js`, read by _static/search-scorer.js):

- quotes: each page's multi-word inline literals (the messages, commands and settings it
  quotes), lowercased to their words. Sphinx's index holds single words, so a pasted error
  ("Connection refused", "No connected db") matches every page that has both words anywhere;
  the scorer ranks higher the pages where the words run in that order in one literal.
- counts: how often each page uses a word, stemmed as the index stems it, for the words it
  uses three times or more, or twice when few pages (at most RARE) have the word. Sphinx's
  index says whether a page has a word, not how much it is about it: "Prometheus" is one
  line of the quickstart and a section of the production guide.

Proven by tests/site/test_search.py, which runs the real search page in the browser."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import snowballstemmer
from docutils import nodes
from sphinx.search.en import SearchEnglish

WORDS = re.compile(r"\w+")
TEST_NAME = re.compile(r"\btest_\w*")  # how a page is tested is not what readers search for
DATA = "search-ranking.js"
RARE = 12  # pages; a word on more pages than this says little about any one of them


def words(text: str) -> str:
    return " ".join(WORDS.findall(text.lower()))


def _store(env) -> dict[str, dict]:
    if not hasattr(env, "search_ranking"):
        env.search_ranking = {}
    return env.search_ranking


def _searchable(node: nodes.Node | None) -> bool:
    """As Sphinx's index sees it: not in a comment, raw markup or a `no-search` element."""
    while node is not None:
        if isinstance(node, (nodes.comment, nodes.raw)) or (
                isinstance(node, nodes.Element) and "no-search" in node["classes"]):
            return False
        node = node.parent
    return True


def collect(app, doctree):
    stem = snowballstemmer.stemmer("english").stemWord
    quotes = []
    for node in doctree.findall(nodes.literal):
        phrase = words(node.astext())
        if " " in phrase and phrase not in quotes and not TEST_NAME.search(phrase):
            quotes.append(phrase)
    counts = Counter()
    for text in doctree.findall(nodes.Text):
        if not _searchable(text.parent):
            continue
        for word in WORDS.findall(text.astext().lower()):
            if word not in SearchEnglish.stopwords and not (word.isdigit() and len(word) < 3) \
                    and not TEST_NAME.match(word):
                counts[stem(word)] += 1
    _store(app.env)[app.env.docname] = {"quotes": quotes, "counts": dict(counts)}


def purge(app, env, docname):
    _store(env).pop(docname, None)


def merge(app, env, docnames, other):
    store = _store(env)
    theirs = getattr(other, "search_ranking", {})
    for docname in docnames:
        if docname in theirs:
            store[docname] = theirs[docname]


def write(app, exception):
    if exception or app.builder.format != "html":
        return
    env = app.env
    store = _store(env)
    docs = [doc for doc in sorted(store) if doc in env.all_docs
            and not env.metadata.get(doc, {}).get("nosearch")]
    pages = Counter(word for doc in docs for word in store[doc]["counts"])
    data = {
        "quotes": {doc: store[doc]["quotes"] for doc in docs if store[doc]["quotes"]},
        "counts": {doc: {word: n for word, n in sorted(store[doc]["counts"].items())
                         if n >= 3 or (n == 2 and pages[word] <= RARE)} for doc in docs},
    }
    out = Path(app.outdir) / "_static" / DATA
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("window.SEARCH_RANKING = "
                   + json.dumps(data, separators=(",", ":"), ensure_ascii=False) + ";\n")


def on_search_page(app, pagename, templatename, context, doctree):
    if pagename == "search":
        app.add_js_file(DATA)


def setup(app):
    app.connect("doctree-read", collect)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("html-page-context", on_search_page)
    app.connect("build-finished", write)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
