"""Every snippet file passes its static check (YAML loads, settings JSON matches the schema,
shell passes shellcheck) before the guides run it."""

import pytest

from tests.harness.project import SNIPPETS
from tests.harness.snippets import all_snippets
from tests.harness.static_checks import check_file


@pytest.mark.parametrize("rel", sorted(all_snippets()))
def test_snippet_passes_static_check(rel):
    check_file(SNIPPETS / rel)


def test_published_files_hold_no_secrets():
    import re

    real_key = re.compile(r"sk-ant-api\d{2}-[\w-]{20,}|AKIA[0-9A-Z]{16}|AIza[\w-]{35}")
    leaks = [rel for rel in all_snippets() if real_key.search((SNIPPETS / rel).read_text())]
    assert not leaks, f"something that looks like a real credential: {leaks}"
