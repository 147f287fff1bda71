"""Sybil collects every code block written inline on a page (not included from snippets/ or
docs/_captured/) and checks it: YAML loads, JSON parses and matches the settings schema,
bash passes shellcheck. Inline console transcripts are refused: output must be captured."""

from sybil import Sybil
from sybil.parsers.myst import CodeBlockParser

from tests.harness import static_checks


def _checker(check):
    def evaluate(example):
        check(example.parsed)
        static_checks.CHECKED_INLINE.add((example.path, example.parsed.strip("\n")))
    return evaluate


def _no_console(text):
    raise AssertionError("console output on a page must be captured from a real run "
                         "(docs/_captured/, included with literalinclude)")


pytest_collect_file = Sybil(
    parsers=[
        CodeBlockParser("yaml", _checker(lambda t: static_checks.check_yaml(t, inline=True))),
        CodeBlockParser("json", _checker(static_checks.check_json)),
        CodeBlockParser("bash", _checker(static_checks.check_bash)),
        CodeBlockParser("console", _checker(_no_console)),
    ],
    patterns=["**/*.md"],
    excludes=["_build/**"],
).pytest()
