"""Addresses that never break: the record of every address a report has had, and the redirect
pages that keep the old ones working on any static host.

The record is a file at the site's root, `published.json`, written by `bulletin build` and
committed with the site, so that a fresh clone or a CI build knows every address the site
has published. One line per report, sorted by source file:

    {
    "content/2021/guiyang.md": {"addresses": ["/2021/03/gui-yang/", "/2021/03/guiyang/"], "feed_id": "https://example.org/2021/03/gui-yang/"},
    "content/2021/qingdao.md": {"addresses": ["/2021/03/qingdao/"], "feed_id": "https://example.org/2021/03/qingdao/", "id": "qd-0319"}
    }

`addresses` are site-relative paths, oldest first; `feed_id` is the id of the report's feed
entry, assigned when the report was first recorded (the absolute URL it was first published
at, which is what feeds used before there was a record) and never changed after. `id` is the
report's `id:` front-matter key, if it has one.

A report is the same report while its source file keeps its path. A report whose file is
renamed is found again by its `id:` if it has one, or else by its address, when the address
did not change with the file's name. Entries are never dropped: a deleted report's addresses
stay taken, so a later report that takes one is noticed.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import re
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Callable, Iterable

from bulletin.errors import BuildError, Problem
from bulletin.model import Article
from bulletin.i18n import _

RECORD_NAME = "published.json"
SEARCH_BUNDLE = "pagefind/"  # the search index's folder (bulletin.urls.SEARCH_BUNDLE)
RECORD_HINT = _("commit {record} with the site: every build (a fresh clone, CI) makes its redirects from it").format(record=RECORD_NAME)


@dataclass
class Entry:
    addresses: list[str]  # '/2021/03/slug/', oldest first
    feed_id: str
    id: str | None = None

    def as_json(self) -> dict:
        data: dict = {"addresses": list(self.addresses), "feed_id": self.feed_id}
        if self.id:
            data["id"] = self.id
        return data


Record = dict[str, Entry]  # source file → its entry


@dataclass
class Resolved:
    """The record with this build's reports in it, and what follows from it."""

    record: Record
    feed_ids: dict[str, str] = field(default_factory=dict)  # source → its feed entry's id
    redirects: dict[str, Article] = field(default_factory=dict)  # site-relative URL → the report it leads to
    changes: list[tuple[Article, str, str]] = field(default_factory=list)  # (report, recorded address, new one)


def address(url: str) -> str:
    """A site-relative URL ('2021/03/slug/') as the record writes it ('/2021/03/slug/')."""
    return "/" + url


def read(root: Path) -> Record:
    """The record in the site at `root` (empty when there is none); raises BuildError when it
    cannot be read as bulletin writes it."""
    path = root / RECORD_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise BuildError([Problem(_("cannot read {record}: {error}").format(record=RECORD_NAME, error=error), RECORD_NAME, None, hint=RECORD_HINT)])
    hint = _("bulletin writes {record} on each build: restore it from the site's history (e.g. git checkout {record}), then build").format(record=RECORD_NAME)
    try:
        data = json.loads(text)
    except ValueError as error:
        line = getattr(error, "lineno", None)
        raise BuildError([Problem(_("{record} is not valid JSON").format(record=RECORD_NAME), RECORD_NAME, line, hint=hint)])
    if not isinstance(data, dict):
        raise BuildError([Problem(_("{record} must hold one entry per report").format(record=RECORD_NAME), RECORD_NAME, 1, hint=hint)])
    lines = {key: number for number, key in _keys_by_line(text)}
    record: Record = {}
    problems = []
    for source, value in data.items():
        ok = (isinstance(value, dict) and isinstance(value.get("addresses"), list) and value["addresses"]
              and all(isinstance(a, str) and a.startswith("/") for a in value["addresses"])
              and isinstance(value.get("feed_id"), str) and value["feed_id"]
              and isinstance(value.get("id"), (str, type(None))))
        if not ok:
            problems.append(Problem(_("the entry of '{source}' in {record} is not one bulletin writes").format(source=source, record=RECORD_NAME),
                                    RECORD_NAME, lines.get(source), hint=hint))
            continue
        record[source] = Entry(list(dict.fromkeys(value["addresses"])), value["feed_id"], value.get("id") or None)
    if problems:
        raise BuildError(problems)
    return record


def _keys_by_line(text: str) -> Iterable[tuple[int, str]]:
    for number, line in enumerate(text.split("\n"), 1):
        match = re.match(r'\s*("(?:[^"\\]|\\.)*")\s*:', line)
        if match:
            try:
                yield number, json.loads(match.group(1))
            except ValueError:
                pass


def digest(root: Path) -> str | None:
    """The record file's digest as it is now (None when there is none): a build that finds it
    changed since the last one builds in full, since its redirects may have changed."""
    try:
        return hashlib.blake2b((root / RECORD_NAME).read_bytes(), digest_size=16).hexdigest()
    except OSError:
        return None


def dumps(record: Record) -> str:
    """The record as bulletin writes it: one line per report, sorted, the same every time."""
    lines = [json.dumps(source, ensure_ascii=False) + ": "
             + json.dumps(record[source].as_json(), ensure_ascii=False, sort_keys=True)
             for source in sorted(record)]
    return "{\n" + ",\n".join(lines) + ("\n" if lines else "") + "}\n"


def write(root: Path, record: Record) -> bool:
    """Write the record when it changed; True when the file was written."""
    path = root / RECORD_NAME
    text = dumps(record)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    # A name of this writer's own: two builds of one site at once (into two output folders)
    # each write the whole file and the last rename wins, never half of one.
    temporary = path.with_name(f".{RECORD_NAME}.{secrets.token_hex(4)}.part")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return True


def resolve(record: Record, articles: Iterable[Article], absolute: Callable[[str], str],
            present: Iterable[str] = ()) -> Resolved:
    """`record` with `articles` in it: each report's entry found (by source, `id:` or address)
    or made, and its current address added. `absolute` makes a site-relative URL absolute (for
    a new report's feed id); `present` are the sources of every report that exists (drafts
    included), whose entries no other report may take over. `changes` lists each report whose
    address is not in the record yet, though the record has an address for it."""
    record = {source: Entry(list(e.addresses), e.feed_id, e.id) for source, e in record.items()}
    articles = sorted(articles, key=lambda a: a.source)
    taken = {a.source for a in articles} | set(present)
    by_id = {e.id: source for source, e in record.items() if e.id}
    resolved = Resolved(record)
    for article in articles:
        source, wanted = article.source, getattr(article.meta, "id", None)
        here = address(article.url)
        entry = record.get(source)
        if entry is not None and wanted and entry.id and entry.id != wanted:
            entry = None  # the file now holds another report: its id says so
        if entry is None:
            # A renamed file: the same id, or else the same address, under a source that is gone.
            former = by_id.get(wanted) if wanted else None
            if former is None and not wanted:
                former = next((s for s, e in sorted(record.items()) if here in e.addresses and not e.id), None)
            if former is not None and former != source and former not in taken:
                entry = record.pop(former)
                taken.add(former)
        if entry is None:
            entry = Entry([], absolute(article.url))
        if wanted:
            entry.id = wanted
            by_id[wanted] = source
        if here not in entry.addresses:
            if entry.addresses:
                resolved.changes.append((article, entry.addresses[-1], here))
            entry.addresses.append(here)
        record[source] = entry
        resolved.feed_ids[source] = entry.feed_id
    return resolved


def changed(article: Article, before: str, after: str, recorded: bool) -> Problem:
    """The warning about a report whose address changed from `before` to `after`: `recorded`,
    by the build that added the new address to the record; otherwise by `check` (or a
    preview), which writes nothing."""
    line = article.meta.slug_line or article.meta.title_line
    if recorded:
        return Problem(_("the report's address changed from {before} to {after}: {before} is kept as a redirect "
                         "to the new address, and {record} records it").format(before=before, after=after, record=RECORD_NAME),
                       article.source, line,
                       hint=_("commit {record} with the report, so that every build keeps the redirect").format(record=RECORD_NAME),
                       severity="warning")
    return Problem(_("the report's address changed from {before} to {after}: the next build keeps {before} as a "
                     "redirect to the new address and records it in {record}").format(before=before, after=after, record=RECORD_NAME),
                   article.source, line,
                   hint=_("build, then commit {record} with the report, so that every build keeps the redirect").format(record=RECORD_NAME),
                   severity="warning")


def same_ids(articles: Iterable[Article]) -> list[Problem]:
    """An `id:` given to two reports: each but the first (by source file) is a problem."""
    first: dict[str, str] = {}
    problems = []
    for article in sorted(articles, key=lambda a: a.source):
        wanted = article.meta.id
        if wanted and wanted in first:
            problems.append(Problem(_("id '{id}' is also the id of {other}").format(id=wanted, other=first[wanted]), article.source, article.meta.id_line,
                                    hint=_("each report has an id of its own: give this one another, or none")))
        elif wanted:
            first[wanted] = article.source
    return problems


def redirects(resolved: Resolved, articles: Iterable[Article], real: set[str],
              problems: list[Problem], warnings: list[Problem] | None = None) -> None:
    """Fill `resolved.redirects`: each report's former addresses and its `aliases:` lead to its
    page. `real` holds the output paths of the site's own pages and files (a real page wins
    over a redirect). An alias that is a real page, or another report's alias, is a problem."""
    by_source = {a.source: a for a in articles}
    at = {a.url: a for a in by_source.values()}
    found: dict[str, Article] = {}
    lines: dict[str, int] = {}
    for article in sorted(by_source.values(), key=lambda a: a.source):
        meta = article.meta
        for alias, line in zip(getattr(meta, "aliases", ()), getattr(meta, "alias_lines", ())):
            url = alias[1:]
            if url.endswith("/") or url.rsplit("/", 1)[-1].count(".") == 0:
                url = url.rstrip("/") + "/"
            path = output_path(url)
            if path in real or url in at or path.startswith(SEARCH_BUNDLE):
                owner = at.get(url)
                what = _("the page of {source}").format(source=owner.source) if owner is not None and owner is not article else (
                    _("this report's own page") if owner is article else _("a page or file of the site"))
                problems.append(Problem(_("the alias '{alias}' is {what}: a redirect there would replace it").format(alias=alias, what=what),
                                        article.source, line, hint=_("delete the alias, or give the old address it had")))
            elif url in found and found[url] is not article:
                problems.append(Problem(_("the alias '{alias}' is also an alias of {other}").format(alias=alias, other=found[url].source),
                                        article.source, line, hint=_("an old address can lead to one report only: delete one of them")))
            else:
                found[url] = article
                lines[url] = line
    for source in sorted(resolved.record):
        article = by_source.get(source)
        if article is None:
            continue  # a report that is gone (or not built this time): nothing to lead to
        for former in resolved.record[source].addresses:
            url = former[1:]
            if url == article.url or url in found:
                continue
            owner = at.get(url)
            if owner is not None or output_path(url) in real:
                if warnings is not None:
                    taker = owner.source if owner is not None else _("a page of the site")
                    warnings.append(Problem(
                        _("{former}, a former address of this report, is now the page of {taker}: "
                          "readers who saved the old address find that page, not this report").format(former=former, taker=taker),
                        source, article.meta.title_line,
                        hint=_("give one of the two reports another slug, if the old address must keep leading here"),
                        severity="warning"))
                continue
            found[url] = article
    resolved.redirects = dict(sorted(found.items()))


def output_path(url: str) -> str:
    return url + "index.html" if url == "" or url.endswith("/") else url


def page(target_href: str, target_absolute: str, title: str, language: str) -> str:
    """A redirect page: valid HTML5 that any static host serves, leading to `target`."""
    href, canonical, text = escape(target_href), escape(target_absolute), escape(title)
    return (f'<!DOCTYPE html>\n<html lang="{escape(language)}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{text}</title>\n"
            f'<link rel="canonical" href="{canonical}">\n'
            f'<meta name="robots" content="noindex">\n'
            f'<meta http-equiv="refresh" content="0; url={href}">\n'
            f"</head>\n<body>\n"
            f'<p>本文已移至新地址：<a href="{href}">{text}</a></p>\n'
            f"</body>\n</html>\n")


def publishable(article: Article, now: datetime) -> bool:
    """Whether the report is published (not a draft, not scheduled for later): only these are
    written to the record."""
    return not article.meta.draft and article.meta.date <= now
