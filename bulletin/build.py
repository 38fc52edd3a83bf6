"""The build pipeline, top to bottom: load, gather, render, write, swap in."""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, NamedTuple
from html import escape

import posixpath

from markupsafe import Markup

from bulletin import __version__, addresses, feeds, pages, search, slugs, state, svg, system, urls
from bulletin.config import BUILTIN_THEMES, CONFIG_NAME, SiteConfig, load_config
from bulletin.content import EarlyParse, Report, config_key, load_reports, parse_file, referenced, site_path
from bulletin.frontmatter import ZoneIndex
from bulletin.markdown import RENDERER_VERSION, local_path
from bulletin.errors import BuildError, Problem
from bulletin.paths import VERSION as PATHS_VERSION
from bulletin.paths import NotPublishable, site_file, site_tree
from bulletin.images import VERSION as IMAGES_VERSION
from bulletin.images import Images
from bulletin.incremental import Entry, Memo, article_fingerprint, dependencies, fingerprint, holders, replace_bodies
from bulletin.model import Body, Site
from bulletin.state import CACHE_DIR
from bulletin.taxonomy import article_of, assemble, resolve_report_links
from bulletin.theme import Theme
from bulletin.urls import Links
from bulletin.pages import Page
from bulletin.writer import Folders, MemoryOutput, Output, recover, write_file
from bulletin.i18n import N_, _, ngettext


_STATE_VERSION = (__version__, RENDERER_VERSION, IMAGES_VERSION, PATHS_VERSION, sys.version_info[:2])


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
    patched: int = 0  # only the text of this many reports changed: only the pages showing them were looked at

    def details(self) -> list[str]:
        lines = [_("  {step}: {seconds:.2f} s").format(step=_(name), seconds=seconds) for name, seconds in self.steps]
        if self.reused:
            lines.append(_("  nothing changed since the last build: the output folder was left as it is"))
            return lines
        if self.patched:
            lines.append(ngettext("  only the text of {n} report changed: only the pages and feeds showing it were looked at",
                                  "  only the text of {n} reports changed: only the pages and feeds showing them were looked at",
                                  self.patched).format(n=self.patched))
        if self.rendered >= 0:
            lines.append(_("  rendered {rendered} of {total} pages and feeds; the rest were unchanged").format(
                rendered=self.rendered, total=self.pages + self.feeds))
        return lines

    def summary(self) -> str:
        return ngettext("built {n} report: {pages}, {feeds}, {files} in {seconds:.2f} s",
                        "built {n} reports: {pages}, {feeds}, {files} in {seconds:.2f} s", self.articles).format(
            n=self.articles, pages=ngettext("{n} page", "{n} pages", self.pages).format(n=self.pages),
            feeds=ngettext("{n} feed", "{n} feeds", self.feeds).format(n=self.feeds),
            files=ngettext("{n} file", "{n} files", self.files).format(n=self.files), seconds=self.seconds)


class Builder:
    """Builds one site into one output, again and again, reusing what did not change.

    `in_memory` keeps the output in `files` (path → bytes) instead of on disk: the preview
    server serves from there.
    """

    def __init__(self, root: Path, output: Path | None = None, options: BuildOptions = BuildOptions(),
                 in_memory: bool = False, read_only: bool = False):
        self.root = root.resolve()
        self.read_only = read_only  # `check`: read and check everything, write nothing
        self.output = (output or self.root / "build").absolute()
        self.options = options
        self.in_memory = in_memory
        self.cache: dict = {}
        self.memo = Memo()
        self.files: dict[str, bytes] = {}
        self.config: SiteConfig | None = None
        self._next_due: datetime | None = None
        self._site: Site | None = None  # as the last build into the output folder gathered it
        self._problems: dict[str, list[Problem]] = {}  # source → what its parse noted, if anything
        self._records: list[dict] = []  # what rebuilds since the last full build changed in the state
        self._stats: dict[str, tuple[int, int, int]] | None = None  # of the report files, as this build found them
        self._early: EarlyParse | None = None
        self._written: tuple[set[str] | None] | None = None  # the manifest, once read in this build
        self.store = state.Store(self.root, self.output, _STATE_VERSION)
        # The record of published addresses (see bulletin.addresses): as this build resolved
        # it, as it writes it to the site (published reports only), and, for the preview, as
        # the last build left it in memory.
        self.addresses: addresses.Resolved | None = None
        self._record_out: addresses.Record | None = None
        self._record: addresses.Record = {}
        self._building = False  # load() is reading for a build (not for `check`)
        self._address_notes: list[Problem] = []  # addresses this build records as changed

    def load(self, warnings: list[Problem] | None = None) -> Site:
        """Read and check everything; raises BuildError with every problem found."""
        config_problems: list[Problem] = []  # the reports are checked against the rest of the config
        self.config = config = load_config(self.root, config_problems)
        now = self.options.now or datetime.now(timezone.utc)
        reports, held_back, problems = load_reports(config, drafts=self.options.drafts, future=self.options.future,
                                                    now=now, cache=self.cache, stats=self._stats, early=self._early,
                                                    bodies=None if self.in_memory or self.read_only else self.store.bodies)
        # The first moment a report held back for its date becomes due (and the site changes).
        due = [r.meta.date for r in held_back if r.meta.date > now and (self.options.drafts or not r.meta.draft)]
        self._next_due = min(due) if due else None
        problems.extend(site_folders(config, warnings))
        if warnings is not None:
            broken = sorted({p.path for p in problems if p.path and p.path.endswith(".md")})
            warnings.extend(unused_files(config, [*reports, *held_back], broken))
        # Check what the readable reports say about each other too, so one run shows everything.
        try:
            previous = self._site if self._site is not None and self._site.config == config else None
            site = assemble(config, reports, held_back, warnings, broken={p.path for p in problems if p.path},
                            images=self._images(), previous=previous)
        except BuildError as error:
            problems.extend(error.problems)
        else:
            self._resolve(site, {r.source for r in held_back}, now, warnings, problems)
        if config.search and not self.in_memory:  # the preview indexes in the background, if it can
            try:  # `check` says what `build` would find missing at the end
                search.find_pagefind(self.root)
            except BuildError as error:
                problems.extend(error.problems)
        problems[:0] = config_problems
        if problems:
            raise BuildError(problems, reports=len(reports) + len({p.path for p in problems if p.path and p.path.endswith(".md")}))
        return site

    def _resolve(self, site: Site, held_back: set[str], now: datetime, warnings: list[Problem] | None,
                 problems: list[Problem]) -> None:
        """The record of published addresses with this build's reports in it, and the redirects
        that follow from it (see bulletin.addresses)."""
        links = Links(site.config.base_url, site.config.path_prefix)
        try:
            record = addresses.read(self.root)
        except BuildError as error:
            problems.extend(error.problems)
            return
        if self.in_memory:  # what earlier previews saw, though no build wrote it to the site
            for source, entry in self._record.items():
                mine = record.setdefault(source, entry)
                mine.addresses.extend(a for a in entry.addresses if a not in mine.addresses)
        if twice := addresses.same_ids(site.articles):
            problems.extend(twice)
            return
        present = {a.source for a in site.articles} | held_back
        published = addresses.resolve(record, [a for a in site.articles if addresses.publishable(a, now)],
                                      links.absolute, present)
        # Said once, by the build that records the new address (not again by a rebuild that
        # reuses its warnings); `check` and the preview say it until a build has.
        recording = self._building and not self.in_memory
        self._address_notes = [addresses.changed(*change, recorded=True) for change in published.changes] if recording else []
        if warnings is not None and not recording:
            warnings.extend(addresses.changed(*change, recorded=False) for change in published.changes)
        resolved = addresses.resolve(published.record, site.articles, links.absolute, present)
        real = {urls.output_path(url) for url in pages.page_urls(site)}
        real |= {path for spec in feeds.specs(site) for path in urls.feeds(spec.url)}
        real |= {urls.SITEMAP, urls.ROBOTS} | {target for a in site.articles for _, target in a.attachments}
        real |= set(static_files(site.config, []))  # their problems are the site's: noted by site_folders
        addresses.redirects(resolved, site.articles, real, problems, warnings)
        self.addresses, self._record_out = resolved, published.record

    def _write_record(self, warnings: list[Problem] | None) -> bool:
        """Write the record of published addresses into the site, when it changed; False when
        it could not be written."""
        if self._record_out is None:
            return False
        try:
            addresses.write(self.root, self._record_out)
            return True
        except OSError as error:
            if warnings is not None:
                warnings.append(Problem(_("could not write {record}: {error}").format(record=addresses.RECORD_NAME, error=error),
                                        addresses.RECORD_NAME,
                                        hint=_("the redirects of changed addresses are kept only while this file is kept up to date"),
                                        severity="warning"))
            return False

    def _images(self) -> Images:
        return Images(self.root, self.root / CACHE_DIR / "images", write=not self.read_only)

    def build(self, warnings: list[Problem] | None = None, progress: bool = False) -> BuildReport:
        with _no_cycle_collection():
            try:
                self._building = True
                return self._build(warnings, progress)
            finally:
                self._building = False
                if self._early is not None:
                    self._early.close()
                    self._early = None

    def _build(self, warnings: list[Problem] | None, progress: bool) -> BuildReport:
        started = time.perf_counter()
        self._written = None
        inputs = saved = None
        if not self.in_memory:
            check_output_location(self.root, self.output)
            recover(self.output)  # the output as the last build left it, even if this one fails
            if any(_refused(self.root, name) for name in ("content", "static", "templates", "themes")):
                self.load()  # raises with every problem, as `check` does; nothing outside the site is read
            inputs = state.scan(self.root, [self.root / "templates", self.root / "static", self.root / "themes",
                                            BUILTIN_THEMES, self.root / CONFIG_NAME],
                                (_STATE_VERSION, self.options.drafts, self.options.future, str(self.output)))
            saved = self.store.saved()
            unchanged = self._unchanged(inputs, saved)
            if unchanged is not None:  # nothing the site is made from changed: nothing to do
                report, known = unchanged
                if warnings is not None:
                    warnings.extend(known)
                return replace(report, seconds=time.perf_counter() - started, steps=(), rendered=0, reused=True, patched=0)
            self._stats = inputs.content
            if saved is not None:  # parse what changed meanwhile, in another process
                changed = [rel for rel in inputs.changed(saved["inputs"]) if rel.endswith(".md")]
                if 0 < len(changed) <= self.EARLY_LIMIT:
                    self._early = EarlyParse(self.root, changed, self.store.slugs)
            self._load_state(saved, reports=False)
            patched = self._patch(inputs, saved, warnings, started)
            if patched is not None:
                return patched
            self._load_state(saved, reports=True)
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
            page_count, feed_count, memo = render(site, out, progress, self.memo, meanwhile=lambda: _pack(site),
                                                  addresses=self.addresses)
            if isinstance(out, Output):
                reindex = self._search_index(site, out, memo)
                seen = self.store.folders() if saved and out.patching else None
                foreign = out.keep_foreign(written_before, seen)
                if foreign and warnings is not None:
                    shown = ", ".join(foreign[:5])
                    if len(foreign) > 5:
                        shown = _("{files} and {n} more").format(files=shown, n=len(foreign) - 5)
                    warnings.append(Problem(ngettext("kept {n} file in the output that bulletin did not write: {files}",
                                                     "kept {n} files in the output that bulletin did not write: {files}",
                                                     len(foreign)).format(n=len(foreign), files=shown),
                                            hint=_("put files that belong to the site in static/; delete the others"), severity="warning"))
                self.store.invalidate()
            out.commit()
        if reindex:
            self._reindex(out)
        previous_keys, self.memo = self.memo.pages, memo
        finished = time.perf_counter()
        rendered = sum(1 for path, key in memo.pages.items() if previous_keys.get(path) != key)
        result = BuildReport(len(site.articles), page_count, feed_count, len(out.written), finished - started,
                             steps=((N_("read and check"), rendering - loaded), (N_("render and write"), finished - rendering)),
                             rendered=rendered)
        if isinstance(out, Output):
            assert inputs is not None
            self.store.save_manifest(set(out.written))
            self._site = site
            kept = self._save_state()
            self.store.save_folders(seen.after(self.output, [*out.staged, *out.gone, *foreign], foreign) if seen is not None
                                    else Folders.of(self.output, out.written, foreign))
            if self._write_record(warnings) and warnings is not None:
                warnings.extend(self._address_notes)
            # The record as this build left it: a later one that finds it otherwise builds in full.
            self.store.save_inputs(inputs, kept, report=result, warnings=noted, due=self._next_due,
                                   record=addresses.digest(self.root))
        if isinstance(out, MemoryOutput):
            self.files = out.files
            if self.addresses is not None:
                self._record = self.addresses.record
        return result

    def _search_index(self, site: Site, out: Output, memo: Memo) -> bool:
        """Index the staged pages (a full build), or return True when the index must be made
        again once the pages are in place (a patch)."""
        if not site.config.search:
            return False
        # The index depends on every report page: make it again when any page changed.
        changed = memo.pages != self.memo.pages
        kept = out.keep_folder(urls.SEARCH_BUNDLE.rstrip("/"), "search index")
        if not out.patching and (changed or not kept):
            search.index(self.root, out.staging)
            out.adopt(urls.SEARCH_BUNDLE.rstrip("/"), "search index")
        return out.patching and (changed or not kept)

    def _reindex(self, out: Output) -> None:
        """The pages are in place: index them beside, then swap the index in."""
        for rel in [r for r in out.written if r.startswith(urls.SEARCH_BUNDLE)]:
            del out.written[rel]
        for rel in search.reindex(self.root, self.output):
            out.written[rel] = "search index"

    # A rebuild after some reports' bodies were edited, and nothing else: their articles are
    # changed in the site kept from the last build, and only the pages and feeds that depend on
    # them are looked at. Anything else (a report added, moved or renamed, front-matter edited,
    # a template or the config changed, a problem found) takes the full path, which is exact.
    PATCH_LIMIT = 200  # more changed files than this parse faster in parallel on the full path
    EARLY_LIMIT = 32  # at most this many changed reports are parsed early (see content.EarlyParse)

    def _patch(self, inputs: state.Inputs, saved: dict | None, warnings: list[Problem] | None,
               started: float) -> BuildReport | None:
        site, memo = self._site, self.memo
        if (site is None or saved is None or not memo.deps
                or inputs.other != saved["inputs"].other or inputs.content.keys() != saved["inputs"].content.keys()):
            return None
        changed = inputs.changed(saved["inputs"])
        if not changed or len(changed) > self.PATCH_LIMIT:
            return None
        if saved.get("record") != addresses.digest(self.root):  # its redirects may have changed
            return None
        written = self._previous_output(saved)
        if written is None:
            return None
        self.config = config = site.config  # bulletin.yaml is as it was
        by_source = {a.source: a for a in site.articles}
        setting = config_key(config)
        zones = ZoneIndex(config.zones)
        fresh: dict[str, tuple] = {}
        bodies: dict[str, Body] = {}
        early = self._early.results(setting) if self._early is not None else {}
        if any(rel not in early for rel in changed):  # parsed here: the pinyin looked up before
            slugs.seed(self.store.slugs())
        for rel in changed:
            if _refused(self.root, rel):
                return None  # replaced by a link bulletin may not follow: the full build says so
            article = by_source.get(rel)
            if article is None:
                return None  # not a published report (a draft, an attachment, a broken file)
            problems = self._problems.get(rel, [])
            if rel in early:
                done, new_problems = early[rel]
                parsed = (done.meta, done.body) if done is not None else None
            else:
                parsed, new_problems = parse_file(rel, config, zones)
            if parsed is None or parsed[0] != article.meta or new_problems != problems:
                return None
            report = Report(rel, article.meta, parsed[1], article.slug)
            made: list[Problem] = []
            noted: list[Problem] = []
            terms = {t.name: t for t in (*article.tags, *article.reporters)}
            new = article_of(config, report, terms, terms, self._images(), made)
            new = resolve_report_links(new, by_source, {}, config.path_prefix, made, noted, set())
            if made or noted or replace(new, body=article.body) != article:
                return None
            fresh[rel] = ((inputs.content[rel], setting), (report, problems))  # as found before it was read
            bodies[rel] = new.body
        theme = Theme(config, Links(config.base_url, config.path_prefix))
        if theme.reads_site:  # every page depends on every article
            return None
        replace_bodies(site, bodies)
        loaded = time.perf_counter()
        out = Output(self.output, written)
        with out:
            page_count, feed_count, current = render(site, out, memo=memo, changed=set(changed), theme=theme,
                                                     addresses=self._patch_addresses(site))
            reindex = self._search_index(site, out, current)
            out.carry_rest("unchanged")
            self.store.invalidate()
            out.commit()
        if reindex:
            self._reindex(out)
            self.store.save_manifest(set(out.written))
        rendered = sum(1 for path, key in current.pages.items() if memo.pages.get(path) != key)
        self.memo = current
        if self.cache:  # a builder that keeps its reports between builds
            self.cache.update(fresh)
        kept = None
        if saved.get("state") is not None:
            pack = state.Pack(self.store.bodies)
            stored = {rel: body.stored(pack.put) for rel, body in bodies.items()}
            reports = {rel: (key, (replace(report, body=stored[rel] if report.body is bodies[rel] else report.body.stored(pack.put)), problems))
                       for rel, (key, (report, problems)) in fresh.items()}
            pack.close()
            kept = self.store.append(saved["state"], {
                "cache": reports, "bodies": stored, "files": [pack.path] if pack.path else [],
                "pages": {p: current.pages[p] for p in current.pages if memo.pages.get(p) != current.pages[p]},
                "deps": {p: current.deps[p] for p in current.deps if memo.deps.get(p) != current.deps[p]},
                "entries": {current.entry_keys[a.url]: current.entries[current.entry_keys[a.url]]
                            for a in site.articles if a.source in fresh},
                "entry_keys": {a.url: current.entry_keys[a.url] for a in site.articles if a.source in fresh},
            })
        finished = time.perf_counter()
        result = replace(saved["report"], seconds=finished - started, rendered=rendered, reused=False, patched=len(changed),
                         steps=((N_("read and check"), loaded - started), (N_("render and write"), finished - loaded)))
        if warnings is not None:
            warnings.extend(saved["warnings"])
        # The output's folders file stays as the last full build left it: the folders this
        # patch wrote into have moved on since, so the next full build reads them again.
        self.store.save_inputs(inputs, kept, report=result, warnings=saved["warnings"], due=saved.get("due"),
                               record=saved.get("record"))
        return result

    def _patch_addresses(self, site: Site) -> addresses.Resolved | None:
        """The feed ids of a patch: no address changed since the last build, which wrote them."""
        if self.addresses is not None:
            return self.addresses
        try:
            record = addresses.read(self.root)
        except BuildError:
            return None
        return addresses.resolve(record, site.articles, Links(site.config.base_url, site.config.path_prefix).absolute)

    # What a later `bulletin build` may reuse (see bulletin.state).
    def _load_state(self, saved: dict | None, reports: bool) -> None:
        """The last build's site and fingerprints, and (`reports`) its parsed reports."""
        if self.cache or not self.output.is_dir() or saved is None or saved.get("state") is None:
            return
        if self._site is None:
            loaded = self.store.load(saved["state"])
            if loaded is None:
                return  # no state, or one from another version: build from scratch
            base, records = loaded
            files = {*base["files"], *(f for r in records for f in r["files"])}
            if not all(os.path.exists(f) for f in files if f is not None):
                return  # the files holding the bodies are gone
            self._records = records
            self.memo, self._site, self._problems = base["memo"], base["site"], base["problems"]
            bodies: dict[str, Body] = {}
            for record in self._records:
                self._problems.update({rel: found for rel, (_, (_, found)) in record["cache"].items()})
                self.memo.pages.update(record["pages"])
                self.memo.deps.update(record["deps"])
                self.memo.entries.update(record["entries"])
                self.memo.entry_keys.update(record["entry_keys"])
                bodies.update(record["bodies"])
            replace_bodies(self._site, bodies)
        if reports:
            slugs.seed(self.store.slugs())  # names, tags and titles whose pinyin was looked up before
            kept = self.store.load_reports(saved["state"])
            if kept is None:  # the reports are gone: parse every file again, render what changed
                return
            articles = {a.source: a for a in self._site.articles}
            cache = {}
            try:
                for rel, (key, report, found) in kept.items():
                    if report == _IN_SITE:
                        article = articles[rel]
                        report = Report(rel, article.meta, article.body, article.slug)
                    cache[rel] = (key, (report, found))
            except (KeyError, TypeError, ValueError):
                return  # not what this version saves: parse every file again
            for record in self._records:
                cache.update(record["cache"])
            self.cache = cache

    def _save_state(self) -> tuple[str, int] | None:
        """Write the whole state; report bodies go to a file of their own (see state.Pack)."""
        site = self._site
        try:
            bodies = [r.body for _, (r, _) in self.cache.values() if r is not None]
            bodies += [a.body for a in site.articles] if site is not None else []
            kept = {b.html_file for b in bodies if b.html_file is not None}
            # Bodies superseded since the last full build take room in their files: once there
            # are many such files, or they hold more old bodies than current ones, start afresh.
            sizes = {path: os.path.getsize(path) for path in kept if os.path.exists(path)}
            used = sum(b.html_span[1] for b in {id(b): b for b in bodies if b.html_file is not None}.values())
            afresh = len(sizes) > 16 or sum(sizes.values()) > 2 * used + (1 << 20) or len(sizes) < len(kept)
            pack = state.Pack(self.store.bodies)
            stored: dict[int, Body] = {}

            def store(body: Body) -> Body:
                if id(body) not in stored:
                    stored[id(body)] = (replace(body, html_file=None) if afresh else body).stored(pack.put)
                return stored[id(body)]

            if afresh:
                for body in bodies:
                    body.html  # read while the old files are there
            try:
                for source, (key, (report, problems)) in list(self.cache.items()):
                    if report is not None:
                        self.cache[source] = (key, (replace(report, body=store(report.body)), problems))
                if site is not None:
                    replace_bodies(site, {a.source: store(a.body) for a in site.articles}, forget_fingerprints=False)
            finally:
                pack.close()
            problems = {rel: found for rel, (_, (_, found)) in self.cache.items() if found}
            # A report that its article holds as it is is saved once, with the site.
            articles = {a.source: a for a in site.articles} if site is not None else {}
            reports = {}
            for rel, (key, (report, found)) in self.cache.items():
                article = articles.get(rel)
                held = (report is not None and article is not None and article.meta is report.meta
                        and article.body is report.body and article.slug == report.slug)
                reports[rel] = (key, _IN_SITE if held else report, found)
            now_used = {b.html_file for b in stored.values()}
            kept_state = self.store.save(reports, memo=self.memo, site=site, problems=problems, files=sorted(now_used))
            self.store.save_slugs(slugs.known())
            for entry in (os.scandir(self.store.bodies) if self.store.bodies.is_dir() else ()):
                if entry.path not in now_used and entry.is_file():
                    os.unlink(entry.path)
        except OSError:
            return None  # a read-only site still builds; the next build just starts from scratch
        return kept_state

    # A no-op rebuild: when no file the site is made from changed (by size, time and inode), no
    # report became due, and every file of the last build is still in place, nothing is done.
    def _unchanged(self, inputs: state.Inputs, saved: dict | None) -> tuple[BuildReport, list[Problem]] | None:
        if saved is None or saved["inputs"].digest != inputs.digest or self._previous_output(saved) is None:
            return None
        if saved.get("record") != addresses.digest(self.root):  # edited, checked out or deleted
            return None
        return saved["report"], saved["warnings"]

    def _previous_output(self, saved: dict) -> set[str] | None:
        """What the last build wrote, if every file of it is still in place and it still stands
        for today (no clock given, no report become due since); else None."""
        due = saved.get("due")
        if self.options.now is not None or (due is not None and datetime.now(timezone.utc) >= due):
            return None
        written = self._manifest()
        if written is None or not _all_present(self.output, written):
            return None
        return written

    def _manifest(self) -> set[str] | None:
        """What the last build wrote into this output folder (read once per build)."""
        if self._written is None:
            self._written = (self.store.manifest(),)
        return self._written[0]


_IN_SITE = "the site's article holds this report"  # in the saved reports: see _save_state


def _pack(site: Site) -> None:
    """Pack the articles as the state will keep them (see Article.pack), ahead of saving it:
    those whose body is kept in a file already, which saving leaves as they are."""
    for article in site.articles:
        if article.body.html_file is not None and article.body.html_text is None:
            article.pack()


def _all_present(folder: Path, files: set[str]) -> bool:
    """Whether every one of `files` (relative paths) is still in `folder`."""
    prefix = os.path.join(folder, "")
    return all(os.access(prefix + rel, os.F_OK) for rel in files)


@contextmanager
def _no_cycle_collection():  # type: ignore[no-untyped-def]
    """A build makes millions of objects that live until it ends and form few cycles; the
    cycle collector would only scan them over and over (a third of a rebuild's time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_site(root: Path, options: BuildOptions, warnings: list[Problem] | None = None) -> Site:
    """Read and check everything; raises BuildError with every problem found."""
    return Builder(root, None, options, read_only=True).load(warnings)


def build(root: Path, output: Path | None = None, options: BuildOptions = BuildOptions(),
          warnings: list[Problem] | None = None, progress: bool = False) -> BuildReport:
    return Builder(root, output, options).build(warnings, progress)


def unused_files(config: SiteConfig, reports: list[Report], broken: Iterable[str] = ()) -> list[Problem]:
    """Warnings for files in content/ that are neither reports nor used by one (the `broken`
    report files, which have problems, included: what they name is not unused)."""
    used = {l.path for r in reports for l in r.body.links if l.path}
    used |= {local_path(posixpath.dirname(r.source), r.meta.image) for r in reports if r.meta.image}
    for rel in broken:
        used |= referenced(rel, config)
    warnings = []
    for folder, dirs, files in os.walk(config.content_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".md") or name.startswith("."):
                continue
            rel = Path(folder, name).relative_to(config.root).as_posix()
            if rel not in used:
                warnings.append(Problem(_("this file is not a report (.md) and no report uses it"), rel,
                                        hint=_("link it from a report, move it to static/, or delete it"), severity="warning"))
    return warnings


def check_output_location(root: Path, output: Path) -> None:
    """Refuse an output folder that would replace the site or anything in it but build/."""
    resolved = output.resolve()
    for protected in (root, root / "content", root / "themes", root / "static", root / "templates"):
        if resolved == protected or protected.is_relative_to(resolved) or (
            resolved.is_relative_to(protected) and protected != root
        ):
            raise BuildError([Problem(_("refusing to build into {folder}: it would overwrite the site's own files").format(folder=output),
                                      hint=_("choose an output folder outside content/, themes/, static/ and templates/, e.g. build/"))])


def render(site: Site, out: Output | MemoryOutput, progress: bool = False, memo: Memo | None = None,
           changed: set[str] | None = None, theme: Theme | None = None,
           meanwhile: Callable[[], object] | None = None,
           addresses: addresses.Resolved | None = None) -> tuple[int, int, Memo]:
    """Render every page, feed and extra file of `site` into `out` (see _render). Worker
    processes it starts are done when it returns, and stopped at once when it fails: they are
    not left writing into the output while it is cleaned up."""
    with system.scope():
        return _render(site, out, progress, memo, changed, theme, meanwhile, addresses)


def _render(site: Site, out: Output | MemoryOutput, progress: bool = False, memo: Memo | None = None,
            changed: set[str] | None = None, theme: Theme | None = None,
            meanwhile: Callable[[], object] | None = None,
            record: addresses.Resolved | None = None) -> tuple[int, int, Memo]:
    """Render every page, feed and extra file of `site` into `out`.

    Returns (pages, feeds, memo). With the `memo` of the previous build into the same output,
    pages and feeds whose fingerprint did not change are kept as they are instead of being
    rendered again; the returned memo is the one for the next build.

    `changed` (with a memo): the site has the shape of the previous build and only the articles
    from these source files changed, so only the pages and feeds that depend on them are
    looked at; everything else in the output stays (the caller carries it over), and the
    counts returned are of the pages and feeds looked at.

    `meanwhile`: work for this process while worker processes finish the report pages, if any.

    `record`: the addresses each report has had: its feed entry's id, and the redirect pages
    written at its former addresses and aliases.
    """
    feed_ids = record.feed_ids if record is not None else None
    config = site.config
    links = Links(config.base_url, config.path_prefix)
    theme = theme or Theme(config, links)
    previous = memo or Memo()
    current = Memo()
    # Every page's navigation links to the printed issues once there are any.
    has_editions = bool(site.editions)
    everything = fingerprint(theme.fingerprint, has_editions)
    if theme.reads_site:  # a template that reads the whole site depends on every article
        if changed is not None:
            raise ValueError("a theme that reads the whole site needs every page looked at")
        everything = fingerprint(everything, site.articles, site.zones, site.tags, site.reporters, site.editions)
    common = {"site": site, "config": config, "has_editions": has_editions}
    affected: set[str] | None = None
    if changed is not None:
        groups = {g.url for g in holders(site, [a for a in site.articles if a.source in changed])}
        affected = {path for path, (sources, held) in previous.deps.items()
                    if not sources.isdisjoint(changed) or not held.isdisjoint(groups)}
        # Everything else stays as it was.
        current.pages, current.deps = dict(previous.pages), dict(previous.deps)
    track = isinstance(out, Output)  # what each page depends on, for the next build's `changed`
    # Report pages are the most; when there are many to render, worker processes fingerprint
    # and render them while this process does the list entries, the lists and the feeds. Every
    # report page's fingerprint covers other articles (neighbours, related reports): each
    # article's is taken here, once, for the workers to share.
    parallel = (isinstance(out, Output) and not out.patching and (os.cpu_count() or 1) > 1
                and len(site.articles) >= PARALLEL_PAGES)
    article_pages = list(pages.article_pages(site)) if parallel else None
    workers = pool = None
    if article_pages is not None:
        assert isinstance(out, Output)
        for article in site.articles:
            article_fingerprint(article)
        jobs = [(path, str(out.place(path, page.source)), str(out.target / path), previous.pages.get(path), page)
                for page in article_pages for path in (urls.output_path(page.url),)]
        # The feeds too, once the workers are through the pages: this process has the lists.
        feed_jobs = [(spec, [(str(out.place(path, spec.source)), str(out.target / path)) for path in urls.feeds(spec.url)])
                     for spec in feeds.specs(site, feed_ids)]
        pool, workers = _render_elsewhere(theme, common, everything, jobs, feed_jobs, links)
    entries: Mapping[str, Markup]
    if changed is None:
        entries = {}
        for article in site.articles:
            key = fingerprint(everything, article)
            html = previous.entries.get(key)
            if html is None:
                html = theme.render("partials/entry.html", article=article, **common)
            current.entries[key] = html
            current.entry_keys[article.url] = key
            entries[article.url] = Entry(html, key, article.source)
    else:  # the other entries are as they were: made when a page needs them
        current.entries, current.entry_keys = previous.entries, dict(previous.entry_keys)
        entries = _Entries(current, {a.url: a.source for a in site.articles})
        for article in site.articles:
            if article.source in changed:
                key = fingerprint(everything, article)
                if key not in current.entries:
                    current.entries[key] = theme.render("partials/entry.html", article=article, **common)
                current.entry_keys[article.url] = key
    page_count = 0
    sitemap: list[tuple[str, datetime | None]] = []
    only = None
    if affected is not None:  # the URLs of the article and list pages to look at
        only = {p[: -len("index.html")] if p.endswith("index.html") else p for p in affected}
    todo = pages.pages(site, entries, only, article_pages)
    if progress and changed is None:
        from tqdm import tqdm

        todo = tqdm(todo, total=pages.count(site), desc="pages", unit=" pages", leave=False, disable=None)
    later: list[tuple[str, Page]] = []
    for page in todo:
        path = urls.output_path(page.url)
        page_count += 1
        if page.kind != "not-found":
            article = page.context.get("article")
            sitemap.append((page.url, article.date if article else None))
        if (affected is not None and path not in affected) or (parallel and page.kind == "article"):
            continue
        key = page_fingerprint(everything, page)
        if previous.pages.get(path) != key or not out.keep(path, page.source):
            later.append((path, page))
        current.pages[path] = key
        if track:  # the same fingerprint covers the same articles and groups
            known = previous.deps.get(path) if previous.pages.get(path) == key else None
            current.deps[path] = known or dependencies(page.context)
    for path, page in later:
        out.write(path, theme.render(page.template, page=page, **common, **page.context), page.source)
    feed_count = 0
    for spec in feeds.specs(site, feed_ids):
        paths = urls.feeds(spec.url)
        feed_count += len(paths)
        if affected is not None and not any(p in affected for p in paths):
            continue
        key = fingerprint(everything, spec.url, spec.title, spec.description, spec.items, spec.ids,
                          None if spec.items else feeds.empty_feed_date(site))
        # Rendered here unless the workers do it, or the last build's files stand.
        if workers is None and not (all(previous.pages.get(p) == key for p in paths)
                                    and all(out.keep(p, spec.source) for p in paths)):
            for path, data in feeds.render(spec, site, links):
                out.write(path, data, spec.source)
        used = (previous.deps.get(paths[0]) if previous.pages.get(paths[0]) == key else None) or (
            dependencies(spec.items) if track else None)
        for path in paths:
            current.pages[path] = key
            if used is not None:
                current.deps[path] = used
    if changed is None and record is not None:  # otherwise every address is as it was
        # Redirect pages, at the former addresses and aliases: not in the sitemap.
        for url, article in record.redirects.items():
            path = urls.output_path(url)
            html = addresses.page(links.href(article.url), links.absolute(article.url), article.title, config.language)
            key = fingerprint("redirect", html)
            if previous.pages.get(path) != key or not out.keep(path, article.source):
                out.write(path, html, article.source)
            current.pages[path] = key
            if track:
                current.deps[path] = (frozenset(), frozenset())
    if changed is None:  # otherwise the URLs, dates, attachments and static files are as they were
        out.write(urls.SITEMAP, render_sitemap(sitemap, links), "sitemap")
        out.write(urls.ROBOTS, f"User-agent: *\nAllow: /\n\nSitemap: {links.absolute(urls.SITEMAP)}\n", "robots.txt")
        for article in site.articles:
            for source, target in article.attachments:
                copy_attachment(config, out, source, target, article.source)
        copy_static(config, out)
    if workers is not None:
        if meanwhile is not None:
            meanwhile()
        for done in workers:
            for path, key, used in done.result():  # raises the first BuildError of a worker, with its problems
                current.pages[path] = key
                current.deps[path] = used
        system.finish(pool)
    return page_count, feed_count, current


def page_fingerprint(everything: str, page: Page) -> str:
    """A page's fingerprint: what it shows, and `everything` (the theme, and what every page shows)."""
    return fingerprint(everything, page.template, page.kind, page.title, page.url, page.feeds, page.description,
                       page.context)


class _Entries(Mapping[str, Markup]):
    """Article URL → its list entry, from a memo's entries, made when asked for."""

    def __init__(self, memo: Memo, sources: dict[str, str]):
        self.memo, self.sources = memo, sources

    def __getitem__(self, url: str) -> Markup:
        key = self.memo.entry_keys[url]
        return Entry(self.memo.entries[key], key, self.sources[url])

    def __iter__(self) -> Iterator[str]:
        return iter(self.sources)

    def __len__(self) -> int:
        return len(self.sources)


PARALLEL_PAGES = 400  # below this many reports, starting workers costs more than it saves


class _Shared(NamedTuple):
    """What page workers render: set just before they start; a forked worker inherits it, a
    spawned one is sent it (without the theme, which it makes again: see _receive)."""

    theme: Theme
    common: dict  # type: ignore[type-arg]
    everything: str
    jobs: list[tuple[str, str, str, str | None, Page]]
    feed_jobs: list[tuple[feeds.FeedSpec, list[tuple[str, str]]]]
    links: Links


_shared: _Shared | None = None


def _render_elsewhere(theme: Theme, common: dict, everything: str,  # type: ignore[type-arg]
                      jobs: list[tuple[str, str, str, str | None, Page]],
                      feed_jobs: list[tuple[feeds.FeedSpec, list[tuple[str, str]]]], links: Links) -> tuple:  # type: ignore[type-arg]
    """Fingerprint and render `jobs` (output path, staged file, previous file, previous
    fingerprint, page) in worker processes, then `feed_jobs` (a feed, and the staged and
    previous file of each of its paths); returns the pool, and futures of [(path, fingerprint,
    what it depends on)] for the pages, of [] for the feeds. The caller finishes the pool
    (system.finish) once it has every result."""
    global _shared
    _shared = _Shared(theme, common, everything, jobs, feed_jobs, links)
    count = os.cpu_count() or 2
    forked = system.start_method() == "fork"
    with system.starting():
        pool = system.pool(count, None if forked else _receive, () if forked else (_shared._replace(theme=None),))
        size = max(1, -(-len(jobs) // (count * 4)))
        futures = [pool.submit(_render_jobs, start, min(start + size, len(jobs))) for start in range(0, len(jobs), size)]
        size = max(1, -(-len(feed_jobs) // (count * 4)))
        futures += [pool.submit(_render_feeds, start, min(start + size, len(feed_jobs)))
                    for start in range(0, len(feed_jobs), size)]
    return pool, futures


def _receive(shared: _Shared) -> None:
    """In a spawned worker: what to render, with the theme made again here (a Jinja
    environment does not travel between processes)."""
    global _shared
    _shared = shared._replace(theme=Theme(shared.common["config"], shared.links))


def _render_feeds(start: int, stop: int) -> list[tuple[str, str, object]]:
    assert _shared is not None
    for spec, files in _shared.feed_jobs[start:stop]:
        for (path, data), (staged, previous) in zip(feeds.render(spec, _shared.common["site"], _shared.links), files):
            os.makedirs(os.path.dirname(staged), exist_ok=True)
            write_file(Path(staged), Path(previous), data)
    return []


def _render_jobs(start: int, stop: int) -> list[tuple[str, str, object]]:
    assert _shared is not None
    theme, common, everything, jobs = _shared.theme, _shared.common, _shared.everything, _shared.jobs
    done = []
    for path, staged, previous, key_before, page in jobs[start:stop]:
        key = page_fingerprint(everything, page)
        os.makedirs(os.path.dirname(staged), exist_ok=True)
        if key == key_before and os.path.isfile(previous) and not os.path.islink(previous):
            os.link(previous, staged)  # the page is as the last build left it
        else:
            payload = theme.render(page.template, page=page, **common, **page.context).encode("utf-8")
            body = page.context["article"].body
            if body.html_file is not None:  # read for this page only: let it go
                object.__setattr__(body, "html_text", None)
            write_file(Path(staged), Path(previous), payload)
        done.append((path, key, dependencies(page.context)))
    return done


def render_sitemap(entries: list[tuple[str, datetime | None]], links: Links) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url, date in entries:
        lastmod = f"<lastmod>{date.isoformat()}</lastmod>" if date else ""
        lines.append(f"  <url><loc>{escape(links.absolute(url), quote=False)}</loc>{lastmod}</url>")
    lines.append("</urlset>\n")
    return "\n".join(lines)


def _refused(root: Path, rel: str) -> bool:
    """Whether `rel` is there and bulletin.paths refuses it."""
    try:
        site_file(root, rel)
    except NotPublishable:
        return True
    except OSError:
        pass
    return False


def copy_attachment(config: SiteConfig, out: Output | MemoryOutput, source: str, target: str, report: str) -> None:
    """A report's attachment (checked by taxonomy.article_of) into the output: the file that
    bulletin.paths allows, an SVG as svg.clean leaves it. Absolute sources are resized images
    from the cache folder, which bulletin made itself."""
    if os.path.isabs(source):
        out.copy(target, Path(source), report)
        return
    path = site_file(config.root, source, report=report, written=source)
    if target.lower().endswith(".svg"):
        out.write(target, svg.clean(path.read_bytes()), report)
    else:
        out.copy(target, path, report)


def site_folders(config: SiteConfig, warnings: list[Problem] | None = None) -> list[Problem]:
    """The problems of the site's static/, templates/ and themes/ folders, and of the theme's
    static files: every file in them must be one bulletin.paths allows (the site's hidden
    files in static/ are not published, with a warning)."""
    problems: list[Problem] = []
    skipped: list[str] = []
    for folder in (config.templates_dir, config.root / "themes"):
        site_tree(config.root, folder, problems)
    static_files(config, problems, skipped)  # the site's own theme again: its problems are noted once
    problems = list(dict.fromkeys(problems))
    if warnings is not None:
        warnings.extend(Problem(_("hidden files and folders in static/ are not published"), rel,
                                hint=_("rename it if it belongs on the site; .well-known/ is published"), severity="warning")
                        for rel in skipped)
    return problems


def static_files(config: SiteConfig, problems: list[Problem], skipped: list[str] | None = None) -> dict[str, tuple[str, Path]]:
    """Output path → (the file as the site names it, its real path) for the theme's static/
    files, then the site's static/ (which wins); problems for the files bulletin.paths refuses."""
    files: dict[str, tuple[str, Path]] = {}
    for folder in (config.theme_dir / "static", config.static_dir):
        builtin = folder.is_relative_to(BUILTIN_THEMES)  # wherever bulletin is installed: in a .venv/ of the site too
        found = site_tree(Path(os.path.realpath(BUILTIN_THEMES)) if builtin else config.root, folder, problems,
                          None if builtin else skipped)
        for rel, path in found.items():
            name = folder / rel
            files[rel] = (name.relative_to(config.root).as_posix() if name.is_relative_to(config.root) else str(name), path)
    return files


def copy_static(config: SiteConfig, out: Output) -> None:
    """The theme's static/ files, then the site's static/ (which wins), at the output's root."""
    problems: list[Problem] = []
    files = static_files(config, problems)
    if problems:
        raise BuildError(problems)
    for rel, (source, path) in sorted(files.items()):
        out.copy(rel, path, source)
