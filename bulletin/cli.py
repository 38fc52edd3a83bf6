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
import re
import signal
import sys
from pathlib import Path
from typing import Sequence

from bulletin import __version__, i18n, system
from bulletin.errors import BuildError, Problem
from bulletin.i18n import _, ngettext
from bulletin.i18n import gettext_now as _now  # argparse's help texts: translated as the parser is made

EXIT_CODES = i18n.N_("""exit status:
  0    done
  1    problems in the site (each is printed), or a file that cannot be read or written
  2    an unexpected error (run again with --debug to see where it happened)
  130  interrupted with Ctrl-C (SIGINT)
  143  stopped by SIGTERM (129: by SIGHUP, the terminal was closed)
  A build that does not finish leaves the output folder as it was; `serve` stopped by Ctrl-C
  or SIGTERM exits with 0.""")


def _site_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("site", nargs="?", default=".", type=Path, help=_now("the site folder (default: the current folder)"))
    command.add_argument("--drafts", action="store_true", help=_now("include reports marked draft: true"))
    command.add_argument("--future", action="store_true", help=_now("include reports dated in the future"))
    command.add_argument("--debug", action="store_true", help=_now("show a traceback for unexpected errors"))
    _lang_option(command)


def _lang_option(command: argparse.ArgumentParser, default: object = argparse.SUPPRESS) -> None:
    command.add_argument("--lang", choices=i18n.LANGUAGES, default=default,
                         help=_now("the language of messages: zh (Chinese) or en (English); "
                                "default: $BULLETIN_LANG, else the site's language, else the locale's"))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bulletin", description=_now("Build the news bulletin of China's high-tech zones."),
                                     epilog=_now(EXIT_CODES), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"bulletin {__version__}",
                        help=_now("show the version of bulletin and exit"))
    _lang_option(parser, default=None)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help=_now("build the site into an output folder"))
    _site_options(build)
    build.add_argument("-o", "--output", type=Path, help=_now("the output folder (default: SITE/build)"))
    loudness = build.add_mutually_exclusive_group()
    loudness.add_argument("-q", "--quiet", action="store_true", help=_now("print nothing but errors"))
    loudness.add_argument("-v", "--verbose", action="store_true", help=_now("also print how long each step took and what was reused"))

    check = commands.add_parser("check", help=_now("check the whole site without writing anything"))
    _site_options(check)
    check.add_argument("--format", choices=("text", "json"), default="text", help=_now("json: one object for CI tools"))

    serve = commands.add_parser("serve", help=_now("preview the site, rebuilding and reloading on every save"))
    _site_options(serve)
    serve.add_argument("--host", default="127.0.0.1", help=_now("address to listen on (default: 127.0.0.1, this machine only)"))
    serve.add_argument("--port", type=int, default=8000, help=_now("port to listen on (default: 8000)"))

    new = commands.add_parser("new", help=_now("start a new report with complete front-matter"))
    new.add_argument("title", help=_now("the report's headline"))
    new.add_argument("--zone", required=True, help=_now("a zone of bulletin.yaml, by name or slug"))
    new.add_argument("--tags", default="", help=_now("comma-separated tags, e.g. 产业招商,营商环境"))
    new.add_argument("--reporter", default="", help=_now("comma-separated reporter names"))
    new.add_argument("--date", help=_now("YYYY-MM-DD [HH:MM] (default: today in the site's time zone)"))
    new.add_argument("--site", type=Path, default=Path("."), help=_now("the site folder (default: the current folder)"))
    new.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    _lang_option(new)

    init = commands.add_parser("init", help=_now("create a new site that builds at once"))
    init.add_argument("directory", type=Path, help=_now("the folder to create the site in"))
    init.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    _lang_option(init)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    i18n.set_language(i18n.choose(_lang_in(argv)))  # --help comes before any site is read
    with i18n.argparse_in_language():
        args = _parser().parse_args(argv)
    i18n.set_language(i18n.choose(args.lang, _site_language(args)))
    try:
        handler = {"build": _build, "check": _check, "serve": _serve, "new": _new, "init": _init}[args.command]
        return handler(args)
    except BuildError as error:
        _print_problems(error.problems)
        errors = sum(1 for p in error.problems if p.severity == "error")
        if args.command in ("build", "new", "init"):
            said = ngettext("bulletin: {n} error; nothing was written", "bulletin: {n} errors; nothing was written", errors)
        else:
            said = ngettext("bulletin: {n} error", "bulletin: {n} errors", errors)
        print(said.format(n=errors), file=sys.stderr)
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
            print(_("bulletin: a worker process ended abruptly (was it killed, or out of memory?)"), file=sys.stderr)
            print(_("  hint: run the command again{left}").format(left=_LEFT if args.command == 'build' else ''), file=sys.stderr)
            return 2
        print(_("bulletin: unexpected error: {error}").format(error=f"{type(exc).__name__}: {exc}"), file=sys.stderr)
        print(_("  hint: run again with --debug to see where it happened; the output folder was left as it was"), file=sys.stderr)
        return 2


_LEFT = _("; the output folder was left as it was")


def _lang_in(argv: Sequence[str]) -> str | None:
    """The value of --lang in the arguments, before they are parsed (for --help)."""
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
        if arg == "--lang" and index + 1 < len(argv):
            return argv[index + 1]
    return None


def _site_language(args: argparse.Namespace) -> str | None:
    """The `language` of the site's bulletin.yaml, when it can be read; else None. Read off the
    text, not parsed: the config is parsed once, by the command, with every check (an alias
    bomb parsed here would be out of their reach), and a YAML parse here would cost a no-op
    rebuild a fifth of its time."""
    if args.command == "init":
        return None
    try:
        with open(Path(args.site) / "bulletin.yaml", encoding="utf-8") as file:
            text = file.read(1 << 20)
    except (OSError, UnicodeDecodeError):  # no config: messages in the locale's language
        return None
    found = _LANGUAGE.search(text)
    return found.group(1) if found else "zh-CN"  # the default of config.py


_LANGUAGE = re.compile(r"""^language:[ \t]*["']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)["']?[ \t]*(?:#.*)?$""", re.M)


def _stopped(args: argparse.Namespace, signum: int) -> int:
    if args.command == "serve":  # the way to stop it, at any moment
        print(_("stopped"), file=sys.stderr)
        return 0
    left = _LEFT if args.command == "build" else ""
    if signum == signal.SIGINT:
        print(_("bulletin: interrupted{left}").format(left=left), file=sys.stderr)
    else:
        print(_("bulletin: stopped by {signal}{left}").format(signal=signal.Signals(signum).name, left=left), file=sys.stderr)
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
        return [_("bulletin: cannot write{where}: {error}").format(where=where, error=what),
                _("  hint: free some space or fix the folder's permissions{left}").format(left=left)]
    if names and exc.errno in _READ_ERRORS:
        return [_("bulletin: cannot read{where}: {error}").format(where=where, error=what),
                _("  hint: check that the file is there and that you may read it{left}").format(left=left)]
    return [f"bulletin: {what}" + (f" ({where.strip()})" if where else ""),
            _("  hint: run again with --debug to see where it happened{left}").format(left=left)]


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
            print("\n".join(str(line) for line in report.details()))
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
        articles = error.reports or 0
    if args.format == "json":
        print(json.dumps({"errors": [p.as_dict() for p in errors], "warnings": [p.as_dict() for p in warnings],
                          "reports": articles}, ensure_ascii=False, indent=2))
    else:
        _print_problems([*errors, *sorted(warnings, key=Problem.sort_key)])
        if errors:
            said = ngettext("bulletin: {n} error, {warnings}", "bulletin: {n} errors, {warnings}", len(errors))
            print(said.format(n=len(errors), warnings=_warnings(len(warnings))), file=sys.stderr)
        else:
            said = ngettext("checked {n} report: no errors, {warnings}", "checked {n} reports: no errors, {warnings}", articles)
            print(said.format(n=articles, warnings=_warnings(len(warnings))), file=sys.stderr)
    return 1 if errors else 0


def _warnings(n: int) -> i18n.Text:
    return ngettext("{n} warning", "{n} warnings", n).format(n=n)


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
    print(_("created a site in {folder}; build it with: bulletin build {folder}").format(folder=args.directory))
    return 0


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("，", ",").replace("、", ",").split(",") if part.strip()]
