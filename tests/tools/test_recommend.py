"""`gateway-assistant recommend` (src/gateway_assistant/recommend.py): every combination of
the seven deciding answers gets an answer made only of the site's snippets, byte for byte; the
classes of answers that decide the outcome each get the expected pattern and gateway; bad
answers get one line that says the fix, never a traceback. Pure Python, no gateway."""

from __future__ import annotations

import io
import itertools
import json
import re

import pytest

from gateway_assistant import cli, recommend
from gateway_assistant.recommend import QUESTIONS, BadAnswer, decide
from tests.harness.project import ROOT, SNIPPETS
from tests.harness.proof import captures, snippets

# Every combination of the seven answers that choose the bundle; the two with defaults
# (compliance, stage) add notes only, checked below.
DECIDING = [q for q in QUESTIONS if not q.default]
ALL = [dict(zip([q.key for q in DECIDING], values))
       for values in itertools.product(*[list(q.choices) for q in DECIDING])]
# A team that needs nothing central: the base every class below changes one or two answers of.
BASE = dict(team_size="team", security="standard", providers="anthropic", cost_tracking="none",
            environment="open", infrastructure="none", support="self")


def flags(answers: dict) -> list[str]:
    return [a for q in QUESTIONS if q.key in answers for a in (q.flag, answers[q.key])]


def test_every_combination_gets_an_answer_of_snippets_byte_for_byte():
    assert len(ALL) == 3 * 3 * 7 * 3 * 3 * 5 * 2
    texts = {rel: (SNIPPETS / rel).read_bytes().decode() for rel in snippets.all_snippets()}
    seen = set()
    for answers in ALL:
        answer = recommend.as_dict(decide(answers))
        quick = answer["quick_answer"]
        assert quick["pattern"] in recommend.PATTERN_TEXT and quick["gateway"] in recommend.GATEWAYS
        assert (quick["gateway"] != "none") == recommend.needs_gateway(answers)
        assert quick["pattern"].startswith(("corporate-proxy", "proxy-")) == (
            answers["environment"] != "open"), answers
        parts = [*answer["configuration"], *answer["verification_steps"]]
        assert answer["verification_steps"], answers  # there is always a way to check
        for part in parts:
            rel = part["snippet"].removeprefix("snippets/")
            assert part["text"] == texts[rel], (answers, rel)  # byte for byte
            seen.add(rel)
        for page in answer["additional_context"]["read"]:
            assert (ROOT / page).is_file(), (answers, page)
    assert seen == {p.snippet for p in recommend.all_parts()}  # no bundle is unreachable


@pytest.mark.guard
def test_every_bundled_snippet_ran():
    """What recommend hands out is what this run executed (a guard: it judges the whole run)."""
    not_run = sorted({p.snippet for p in recommend.all_parts()} - snippets.EXERCISED.all())
    assert not not_run, f"bundled snippets no test ran in this run: {not_run}"


CLASSES = {  # name: (answers that differ from BASE, pattern, gateway, first configuration)
    "nothing-central": ({}, "direct", "none", "corporate-proxy/00-provider-key.sh"),
    "solo-behind-proxy": (dict(team_size="solo", environment="proxy"), "corporate-proxy",
                          "none", "corporate-proxy/00-provider-key.sh"),
    "inspecting-proxy-only": (dict(environment="inspecting-proxy"), "corporate-proxy", "none",
                              "corporate-proxy/00-provider-key.sh"),
    "central-keys": (dict(security="central-keys"), "gateway", "litellm",
                     "quickstart/02-config.yaml"),
    "organisation": (dict(team_size="organisation"), "gateway", "litellm",
                     "quickstart/02-config.yaml"),
    "totals": (dict(cost_tracking="totals"), "gateway", "litellm", "quickstart/02-config.yaml"),
    "litellm-already": (dict(infrastructure="litellm"), "gateway", "litellm",
                        "quickstart/02-config.yaml"),
    "central-keys-behind-proxy": (dict(security="central-keys", environment="proxy"),
                                  "proxy-gateway", "litellm", "quickstart/02-config.yaml"),
    "bedrock": (dict(security="central-keys", providers="bedrock"), "gateway", "litellm",
                "bedrock/01-config.yaml"),
    "vertex-behind-proxy": (dict(security="central-keys", providers="vertex",
                                 environment="inspecting-proxy"), "proxy-gateway", "litellm",
                            "vertex/01-install-google-auth.sh"),
    "several": (dict(providers="several"), "gateway", "litellm", "multi-provider/01-config.yaml"),
    "foundry": (dict(security="central-keys", providers="foundry"), "gateway", "litellm",
                "foundry/01-config.yaml"),
    "mantle": (dict(security="central-keys", providers="mantle"), "gateway", "litellm",
               "mantle/01-config.yaml"),
    "claude-platform-on-aws": (dict(security="central-keys", providers="anthropic-aws"),
                               "gateway", "litellm", "claude-platform-aws/01-config.yaml"),
    "several-with-sso": (dict(providers="several", security="sso"), "gateway", "litellm",
                         "multi-provider/01-config.yaml"),
    "sso": (dict(security="sso"), "gateway", "apps-gateway",
            "apps-gateway/10-gateway-policy.yaml"),
    "per-developer-cost": (dict(cost_tracking="per-developer"), "gateway", "apps-gateway",
                           "apps-gateway/10-gateway-policy.yaml"),
    "vendor-support": (dict(support="vendor"), "gateway", "apps-gateway",
                       "apps-gateway/01-gateway.yaml"),
    "sso-behind-proxy": (dict(security="sso", environment="proxy"), "proxy-gateway",
                         "apps-gateway", "apps-gateway/10-gateway-policy.yaml"),
    "nginx-central-keys": (dict(infrastructure="nginx", security="central-keys"), "gateway",
                           "nginx-litellm", "quickstart/02-config.yaml"),
    "nginx-but-bedrock": (dict(infrastructure="nginx", security="central-keys",
                               providers="bedrock"), "gateway", "litellm",
                          "bedrock/01-config.yaml"),
}


@pytest.mark.parametrize("name", CLASSES)
def test_each_class_of_answers_gets_its_pattern_and_gateway(name, capsys):
    changes, pattern, gateway, first = CLASSES[name]
    answers = {**BASE, **changes}
    assert cli.main(["recommend", *flags(answers), "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert (answer["quick_answer"]["pattern"], answer["quick_answer"]["gateway"]) == (
        pattern, gateway)
    config = [p["snippet"] for p in answer["configuration"]]
    assert (config[0] if config else None) == (f"snippets/{first}" if first else None)
    if gateway == "apps-gateway":
        spend = "snippets/apps-gateway/11-spend-limit.sh"
        assert (spend in config) == (
            answers["cost_tracking"] == "per-developer")


def test_human_answer_has_the_four_sections_and_the_snippets(capsys):
    answers = {**BASE, "providers": "bedrock", "security": "central-keys"}
    assert cli.main(["recommend", *flags(answers)]) == 0
    out = capsys.readouterr().out
    headings = [line for line in out.splitlines() if line and not line.startswith((" ", "-"))]
    assert headings[:1] == ["Quick Answer"]
    order = [out.index(h) for h in ("Quick Answer", "Configuration", "Verification Steps",
                                    "Additional Context")]
    assert order == sorted(order)
    for part in decide(answers).configuration + decide(answers).verification:
        assert (SNIPPETS / part.snippet).read_text().rstrip("\n") in out


def test_answers_file_and_bundle_written_byte_for_byte(tmp_path, capsys):
    answers = tmp_path / "answers.yaml"
    answers.write_text("team-size: team\nsecurity: central-keys\nproviders: anthropic\n"
                       "cost_tracking: none\nenvironment: proxy\ninfrastructure: nginx\n"
                       "support: self\n")
    out = tmp_path / "starter"
    assert cli.main(["recommend", "--answers", str(answers), "--json",
                     "--write-bundle", str(out)]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["quick_answer"]["pattern"] == "proxy-gateway"
    for part in [*answer["configuration"], *answer["verification_steps"]]:
        rel = part["snippet"].removeprefix("snippets/")
        written = out / (part["save_as"] or rel.rsplit("/", 1)[-1])
        assert written.read_bytes() == (SNIPPETS / rel).read_bytes()
        assert str(written) in answer["written"]
    # a flag beats the file
    assert cli.main(["recommend", "--answers", str(answers), "--environment", "open",
                     "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["quick_answer"]["pattern"] == "gateway"


def test_interactive_asks_what_is_missing(monkeypatch, capsys):
    # numbers, names, and a wrong answer that is asked again
    replies = io.StringIO("2\nsso\nfour\n1\n3\n1\n2\n3\n\n")
    monkeypatch.setattr("sys.stdin", replies)
    assert cli.main(["recommend", "--interactive", "--json", "--support", "self"]) == 0
    captured = capsys.readouterr()
    answer = json.loads(captured.out)
    assert answer["answers"] == dict(team_size="team", security="sso", providers="anthropic",
                                     cost_tracking="per-developer", environment="open",
                                     infrastructure="litellm", support="self",
                                     compliance="hipaa", stage="production")  # Enter: default
    assert "stage [1-4, Enter for production]: " in captured.err
    assert "'four' is not an answer; type a number 1-7" in captured.err
    assert answer["quick_answer"]["gateway"] == "apps-gateway"
    assert "How many developers" in captured.err  # questions go to stderr, the answer to stdout


BAD = {  # name: (argv after "recommend", stdin, what the one-line error must say)
    "unknown value": (["--providers", "aws"], "",
                      "--providers 'aws' is not an answer; use one of: anthropic, bedrock"),
    "missing, not a terminal": (["--providers", "bedrock"], "",
                                "missing answers for --team-size, --security"),
    "input ends": (["--interactive"], "1\n", "no answer for --security (input ended)"),
    "three wrong tries": (["--interactive"], "9\nx\n0\n",
                          "no usable answer for --team-size after 3 tries"),
    "unknown question in the file": ("file:team_size: team\nbudget: high\n", "",
                                     "unknown question 'budget'; the questions are: team_size"),
    "not YAML": ("file:team_size: [team\n", "", "is not valid YAML or JSON (line 2)"),
    "not a mapping": ("file:- team\n", "", "must be a mapping such as 'providers: anthropic'"),
    "no such file": (["--answers", "/nonexistent/answers.yaml"], "",
                     "cannot read the answers file /nonexistent/answers.yaml"),
    "control characters": (["--security", "sso\x1b[31m"], "", r"'sso\x1b[31m' is not an answer"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_answers_get_the_fix_not_a_traceback(name, tmp_path, monkeypatch, capsys):
    argv, stdin, says = BAD[name]
    if isinstance(argv, str):
        path = tmp_path / "answers.yaml"
        path.write_text(argv.removeprefix("file:"))
        argv = ["--answers", str(path)]
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert cli.main(["recommend", *argv]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err, err
    *questions, last = err.splitlines()  # questions only when it asked (--interactive)
    assert last.startswith("gateway-assistant recommend: could not run: ")
    assert not questions or "--interactive" in argv
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert cli.main(["recommend", *argv, "--json"]) == 2
    assert says in json.loads(capsys.readouterr().out)["error"]


def test_decide_refuses_bad_answers_directly():
    with pytest.raises(BadAnswer, match="--cost-tracking 'some' is not an answer"):
        decide({**BASE, "cost_tracking": "some"})


def test_decision_guide_shows_the_tools_rules():
    """The table on docs/explanation/choosing-a-setup.md is made from the rules themselves."""
    table = recommend.decision_table()
    for i, (when, _, _gateway) in enumerate(recommend.GATEWAY_RULES, 1):
        assert re.search(rf"^\| {i} \| {re.escape(when)} \| ", table, re.M)
    captures.check("gateway-assistant/recommend-decision.md", table)


ASSESSMENT = {  # (compliance, stage, gateway) -> a phrase each note it adds must hold
    ("soc2", "production", "litellm"): ["SOC 2:", "Production: two or more instances"],
    ("hipaa", "trial", "litellm"): ["HIPAA:", "A trial:"],
    ("none", "staging", "apps-gateway"): ["Staging:"],
    ("none", "multi-region", "apps-gateway"): ["Production: deploy and operate",
                                               "Several regions:"],
    ("none", "production", "none"): [],
}


@pytest.mark.parametrize("key", ASSESSMENT, ids="-".join)
def test_compliance_and_stage_add_their_notes(key):
    """The two assessment questions with defaults change the notes an answer carries, never
    its gateway or bundle, and each note names pages that exist."""
    from gateway_assistant import assessment
    compliance, stage, gateway = key
    base = next(a for a in ALL if decide(a).gateway == gateway)
    plain, assessed = decide(base), decide({**base, "compliance": compliance, "stage": stage})
    assert (assessed.gateway, assessed.configuration) == (plain.gateway, plain.configuration)
    added = assessment.notes(gateway, assessed.answers)
    assert added == assessed.notes[len(assessed.notes) - len(added):]
    assert len(added) == len(ASSESSMENT[key]) and all(
        note.startswith(phrase) for note, phrase in zip(added, ASSESSMENT[key])), added
    for page in re.findall(r"\b((?:how-to|tutorials|faq)/[\w-]+\.md)", " ".join(added)):
        assert (ROOT / "docs" / page).is_file(), page


def test_compliance_and_stage_never_change_the_bundle():
    """Every combination of the seven deciding answers, under every compliance and stage: the
    pattern, gateway, configuration and verification steps are those of the defaults."""
    from gateway_assistant import assessment
    for base in ALL:
        plain = decide(base)
        for compliance, stage in itertools.product(assessment.COMPLIANCE, assessment.STAGE):
            x = decide({**base, "compliance": compliance, "stage": stage})
            assert (x.pattern, x.gateway, x.configuration, x.verification) == (
                plain.pattern, plain.gateway, plain.configuration, plain.verification), (
                base, compliance, stage)


def test_defaults_of_the_assessment_questions():
    answer = decide(BASE)
    assert (answer.answers["compliance"], answer.answers["stage"]) == ("none", "production")
