"""Every snippet file passes its static check (YAML loads, settings JSON matches the schema,
shell passes shellcheck) before the guides run it."""

import pytest

from tests.harness.project import SNIPPETS
from tests.harness.proof.snippets import all_snippets
from tests.harness.proof.static_checks import check_file


@pytest.mark.parametrize("rel", sorted(all_snippets()))
def test_snippet_passes_static_check(rel):
    check_file(SNIPPETS / rel)


def test_published_files_hold_no_secrets():
    import re

    real_key = re.compile(r"sk-ant-api\d{2}-[\w-]{20,}|AKIA[0-9A-Z]{16}|AIza[\w-]{35}")
    leaks = [rel for rel in all_snippets() if real_key.search((SNIPPETS / rel).read_text())]
    assert not leaks, f"something that looks like a real credential: {leaks}"


def test_settings_schema_names_only_keys_the_pinned_cli_reads():
    """The schema the settings snippets and inline JSON are checked against agrees with the
    pinned binary: every key it allows is a settings key Claude Code reads, and a settings
    `env` name the binary never reads fails (static_checks.check_settings_names)."""
    import pytest

    from tests.harness.proof.static_checks import SETTINGS_SCHEMA, check_json
    from tests.harness.reader import claude_binary

    keys = set(SETTINGS_SCHEMA["properties"]) - {"$schema"}
    assert keys <= claude_binary.settings_keys(), keys - claude_binary.settings_keys()
    check_json('{"env": {"ANTHROPIC_BASE_URL": "http://localhost:4000"}}')
    with pytest.raises(AssertionError, match="ANTHROPIC_BASE_URLL"):
        check_json('{"env": {"ANTHROPIC_BASE_URLL": "http://localhost:4000"}}')
