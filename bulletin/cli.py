"""Command line: `bulletin build`; prints problems as path:line: message, never a traceback."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from bulletin import __version__
from bulletin.errors import BuildError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bulletin", description="Build the news bulletin of China's high-tech zones.")
    parser.add_argument("--version", action="version", version=f"bulletin {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="build the site into an output folder")
    build.add_argument("site", nargs="?", default=".", type=Path, help="the site folder (default: the current folder)")
    build.add_argument("-o", "--output", type=Path, help="the output folder (default: SITE/build)")
    build.add_argument("--drafts", action="store_true", help="include reports marked draft: true")
    build.add_argument("--future", action="store_true", help="include reports dated in the future")
    build.add_argument("--debug", action="store_true", help="show a traceback for unexpected errors")
    build.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "build":
            return _build(args)
    except BuildError as error:
        for problem in error.problems:
            print(problem.format(), file=sys.stderr)
        errors = sum(1 for p in error.problems if p.severity == "error")
        print(f"bulletin: {errors} error{'s' if errors != 1 else ''}; nothing was written", file=sys.stderr)
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
    return 0


def _build(args: argparse.Namespace) -> int:
    from bulletin.build import BuildOptions, build

    report = build(args.site, args.output, BuildOptions(drafts=args.drafts, future=args.future))
    if not args.quiet:
        print(report.summary())
    return 0
