"""Command line: build, check, serve, new, init.

Problems are printed as `path:line: message` with a hint, never as a traceback (unless --debug).
The exit status is one of EXIT_CODES; no worker process outlives the command (see system).
"""

from __future__ import annotations

import argparse
import errno
import gc
import json
import os
import signal
import sys
from pathlib import Path
from typing import Sequence

from bulletin import __version__, system
from bulletin.errors import BuildError, Problem

EXIT_CODES = """exit status:
  0    done
  1    problems in the site (each is printed), or a file that cannot be read or written
  2    an unexpected error (run again with --debug to see where it happened)
  130  interrupted with Ctrl-C (SIGINT)
  143  stopped by SIGTERM (129: by SIGHUP, the terminal was closed)
  A build that does not finish leaves the output folder as it was; `serve` stopped by Ctrl-C
  or SIGTERM exits with 0."""


def _site_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("site", nargs="?", default=".", type=Path, help="the site folder (default: the current folder)")
    command.add_argument("--drafts", action="store_true", help="include reports marked draft: true")
    command.add_argument("--future", action="store_true", help="include reports dated in the future")
    command.add_argument("--debug", action="store_true", help="show a traceback for unexpected errors")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bulletin", description="Build the news bulletin of China's high-tech zones.",
                                     epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    except OSError as exc:  # the disk is full, a folder is read-only, a file cannot be read, …
        if getattr(args, "debug", False):
            raise
        for line in _os_error(exc, args):
            print(line, file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        return _stopped(args, exc.signum if isinstance(exc, system.Terminated) else signal.SIGINT)
    except Exception as exc:  # a bug or an environment failure: say so plainly
        if system.stopped_by() is not None:  # a worker ended by the same signal, first
            return _stopped(args, system.stopped_by())
        if getattr(args, "debug", False):
            raise
        from concurrent.futures.process import BrokenProcessPool

        if isinstance(exc, BrokenProcessPool):
            print("bulletin: a worker process ended abruptly (was it killed, or out of memory?)", file=sys.stderr)
            print(f"  hint: run the command again{_LEFT if args.command == 'build' else ''}", file=sys.stderr)
            return 2
        print(f"bulletin: unexpected error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("  hint: run again with --debug to see where it happened; the output folder was left as it was", file=sys.stderr)
        return 2


_LEFT = "; the output folder was left as it was"


def _stopped(args: argparse.Namespace, signum: int) -> int:
    if args.command == "serve":  # the way to stop it, at any moment
        print("stopped", file=sys.stderr)
        return 0
    left = _LEFT if args.command == "build" else ""
    if signum == signal.SIGINT:
        print(f"bulletin: interrupted{left}", file=sys.stderr)
    else:
        print(f"bulletin: stopped by {signal.Signals(signum).name}{left}", file=sys.stderr)
    return system.exit_code(signum)


# Errors that only writing causes; the others are of reading if a file of the site is named.
_WRITE_ERRORS = {errno.ENOSPC, errno.EFBIG, errno.EROFS, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ERRORS = {errno.EACCES, errno.EPERM, errno.ENOENT, errno.EISDIR, errno.ENOTDIR, errno.EIO, errno.ELOOP,
                errno.ENAMETOOLONG, errno.EINVAL}


def _os_error(exc: OSError, args: argparse.Namespace) -> list[str]:
    """What to print for an error of the system: "cannot write" for writing (into the output,
    the cache, a new report or site), "cannot read" for reading a file, else what happened."""
    from bulletin.content import site_path
    from bulletin.state import CACHE_DIR

    root = Path(getattr(args, "site", None) or getattr(args, "directory", None) or ".").absolute()
    names = [os.fsdecode(p) for p in (exc.filename, exc.filename2) if p is not None and not isinstance(p, int)]
    written = [root / CACHE_DIR]
    if args.command == "build":
        output = (args.output or root / "build").absolute()
        written += [output, output.parent / f".{output.name}.staging", output.parent / f".{output.name}.old"]
    elif args.command in ("new", "init"):
        written.append(root)
    what = exc.strerror or str(exc)
    where = f" {site_path(Path(names[0]).absolute(), root)}" if names else ""
    left = _LEFT if args.command == "build" else ""
    if exc.errno in _WRITE_ERRORS or any(Path(name).absolute().is_relative_to(folder) for name in names for folder in written):
        return [f"bulletin: cannot write{where}: {what}",
                f"  hint: free some space or fix the folder's permissions{left}"]
    if names and exc.errno in _READ_ERRORS:
        return [f"bulletin: cannot read{where}: {what}",
                f"  hint: check that the file is there and that you may read it{left}"]
    return [f"bulletin: {what}" + (f" ({where.strip()})" if where else ""),
            f"  hint: run again with --debug to see where it happened{left}"]


def _print_problems(problems: Sequence[Problem]) -> None:
    for problem in problems:
        print(problem.format(), file=sys.stderr)


def _options(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from bulletin.build import BuildOptions

    return BuildOptions(drafts=args.drafts, future=args.future)


def run() -> None:
    """The `bulletin` command. A build leaves millions of objects behind; the process exits
    without freeing them one by one, which would take a noticeable part of a rebuild. It
    does so only once every worker process it started has ended and been reaped: a caller
    reading its output sees the end of it when the command ends."""
    gc.disable()  # nor is there any need to collect cycles in a process this short
    system.handle_signals()
    code = 2
    try:
        code = main()
    except KeyboardInterrupt as exc:  # a signal while main() was saying something else
        code = system.exit_code(exc.signum if isinstance(exc, system.Terminated) else signal.SIGINT)
    finally:  # also when --debug lets an error through: then Python exits as usual
        with system.quiet_signals():
            system.stop_all()
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except OSError:  # the reader went away: nothing more can reach it
                code = code or 1
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
