"""Site → RSS 2.0 and Atom feeds (feedgen): whole site, per zone, per tag.

Feeds carry full HTML content with absolute URLs. Nothing in them depends on the clock: a
feed's date is its newest entry's.
"""

from __future__ import annotations

from typing import Iterator, Sequence
from urllib.parse import urljoin

import nh3
from feedgen.feed import FeedGenerator

from bulletin import markdown, urls
from bulletin.model import Article, Site
from bulletin.urls import Links


class FeedContent:
    """Article bodies with every link made absolute, computed once per article."""

    def __init__(self, links: Links):
        self.links = links
        self._cache: dict[str, str] = {}

    def __call__(self, article: Article) -> str:
        if article.url not in self._cache:
            page = self.links.absolute(article.url)

            def absolute(tag: str, attribute: str, value: str) -> str:
                if attribute in ("href", "src"):
                    return urljoin(page, value)
                return value

            self._cache[article.url] = nh3.clean(
                article.body.html,
                tags=set(markdown._ALLOWED_TAGS),
                attributes=markdown._ALLOWED_ATTRIBUTES,
                link_rel=None,
                attribute_filter=absolute,
            )
        return self._cache[article.url]


def feeds(site: Site, links: Links) -> Iterator[tuple[str, bytes, str]]:
    """(output path, bytes, source) for every feed of the site."""
    content = FeedContent(links)
    config = site.config
    yield from _pair(site, links, content, urls.HOME, config.title, config.description or config.title, site.articles, "site feed")
    for group in site.zones:
        yield from _pair(site, links, content, group.url, f"{group.name} - {config.title}", f"{config.title}：{group.name}的报道", group.articles, f"zone feed {group.name}")
    for group in site.tags:
        yield from _pair(site, links, content, group.url, f"{group.name} - {config.title}", f"{config.title}：标签“{group.name}”的报道", group.articles, f"tag feed {group.name}")


def _pair(site: Site, links: Links, content: FeedContent, url: str, title: str, description: str,
          articles: Sequence[Article], source: str) -> Iterator[tuple[str, bytes, str]]:
    config = site.config
    rss_url, atom_url = urls.feeds(url)
    items = articles[: config.feed_limit]
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.id(links.absolute(url))
    fg.title(title)
    fg.description(description)
    fg.language(config.language)
    fg.author({"name": config.publisher or config.title})
    if config.copyright:
        fg.rights(config.copyright)
    newest = items[0].date if items else None
    if newest is not None:
        fg.updated(newest)
        fg.lastBuildDate(newest)
    for article in items:
        entry = fg.add_entry(order="append")
        absolute = links.absolute(article.url)
        entry.id(absolute)
        entry.guid(absolute, permalink=True)
        entry.title(article.title)
        entry.link(href=absolute)
        entry.published(article.date)
        entry.updated(article.date)
        entry.summary(article.summary)
        entry.content(content(article), type="html")
        for term in article.tags:
            entry.category(term=term.name, label=term.name)
        for term in article.reporters:
            entry.author({"name": term.name})
        if article.reporters:
            entry.dc.dc_creator(", ".join(t.name for t in article.reporters))
    fg.link(href=links.absolute(rss_url), rel="self")
    fg.link(href=links.absolute(url), rel="alternate")
    yield rss_url, fg.rss_str(pretty=True), source
    fg.link(href=links.absolute(atom_url), rel="self", replace=True)
    fg.link(href=links.absolute(url), rel="alternate")
    yield atom_url, fg.atom_str(pretty=True), source
