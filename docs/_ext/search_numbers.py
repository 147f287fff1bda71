"""Search finds the numbers readers type (`407`, `429`, `4000`). Sphinx's English search
leaves number-only words out of the index, and its searchtools.js drops them from the query;
this keeps numbers of three or more digits in both (shorter ones are list numbers and noise).
The query side is _static/search-numbers.js. Proven by tests/site/test_search.py, which runs
the real searchtools.js in the browser."""

from sphinx.search.en import SearchEnglish


class SearchEnglishWithNumbers(SearchEnglish):
    lang = "en"

    def word_filter(self, word: str) -> bool:
        if word.isdigit():
            return len(word) >= 3
        return super().word_filter(word)


def setup(app):
    app.add_search_language(SearchEnglishWithNumbers)
    app.add_js_file("search-numbers.js")
    app.setup_extension("search_ranking")  # what the ranking needs beyond the index
    return {"parallel_read_safe": True, "parallel_write_safe": True}
