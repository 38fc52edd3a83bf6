"""Site → the pages to render: each a URL, a template and its context (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Container, Iterable, Iterator, Mapping, Sequence

from markupsafe import Markup

from bulletin import urls
from bulletin.model import Article, Edition, Group, Site

EDITIONS_TITLE = "数字报"  # the printed issues, read online as they were laid out


@dataclass(frozen=True)
class Feed:
    title: str
    rss: str
    atom: str


@dataclass(frozen=True)
class Paginator:
    number: int
    count: int
    base: str  # URL of page 1

    def url(self, number: int) -> str:
        return urls.page(self.base, number)

    @property
    def previous(self) -> str | None:
        return self.url(self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.url(self.number + 1) if self.number < self.count else None


@dataclass(frozen=True)
class Page:
    url: str
    template: str
    kind: str
    title: str
    source: str  # what produced it, for error messages
    feeds: tuple[Feed, ...] = ()
    description: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)


def site_feed(site: Site) -> Feed:
    return Feed(site.config.title, *urls.feeds(urls.HOME))


def group_feed(site: Site, group: Group) -> Feed:
    return Feed(f"{group.name} - {site.config.title}", *urls.feeds(group.url))


def editions_feed(site: Site) -> Feed:
    return Feed(f"{EDITIONS_TITLE} - {site.config.title}", *urls.feeds(urls.EDITIONS))


def pages(site: Site, entries: Mapping[str, Markup], only: Container[str] | None = None,
          articles: Iterable[Page] | None = None) -> Iterator[Page]:
    """Every HTML page of the site (`only`: just the article and list pages with these URLs, and
    every other page). `entries` holds each article's list entry, rendered once; `articles`,
    the articles' pages if made already (see article_pages)."""
    config = site.config
    home_feed = site_feed(site)
    yield from _paginated(site, site.articles, urls.HOME, "index.html", "home", config.title, entries,
                          "site", (home_feed,), description=config.description, only=only)
    yield from article_pages(site, only) if articles is None else articles
    zones_by_name = {z.name: z for z in config.zones}
    for group in site.zones:
        feed = group_feed(site, group)
        zone = zones_by_name[group.name]
        yield from _paginated(site, group.articles, group.url, "zone.html", "zone", group.name, entries,
                              f"zone {group.name}", (feed, home_feed), description=zone.description,
                              extra={"zone": zone, "group": group}, only=only)
    yield Page(urls.ZONES, "zones.html", "zones", "高新区", "zone index", (home_feed,), context={"groups": site.zones})
    for group in site.tags:
        yield from _paginated(site, group.articles, group.url, "tag.html", "tag", group.name, entries,
                              f"tag {group.name}", (group_feed(site, group), home_feed), extra={"group": group}, only=only)
    yield Page(urls.TAGS, "tags.html", "tags", "标签", "tag index", (home_feed,), context={"groups": site.tags})
    for group in site.reporters:
        yield from _paginated(site, group.articles, group.url, "reporter.html", "reporter", group.name, entries,
                              f"reporter {group.name}", (home_feed,), extra={"group": group}, only=only)
    yield Page(urls.REPORTERS, "reporters.html", "reporters", "记者", "reporter index", (home_feed,),
               context={"groups": site.reporters})
    yield Page(urls.ARCHIVE, "archive.html", "archive", "归档", "archive", (home_feed,),
               context={"years": site.years, "months": site.months})
    for year in site.years:
        months = [m for m in site.months if m.url.startswith(year.url)]
        yield Page(year.url, "archive_year.html", "archive-year", year.name, f"archive {year.name}", (home_feed,),
                   context={"group": year, "months": months})
    for month in site.months:
        yield from _paginated(site, month.articles, month.url, "archive_month.html", "archive-month", month.name,
                              entries, f"archive {month.name}", (home_feed,), extra={"group": month}, only=only)
    if config.search:
        yield Page(urls.SEARCH, "search.html", "search", "搜索", "search page", (home_feed,))
    yield from edition_pages(site)
    yield Page(urls.NOT_FOUND, "404.html", "not-found", "页面未找到", "404 page", (home_feed,))


def article_pages(site: Site, only: Container[str] | None = None) -> Iterator[Page]:
    """Each article's page (`only`: those with these URLs), in the order `pages` gives them."""
    home_feed = site_feed(site)
    # One pair of feeds per zone, shared by its articles' pages (and fingerprinted once).
    zone_feeds = {g.name: (home_feed, group_feed(site, g)) for g in site.zones}
    for article in site.articles:
        if only is not None and article.url not in only:
            continue
        older, newer = site.neighbours[article.url]
        yield Page(
            article.url, "article.html", "article", article.title, article.source,
            feeds=zone_feeds[article.zone.name],
            description=article.summary,
            context={"article": article, "older": older, "newer": newer, "related": site.related[article.url],
                     "placement": site.placements.get(article.url)},
        )


def edition_pages(site: Site) -> Iterator[Page]:
    """The printed issues: their index, each issue's table of contents and each page's page view.

    A site with no printed issue has none of these pages.
    """
    editions = site.editions
    if not editions:
        return
    feeds = (editions_feed(site), site_feed(site))
    years: dict[int, list[Edition]] = {}
    for edition in editions:
        years.setdefault(edition.date.year, []).append(edition)
    yield Page(urls.EDITIONS, "editions.html", "editions", EDITIONS_TITLE, "edition index", feeds,
               description=f"{site.config.title}的每一期，按版面阅读",
               context={"years": list(years.items()), "total": len(editions)})
    for index, edition in enumerate(editions):
        earlier = editions[index + 1] if index + 1 < len(editions) else None
        later = editions[index - 1] if index > 0 else None
        yield Page(edition.url, "edition.html", "edition", edition.title, f"edition {edition.slug}", feeds,
                   description=f"{site.config.title} {edition.title}，共{len(edition.pages)}版{len(edition.articles)}篇报道",
                   context={"edition": edition, "earlier": earlier, "later": later})
        sheets = edition.pages
        for number, sheet in enumerate(sheets):
            previous = sheets[number - 1] if number > 0 else None
            following = sheets[number + 1] if number + 1 < len(sheets) else None
            name = f" {sheet.name}" if sheet.name else ""
            yield Page(sheet.url, "edition_page.html", "edition-page", f"{sheet.label}{name} · {edition.title}",
                       f"edition {edition.slug} page {sheet.number}", feeds,
                       description="、".join(a.title for a in sheet.articles),
                       context={"edition": edition, "sheet": sheet, "previous": previous, "following": following})


def count(site: Site) -> int:
    """How many pages `pages` yields (for progress bars)."""
    per_page = site.config.per_page

    def n(group_articles: Sequence[Article]) -> int:
        return max(1, -(-len(group_articles) // per_page))

    lists = [site.articles] + [g.articles for g in (*site.zones, *site.tags, *site.reporters, *site.months)]
    printed = (1 + len(site.editions) + sum(len(e.pages) for e in site.editions)) if site.editions else 0
    return sum(n(a) for a in lists) + len(site.articles) + len(site.years) + 6 + printed


def _paginated(
    site: Site,
    articles: Sequence[Article],
    base: str,
    template: str,
    kind: str,
    title: str,
    entries: Mapping[str, Markup],
    source: str,
    feeds: tuple[Feed, ...],
    description: str = "",
    extra: Mapping[str, Any] | None = None,
    only: Container[str] | None = None,
) -> Iterator[Page]:
    per_page = site.config.per_page
    count = max(1, -(-len(articles) // per_page))
    for number in range(1, count + 1):
        if only is not None and urls.page(base, number) not in only:
            continue
        chunk = articles[(number - 1) * per_page: number * per_page]
        paginator = Paginator(number, count, base)
        page_title = title if number == 1 else f"{title}（第{number}页）"
        yield Page(
            paginator.url(number), template, kind, page_title, source, feeds, description,
            context={**(extra or {}), "entries": [entries[a.url] for a in chunk], "paginator": paginator,
                     "total": len(articles)},
        )


class _Blank(dict):  # type: ignore[type-arg]
    """Any article's list entry, as nothing: for listing URLs without rendering."""

    def __missing__(self, key: str) -> Markup:
        return Markup("")


def page_urls(site: Site) -> Iterator[str]:
    """The URL of every page `pages` yields, in the same order."""
    for page in pages(site, _Blank()):
        yield page.url
