"""What a rebuild may reuse: a fingerprint of every page and feed from the last build.

A page's fingerprint covers everything its template can see: the theme's files and the
config, and the fingerprints of the articles, groups and entries in its context. A page whose
fingerprint is unchanged is not rendered again; the writer keeps the previous file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection, Mapping

from markupsafe import Markup

from bulletin.model import Article, Body, Edition, EditionPage, Group, Site


def article_fingerprint(article: Article) -> str:
    """Changes whenever anything a page could show about the article changes."""
    cached = article.__dict__.get("_fingerprint")
    if cached is None:
        data = repr((article.source, article.meta, article.body.digest, article.body.nested_html, article.body.headings, article.url,
                     article.zone_url, article.tags, article.reporters, article.image_url, article.attachments, article.picture))
        cached = hashlib.blake2b(data.encode(), digest_size=16).hexdigest()
        object.__setattr__(article, "_fingerprint", cached)  # frozen, but this is a pure cache
    return cached


class Entry(Markup):
    """An article's list entry (HTML), carrying the fingerprint of what it was made from and
    the article's source file."""

    __slots__ = ("key", "source")

    def __new__(cls, html: str, key: str, source: str = "") -> "Entry":
        entry = super().__new__(cls, html)
        entry.key = key
        entry.source = source
        return entry


def _part(value: Any) -> Any:
    # The commonest kinds first, by exact type: this runs for every value of every page's
    # context. Subclasses and everything else take the general route below.
    kind = type(value)
    if kind is str:
        return hashlib.blake2b(value.encode(), digest_size=16).hexdigest() if len(value) > 64 else value
    if kind is Entry:
        return value.key
    if kind is Article:
        return value.__dict__.get("_fingerprint") or article_fingerprint(value)
    if kind is tuple or kind is list:
        return tuple([_part(v) for v in value])
    if kind is dict:
        return tuple([(k, _part(v)) for k, v in value.items()])
    if isinstance(value, str):
        if isinstance(value, Entry):
            return value.key
        return hashlib.blake2b(value.encode(), digest_size=16).hexdigest() if len(value) > 64 else value
    if isinstance(value, Article):
        return article_fingerprint(value)
    if isinstance(value, (list, tuple)):
        return tuple([_part(v) for v in value])
    if value is None or isinstance(value, (int, float, bool)):
        return value
    if isinstance(value, Group):
        cached = value.__dict__.get("_fingerprint")
        if cached is None:
            data = repr((value.key, value.name, value.slug, value.url, tuple(article_fingerprint(a) for a in value.articles)))
            cached = hashlib.blake2b(data.encode(), digest_size=16).hexdigest()
            object.__setattr__(value, "_fingerprint", cached)
        return ("group", cached)
    if isinstance(value, (Edition, EditionPage)):
        cached = value.__dict__.get("_fingerprint")
        if cached is None:
            if isinstance(value, Edition):
                data = repr((value.date, value.number, value.url, _part(value.pages)))
            else:
                data = repr((value.number, value.name, value.url, tuple(article_fingerprint(a) for a in value.articles)))
            cached = hashlib.blake2b(data.encode(), digest_size=16).hexdigest()
            object.__setattr__(value, "_fingerprint", cached)
        return (type(value).__name__, cached)
    if isinstance(value, dict):  # contexts are built in a fixed order: no need to sort
        return tuple([(k, _part(v)) for k, v in value.items()])
    cached = getattr(value, "__dict__", {}).get("_fingerprint")
    if cached is None:  # any other record (a feed link, a paginator): its repr, once
        cached = repr(value)
        try:
            object.__setattr__(value, "_fingerprint", cached)
        except (AttributeError, TypeError):
            pass
    return cached


def fingerprint(*parts: Any) -> str:
    return hashlib.blake2b(repr(_part(parts)).encode(), digest_size=16).hexdigest()


def theme_fingerprint(folders: list[Path], extra: Any) -> str:
    """The templates and static files of a theme, plus anything else every page depends on."""
    digest = hashlib.blake2b(repr(extra).encode(), digest_size=16)
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


Dependencies = tuple[frozenset[str], frozenset[str]]  # (article sources, group URLs)


def dependencies(*parts: Any) -> Dependencies:
    """The articles (by source file) and groups (by URL) that a page's fingerprint covers.

    When only some articles change and the site keeps its shape, only the pages that depend
    on them, directly or through a group holding them, can change.
    """
    sources: set[str] = set()
    groups: set[str] = set()
    stack = list(parts)
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if isinstance(value, Entry):
                sources.add(value.source)
        elif isinstance(value, Article):
            sources.add(value.source)
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, (Group, Edition, EditionPage)):
            groups.add(value.url)
    return frozenset(sources), frozenset(groups)


def holders(site: Site, articles: Collection[Article]) -> list[Group | Edition | EditionPage]:
    """Every group, printed issue and printed page that holds one of `articles`."""
    wanted = {id(a) for a in articles}
    found: list[Group | Edition | EditionPage] = []
    for group in (*site.zones, *site.tags, *site.reporters, *site.years, *site.months):
        if not wanted.isdisjoint(map(id, group.articles)):
            found.append(group)
    for edition in site.editions:
        sheets = [p for p in edition.pages if not wanted.isdisjoint(map(id, p.articles))]
        if sheets:
            found.append(edition)
            found.extend(sheets)
    return found


def replace_bodies(site: Site, bodies: Mapping[str, Body], forget_fingerprints: bool = True) -> None:
    """Give the articles of these source files other bodies, in place: every list, group and
    printed page of the site that holds an article sees the new body. Their cached fingerprints
    are dropped, unless the bodies are the same ones kept elsewhere."""
    if not bodies:
        return
    changed = [a for a in site.articles if a.source in bodies and bodies[a.source] is not a.body]
    for article in changed:
        article.changed()
        object.__setattr__(article, "body", bodies[article.source])  # frozen for templates, not for this
    if forget_fingerprints:
        for record in (*changed, *holders(site, changed)):
            record.__dict__.pop("_fingerprint", None)


@dataclass
class Memo:
    """Fingerprints of the last successful build: output path → fingerprint."""

    pages: dict[str, str] = field(default_factory=dict)
    entries: dict[str, str] = field(default_factory=dict)  # article fingerprint → list entry HTML
    entry_keys: dict[str, str] = field(default_factory=dict)  # article URL → its entry's fingerprint
    deps: dict[str, Dependencies] = field(default_factory=dict)  # output path → what its fingerprint covers
