"""`gateway-assistant recommend` carries the site's warnings in every answer: the secrets
warning (SC-006: every configuration response), and the third-party notice in the
specification's template (FR-007, FR-038) for each component of the answer that Anthropic
does not make, judged from the snippets the answer hands out, not from the tool's own table.
The wording is the site's: the includes every configuration page shows say the same."""

from __future__ import annotations

import itertools
import json
import re

from gateway_assistant import cli, recommend
from gateway_assistant.recommend import QUESTIONS, decide
from tests.harness.project import ROOT

ALL = [dict(zip([q.key for q in QUESTIONS], values))
       for values in itertools.product(*[list(q.choices) for q in QUESTIONS])]
INCLUDES = ROOT / "docs" / "_includes"
# What a bundled snippet runs, read from its text: a LiteLLM config or start, an nginx start
# or config template.
RUNS = {"LiteLLM": re.compile(r"^\s*model_list:|^\s*litellm\s+--", re.M),
        "nginx": re.compile(r"^\s*nginx\s+-|^http \{$", re.M)}
# The specification's template, line by line, for a component X.
TEMPLATE = ("{x} ({what}), a third-party solution not developed or maintained by Anthropic",
            "Anthropic does not provide support for {x}",
            "{x}'s configuration and behaviour may change without notice",
            "contact {x} support or community",
            "Review {x}'s security and privacy policies before use")


def flags(answers: dict) -> list[str]:
    return [a for q in QUESTIONS if q.key in answers for a in (q.flag, answers[q.key])]


def flat(text: str) -> str:
    return " ".join(text.split())


def bundle_texts(answer: dict) -> list[str]:
    return [p["text"] for p in (*answer["configuration"], *answer["verification_steps"])]


def test_every_answer_carries_the_security_warning_and_each_third_party_notice():
    for answers in ALL:
        answer = recommend.as_dict(decide(answers))
        texts = bundle_texts(answer)
        runs = [name for name, pattern in RUNS.items()
                if any(pattern.search(t) for t in texts)]
        notices = {n["component"]: n["notice"] for n in answer["third_party_notices"]}
        assert sorted(notices) == sorted(runs), (answers, runs, sorted(notices))
        for name, lines in notices.items():
            what = recommend.THIRD_PARTIES[name].what
            for part in TEMPLATE:
                assert part.format(x=name, what=what) in flat(" ".join(lines)), (name, part)
        warning = answer["security_warning"]
        assert warning[0].startswith("Keep keys out of files you share"), answers
        assert "secret manager" in " ".join(warning) and "docs/how-to/security.md" in warning[-1]
        if "LiteLLM" in runs:
            assert any("GATEWAY_MASTER_KEY" in line for line in warning), answers


def test_the_placeholders_named_are_the_bundles_own():
    """The warning names exactly the placeholder values the bundle shows, so a reader knows
    which to replace."""
    for answers in ALL:
        answer = recommend.as_dict(decide(answers))
        text = "\n".join(bundle_texts(answer))
        warning = " ".join(answer["security_warning"])
        for value in recommend.PLACEHOLDERS:
            assert (value in warning) == (value in text), (answers, value)
        others = set(re.findall(r"[\w-]*change-me[\w-]*", text)) - {"sk-litellm-change-me"}
        assert ("anything containing change-me" in warning) == bool(others), (answers, others)


def test_no_notice_for_anthropics_own_gateway():
    answer = recommend.as_dict(decide(dict(
        team_size="team", security="sso", providers="anthropic", cost_tracking="none",
        environment="open", infrastructure="none", support="self")))
    assert answer["quick_answer"]["gateway"] == "apps-gateway"
    assert answer["third_party_notices"] == []
    warning = " ".join(answer["security_warning"])
    assert "the session secret" in warning and "guard it like the upstream key" in warning


def test_human_answer_shows_both_before_the_configuration(capsys):
    answers = dict(team_size="team", security="central-keys", providers="anthropic",
                   cost_tracking="none", environment="open", infrastructure="nginx",
                   support="self")
    assert cli.main(["recommend", *flags(answers)]) == 0
    out = capsys.readouterr().out
    order = [out.index(h) for h in ("Quick Answer", "THIRD-PARTY NOTICE: nginx",
                                    "THIRD-PARTY NOTICE: LiteLLM", "SECURITY WARNING",
                                    "Configuration")]
    assert order == sorted(order), out[:400]
    for name in ("nginx", "LiteLLM"):
        for line in recommend.third_party_notice(name):
            assert f"  {line}\n" in out
    assert cli.main(["recommend", *flags(answers), "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert [n["component"] for n in answer["third_party_notices"]] == ["nginx", "LiteLLM"]
    for line in answer["security_warning"]:
        assert f"  - {line}\n" in out


def test_wording_is_the_site_includes():
    """The LiteLLM notice every page that configures LiteLLM includes says what recommend
    says, with the same places to go; the secrets warnings say the same about keys."""
    include = flat((INCLUDES / "litellm-notice.md").read_text())
    notice = recommend.third_party_notice("LiteLLM")
    what = recommend.THIRD_PARTIES["LiteLLM"].what
    for part in TEMPLATE:
        assert part.format(x="LiteLLM", what=what) in include, part
    for url in (recommend.THIRD_PARTIES["LiteLLM"].community,
                recommend.THIRD_PARTIES["LiteLLM"].policies):
        assert url in include and any(url in line for line in notice)
    secrets = flat((INCLUDES / "secrets-warning.md").read_text())
    apps = flat((INCLUDES / "secrets-warning-apps-gateway.md").read_text())
    warning = " ".join(recommend.security_warning("litellm", []))
    for phrase in ("Keep keys out of files you share", "a provider key, a gateway key, a proxy "
                   "password or a client secret", "a settings file you commit, or a script",
                   "Vault, AWS Secrets Manager, GCP Secret Manager, Azure Key Vault, Kubernetes "
                   "secrets", "rotate keys like any other credential"):
        assert phrase in secrets and phrase in warning, phrase
    warning = " ".join(recommend.security_warning("apps-gateway", []))
    for phrase in ("the IdP client secret, the session secret", "guard it like the upstream key"):
        assert phrase in apps and phrase in warning, phrase
