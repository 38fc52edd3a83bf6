"""The site model: frozen records built once by the loader; templates only read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bulletin.config import SiteConfig, Zone


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Link:
    """A link or image target found in a body, with its source line (for checks)."""

    target: str
    line: int
    is_image: bool
    path: str | None = None  # a local file it points at, relative to the site folder


@dataclass(frozen=True)
class Body:
    """A report body rendered once: HTML plus what lists and feeds need from it."""

    html: str
    summary: str
    headings: tuple[Heading, ...]
    links: tuple[Link, ...]
    cjk_chars: int
    latin_words: int

    @property
    def reading_minutes(self) -> int:
        # About 500 CJK characters or 200 Latin words a minute; at least one minute.
        minutes = self.cjk_chars / 500 + self.latin_words / 200
        return max(1, round(minutes + 0.4999))


@dataclass(frozen=True)
class IssueRef:
    """The printed issue (期) a report's front-matter names: its day, and its number if given."""

    date: date
    number: int | None = None


@dataclass(frozen=True)
class PageRef:
    """The page (版) of an issue a report's front-matter names: its number, and its name if given."""

    number: int
    name: str | None = None


@dataclass(frozen=True)
class Meta:
    """A report's front-matter, each field normalised."""

    title: str
    date: datetime
    has_time: bool
    zone: Zone
    reporters: tuple[str, ...]
    tags: tuple[str, ...]
    slug: str | None
    summary: str | None
    draft: bool
    image: str | None
    image_caption: str | None
    image_credit: str | None
    edition: IssueRef | None = None  # None: a web-only report, in no printed issue
    page: PageRef | None = None
    position: int | None = None  # order on its page, 1 first
    title_line: int = 1
    slug_line: int | None = None
    image_line: int | None = None
    edition_line: int | None = None
    page_line: int | None = None
    position_line: int | None = None


@dataclass(frozen=True)
class Term:
    """A tag or a reporter: its name and the slug its page lives under."""

    kind: str  # "tag" | "reporter"
    name: str
    slug: str
    url: str


@dataclass(frozen=True)
class Article:
    source: str  # path relative to the site folder, e.g. content/2021/guiyang.md
    meta: Meta
    body: Body
    slug: str
    url: str  # site-relative URL path, e.g. 2021/03/gui-yang/
    zone_url: str
    tags: tuple[Term, ...]
    reporters: tuple[Term, ...]
    image_url: str | None = None  # the lead image: site-relative, or an absolute http(s) URL
    # Files beside the report that it shows (lead and body images): (source, output path).
    attachments: tuple[tuple[str, str], ...] = ()

    # Shortcuts for templates.
    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def date(self) -> datetime:
        return self.meta.date

    @property
    def zone(self) -> Zone:
        return self.meta.zone

    @property
    def summary(self) -> str:
        return self.meta.summary or self.body.summary

    @property
    def sort_key(self) -> tuple[float, str]:
        """Newest first, then by URL: a total order, so output never depends on file order."""
        return (-self.meta.date.timestamp(), self.url)


@dataclass(frozen=True)
class Group:
    """Articles sharing a zone, tag, reporter or month, newest first."""

    key: str
    name: str
    slug: str
    url: str
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class Site:
    """The whole bulletin, gathered before anything is rendered."""

    config: SiteConfig
    articles: tuple[Article, ...]  # newest first
    zones: tuple[Group, ...]  # in registry order
    tags: tuple[Group, ...]  # by count, then name
    reporters: tuple[Group, ...]
    years: tuple[Group, ...]  # newest first
    months: tuple[Group, ...]  # newest first
    neighbours: dict[str, tuple[Article | None, Article | None]] = field(repr=False)  # url → (older, newer)
    related: dict[str, tuple[Article, ...]] = field(repr=False)
