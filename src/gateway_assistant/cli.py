"""The `gateway-assistant` command line: validate, doctor, probe, conformance, recommend.
Human output by default, `--format json` (or `--json`) for CI (conformance: also `--format
junit`); exit 0 (ok), 1 (findings), 2 (usage error), 3 (could not check), 130 (interrupted)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import __version__, findings
from .findings import COULD_NOT_RUN, INTERRUPTED, USAGE, printable
from .secrets import scrub


def _validate(args) -> tuple[list, dict]:
    from .validate import validate

    return validate(Path(args.config)), {"config": args.config}


def _doctor(args) -> tuple[list, dict]:
    from .doctor import doctor

    return doctor(settings=args.settings, check=args.check, deadline=args.deadline)


def _probe(args) -> tuple[list, dict]:
    from .probe import probe

    return probe(args.url, token=args.token, model=args.model, timeout=args.timeout,
                 deadline=args.deadline)


def _conformance(args) -> tuple[list, dict]:
    from .conformance import conformance

    return conformance(args.url, token=args.token, model=args.model, timeout=args.timeout,
                       deadline=args.deadline, upstream=args.upstream)


def _upstream(text: str) -> str:
    from .upstream import address

    try:
        address(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gateway-assistant", description=__doc__.split("\n")[0])
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    fmt = argparse.ArgumentParser(add_help=False)
    fmt.add_argument("--format", choices=("human", "json"), default="human")
    fmt.add_argument("--json", dest="format", action="store_const", const="json",
                     help="the same as --format json")

    v = sub.add_parser("validate", parents=[fmt], help="check a LiteLLM proxy config file")
    v.add_argument("config", help="path to the LiteLLM config.yaml")
    v.set_defaults(run=_validate)

    d = sub.add_parser("doctor", parents=[fmt],
                       help="show Claude Code's effective gateway connection and its problems")
    d.add_argument("--settings", help="the file or JSON you pass to claude --settings")
    d.add_argument("--check", action="store_true", help="send one request to the gateway")
    d.add_argument("--deadline", type=float, default=30.0,
                   help="seconds --check may take in all (default 30)")
    d.set_defaults(run=_doctor)

    r = sub.add_parser("probe", parents=[fmt], help="check a gateway against the criteria")
    r.add_argument("url", help="the gateway's base URL, e.g. http://localhost:4000")
    r.add_argument("--token", help="gateway key (default: $ANTHROPIC_AUTH_TOKEN)")
    r.add_argument("--model", default=None, help="model to request (default: Claude Code's)")
    r.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    r.add_argument("--deadline", type=float, default=120.0,
                   help="seconds the whole probe may take (default 120)")
    r.set_defaults(run=_probe)

    k = sub.add_parser("conformance", help="replay Claude Code's recorded requests against a "
                       "gateway and check each criterion")
    k.add_argument("url", help="the gateway's base URL, e.g. http://localhost:4000")
    k.add_argument("--token", help="gateway key (default: $ANTHROPIC_AUTH_TOKEN)")
    k.add_argument("--model", default=None, help="model to request (default: as recorded)")
    k.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    k.add_argument("--deadline", type=float, default=180.0,
                   help="seconds the whole run may take (default 180)")
    k.add_argument("--format", choices=("human", "json", "junit"), default="human")
    k.add_argument("--upstream", metavar="[HOST:]PORT", type=_upstream,
                   help="also be the gateway's upstream: answer as the Anthropic API at "
                        "HOST:PORT (default host 127.0.0.1) and report what the gateway "
                        "changed on the way")
    k.set_defaults(run=_conformance)

    from .recommend import QUESTIONS

    c = sub.add_parser("recommend", parents=[fmt],
                       help="recommend a deployment pattern, a gateway and tested snippets")
    c.add_argument("--answers", metavar="FILE", help="a YAML or JSON file of answers (for CI)")
    c.add_argument("--interactive", action="store_true",
                   help="ask the unanswered questions even when stdin is not a terminal")
    c.add_argument("--write-bundle", metavar="DIR",
                   help="also write the starter bundle's files into DIR")
    for q in QUESTIONS:
        c.add_argument(q.flag, dest=q.key, metavar="|".join(q.choices), help=q.text)
    c.set_defaults(run=_recommend)
    return p


def _recommend(args) -> tuple[list, dict]:
    from . import recommend

    answer = recommend.run(args)
    written = recommend.write_bundle(answer, args.write_bundle) if args.write_bundle else []
    if args.format == "json":
        data = recommend.as_dict(answer)
        data["written"] = [str(w) for w in written]
        data["replaced"] = [str(w) for w in written if w.replaced]
        return [], {"json": json.dumps(data, indent=2)}
    report = recommend.human(answer)
    if written:
        report += "\n\nWrote:\n" + "\n".join(
            f"  {w}" + (" (replaced the file that was there)" if w.replaced else "")
            for w in written)
    return [], {"text": report}


def main(argv: list[str] | None = None) -> int:
    """Run one command; never a traceback: Ctrl-C, a closed pipe, a full disk or a terminal
    that cannot show a character end with one line and an exit code."""
    for stream in (sys.stdout, sys.stderr):  # an ASCII-only locale: escape, don't crash
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    try:
        return _main(argv)
    except KeyboardInterrupt:
        _say("gateway-assistant: interrupted")
        return INTERRUPTED
    except BrokenPipeError:  # `… | head` closed the pipe: stop quietly, as cat does
        _silence_stdout()
        return COULD_NOT_RUN
    except OSError as e:  # writing the report failed: a full disk (> /dev/full), …
        _silence_stdout()
        _say(f"gateway-assistant: cannot write the output: {printable(e.strerror or e, 200)}")
        return COULD_NOT_RUN


def _say(line: str) -> None:
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot raise again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _main(argv: list[str] | None) -> int:
    args = parser().parse_args(argv)
    try:
        result, extra = args.run(args)
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as e:  # noqa: BLE001 - a reader's tool prints a reason, not a traceback
        usage = type(e).__name__ == "BadAnswer"
        expected = usage or isinstance(e, (ValueError, OSError)) \
            or type(e).__name__ == "CannotRun"
        reason = str(e) if expected else f"{type(e).__name__}: {e}"
        message = printable(scrub(reason, [getattr(args, "token", None)]), 400)
        if args.format == "json":
            print(findings.as_json([], command=args.command, error=message))
        else:
            print(f"gateway-assistant {args.command}: could not run: {message}", file=sys.stderr)
        return USAGE if usage else COULD_NOT_RUN
    if "json" in extra or "text" in extra:  # recommend: an answer, not findings
        print(extra.get("json") or "\n".join(printable(line, None)
                                              for line in extra["text"].split("\n")))
        sys.stdout.flush()
        return findings.OK
    junit = extra.pop("junit", "")
    if args.format == "junit":  # conformance: JUnit XML for CI
        print(junit)
    elif args.format == "json":
        print(findings.as_json(result, command=args.command, **extra))
    else:
        report = extra.pop("report", "")
        if report:
            print("\n".join(printable(line, None) for line in report.split("\n")))
        print(findings.human(result))
    sys.stdout.flush()  # a write error (full disk, closed pipe) surfaces here, inside main
    return findings.exit_code(result)


if __name__ == "__main__":
    raise SystemExit(main())
