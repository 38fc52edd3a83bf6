"""Command line: build, check, serve, new, init.

Problems are printed as `path:line: message` with a hint, never as a traceback (unless --debug).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from bulletin import __version__
from bulletin.errors import BuildError, Problem


def _site_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("site", nargs="?", default=".", type=Path, help="the site folder (default: the current folder)")
    command.add_argument("--drafts", action="store_true", help="include reports marked draft: true")
    command.add_argument("--future", action="store_true", help="include reports dated in the future")
    command.add_argument("--debug", action="store_true", help="show a traceback for unexpected errors")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bulletin", description="Build the news bulletin of China's high-tech zones.")
    parser.add_argument("--version", action="version", version=f"bulletin {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="build the site into an output folder")
    _site_options(build)
    build.add_argument("-o", "--output", type=Path, help="the output folder (default: SITE/build)")
    loudness = build.add_mutually_exclusive_group()
    loudness.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    loudness.add_argument("-v", "--verbose", action="store_true", help="also print how long each step took and what was reused")

    check = commands.add_parser("check", help="check the whole site without writing anything")
    _site_options(check)
    check.add_argument("--format", choices=("text", "json"), default="text", help="json: one object for CI tools")

    serve = commands.add_parser("serve", help="preview the site, rebuilding and reloading on every save")
    _site_options(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")

    new = commands.add_parser("new", help="start a new report with complete front-matter")
    new.add_argument("title", help="the report's headline")
    new.add_argument("--zone", required=True, help="a zone of bulletin.yaml, by name or slug")
    new.add_argument("--tags", default="", help="comma-separated tags, e.g. 产业招商,营商环境")
    new.add_argument("--reporter", default="", help="comma-separated reporter names")
    new.add_argument("--date", help="YYYY-MM-DD [HH:MM] (default: today in the site's time zone)")
    new.add_argument("--site", type=Path, default=Path("."), help="the site folder (default: the current folder)")
    new.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    init = commands.add_parser("init", help="create a new site that builds at once")
    init.add_argument("directory", type=Path, help="the folder to create the site in")
    init.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        handler = {"build": _build, "check": _check, "serve": _serve, "new": _new, "init": _init}[args.command]
        return handler(args)
    except BuildError as error:
        _print_problems(error.problems)
        errors = sum(1 for p in error.problems if p.severity == "error")
        tail = "; nothing was written" if args.command in ("build", "new", "init") else ""
        print(f"bulletin: {errors} error{'s' if errors != 1 else ''}{tail}", file=sys.stderr)
        return 1
    except OSError as exc:  # the disk is full, a folder is read-only, …
        if getattr(args, "debug", False):
            raise
        where = f": {exc.filename}" if exc.filename else ""
        print(f"bulletin: cannot write{where}: {exc.strerror or exc}", file=sys.stderr)
        print("  hint: free some space or fix the folder's permissions; the output folder was left as it was", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bulletin: interrupted; the output folder was left as it was", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug or an environment failure: say so plainly
        if getattr(args, "debug", False):
            raise
        print(f"bulletin: unexpected error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("  hint: run again with --debug to see where it happened; the output folder was left as it was", file=sys.stderr)
        return 2


def _print_problems(problems: Sequence[Problem]) -> None:
    for problem in problems:
        print(problem.format(), file=sys.stderr)


def _options(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from bulletin.build import BuildOptions

    return BuildOptions(drafts=args.drafts, future=args.future)


def run() -> None:
    """The `bulletin` command. A build leaves millions of objects behind; the process exits
    without freeing them one by one, which would take a noticeable part of a rebuild."""
    gc.disable()  # nor is there any need to collect cycles in a process this short
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


_last_builder: object = None  # freed by the exit, not before (see run)


def _build(args: argparse.Namespace) -> int:
    from bulletin.build import Builder

    global _last_builder
    if args.verbose:  # also say what of the cache was not used, and why
        _say("bulletin.cache")
    warnings: list[Problem] = []
    builder = _last_builder = Builder(args.site, args.output, _options(args))
    report = builder.build(warnings, progress=not args.quiet)
    if not args.quiet:
        _print_problems(warnings)
        print(report.summary())
        if args.verbose:
            print("\n".join(report.details()))
    return 0


def _say(name: str) -> None:
    """Print what the logger `name` notes, on standard error."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("bulletin: %(message)s"))
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _check(args: argparse.Namespace) -> int:
    from bulletin.build import load_site

    warnings: list[Problem] = []
    errors: list[Problem] = []
    articles = 0
    try:
        articles = len(load_site(args.site.resolve(), _options(args), warnings).articles)
    except BuildError as error:
        errors = error.problems
    if args.format == "json":
        print(json.dumps({"errors": [p.as_dict() for p in errors], "warnings": [p.as_dict() for p in warnings],
                          "reports": articles}, ensure_ascii=False, indent=2))
    else:
        _print_problems([*errors, *sorted(warnings, key=Problem.sort_key)])
        if errors:
            print(f"bulletin: {len(errors)} error{'s' if len(errors) != 1 else ''}, {len(warnings)} warning{'s' if len(warnings) != 1 else ''}", file=sys.stderr)
        else:
            print(f"checked {articles} reports: no errors, {len(warnings)} warning{'s' if len(warnings) != 1 else ''}", file=sys.stderr)
    return 1 if errors else 0


def _serve(args: argparse.Namespace) -> int:
    from bulletin.serve import serve

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    return serve(args.site, args.host, args.port, _options(args), log)


def _new(args: argparse.Namespace) -> int:
    from bulletin.scaffold import new_report

    path = new_report(args.site.resolve(), args.title, args.zone, _split(args.tags), _split(args.reporter), args.date)
    print(path)
    return 0


def _init(args: argparse.Namespace) -> int:
    from bulletin.scaffold import init_site

    for path in init_site(args.directory):
        print(path)
    print(f"created a site in {args.directory}; build it with: bulletin build {args.directory}")
    return 0


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("，", ",").replace("、", ",").split(",") if part.strip()]
