"""Find report files under content/ and turn each into front-matter plus a rendered body.

Parsing a report is a pure function of its text and the site config, so large sites parse in
worker processes (one per core); problems from every file are collected and raised together.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import posixpath
import re
import select
import signal
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any, Callable

from bulletin import markdown, slugs, system
from bulletin.config import SiteConfig
from bulletin.errors import BuildError, Problem
from bulletin.frontmatter import Split, ZoneIndex, parse_meta, split
from bulletin.model import Body, Meta
from bulletin.paths import NotPublishable, hidden, site_file
from bulletin.slugs import slugify
from bulletin.i18n import _

REPORT_SUFFIX = ".md"
PARALLEL_THRESHOLD = 300  # below this, starting workers costs more than it saves


@dataclass(frozen=True)
class Report:
    """A parsed report file: where it came from, its front-matter and its rendered body."""

    source: str
    meta: Meta
    body: Body
    slug: str  # its `slug`, else the pinyin of its title, else of its file name


def report_slug(source: str, meta: Meta, length: int = slugs.MAX_LENGTH) -> str:
    return meta.slug or slugify(meta.title, length) or slugify(source.rsplit("/", 1)[-1][:-3], length) or "report"


def discover(config: SiteConfig, problems: list[Problem] | None = None) -> list[str]:
    """Report files as paths relative to the site folder, in a stable order.

    Hidden files and editor leftovers (.#x.md, x.md~) are skipped, as are files that are not
    Markdown (images beside a report are its attachments), folders whose name starts with "_"
    and node_modules/. Folders and files are read only where bulletin.paths allows: a
    symbolic link that leads out of the site or into a hidden folder is a problem (skipped
    folders included), never followed.
    """
    root = config.content_dir
    top = len(os.path.join(str(config.root), ""))  # folders below are under it: paths start with it
    found: list[str] = []
    seen: set[str] = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = _allowed(config, folder, problems)
        if real is None:
            dirs[:] = []
            continue
        if real in seen:  # a link back to a folder already read: do not go round in circles
            dirs[:] = []
            continue
        seen.add(real)
        kept = []
        for name in sorted(dirs):
            if name.startswith("_") or hidden(name):
                if os.path.islink(os.path.join(folder, name)):  # not read, but not a way out either
                    _allowed(config, os.path.join(folder, name), problems)
                continue
            kept.append(name)  # checked when it is walked
        dirs[:] = kept
        for name in files:
            if name.endswith(REPORT_SUFFIX) and not name.startswith((".", "#", "_")):
                path = os.path.join(folder, name)
                # In a folder allowed as it is, only a link can lead elsewhere (a link to
                # nothing is kept: reading it says so).
                if os.path.islink(path) and _allowed(config, path, problems) is None and os.path.exists(path):
                    continue
                found.append(path[top:].replace(os.sep, "/"))
    return sorted(found)


def site_path(path: PurePath, root: PurePath) -> str:
    """A path as people are shown it: relative to the site folder `root` when it is in it,
    and with forward slashes on every system (content\\2021\\a.md on Windows is shown as
    content/2021/a.md, as everywhere else)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _allowed(config: SiteConfig, path: str, problems: list[Problem] | None) -> str | None:
    """The real path of a file or folder of content/, or None (and a problem noted, if it is
    not one bulletin may publish)."""
    try:
        return str(site_file(config.root, path))
    except NotPublishable as refused:
        if problems is not None:
            problems.append(refused.problem)
    except OSError:  # a link to nothing: there is nothing to read
        pass
    return None


# A report's text is read whole; what its markup costs to render is bounded by markdown.MAX_TOKENS.
MAX_REPORT_BYTES = 16 * 1024 * 1024


def read_text(path: Path, rel: str) -> str | Problem:
    """The file as text with Unix line ends, or the problem that stops reading it."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_REPORT_BYTES + 1)  # no more, whatever the file is
            size = os.fstat(handle.fileno()).st_size
    except OSError as exc:
        return Problem(_("cannot read the file: {error}").format(error=exc.strerror or exc), rel)
    if len(data) > MAX_REPORT_BYTES:
        line = data.count(b"\n", 0, MAX_REPORT_BYTES) + 1
        return Problem(_("the report is longer than {limit} MB ({size} MB): the limit is passed on this line").format(
                           limit=MAX_REPORT_BYTES >> 20, size=f"{max(size, len(data)) / (1 << 20):,.1f}"), rel, line,
                       hint=_("split it into several reports, or put long tables and documents in a file beside it and link to that"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return Problem(_("the file is not UTF-8 text"), rel, line, hint=_("save it as UTF-8 (in most editors: Save with Encoding → UTF-8)"))
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return Problem(_("the file contains a NUL character (is it a binary file?)"), rel, line, hint=_("only Markdown text belongs in a .md file"))
    return text


def parse_report(rel: str, config: SiteConfig, zones: ZoneIndex) -> tuple[Report | None, list[Problem]]:
    parsed, problems = parse_file(rel, config, zones)
    if parsed is None:
        return None, problems
    meta, body = parsed
    return Report(rel, meta, body, report_slug(rel, meta, config.slug_length)), problems


def parse_file(rel: str, config: SiteConfig, zones: ZoneIndex) -> tuple[tuple[Meta, Body] | None, list[Problem]]:
    """A report file's front-matter and rendered body (None when it cannot be read), and its
    problems."""
    text = read_text(config.root / rel, rel)
    if isinstance(text, Problem):
        return None, [text]
    parts = split(text, rel)
    if isinstance(parts, Problem):
        return None, [parts]
    meta, problems = parse_meta(parts, rel, config, zones)
    if meta is None:
        return None, problems + _body_problems(parts, rel, config)
    if not parts.body.strip():
        return None, [Problem(_("the report has no body text"), rel, parts.body_line - 1, hint=_("write the report below the closing '---'"))]
    try:
        body = markdown.render(parts.body, parts.body_line, config.summary_length, config.trusted_html, rel,
                               nested=meta.edition is not None, line_join=config.line_join)
    except markdown.TooMuchMarkup as exc:
        return None, [Problem(_("the report has more markup than bulletin renders in one report: over {limit} "
                                "table cells, list items, links, marks and paragraphs by this line").format(limit=f"{markdown.MAX_TOKENS:,}"),
                              rel, parts.body_line + exc.line,
                              hint=_("split it into several reports, or put long tables in a file beside it and link to that"))]
    return (meta, body), problems


def referenced(rel: str, config: SiteConfig) -> set[str]:
    """The files of the site (relative paths) that the report file `rel` names, read as well
    as it can be when it has problems: its body's images and links, and its lead image."""
    text = read_text(config.root / rel, rel)
    parts = split(text, rel) if isinstance(text, str) else None
    if not isinstance(parts, Split):
        return set()
    found = set()
    image = re.search(r"^image:\s*['\"]?([^'\"#\n]+?)['\"]?\s*$", parts.yaml, re.M)
    if image:
        found.add(markdown.local_path(posixpath.dirname(rel), image.group(1)))
    try:
        body = markdown.render(parts.body, parts.body_line, config.summary_length, config.trusted_html, rel,
                               nested=False, line_join=config.line_join)
    except markdown.TooMuchMarkup:
        return {p for p in found if p}
    return {p for p in found | {link.path for link in body.links} if p}


def _body_problems(parts: Split, rel: str, config: SiteConfig) -> list[Problem]:
    """The images and links to files of the site that are missing from a body whose
    front-matter has problems: one run of `check` reports both."""
    if not parts.body.strip():
        return []
    try:
        body = markdown.render(parts.body, parts.body_line, config.summary_length, config.trusted_html, rel,
                               nested=False, line_join=config.line_join)
    except markdown.TooMuchMarkup:
        return []  # said when the front-matter is right
    problems = []
    for link in body.links:
        if not link.path or (config.root / link.path).exists():
            continue
        if link.path.endswith(".md"):
            problems.append(Problem(_("link to a report that does not exist: '{target}' (looked for {path})").format(
                target=link.target, path=link.path), rel, link.line, hint=_("check the file name; paths are relative to the report's file")))
        else:
            subject = (_("image '{name}'") if link.is_image else _("linked file '{name}'")).format(name=link.target)
            problems.append(Problem(_("{subject} not found (looked for {path})").format(subject=subject, path=link.path), rel, link.line,
                                    hint=_("check the file name; paths are relative to the report's file")))
    return problems


# Worker-process state, set once per worker by _init_worker.
_worker: tuple[SiteConfig, ZoneIndex, Any] | None = None


def _init_worker(config: SiteConfig, bodies: Path | None) -> None:
    from bulletin.state import Pack

    global _worker
    _worker = (config, ZoneIndex(config.zones), Pack(bodies, flush=True) if bodies is not None else None)


def _parse_in_worker(rel: str) -> tuple[tuple[Report | None, list[Problem]], dict[str, str]]:
    """A report parsed, and the pinyin slugs looked up for it, for later builds to reuse. With
    a folder for bodies, the body's HTML is written there and not sent: the main process of a
    large build never holds every report's HTML at once."""
    assert _worker is not None
    config, zones, pack = _worker
    report, problems = parse_report(rel, config, zones)
    if report is not None:
        for name in (*report.meta.tags, *report.meta.reporters):  # the main process needs no pinyin for them
            slugify(name)
        if pack is not None:
            try:
                report = replace(report, body=report.body.stored(pack.put))
            except OSError as exc:  # name the file (a failed write does not), for the message
                if exc.filename is None:
                    exc.filename = pack.path
                raise
    return (report, problems), slugs.take_learned()


ParseCache = dict  # source → ((stat key, config key), (Report | None, problems))


def stat_key(path: Path) -> tuple[int, int, int]:
    try:
        info = path.stat()
    except OSError:
        return (0, -1, 0)
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def config_key(config: SiteConfig) -> str:
    """Everything in the config that changes how a report parses, as one short string."""
    data = repr((config.zones, config.timezone, config.summary_length, config.trusted_html, markdown.RENDERER_VERSION,
                 config.line_join, config.slug_length))
    return hashlib.blake2b(data.encode(), digest_size=16).hexdigest()


def load_reports(config: SiteConfig, *, drafts: bool, future: bool, now: datetime,
                 cache: ParseCache | None = None, stats: dict[str, tuple[int, int, int]] | None = None,
                 early: "EarlyParse | None" = None, bodies: Path | None = None,
                 ) -> tuple[list[Report], list[Report], list[Problem]]:
    """(reports to publish, drafts and future reports left out, problems of files that could not
    be read). `cache` keeps parsed files between builds of one process: a file
    is parsed again only when its size, time or inode changed. `stats`: those of the files, if
    already known. `bodies`: a folder where worker processes keep the bodies they render (see
    state.Pack), instead of sending them back."""
    found: list[Problem] = []
    sources = discover(config, found)
    cache = cache if cache is not None else {}
    setting = config_key(config)
    stats = stats or {}
    keys = {rel: (stats.get(rel) or stat_key(config.root / rel), setting) for rel in sources}
    todo = [rel for rel in sources if rel not in cache or cache[rel][0] != keys[rel]]
    if early is not None:  # parsed already, in another process, while this one was busy
        done = early.results(setting)
        cache.update((rel, (keys[rel], done[rel])) for rel in todo if rel in done)
        todo = [rel for rel in todo if rel not in done]
    if len(todo) >= PARALLEL_THRESHOLD and (os.cpu_count() or 1) > 1:
        with system.scope():  # the workers are done when this ends, or stopped if it fails
            with system.starting():
                pool = system.pool(os.cpu_count() or 2, _init_worker, (config, bodies))
                parsed = pool.map(_parse_in_worker, todo, chunksize=64)
            fresh = []
            for result, learned in parsed:
                fresh.append(result)
                slugs.seed(learned)
    else:
        zones = ZoneIndex(config.zones)
        fresh = [parse_report(rel, config, zones) for rel in todo]
    for rel, result in zip(todo, fresh):
        cache[rel] = (keys[rel], result)
    for gone in set(cache) - set(keys):
        del cache[gone]
    results = [cache[rel][1] for rel in sources]
    problems = found + [p for _, reported in results for p in reported]
    published: list[Report] = []
    held_back: list[Report] = []
    for report, _ in results:
        if report is not None:
            shown = (drafts or not report.meta.draft) and (future or report.meta.date <= now)
            (published if shown else held_back).append(report)
    return published, held_back, problems


class EarlyParse:
    """Reports parsed in a forked process while this one does other work (loads the last
    build's state): a rebuild after an edit need not wait for Markdown and pinyin after that.
    Where processes do not fork (Windows, macOS, BULLETIN_PORTABLE), there is no early parse:
    the caller parses the files itself, as it does whenever the results are missing.

    The files are read after the caller took their size, time and inode, so a file changed
    again meanwhile is parsed once more by the next build. Results count only for a config
    with the settings they were parsed with; anything amiss and the caller parses itself.
    """

    WAIT = 60.0  # seconds: a child that takes longer is given up on

    def __init__(self, root: Path, sources: list[str], known: Callable[[], dict[str, str]] | None = None):
        """`known`: in the child, the slugs looked up before (most edits then need no pinyin)."""
        self._results: dict[str, tuple[Report | None, list[Problem]]] | None = None
        self._setting: str | None = None
        self.pid = 0
        if not system.can_fork():
            self._results = {}
            return
        reading, writing = os.pipe()
        parent = os.getpid()
        try:
            with system.starting():
                self.pid = os.fork()
                if self.pid == 0:
                    _child_signals()
        except OSError:
            os.close(reading)
            os.close(writing)
            self._results = {}
            return
        if self.pid == 0:  # the child: parse, send, and leave without running anything else
            os.close(reading)
            code = 1
            try:
                system.watch_parent(parent, system.use_pdeathsig())
                from bulletin.config import load_config

                config = load_config(root)
                zones = ZoneIndex(config.zones)
                if known is not None:
                    slugs.seed(known())
                data = pickle.dumps((config_key(config), {rel: parse_report(rel, config, zones) for rel in sources}),
                                    protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(writing, "wb") as out:
                    out.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(writing)
        system.adopt(self.pid)
        self._reading = reading

    def results(self, setting: str) -> dict[str, tuple[Report | None, list[Problem]]]:
        """What the child parsed (source → result), for a config with these settings; waits
        for the child the first time."""
        if self._results is None:
            self._results = {}
            chunks = []
            try:
                deadline = time.monotonic() + self.WAIT
                while True:
                    ready, _, _ = select.select([self._reading], [], [], max(0.0, deadline - time.monotonic()))
                    if not ready:
                        os.kill(self.pid, signal.SIGKILL)
                        break
                    chunk = os.read(self._reading, 1 << 20)
                    if not chunk:
                        break
                    chunks.append(chunk)
                self._reap()
                self._setting, self._results = pickle.loads(b"".join(chunks))
            except Exception:  # the child failed or said nothing: parse here instead
                self._results = {}
            finally:
                self._reap(kill=True)
                os.close(self._reading)
        return self._results if self._setting == setting else {}

    def _reap(self, kill: bool = False) -> None:
        if self.pid and kill:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
        if self.pid:
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            system.reaped(self.pid)
            self.pid = 0

    def close(self) -> None:
        """The results are not wanted (any more): stop the child if it still runs, and reap it.
        It leaves no process behind."""
        if self._results is None:
            self._results = {}
            self._reap(kill=True)
            os.close(self._reading)


def _child_signals() -> None:
    """In the forked child, before anything else: signals end it (its parent cleans up)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
