"""The two assessment questions that change what an answer adds, not which gateway it picks:
the compliance regime and the stage the setup is for. Each answer adds notes that point to
the pages where the site shows (or, where it cannot run something, sources) what to do."""

from __future__ import annotations

COMPLIANCE = {
    "none": "no regulated data beyond the company's usual rules",
    "soc2": "SOC 2: evidence of access control, change control and logging",
    "hipaa": "HIPAA: protected health information may be in prompts",
}
STAGE = {
    "trial": "a trial on one machine",
    "staging": "a shared test setup before production",
    "production": "developers rely on it every day",
    "multi-region": "production in more than one region",
}

SELF_RUN = ("litellm", "nginx-litellm")


def notes(gateway: str, a: dict) -> list[str]:
    out = []
    if a["compliance"] == "soc2":
        out.append("SOC 2: keep a per-request log that names the developer, put the gateway's "
                   "files under version control and deploy only from there, rotate keys with "
                   "an overlap on a schedule, and require MFA where credentials are issued "
                   "(how-to/security.md, sections 4, 5 and 9).")
    if a["compliance"] == "hipaa":
        out.append("HIPAA: Anthropic's Business Associate Agreement extends to Claude Code only "
                   "when the customer has signed a BAA and zero data retention is active "
                   "(https://code.claude.com/docs/en/legal-and-compliance); on Amazon Bedrock "
                   "or Google Cloud, that cloud's BAA and HIPAA-eligible services apply. Keep "
                   "prompts out of the gateway's own logs (faq/index.md, 'Does the gateway "
                   "log my prompts?').")
    if a["stage"] == "trial":
        out.append("A trial: one gateway on one machine is enough; replace the placeholder "
                   "keys before anyone else uses it (tutorials/quickstart.md).")
    if a["stage"] == "staging":
        out.append("Staging: the same files as production with its own provider key, gateway "
                   "keys and address, so nothing in staging spends production's quota "
                   "(how-to/security.md, section 8).")
    if a["stage"] in ("production", "multi-region") and gateway in SELF_RUN \
            and a["team_size"] != "organisation":
        out.append("Production: two or more instances behind a balancer with health checks, "
                   "shared Redis and alerts (how-to/production.md).")
    if a["stage"] in ("production", "multi-region") and gateway == "apps-gateway":
        out.append("Production: deploy and operate Claude apps gateway as in "
                   "how-to/apps-gateway-deploy.md and how-to/apps-gateway-operations.md.")
    if a["stage"] == "multi-region" and gateway != "none":
        out.append("Several regions: a gateway deployment per region, each in front of the "
                   "provider in its region and with its own Redis, developers pointed at the "
                   "nearest, and a fallback to another region (how-to/routing.md). This site "
                   "runs one region on one machine: nothing across real regions is tested.")
    return out
