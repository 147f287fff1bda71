"""Sybil collects every code block written inline on a page (not included from snippets/ or
docs/_captured/) and checks it (tests/harness/proof/static_checks.py INLINE_CHECKS): YAML loads and
is no LiteLLM config, JSON parses and names only settings the pinned Claude Code reads; shell
and console blocks are refused (commands are snippets a test runs, output is captured). A
block no parser here knows (another language, plain) is not checked, so the coverage guard
refuses it."""

from sybil import Sybil
from sybil.parsers.myst import CodeBlockParser

from tests.harness.proof import static_checks


def _checker(language):
    def evaluate(example):
        static_checks.check_inline(str(example.path), language, example.parsed)
    return evaluate


pytest_collect_file = Sybil(
    parsers=[CodeBlockParser(language, _checker(language))
             for language in static_checks.INLINE_CHECKS],
    patterns=["**/*.md"],
    excludes=["_build/**"],
).pytest()
