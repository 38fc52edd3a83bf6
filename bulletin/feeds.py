"""Site → RSS 2.0 and Atom feeds (feedgen): whole site, per zone, per tag, and the printed issues.

Feeds carry full HTML content with absolute URLs. Titles, descriptions and summaries are plain
text: Atom marks them as text; RSS readers take them for HTML, so there they are HTML-escaped
(a summary's "<a href=…>" reaches readers as those characters, never as a link). Nothing in
them depends on the clock: a feed's date is its newest entry's. The issues' feed has one entry
per issue, whose content is the issue's table of contents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from typing import TYPE_CHECKING, Iterator, Mapping
from urllib.parse import urljoin

from bulletin import markdown, urls
from bulletin.incremental import article_fingerprint
from bulletin.model import Article, Edition, Site
from bulletin.pages import EDITIONS_TITLE
from bulletin.urls import Links

if TYPE_CHECKING:
    from feedgen.entry import FeedEntry
    from feedgen.feed import FeedGenerator


class FeedContent:
    """Article bodies with every link made absolute, computed once per article."""

    def __init__(self, links: Links):
        self.links = links
        self._cache: dict[str, str] = {}

    def __call__(self, article: Article) -> str:
        key = article_fingerprint(article)
        if key not in self._cache:
            page = self.links.absolute(article.url)

            def absolute(tag: str, attribute: str, value: str) -> str:
                if attribute in ("href", "src"):
                    return urljoin(page, value)
                if attribute == "srcset":
                    return ", ".join(" ".join([urljoin(page, c.split()[0]), *c.split()[1:]]) for c in value.split(",") if c.strip())
                return value

            self._cache[key] = markdown.sanitize(article.body.html, attribute_filter=absolute)
        return self._cache[key]


@dataclass(frozen=True)
class FeedSpec:
    """One feed pair (RSS and Atom) of the list at `url`."""

    url: str
    title: str
    description: str
    items: tuple[Article, ...] | tuple[Edition, ...]
    source: str
    ids: tuple[str, ...] = ()  # each article's entry id, from the record of addresses ('' if none)


def specs(site: Site, ids: Mapping[str, str] | None = None) -> Iterator[FeedSpec]:
    """The site's feeds: the whole site, each zone and each tag, newest items first. `ids`:
    each report's feed entry id by source file (see bulletin.addresses); a report without one
    has its absolute URL as its id."""
    config = site.config
    limit = config.feed_limit

    def of(articles: tuple[Article, ...]) -> tuple[str, ...]:
        return tuple(ids.get(a.source, "") for a in articles) if ids else ()

    yield FeedSpec(urls.HOME, config.title, config.description or config.title, site.articles[:limit], "site feed",
                   of(site.articles[:limit]))
    for group in site.zones:
        yield FeedSpec(group.url, f"{group.name} - {config.title}", f"{config.title}：{group.name}的报道",
                       group.articles[:limit], f"zone feed {group.name}", of(group.articles[:limit]))
    for group in site.tags:
        yield FeedSpec(group.url, f"{group.name} - {config.title}", f"{config.title}：标签“{group.name}”的报道",
                       group.articles[:limit], f"tag feed {group.name}", of(group.articles[:limit]))
    if site.editions:
        yield FeedSpec(urls.EDITIONS, f"{EDITIONS_TITLE} - {config.title}", f"{config.title}的每一期：版面与报道",
                       site.editions[:limit], "edition feed")


def feeds(site: Site, links: Links, ids: Mapping[str, str] | None = None) -> Iterator[tuple[str, bytes, str]]:
    """(output path, bytes, source) for every feed of the site."""
    for spec in specs(site, ids):
        for path, data in render(spec, site, links):
            yield path, data, spec.source


def render(spec: FeedSpec, site: Site, links: Links) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of the RSS and the Atom file of one feed."""
    config = site.config
    content = _content(links)
    rss_url, atom_url = urls.feeds(spec.url)
    items = spec.items
    from feedgen.feed import FeedGenerator  # lxml: loaded only when a feed is written

    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.id(links.absolute(spec.url))
    fg.title(spec.title)
    fg.description(spec.description)
    fg.language(config.language)
    fg.author({"name": config.publisher or config.title})
    if config.copyright:
        fg.rights(config.copyright)
    # Never the clock: an empty feed is as new as the site's newest report.
    newest = empty_feed_date(site) if not items else max(_updated(item) for item in items)
    fg.updated(newest)
    fg.lastBuildDate(newest)
    for index, item in enumerate(items):
        entry = fg.add_entry(order="append")
        if isinstance(item, Edition):
            _edition_entry(entry, item, links)
            continue
        article = item
        absolute = links.absolute(article.url)
        # Assigned once, when the report was first published: a new headline, date or slug
        # does not make it a new entry for subscribers.
        entry_id = (spec.ids[index] if index < len(spec.ids) else "") or absolute
        entry.id(entry_id)
        entry.guid(entry_id, permalink=entry_id == absolute)
        entry.title(article.title)
        entry.link(href=absolute)
        entry.published(article.date)
        entry.updated(article.date)
        entry.summary(article.summary)
        entry.description(_html_text(article.summary))  # RSS only: content() below sets Atom's content
        entry.content(content(article), type="html")
        # All at once: feedgen redoes its whole list at every call.
        if article.tags:
            entry.category([{"term": term.name, "label": term.name} for term in article.tags])
        if article.reporters:
            entry.author([{"name": term.name} for term in article.reporters])
        if article.reporters:
            entry.dc.dc_creator(", ".join(t.name for t in article.reporters))
    fg.link(href=links.absolute(rss_url), rel="self")
    fg.link(href=links.absolute(spec.url), rel="alternate")
    # feedgen keeps one title (and one channel description) for both formats: RSS gets them escaped.
    plain = [fg.title(), fg.description(), *(entry.title() for entry in fg.entry())]
    _set_texts(fg, [_html_text(text) for text in plain])
    rss = fg.rss_str(pretty=True)
    _set_texts(fg, plain)
    yield rss_url, rss
    fg.link(href=links.absolute(atom_url), rel="self", replace=True)
    fg.link(href=links.absolute(spec.url), rel="alternate")
    yield atom_url, fg.atom_str(pretty=True)


def _updated(item: Article | Edition) -> datetime:
    return item.updated if isinstance(item, Edition) else item.date


def _edition_entry(entry: "FeedEntry", edition: Edition, links: Links) -> None:
    """One issue: its title, its day, and its table of contents with absolute links."""
    absolute = links.absolute(edition.url)
    entry.id(absolute)
    entry.guid(absolute, permalink=True)
    entry.title(edition.title)
    entry.link(href=absolute)
    entry.published(edition.date)
    entry.updated(edition.updated)
    articles = edition.articles
    summary = f"共{len(edition.pages)}版{len(articles)}篇：" + "、".join(a.title for a in articles)
    entry.summary(summary)
    entry.description(_html_text(summary))  # RSS only: content() below sets Atom's content
    entry.content(edition_contents(edition, links), type="html")


def _set_texts(fg: "FeedGenerator", texts: list[str]) -> None:
    """Set the channel's title and description, then each entry's title, in that order."""
    fg.title(texts[0])
    fg.description(texts[1])
    for entry, title in zip(fg.entry(), texts[2:]):
        entry.title(title)


def _html_text(text: str) -> str:
    """Plain text as RSS readers must be given it: as HTML that shows exactly that text."""
    return escape(text, quote=False)


def edition_contents(edition: Edition, links: Links) -> str:
    """An issue's table of contents as HTML: each page (版) and its reports, in order."""
    parts = []
    for page in edition.pages:
        name = f" {page.name}" if page.name else ""
        parts.append(f'<h2><a href="{escape(links.absolute(page.url))}">{escape(page.label + name)}</a></h2>\n<ol>')
        for article in page.articles:
            byline = " ".join(t.name for t in article.reporters)
            about = escape(article.zone.name + (f" · {byline}" if byline else ""))
            parts.append(f'<li><a href="{escape(links.absolute(article.url))}">{escape(article.title)}</a>（{about}）</li>')
        parts.append("</ol>")
    return "\n".join(parts)


def empty_feed_date(site: Site) -> datetime:
    return site.articles[0].date if site.articles else datetime(1970, 1, 1, tzinfo=timezone.utc)


_contents: dict[tuple[str, str], FeedContent] = {}


def _content(links: Links) -> "FeedContent":
    """One FeedContent per site address, so each body is made absolute once per process."""
    key = (links.base_url, links.prefix)
    if key not in _contents:
        _contents.clear()
        _contents[key] = FeedContent(links)
    return _contents[key]
