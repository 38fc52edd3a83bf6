"""The build pipeline, top to bottom: load, gather, render, write, swap in."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
import pickle
import signal
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import posixpath

from markupsafe import Markup
from tqdm import tqdm

from bulletin import __version__, feeds, pages, search, urls
from bulletin.config import BUILTIN_THEMES, CONFIG_NAME, SiteConfig, load_config
from bulletin.content import Report, load_reports
from bulletin.markdown import RENDERER_VERSION, local_path
from bulletin.errors import BuildError, Problem
from bulletin.images import VERSION as IMAGES_VERSION
from bulletin.images import Images
from bulletin.incremental import Entry, Memo, fingerprint
from bulletin.model import Site
from bulletin.taxonomy import assemble
from bulletin.theme import Theme
from bulletin.urls import Links
from bulletin.pages import Page
from bulletin.writer import MemoryOutput, Output, write_file


CACHE_DIR = ".bulletin-cache"  # hidden folder of the site that keeps what builds may reuse
_STATE_VERSION = (__version__, RENDERER_VERSION, IMAGES_VERSION, sys.version_info[:2])


@dataclass(frozen=True)
class BuildOptions:
    drafts: bool = False
    future: bool = False
    now: datetime | None = None  # "today" for --future; the clock when None


@dataclass(frozen=True)
class BuildReport:
    articles: int
    pages: int
    feeds: int
    files: int
    seconds: float
    # What a verbose build reports besides: the time of each step, and how much was reused.
    steps: tuple[tuple[str, float], ...] = ()
    rendered: int = -1  # pages and feeds rendered this time (-1: nothing was built)
    reused: bool = False  # nothing changed: the previous output stands

    def details(self) -> list[str]:
        lines = [f"  {name}: {seconds:.2f} s" for name, seconds in self.steps]
        if self.reused:
            lines.append("  nothing changed since the last build: the output folder was left as it is")
        elif self.rendered >= 0:
            lines.append(f"  rendered {self.rendered} of {self.pages + self.feeds} pages and feeds; the rest were unchanged")
        return lines

    def summary(self) -> str:
        return (f"built {self.articles} reports: {self.pages} pages, {self.feeds} feeds, "
                f"{self.files} files in {self.seconds:.2f} s")


class Builder:
    """Builds one site into one output, again and again, reusing what did not change.

    `in_memory` keeps the output in `files` (path → bytes) instead of on disk: the preview
    server serves from there.
    """

    def __init__(self, root: Path, output: Path | None = None, options: BuildOptions = BuildOptions(),
                 in_memory: bool = False):
        self.root = root.resolve()
        self.output = (output or self.root / "build").absolute()
        self.options = options
        self.in_memory = in_memory
        self.cache: dict = {}
        self.memo = Memo()
        self.files: dict[str, bytes] = {}
        self.config: SiteConfig | None = None
        self._next_due: datetime | None = None

    def load(self, warnings: list[Problem] | None = None) -> Site:
        """Read and check everything; raises BuildError with every problem found."""
        self.config = config = load_config(self.root)
        now = self.options.now or datetime.now(timezone.utc)
        reports, held_back, problems = load_reports(config, drafts=self.options.drafts, future=self.options.future,
                                                    now=now, cache=self.cache)
        # The first moment a report held back for its date becomes due (and the site changes).
        due = [r.meta.date for r in held_back if r.meta.date > now and (self.options.drafts or not r.meta.draft)]
        self._next_due = min(due) if due else None
        if warnings is not None:
            warnings.extend(unused_files(config, [*reports, *held_back]))
        # Check what the readable reports say about each other too, so one run shows everything.
        try:
            site = assemble(config, reports, held_back, warnings, broken={p.path for p in problems if p.path},
                            images=Images(self.root, self.root / CACHE_DIR / "images"))
        except BuildError as error:
            problems.extend(error.problems)
        if problems:
            raise BuildError(problems)
        return site

    def build(self, warnings: list[Problem] | None = None, progress: bool = False) -> BuildReport:
        started = time.perf_counter()
        inputs = None
        if not self.in_memory:
            check_output_location(self.root, self.output)
            inputs = self._inputs()
            unchanged = self._unchanged(inputs)
            if unchanged is not None:  # nothing the site is made from changed: nothing to do
                report, known = unchanged
                if warnings is not None:
                    warnings.extend(known)
                return replace(report, seconds=time.perf_counter() - started, steps=(), rendered=0, reused=True)
            self._load_state()
        noted: list[Problem] = []
        loaded = time.perf_counter()
        site = self.load(noted)
        rendering = time.perf_counter()
        if warnings is not None:
            warnings.extend(noted)
        # A rebuild that knows what the last build wrote patches the output in place.
        written_before = None if self.in_memory else self._manifest()
        previous = written_before if self.memo.pages else None
        out = MemoryOutput(self.files) if self.in_memory else Output(self.output, previous)
        reindex = False
        with out:
            page_count, feed_count, memo = render(site, out, progress, self.memo)
            if isinstance(out, Output) and site.config.search:
                # The index depends on every report page: make it again when any page changed.
                changed = memo.pages != self.memo.pages
                kept = out.keep_folder(urls.SEARCH_BUNDLE.rstrip("/"), "search index")
                if not out.patching and (changed or not kept):
                    search.index(self.root, out.staging)
                    out.adopt(urls.SEARCH_BUNDLE.rstrip("/"), "search index")
                reindex = out.patching and (changed or not kept)
            if isinstance(out, Output):
                foreign = out.keep_foreign(written_before)
                if foreign and warnings is not None:
                    shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
                    warnings.append(Problem(f"kept {len(foreign)} file{'s' if len(foreign) > 1 else ''} in the output that bulletin did not write: {shown}",
                                            hint="put files that belong to the site in static/; delete the others", severity="warning"))
            out.commit()
        if reindex:  # the pages are in place: index them beside, then swap the index in
            assert isinstance(out, Output)
            for rel in [r for r in out.written if r.startswith(urls.SEARCH_BUNDLE)]:
                del out.written[rel]
            for rel in search.reindex(self.root, self.output):
                out.written[rel] = "search index"
        previous_keys, self.memo = self.memo.pages, memo
        finished = time.perf_counter()
        rendered = sum(1 for path, key in memo.pages.items() if previous_keys.get(path) != key)
        result = BuildReport(len(site.articles), page_count, feed_count, len(out.written), finished - started,
                             steps=(("read and check", rendering - loaded), ("render and write", finished - rendering)),
                             rendered=rendered)
        if isinstance(out, Output):
            self._save_manifest(set(out.written))
            self._save_state()
            self._save_inputs(inputs, result, noted, self._next_due)
        if isinstance(out, MemoryOutput):
            self.files = out.files
        return result


    # What a later `bulletin build` may reuse: parsed reports (bodies in files of their own, read
    # only when a page needs them) and the fingerprints of the pages of this output folder.
    def _state_path(self) -> Path:
        key = hashlib.sha1(str(self.output).encode()).hexdigest()[:16]
        return self.root / CACHE_DIR / f"state-{key}.pickle"

    def _load_state(self) -> None:
        if self.cache or not self.output.is_dir():
            return
        try:
            with open(self._state_path(), "rb") as handle:
                state = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return  # no state, or one from another version: build from scratch
        if state.get("version") == _STATE_VERSION and state.get("output") == str(self.output):
            self.cache, self.memo = state["cache"], state["memo"]

    def _save_state(self) -> None:
        bodies = self.root / CACHE_DIR / "bodies"
        try:
            for source, (key, (report, problems)) in list(self.cache.items()):
                if report is not None and report.body.html_text is not None:
                    self.cache[source] = (key, (replace(report, body=report.body.stored(bodies)), problems))
            path = self._state_path()
            partial = path.with_suffix(".part")
            with open(partial, "wb") as handle:
                pickle.dump({"version": _STATE_VERSION, "output": str(self.output), "cache": self.cache, "memo": self.memo},
                            handle, protocol=pickle.HIGHEST_PROTOCOL)
            partial.replace(path)
            used = {r.body.html_file for _, (r, _) in self.cache.values() if r is not None}
            for stale in bodies.glob("*/*.html"):
                if str(stale) not in used:
                    stale.unlink()
        except OSError:
            pass  # a read-only site still builds; the next build just starts from scratch

    # A no-op rebuild: when no file the site is made from changed (by size, time and inode), no
    # report became due, and every file of the last build is still in place, nothing is done.
    def _inputs(self) -> str:
        digest = hashlib.blake2b(repr((_STATE_VERSION, self.options.drafts, self.options.future, str(self.output))).encode())
        for folder in (self.root / "content", self.root / "templates", self.root / "static", self.root / "themes",
                       BUILTIN_THEMES, self.root / CONFIG_NAME):
            for path, info in _walk_stats(folder):
                digest.update(f"{path}\0{info.st_mtime_ns}\0{info.st_size}\0{info.st_ino}\n".encode())
        return digest.hexdigest()

    def _inputs_path(self) -> Path:
        key = hashlib.sha1(str(self.output).encode()).hexdigest()[:16]
        return self.root / CACHE_DIR / f"inputs-{key}.pickle"

    def _unchanged(self, inputs: str) -> tuple[BuildReport, list[Problem]] | None:
        if self.options.now is not None:
            return None
        try:
            with open(self._inputs_path(), "rb") as handle:
                saved = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None
        if saved.get("inputs") != inputs:
            return None
        due = saved.get("due")
        if due is not None and datetime.now(timezone.utc) >= due:
            return None
        written = self._manifest()
        if written is None or not all(os.path.exists(os.path.join(self.output, rel)) for rel in written):
            return None
        return saved["report"], saved["warnings"]

    def _save_inputs(self, inputs: str | None, report: BuildReport, warnings: list[Problem], due: datetime | None) -> None:
        if inputs is None:
            return
        try:
            with open(self._inputs_path(), "wb") as handle:
                pickle.dump({"inputs": inputs, "report": report, "warnings": warnings, "due": due}, handle)
        except OSError:
            pass

    def _manifest_path(self) -> Path:
        key = hashlib.sha1(str(self.output).encode()).hexdigest()[:16]
        return self.root / CACHE_DIR / f"written-{key}.txt"

    def _manifest(self) -> set[str] | None:
        """What the last build wrote into this output folder, if known."""
        try:
            return set(self._manifest_path().read_text(encoding="utf-8").splitlines())
        except OSError:
            return None

    def _save_manifest(self, written: set[str]) -> None:
        path = self._manifest_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(sorted(written)), encoding="utf-8")
        except OSError:
            pass  # a read-only site still builds; foreign files are then judged without it


def _walk_stats(top: Path):  # type: ignore[no-untyped-def]
    """(path, stat) of every file under `top` (or of `top` itself), in a stable order."""
    try:
        info = os.stat(top)
    except OSError:
        return
    if not os.path.isdir(top):
        yield str(top), info
        return
    stack = [str(top)]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith("."):
                    stack.append(entry.path)
            else:
                try:
                    yield entry.path, entry.stat()
                except OSError:
                    continue


def load_site(root: Path, options: BuildOptions, warnings: list[Problem] | None = None) -> Site:
    """Read and check everything; raises BuildError with every problem found."""
    return Builder(root, None, options).load(warnings)


def build(root: Path, output: Path | None = None, options: BuildOptions = BuildOptions(),
          warnings: list[Problem] | None = None, progress: bool = False) -> BuildReport:
    return Builder(root, output, options).build(warnings, progress)


def unused_files(config: SiteConfig, reports: list[Report]) -> list[Problem]:
    """Warnings for files in content/ that are neither reports nor used by one."""
    used = {l.path for r in reports for l in r.body.links if l.path}
    used |= {local_path(posixpath.dirname(r.source), r.meta.image) for r in reports if r.meta.image}
    warnings = []
    for folder, dirs, files in os.walk(config.content_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            rel = Path(folder, name).relative_to(config.root).as_posix()
            if not name.endswith(".md") and not name.startswith(".") and rel not in used:
                warnings.append(Problem("this file is not a report (.md) and no report uses it", rel,
                                        hint="link it from a report, move it to static/, or delete it", severity="warning"))
    return warnings


def check_output_location(root: Path, output: Path) -> None:
    """Refuse an output folder that would replace the site or anything in it but build/."""
    resolved = output.resolve()
    for protected in (root, root / "content", root / "themes", root / "static", root / "templates"):
        if resolved == protected or protected.is_relative_to(resolved) or (
            resolved.is_relative_to(protected) and protected != root
        ):
            raise BuildError([Problem(f"refusing to build into {output}: it would overwrite the site's own files",
                                      hint="choose an output folder outside content/, themes/, static/ and templates/, e.g. build/")])


def render(site: Site, out: Output | MemoryOutput, progress: bool = False, memo: Memo | None = None) -> tuple[int, int, Memo]:
    """Render every page, feed and extra file of `site` into `out`.

    Returns (pages, feeds, memo). With the `memo` of the previous build into the same output,
    pages and feeds whose fingerprint did not change are kept as they are instead of being
    rendered again; the returned memo is the one for the next build.
    """
    config = site.config
    links = Links(config.base_url, config.path_prefix)
    theme = Theme(config, links)
    previous = memo or Memo()
    current = Memo()
    # Every page's navigation links to the printed issues once there are any.
    has_editions = bool(site.editions)
    everything = fingerprint(theme.fingerprint, has_editions)
    if theme.reads_site:  # a template that reads the whole site depends on every article
        everything = fingerprint(everything, site.articles, site.zones, site.tags, site.reporters, site.editions)
    common = {"site": site, "config": config, "has_editions": has_editions}
    entries: dict[str, Markup] = {}
    for article in site.articles:
        key = fingerprint(everything, article)
        html = previous.entries.get(key)
        if html is None:
            html = theme.render("partials/entry.html", article=article, **common)
        current.entries[key] = html
        entries[article.url] = Entry(html, key)
    page_count = 0
    sitemap: list[tuple[str, datetime | None]] = []
    todo = pages.pages(site, entries)
    if progress:
        todo = tqdm(todo, total=pages.count(site), desc="pages", unit=" pages", leave=False, disable=None)
    # Report pages are the most; when there are many to render, worker processes render them
    # while this process renders the lists and feeds.
    parallel = (isinstance(out, Output) and not out.patching and (os.cpu_count() or 1) > 1
                and len(site.articles) >= PARALLEL_PAGES)
    later: list[tuple[str, Page]] = []
    for page in todo:
        path = urls.output_path(page.url)
        key = fingerprint(everything, page.template, page.kind, page.title, page.url, page.feeds,
                          page.description, page.context)
        if previous.pages.get(path) != key or not out.keep(path, page.source):
            later.append((path, page))
        current.pages[path] = key
        page_count += 1
        if page.kind != "not-found":
            article = page.context.get("article")
            sitemap.append((page.url, article.date if article else None))
    workers = None
    if parallel:
        jobs = [(str(out.place(path, page.source)), str(out.target / path), page) for path, page in later if page.kind == "article"]
        later = [(path, page) for path, page in later if page.kind != "article"]
        workers = _render_elsewhere(theme, common, jobs)
    for path, page in later:
        out.write(path, theme.render(page.template, page=page, **common, **page.context), page.source)
    feed_count = 0
    for spec in feeds.specs(site):
        key = fingerprint(everything, spec.url, spec.title, spec.description, spec.items,
                          None if spec.items else feeds.empty_feed_date(site))
        paths = urls.feeds(spec.url)
        if all(previous.pages.get(p) == key for p in paths) and all(out.keep(p, spec.source) for p in paths):
            pass
        else:
            for path, data in feeds.render(spec, site, links):
                out.write(path, data, spec.source)
        for path in paths:
            current.pages[path] = key
            feed_count += 1
    out.write(urls.SITEMAP, render_sitemap(sitemap, links), "sitemap")
    out.write(urls.ROBOTS, f"User-agent: *\nAllow: /\n\nSitemap: {links.absolute(urls.SITEMAP)}\n", "robots.txt")
    for article in site.articles:
        for source, target in article.attachments:
            out.copy(target, config.root / source, article.source)
    copy_static(config, out)
    if workers is not None:
        for done in workers:
            done.result()  # raises the first BuildError of a worker, with its problems
    return page_count, feed_count, current


PARALLEL_PAGES = 400  # below this many reports, starting workers costs more than it saves
# What forked page workers render: set just before they start, read in the workers.
_shared: tuple[Theme, dict, list[tuple[str, str, Page]]] | None = None


def _render_elsewhere(theme: Theme, common: dict, jobs: list[tuple[str, str, Page]]) -> list:  # type: ignore[type-arg]
    """Render `jobs` (staged file, previous file, page) in worker processes; returns futures."""
    global _shared
    _shared = (theme, common, jobs)
    count = os.cpu_count() or 2
    pool = ProcessPoolExecutor(count, get_context("fork"), initializer=_quiet_worker)
    size = max(1, -(-len(jobs) // (count * 4)))
    futures = [pool.submit(_render_jobs, start, min(start + size, len(jobs))) for start in range(0, len(jobs), size)]
    pool.shutdown(wait=False)
    return futures


def _quiet_worker() -> None:
    # Ctrl-C is the main process's to handle: it stops the build and cleans up.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _render_jobs(start: int, stop: int) -> None:
    assert _shared is not None
    theme, common, jobs = _shared
    for staged, previous, page in jobs[start:stop]:
        payload = theme.render(page.template, page=page, **common, **page.context).encode("utf-8")
        write_file(Path(staged), Path(previous), payload)


def render_sitemap(entries: list[tuple[str, datetime | None]], links: Links) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url, date in entries:
        lastmod = f"<lastmod>{date.isoformat()}</lastmod>" if date else ""
        lines.append(f"  <url><loc>{escape(links.absolute(url))}</loc>{lastmod}</url>")
    lines.append("</urlset>\n")
    return "\n".join(lines)


def copy_static(config: SiteConfig, out: Output) -> None:
    """The theme's static/ files, then the site's static/ (which wins), at the output's root."""
    files: dict[str, Path] = {}
    for folder in (config.theme_dir / "static", config.static_dir):
        if not folder.is_dir():
            continue
        for base, dirs, names in os.walk(folder):
            dirs.sort()
            for name in sorted(names):
                path = Path(base) / name
                files[path.relative_to(folder).as_posix()] = path
    outside = [Problem("this is a symbolic link to something outside the site", str(p.relative_to(config.root)),
                       hint="copy the file into the site instead of linking to it")
               for p in files.values() if p.is_relative_to(config.root) and p.is_symlink() and not p.resolve().is_relative_to(config.root)]
    if outside:
        raise BuildError(outside)
    for rel, path in sorted(files.items()):
        out.copy(rel, path, str(path.relative_to(config.root)) if path.is_relative_to(config.root) else str(path))
