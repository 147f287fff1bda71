"""`gateway-assistant recommend`: nine questions about a team (the site's assessment
criteria; the last two have defaults), one answer: the deployment pattern, the gateway,
what to read, and a starter bundle made only of the site's own snippets, copied byte for
byte from `snippets/` (the tests run every one of them).

The decision is data (GATEWAY_RULES, PATTERNS, BUNDLES below); the decision guide on the
site (docs/explanation/choosing-a-setup.md) shows the table `decision_table()` makes of it."""

from __future__ import annotations

import functools
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import assessment
from .findings import printable


class BadAnswer(ValueError):
    """An answer the tool cannot use; the message says which and how to fix it."""


@dataclass(frozen=True)
class Question:
    key: str  # answers-file key; the flag is --key with dashes
    text: str
    choices: dict  # value -> what it means
    default: str | None = None  # taken when not answered (the assessment's two extras)

    @property
    def flag(self) -> str:
        return "--" + self.key.replace("_", "-")


QUESTIONS = (
    Question("team_size", "How many developers will use Claude Code?", {
        "solo": "one developer",
        "team": "one team",
        "organisation": "several teams",
    }),
    Question("security", "What must the setup guarantee about credentials and identity?", {
        "standard": "each developer may hold a provider API key",
        "central-keys": "provider keys stay on a server; developers hold a gateway key",
        "sso": "developers sign in with the company IdP; access by IdP group; offboarding",
    }),
    Question("providers", "Where should the models run?", {
        "anthropic": "the Anthropic API",
        "bedrock": "Amazon Bedrock",
        "vertex": "Google Cloud's Agent Platform (Vertex AI)",
        "foundry": "Microsoft Foundry",
        "mantle": "Amazon Bedrock Mantle",
        "anthropic-aws": "Claude Platform on AWS",
        "several": "more than one provider, with fallback",
    }),
    Question("cost_tracking", "How closely must usage and cost be tracked?", {
        "none": "not needed",
        "totals": "token totals for the team",
        "per-developer": "per developer, with spend limits",
    }),
    Question("environment", "How do developers' machines reach the internet?", {
        "open": "directly",
        "proxy": "through a corporate HTTP proxy",
        "inspecting-proxy": "through a proxy that re-signs TLS with the company CA",
    }),
    Question("infrastructure", "What do you already run that could host the setup?", {
        "none": "nothing relevant",
        "litellm": "a LiteLLM proxy",
        "nginx": "nginx as a reverse proxy",
        "oidc-postgres": "an OpenID Connect IdP and PostgreSQL",
        "kubernetes": "a Kubernetes cluster",
    }),
    Question("support", "Who should stand behind the gateway?", {
        "self": "your own team runs and fixes it",
        "vendor": "the gateway's maker",
    }),
    Question("compliance", "Which compliance regime applies?", assessment.COMPLIANCE, "none"),
    Question("stage", "What is this setup for?", assessment.STAGE, "production"),
)
BY_KEY = {q.key: q for q in QUESTIONS}


# --- the decision -------------------------------------------------------------------------

def needs_gateway(a: dict) -> bool:
    """Direct (or through the proxy only) is enough when nothing asks for a central point."""
    return not (a["team_size"] != "organisation" and a["security"] == "standard"
                and a["providers"] != "several" and a["cost_tracking"] == "none"
                and a["infrastructure"] != "litellm" and a["support"] == "self")


def gateway_reasons(a: dict) -> list[str]:
    """What asked for a gateway, in the guide's words."""
    return [why for why, hit in (
        ("several teams", a["team_size"] == "organisation"),
        ("keys stay central" if a["security"] == "central-keys" else "IdP sign-in",
         a["security"] != "standard"),
        ("several providers", a["providers"] == "several"),
        (f"cost tracking ({a['cost_tracking']})", a["cost_tracking"] != "none"),
        ("LiteLLM already runs", a["infrastructure"] == "litellm"),
        ("support from a vendor", a["support"] == "vendor"),
    ) if hit]


# (when, as the decision guide says it; the test on answers; the gateway), first match wins
GATEWAY_RULES = (
    ("no gateway is needed: one team or less, developers may hold keys, one provider, no "
     "cost tracking, no LiteLLM already, no vendor support asked for",
     lambda a: not needs_gateway(a), "none"),
    ("several providers", lambda a: a["providers"] == "several", "litellm"),
    ("IdP sign-in, or cost per developer", lambda a: a["security"] == "sso"
     or a["cost_tracking"] == "per-developer", "apps-gateway"),
    ("support from the gateway's maker", lambda a: a["support"] == "vendor", "apps-gateway"),
    ("nginx already runs, keys central, Anthropic API",
     lambda a: a["infrastructure"] == "nginx" and a["security"] == "central-keys"
     and a["providers"] == "anthropic", "nginx-litellm"),
    ("any other case that needs a gateway", lambda a: True, "litellm"),
)

GATEWAYS = {
    "none": "no gateway",
    "litellm": "LiteLLM proxy",
    "apps-gateway": "Claude apps gateway",
    "nginx-litellm": "nginx with per-developer tokens in front of LiteLLM",
}

PATTERNS = {  # (gateway needed, behind a proxy) -> pattern
    (False, False): "direct",
    (False, True): "corporate-proxy",
    (True, False): "gateway",
    (True, True): "proxy-gateway",
}
PATTERN_TEXT = {
    "direct": "Claude Code -> provider",
    "corporate-proxy": "Claude Code -> corporate proxy -> provider",
    "gateway": "Claude Code -> gateway -> provider",
    "proxy-gateway": "Claude Code -> corporate proxy -> gateway -> (proxy) -> provider",
}


@dataclass(frozen=True)
class Part:
    snippet: str  # path under snippets/
    purpose: str
    save_as: str = ""  # the file name the page tells the reader to use


@dataclass(frozen=True)
class Bundle:
    configuration: tuple
    verification: tuple
    read: tuple  # docs/ pages, in reading order
    notes: tuple = ()


QUICKSTART_GATEWAY = (
    Part("quickstart/02-config.yaml", "the gateway's configuration", "config.yaml"),
    Part("quickstart/03-start-gateway.sh", "start the gateway (gateway machine)"),
)
FIRST_REQUEST = Part("quickstart/07-first-request.sh", "the first request")
# Without a gateway, the developer's own key (Anthropic API only: on Bedrock or Vertex AI
# Claude Code uses the cloud's own sign-in).
PROVIDER_KEY = Part("corporate-proxy/00-provider-key.sh",
                    "your own Anthropic API key (or sign in with /login instead)")

BUNDLES = {  # (gateway, provider or "*", environment kind) -> Bundle
    ("none", "*", "open"): Bundle(
        (), (FIRST_REQUEST,),
        ("explanation/deployment-patterns.md",),
        ("Claude Code signs in to Anthropic itself, with an API key or a Claude login "
         "(https://code.claude.com/docs/en/authentication). This site runs the key step and "
         "the first request through a corporate proxy (how-to/corporate-proxy.md), not on "
         "a direct path.",)),
    ("none", "*", "proxy"): Bundle(
        (Part("corporate-proxy/01-proxy.sh", "send Claude Code through the proxy"),),
        (Part("corporate-proxy/02-check-through-proxy.sh", "see each call and its status"),),
        ("how-to/corporate-proxy.md", "explanation/deployment-patterns.md"),
        ("A proxy that asks for a password: how-to/corporate-proxy.md section 3.",)),
    ("none", "*", "inspecting-proxy"): Bundle(
        (Part("corporate-proxy/01-proxy.sh", "send Claude Code through the proxy"),
         Part("corporate-proxy/06-corp-ca.sh", "trust the company CA")),
        (Part("corporate-proxy/02-check-through-proxy.sh", "see each call and its status"),),
        ("how-to/corporate-proxy.md", "explanation/deployment-patterns.md"),
        ("A proxy that asks for a password: how-to/corporate-proxy.md section 3.",)),
    ("litellm", "anthropic", "open"): Bundle(
        QUICKSTART_GATEWAY + (
            Part("quickstart/06-connect-shell.sh", "point Claude Code at the gateway"),),
        (Part("quickstart/04-check-gateway.sh", "the gateway is alive"), FIRST_REQUEST),
        ("tutorials/quickstart.md", "how-to/model-names.md")),
    ("litellm", "anthropic", "proxy"): Bundle(
        (Part("quickstart/02-config.yaml", "the gateway's configuration", "config.yaml"),
         Part("gateway-tls/01-start-gateway-tls.sh",
              "start the gateway with TLS, its own calls through the proxy (gateway machine)"),
         Part("gateway-tls/03-connect-claude-code.sh", "connect Claude Code (developer)")),
        (Part("gateway-tls/02-check-tls.sh", "TLS on the gateway machine"),
         Part("gateway-tls/04-first-request.sh", "the first request, each call logged")),
        ("how-to/gateway-tls-proxy.md", "how-to/corporate-proxy.md", "tutorials/quickstart.md")),
    ("litellm", "bedrock", "*"): Bundle(
        (Part("bedrock/01-config.yaml", "the gateway's configuration", "config.yaml"),
         Part("bedrock/02-start-gateway.sh", "start the gateway with AWS credentials"),
         Part("bedrock/03-connect.sh", "Claude Code's Bedrock mode, pointed at the gateway")),
        (Part("bedrock/04-first-request.sh", "the first request"),),
        ("how-to/bedrock.md", "how-to/field-failures-betas.md")),
    ("litellm", "vertex", "*"): Bundle(
        (Part("vertex/01-install-google-auth.sh", "Google's auth library for the gateway"),
         Part("vertex/02-config.yaml", "the gateway's configuration", "config.yaml"),
         Part("vertex/04-service-account.sh", "the gateway's Google credentials"),
         Part("vertex/03-start-gateway.sh", "start the gateway"),
         Part("quickstart/06-connect-shell.sh", "point Claude Code at the gateway")),
        (FIRST_REQUEST,),
        ("how-to/vertex.md", "how-to/field-failures-betas.md")),
    **{("litellm", provider, "*"): Bundle(
        (Part(f"{folder}/01-config.yaml", "the gateway's configuration", "config.yaml"),
         Part(f"{folder}/02-start-gateway.sh", "start the gateway with the provider's key"),
         Part(f"{folder}/03-connect.sh", f"Claude Code's {mode}, pointed at the gateway")),
        (FIRST_REQUEST,),
        (f"how-to/{page}.md", "how-to/provider-modes.md"))
       for provider, folder, mode, page in (
           ("foundry", "foundry", "Foundry mode", "foundry"),
           ("mantle", "mantle", "Mantle mode", "mantle"),
           ("anthropic-aws", "claude-platform-aws", "Claude Platform on AWS mode",
            "claude-platform-on-aws"))},
    ("litellm", "several", "*"): Bundle(
        (Part("multi-provider/01-config.yaml", "three deployments and a fallback chain",
              "config.yaml"),
         Part("multi-provider/02-start-gateway.sh", "start the gateway"),
         Part("quickstart/06-connect-shell.sh", "point Claude Code at the gateway")),
        (Part("multi-provider/03-per-command.sh", "one request per provider"),),
        ("how-to/multi-provider.md", "how-to/routing.md", "how-to/bedrock.md",
         "how-to/vertex.md")),
    ("nginx-litellm", "anthropic", "*"): Bundle(
        QUICKSTART_GATEWAY + (
            Part("enterprise/10-gateway.conf.template", "nginx's configuration",
                 "gateway.conf.template"),
            Part("enterprise/11-developers.map", "one token per developer", "developers.map"),
            Part("enterprise/12-start-gateway.sh", "start nginx in front of LiteLLM"),
            Part("enterprise/13-connect.sh", "connect Claude Code with a developer's token")),
        (FIRST_REQUEST,
         Part("enterprise/14-check-streaming.sh", "the stream arrives event by event")),
        ("how-to/enterprise-gateway.md", "tutorials/quickstart.md")),
    ("apps-gateway", "*", "*"): Bundle(
        (Part("apps-gateway/01-gateway.yaml", "the gateway's configuration", "gateway.yaml"),
         Part("apps-gateway/02-gateway-env.sh", "its secrets and addresses, from your store"),
         Part("apps-gateway/03-start-gateway.sh", "start the gateway"),
         Part("apps-gateway/04-developer-settings.json",
              "point each developer's Claude Code at it (settings)")),
        (Part("apps-gateway/22-probes.sh", "the gateway's probes"),
         Part("apps-gateway/05-start-claude.sh", "sign in (/login) through the IdP"),
         Part("apps-gateway/06-first-request.sh", "the first request")),
        ("tutorials/claude-apps-gateway.md", "how-to/apps-gateway-policy.md",
         "how-to/apps-gateway-operations.md", "how-to/apps-gateway-deploy.md")),
}
SPEND_LIMIT = Part("apps-gateway/11-spend-limit.sh", "a spend limit per developer (admin API)")
POLICY = Part("apps-gateway/10-gateway-policy.yaml",
              "the gateway's configuration, with models and settings by IdP group and an admin "
              "key", "gateway.yaml")


def _environment_kind(environment: str) -> str:
    return "open" if environment == "open" else "proxy"


def _bundle(gateway: str, a: dict) -> Bundle:
    env = a["environment"]
    for key in ((gateway, a["providers"], env), (gateway, a["providers"], _environment_kind(env)),
                (gateway, a["providers"], "*"), (gateway, "*", env), (gateway, "*", "*")):
        if key in BUNDLES:
            return BUNDLES[key]
    raise LookupError(f"no bundle for {gateway}, {a['providers']}, {env}")  # a test forbids it


def _context(gateway: str, pattern: str, a: dict) -> list[str]:
    """Notes that depend on answers the bundle does not change."""
    notes = []
    if gateway == "litellm" and a["providers"] != "anthropic" and pattern == "proxy-gateway":
        notes.append("Behind a proxy: which variable goes on which machine (HTTPS_PROXY, "
                     "SSL_CERT_FILE on the gateway; NODE_EXTRA_CA_CERTS for Claude Code) is "
                     "in how-to/gateway-tls-proxy.md; this site tests that path with the "
                     "Anthropic API only.")
    if gateway == "litellm" and (a["security"] == "sso" or a["cost_tracking"] == "per-developer"):
        notes.append("Per-developer keys, budgets and spend in LiteLLM are its virtual keys, "
                     "with a PostgreSQL database: how-to/security.md, 'A virtual key per "
                     "developer' (not run by this site's proof, marked there with its "
                     "sources). IdP sign-in: explanation/choosing-a-gateway.md.")
    if gateway == "litellm" and a["cost_tracking"] == "totals":
        notes.append("Token totals: LiteLLM's /metrics counters "
                     "(how-to/production.md, tutorials/quickstart.md).")
    if gateway == "apps-gateway":
        if a["security"] == "sso" or a["cost_tracking"] == "per-developer":
            notes.append("The policy configuration also reads GATEWAY_ADMIN_KEY (the admin "
                         "API's key, for spend limits): set it with the other secrets "
                         "(how-to/apps-gateway-policy.md).")
        if a["infrastructure"] != "oidc-postgres":
            notes.append("Claude apps gateway needs an OpenID Connect IdP and PostgreSQL, "
                         "reachable when it boots.")
        if a["providers"] in ("bedrock", "vertex", "several"):
            notes.append("Claude apps gateway with an Amazon Bedrock or a Vertex AI upstream, "
                         "and failing over from the Anthropic API to Bedrock: "
                         "how-to/apps-gateway-upstreams.md.")
        elif a["providers"] != "anthropic":
            notes.append("This site runs Claude apps gateway with Anthropic API, Amazon Bedrock "
                         "and Vertex AI upstreams; its schema also offers this provider "
                         "(how-to/apps-gateway-upstreams.md lists each kind and its keys).")
        if pattern == "proxy-gateway":
            notes.append("This site does not run Claude apps gateway behind a corporate proxy; "
                         "the proxy variables are those of how-to/corporate-proxy.md.")
    if gateway == "nginx-litellm" and a["cost_tracking"] == "totals":
        notes.append("Token totals come from LiteLLM behind nginx (its /metrics).")
    if gateway in ("litellm", "nginx-litellm") and a["team_size"] == "organisation":
        notes.append("For several teams: several instances, Redis, a balancer and metrics "
                     "in how-to/production.md.")
    if a["infrastructure"] == "kubernetes":
        notes.append("Kubernetes manifests: " + ("how-to/apps-gateway-deploy.md."
                     if gateway == "apps-gateway" else "how-to/production.md."))
    if gateway != "none" and a["infrastructure"] == "litellm" and gateway != "litellm":
        notes.append("You already run LiteLLM: the LiteLLM column of "
                     "explanation/choosing-a-gateway.md says what it was measured to do.")
    return notes


# --- the warnings every answer carries ----------------------------------------------------
# The third-party notice in the specification's template, per component the configuration
# runs that Anthropic does not make (docs/_includes/litellm-notice.md says the same for
# LiteLLM on every page that configures it), and the secrets warning of
# docs/_includes/secrets-warning.md, in every answer.

@dataclass(frozen=True)
class ThirdParty:
    name: str
    what: str
    community: str  # where its users and makers answer questions and take bug reports
    policies: str  # its security (and privacy) policy


THIRD_PARTIES = {
    "LiteLLM": ThirdParty("LiteLLM", "an open-source LLM proxy",
                          "https://github.com/BerriAI/litellm/issues",
                          "https://github.com/BerriAI/litellm/security/policy"),
    "nginx": ThirdParty("nginx", "an open-source web server and reverse proxy",
                        "https://nginx.org/en/support.html",
                        "https://nginx.org/en/security_advisories.html"),
}
GATEWAY_PARTS = {  # gateway -> the third-party components its configuration runs
    "none": (),
    "litellm": ("LiteLLM",),
    "apps-gateway": (),  # Claude apps gateway is Anthropic's own (`claude gateway`)
    "nginx-litellm": ("nginx", "LiteLLM"),
}


def third_party_notice(name: str) -> list[str]:
    """The specification's third-party notice for one component, with where to go."""
    t = THIRD_PARTIES[name]
    return [f"This configuration uses {name} ({t.what}), a third-party solution not "
            "developed or maintained by Anthropic.",
            f"- Anthropic does not provide support for {name}.",
            f"- {name}'s configuration and behaviour may change without notice: pin the "
            "version you tested and read its release notes before you upgrade.",
            f"- For issues, contact {name} support or community: {t.community}",
            f"- Review {name}'s security and privacy policies before use: {t.policies}"]


PLACEHOLDERS = ("sk-ant-your-anthropic-key", "sk-litellm-change-me")


def security_warning(gateway: str, texts: list[str]) -> list[str]:
    """The secrets warning for this answer; `texts` are the bundled snippets' texts."""
    lines = ["Keep keys out of files you share: never write a provider key, a gateway key, "
             "a proxy password or a client secret into a config file, a settings file you "
             "commit, or a script."]
    if gateway in ("litellm", "nginx-litellm"):
        lines.append("The LiteLLM configuration reads every secret from the environment "
                     "(os.environ/NAME).")
    if gateway == "apps-gateway":
        lines.append("gateway.yaml reads every secret from the gateway's environment "
                     "(${NAME}): the upstream API key, the IdP client secret, the session "
                     "secret, an admin key, the database password. The session secret signs "
                     "every developer's token: guard it like the upstream key.")
    lines.append("In production, keep secrets in a secret manager (Vault, AWS Secrets "
                 "Manager, GCP Secret Manager, Azure Key Vault, Kubernetes secrets), hand them "
                 "to each program in its environment, and rotate keys like any other "
                 "credential.")
    text = "\n".join(texts)
    shown = [p for p in PLACEHOLDERS if p in text]
    if set(re.findall(r"[\w-]*change-me[\w-]*", text)) - set(shown):
        shown.append("anything containing change-me")
    if shown:
        lines.append(f"The values shown ({', '.join(shown)}) are placeholders: replace them.")
    if gateway == "litellm":
        lines.append("LiteLLM's master key (GATEWAY_MASTER_KEY) is the gateway's admin key: "
                     "never hand it to developers; give each one a key of their own "
                     "(docs/how-to/enterprise-gateway.md).")
    if gateway == "nginx-litellm":
        lines.append("LiteLLM's master key (GATEWAY_MASTER_KEY) is the gateway's admin key: "
                     "only the gateway holds it (envsubst writes it into gateway.conf at "
                     "start); developers get their own tokens.")
        lines.append("developers.map holds every developer's token: generate it from your "
                     "secret manager and keep it out of version control.")
    lines.append("Rotation, least privilege and audit logs: docs/how-to/security.md.")
    return [f"- {line}" for line in lines]


@dataclass
class Answer:
    answers: dict
    pattern: str
    gateway: str
    rule: int  # index into GATEWAY_RULES
    configuration: list = field(default_factory=list)  # Parts
    verification: list = field(default_factory=list)
    read: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def quick_answer(self) -> str:
        gateway = GATEWAYS[self.gateway]
        path = PATTERN_TEXT[self.pattern]
        if self.gateway == "none":
            return f"Pattern: {self.pattern} ({path}); no gateway."
        return f"Pattern: {self.pattern} ({path}); gateway: {gateway}."

    @property
    def third_party(self) -> list[str]:
        return list(GATEWAY_PARTS[self.gateway])

    @property
    def security(self) -> list[str]:
        texts = [snippet_text(p.snippet) for p in (*self.configuration, *self.verification)]
        return security_warning(self.gateway, texts)

    @property
    def why(self) -> str:
        if self.gateway == "none":
            return GATEWAY_RULES[0][0]
        reasons = gateway_reasons(self.answers)
        rule = GATEWAY_RULES[self.rule][0]
        if self.rule == len(GATEWAY_RULES) - 1:
            rule = ("nothing asks for another (one provider; no IdP sign-in, per-developer "
                    "cost or vendor support; no nginx with central keys)")
        return (f"a gateway, because: {', '.join(reasons)}; "
                f"{GATEWAYS[self.gateway]}, because: {rule}")


def decide(answers: dict) -> Answer:
    a = check_answers(answers)
    rule = next(i for i, (_, test, _) in enumerate(GATEWAY_RULES) if test(a))
    gateway = GATEWAY_RULES[rule][2]
    pattern = PATTERNS[(gateway != "none", a["environment"] != "open")]
    bundle = _bundle(gateway, a)
    configuration, verification = list(bundle.configuration), list(bundle.verification)
    if gateway == "apps-gateway" and (a["security"] == "sso"
                                      or a["cost_tracking"] == "per-developer"):
        configuration[0] = POLICY  # policy by group, and the admin key spend limits need
    if gateway == "apps-gateway" and a["cost_tracking"] == "per-developer":
        configuration.append(SPEND_LIMIT)
    if gateway == "none" and a["providers"] == "anthropic":
        configuration.insert(0, PROVIDER_KEY)
    read = [*bundle.read, "explanation/choosing-a-setup.md"]
    if gateway != "none":
        read.append("explanation/choosing-a-gateway.md")
    return Answer(a, pattern, gateway, rule, configuration, verification, read,
                  [*bundle.notes, *_context(gateway, pattern, a), *assessment.notes(gateway, a)])


# --- answers: flags, a file, or asked --------------------------------------------------------

def _choices(q: Question) -> str:
    return ", ".join(q.choices)


def check_answers(answers: dict, partial: bool = False) -> dict:
    """The answers, checked, defaults filled in; BadAnswer says what is wrong and how to
    fix it. `partial`: check only the answers given (before asking for the others)."""
    unknown = sorted(k for k in answers if k not in BY_KEY)
    if unknown:
        raise BadAnswer(f"unknown question {unknown[0]!r}; the questions are: "
                        + ", ".join(BY_KEY))
    checked, missing = {}, []
    for q in QUESTIONS:
        value = answers.get(q.key)
        value = value.strip().lower() if isinstance(value, str) else value
        if value in (None, "") and q.default and not partial:
            value = q.default
        if value in (None, ""):
            missing.append(q.flag)
        elif value not in q.choices:
            raise BadAnswer(f"{q.flag} '{printable(value)}' is not an answer; use one of: "
                            f"{_choices(q)}")
        checked[q.key] = value
    if missing and not partial:
        raise BadAnswer(f"missing answers for {', '.join(missing)}: give them as flags "
                        "(`gateway-assistant recommend --help` lists the choices) or in "
                        "--answers FILE, or add --interactive to be asked")
    return checked


ANSWERS_MAX_BYTES = 64 * 1024  # nine answers fit in a few hundred bytes


def read_answers_file(path: str) -> dict:
    """A YAML or JSON mapping of question to answer (keys with _ or -)."""
    import yaml

    from .findings import Unreadable, printable, read_capped

    name = printable(path, 200)
    try:
        text = read_capped(path, ANSWERS_MAX_BYTES, "the answers file").decode("utf-8")
    except Unreadable as e:  # a FIFO, a device, a directory, too big: refused, never read
        raise BadAnswer(str(e)) from None
    except OSError as e:
        raise BadAnswer(f"cannot read the answers file {name}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise BadAnswer(f"the answers file {name} is not UTF-8 text") from None
    try:
        from .validate import _Loader  # budgets on aliases, merge keys and nodes

        loader = _Loader(text)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise BadAnswer(f"the answers file {name} is not valid YAML or JSON{where}") from None
    except RecursionError:
        raise BadAnswer(f"the answers file {name} is nested too deeply") from None
    except Exception as e:  # noqa: BLE001 - the loader's budgets (CannotRun)
        if type(e).__name__ != "CannotRun":
            raise
        raise BadAnswer(f"the answers file {name}: {e}") from None
    if not isinstance(data, dict):
        raise BadAnswer(f"the answers file {name} must be a mapping such as "
                        "'providers: anthropic', one question per line")
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def _read_line(prompt: str) -> str:
    """input(), but the prompt goes to stderr: stdout carries only the answer (or JSON)."""
    print(prompt, end="", file=sys.stderr, flush=True)
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line


def ask(answers: dict, read=_read_line, write=None, tries: int = 3) -> dict:
    """Ask each unanswered question (on stderr); an answer is a number or a name."""
    write = write or (lambda s: print(s, file=sys.stderr))
    answers = dict(answers)
    for q in QUESTIONS:
        if answers.get(q.key) not in (None, ""):
            continue
        options = list(q.choices)
        write(q.text)
        for i, (value, meaning) in enumerate(q.choices.items(), 1):
            write(f"  {i}. {value}: {meaning}")
        for _ in range(tries):
            hint = f", Enter for {q.default}" if q.default else ""
            try:
                reply = read(f"{q.key} [1-{len(options)}{hint}]: ").strip().lower()
            except EOFError:
                write("")  # end the prompt's line
                raise BadAnswer(f"no answer for {q.flag} (input ended); give it as a flag: "
                                f"{q.flag} {options[0]}") from None
            if not reply and q.default:
                answers[q.key] = q.default
                break
            if reply.isdigit() and 1 <= int(reply) <= len(options):
                answers[q.key] = options[int(reply) - 1]
                break
            if reply in q.choices:
                answers[q.key] = reply
                break
            write(f"  {reply!r} is not an answer; type a number 1-{len(options)} or one of: "
                  f"{_choices(q)}")
        else:
            raise BadAnswer(f"no usable answer for {q.flag} after {tries} tries; use one of: "
                            f"{_choices(q)}")
    return answers


# --- the starter bundle: snippet bytes, never typed here -----------------------------------

@functools.cache
def snippets_dir() -> Path:
    """The installed copy (the wheel carries snippets/ as gateway_assistant/snippets), else
    the checkout's own snippets/ when running from src/."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "snippets", here.parent.parent / "snippets"):
        if (candidate / "quickstart").is_dir():
            return candidate
    raise BadAnswer("the site's snippets are not installed next to the tool; reinstall it "
                    "from a checkout: python3 -m pip install .")


@functools.cache
def snippet_text(rel: str) -> str:
    data = (snippets_dir() / rel).read_bytes()
    return data.decode("utf-8")


def all_parts() -> list:
    parts = [p for b in BUNDLES.values() for p in (*b.configuration, *b.verification)]
    return [*parts, SPEND_LIMIT, POLICY, PROVIDER_KEY]


# --- output --------------------------------------------------------------------------------

def _part_json(p: Part) -> dict:
    return {"snippet": f"snippets/{p.snippet}", "purpose": p.purpose, "save_as": p.save_as,
            "text": snippet_text(p.snippet)}


def as_dict(ans: Answer) -> dict:
    return {
        "command": "recommend",
        "answers": ans.answers,
        "quick_answer": {"pattern": ans.pattern, "path": PATTERN_TEXT[ans.pattern],
                         "gateway": ans.gateway, "gateway_name": GATEWAYS[ans.gateway],
                         "why": ans.why},
        "third_party_notices": [{"component": name, "notice": third_party_notice(name)}
                                for name in ans.third_party],
        "security_warning": [line.removeprefix("- ") for line in ans.security],
        "configuration": [_part_json(p) for p in ans.configuration],
        "verification_steps": [_part_json(p) for p in ans.verification],
        "additional_context": {"read": [f"docs/{r}" for r in ans.read], "notes": ans.notes},
    }


def as_json(ans: Answer) -> str:
    return json.dumps(as_dict(ans), indent=2)


def _part_human(p: Part) -> list[str]:
    save = f", save as {p.save_as}" if p.save_as else ""
    text = snippet_text(p.snippet)
    return [f"--- snippets/{p.snippet} ({p.purpose}{save})", text.rstrip("\n"),
            "--- end"]


def human(ans: Answer) -> str:
    out = ["Quick Answer", f"  {ans.quick_answer}", f"  Why: {ans.why}.", ""]
    for name in ans.third_party:
        out += [f"THIRD-PARTY NOTICE: {name}", *(f"  {line}" for line in
                                                 third_party_notice(name)), ""]
    out += ["SECURITY WARNING", *(f"  {line}" for line in ans.security), ""]
    out.append("Configuration")
    if not ans.configuration:
        out.append("  (nothing to configure)")
    for p in ans.configuration:
        out += _part_human(p)
    out += ["", "Verification Steps"]
    for p in ans.verification:
        out += _part_human(p)
    out += ["", "Additional Context", "  Read, in this order:"]
    out += [f"    docs/{r}" for r in ans.read]
    out += [f"  - {n}" for n in ans.notes]
    return "\n".join(out)


class Written(str):
    """A path written by write_bundle; `.replaced` when a file was there before."""

    def __new__(cls, path: str, replaced: bool = False):
        self = super().__new__(cls, path)
        self.replaced = replaced
        return self


def write_bundle(ans: Answer, directory: str) -> list[Written]:
    """Write the bundle's files, each exactly its snippet's bytes, under `directory`. Never
    through a symlink (the directory or a file), never outside `directory`; a file that
    already exists is replaced and the list says so (Written.replaced)."""
    import errno
    import os
    import stat

    from .findings import Unreadable, printable

    where = Path(directory)
    if where.is_symlink():
        raise Unreadable(f"--write-bundle: {printable(directory, 200)} is a symlink; "
                         "give the real directory")
    where.mkdir(parents=True, exist_ok=True)
    root = where.resolve()
    written = []
    for p in (*ans.configuration, *ans.verification):
        name = p.save_as or p.snippet.rsplit("/", 1)[-1]
        target = where / name
        replaced = False
        try:
            st = os.lstat(target)
            if not stat.S_ISREG(st.st_mode):
                kind = "a symlink" if stat.S_ISLNK(st.st_mode) else "not a regular file"
                raise Unreadable(f"--write-bundle: {printable(target, 200)} is {kind}; "
                                 "not written through it")
            replaced = True
        except FileNotFoundError:
            pass
        if target.resolve().parent != root:
            raise Unreadable(f"--write-bundle: {printable(target, 200)} would be outside "
                             f"{printable(directory, 200)}; nothing more written")
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(target, flags, 0o644)
        except OSError as e:
            if e.errno == errno.ELOOP:  # made a symlink since the check
                raise Unreadable(f"--write-bundle: {printable(target, 200)} is a symlink; "
                                 "not written") from None
            raise
        with os.fdopen(fd, "wb") as out:
            out.write((snippets_dir() / p.snippet).read_bytes())
        written.append(Written(str(target), replaced))
    return written


def decision_table() -> str:
    """The decision as the guide on the site shows it (a Markdown table), made from the rules
    above so the page and the tool cannot disagree."""
    lines = ["| Question | Flag | Answers |", "|---|---|---|"]
    for q in QUESTIONS:
        answers = "; ".join(f"`{v}`: {meaning}" for v, meaning in q.choices.items())
        lines.append(f"| {q.text} | `{q.flag}` | {answers} |")
    lines += ["", "| | Machines reach the internet directly | Through a corporate proxy |",
              "|---|---|---|"]
    for needed in (False, True):
        cells = [f"{PATTERNS[(needed, proxy)]}: {PATTERN_TEXT[PATTERNS[(needed, proxy)]]}"
                 .replace("->", "→") for proxy in (False, True)]
        lines.append(f"| {'a gateway is needed' if needed else 'no gateway is needed'} | "
                     + " | ".join(cells) + " |")
    lines += ["", "| Rule | When | Gateway |", "|---|---|---|"]
    for i, (when, _, gateway) in enumerate(GATEWAY_RULES, 1):
        lines.append(f"| {i} | {when} | {GATEWAYS[gateway]} |")
    lines += ["", "| Gateway | Providers | Network | Starter bundle | Read first |",
              "|---|---|---|---|---|"]
    for (gateway, provider, env), b in BUNDLES.items():
        parts = [*b.configuration, *b.verification]
        names = ", ".join(f"`{p.snippet}`" for p in parts) or "none"
        providers = "any" if provider == "*" else provider
        network = {"*": "any", "open": "direct", "proxy": "a proxy",
                   "inspecting-proxy": "an inspecting proxy"}[env]
        lines.append(f"| {GATEWAYS[gateway]} | {providers} | {network} | {names} | "
                     f"[](/{b.read[0]}) |")  # a link to the page, named by its title
    first = BUNDLES[("apps-gateway", "*", "*")].configuration[0].snippet
    lines += ["", f"With IdP sign-in or cost per developer, Claude apps gateway's bundle starts "
              f"from `{POLICY.snippet}` instead of `{first}`; with cost per developer it also "
              f"sets a spend limit with `{SPEND_LIMIT.snippet}`. Without a gateway, on the "
              f"Anthropic API, the bundle starts with the developer's own key, "
              f"`{PROVIDER_KEY.snippet}`."]
    return "\n".join(lines) + "\n"


def run(args) -> Answer:
    answers = {}
    if args.answers:
        answers.update(read_answers_file(args.answers))
    for q in QUESTIONS:
        value = getattr(args, q.key, None)
        if value is not None:
            answers[q.key] = value
    check_answers(answers, partial=True)  # a wrong answer is reported before any question
    missing = any(answers.get(q.key) in (None, "") for q in QUESTIONS if not q.default)
    if missing and (args.interactive or sys.stdin.isatty()):
        answers = ask(answers)
    return decide(answers)
