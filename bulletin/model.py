"""The site model: frozen records built once by the loader; templates only read them."""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Callable

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
    """A report body rendered once: HTML plus what lists and feeds need from it.

    The HTML may live in a file of the build cache (`html_file`, at `html_span`) until a page
    needs it, so a rebuild that renders few pages reads few bodies.
    """

    html_text: str | None
    summary: str
    headings: tuple[Heading, ...]
    links: tuple[Link, ...]
    cjk_chars: int
    latin_words: int
    digest: str = ""  # of the HTML: changes whenever the HTML does
    html_file: str | None = None  # where the HTML is kept, once it is
    # The body among the other reports of a printed page (see markdown.render); None when the
    # report is in no printed issue.
    nested_html: str | None = None
    html_span: tuple[int, int] = (0, 0)  # (offset, length) of the HTML's UTF-8 bytes in html_file

    @classmethod
    def of(cls, html: str, **fields: object) -> "Body":
        return cls(html_text=html, digest=hashlib.blake2b(html.encode(), digest_size=16).hexdigest(), **fields)  # type: ignore[arg-type]

    @property
    def html(self) -> str:
        if self.html_text is None:
            assert self.html_file is not None
            offset, length = self.html_span
            with open(self.html_file, "rb") as handle:
                handle.seek(offset)
                text = handle.read(length).decode("utf-8")
            object.__setattr__(self, "html_text", text)  # read once; it stays where it is kept
        return self.html_text  # type: ignore[return-value]

    def with_html(self, html: str, nested_html: object = "unchanged") -> "Body":
        """This body with other HTML (and, if given, another nested HTML)."""
        nested = self.nested_html if nested_html == "unchanged" else nested_html
        return replace(self, html_text=html, html_file=None, html_span=(0, 0), nested_html=nested,
                       digest=hashlib.blake2b(html.encode(), digest_size=16).hexdigest())

    def stored(self, put: Callable[[str, str], tuple[str, int, int]]) -> "Body":
        """This body with its HTML kept by `put` (digest, HTML → file, offset, length), not in
        memory; a body kept already stays where it is."""
        if self.html_file is not None:
            return self if self.html_text is None else replace(self, html_text=None)
        path, offset, length = put(self.digest, self.html)
        return replace(self, html_text=None, html_file=path, html_span=(offset, length))

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
    aliases: tuple[str, ...] = ()  # old site-relative addresses that lead here ('/news/2021/123.html')
    alias_lines: tuple[int, ...] = ()
    id: str | None = None  # a stable id that follows the report when its file is renamed
    id_line: int | None = None


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
    picture: object = None  # the lead image in several widths (images.Picture), when resized

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

    # Kept between builds with its front-matter and body packed, unpacked when first read: a
    # rebuild that loads the whole site reads few of its articles.
    def __reduce__(self) -> tuple[Any, ...]:
        eager = {name: value for name, value in self.__dict__.items() if name not in _PACKED and name != "_packed"}
        return (_unpack_article, (eager, self.pack()))

    def pack(self) -> bytes:
        """Its front-matter and body packed, as a build's state keeps them; made once, until
        `changed`."""
        packed = self.__dict__.get("_packed")
        if packed is None:
            packed = self.__dict__["_packed"] = pickle.dumps({name: getattr(self, name) for name in _PACKED},
                                                             protocol=pickle.HIGHEST_PROTOCOL)
        return packed

    def __getattr__(self, name: str) -> Any:  # only for what is not unpacked yet
        packed = self.__dict__.get("_packed")
        if packed is None or name not in _PACKED:
            raise AttributeError(name)
        for key, value in pickle.loads(packed).items():
            self.__dict__.setdefault(key, value)
        return self.__dict__[name]

    def changed(self) -> None:
        """Before a field is changed in place: its packed form no longer holds."""
        self.meta  # every field unpacked first
        self.__dict__.pop("_packed", None)


_PACKED = ("meta", "body")  # the bulk of an article: the rest is small, and shared with others


def _unpack_article(eager: dict[str, Any], packed: bytes) -> Article:
    article = object.__new__(Article)
    article.__dict__.update(eager, _packed=packed)
    return article


@dataclass(frozen=True)
class Group:
    """Articles sharing a zone, tag, reporter or month, newest first."""

    key: str
    name: str
    slug: str
    url: str
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class EditionPage:
    """One page (版) of a printed issue: its reports in the order they were laid out."""

    number: int
    name: str  # "" when neither bulletin.yaml nor a report names it
    url: str  # the page view
    articles: tuple[Article, ...]

    @property
    def label(self) -> str:
        """第6版, the way a paper numbers its pages."""
        return f"第{self.number}版"


@dataclass(frozen=True)
class Edition:
    """One printed issue (期): its day, its number if known, and its pages in order."""

    date: datetime  # midnight of the issue's day, in the site's time zone
    number: int | None
    url: str  # the issue's table of contents
    pages: tuple[EditionPage, ...]

    @property
    def slug(self) -> str:
        return f"{self.date:%Y-%m-%d}"

    @property
    def label(self) -> str:
        """第1234期, or '' for an issue known only by its date."""
        return f"第{self.number}期" if self.number is not None else ""

    @property
    def title(self) -> str:
        """2021年3月31日 第1234期 (the number only when known)."""
        day = f"{self.date.year}年{self.date.month}月{self.date.day}日"
        return f"{day} {self.label}" if self.label else day

    @property
    def articles(self) -> tuple[Article, ...]:
        return tuple(a for p in self.pages for a in p.articles)

    @property
    def updated(self) -> datetime:
        """The issue's day, or the newest of its reports if one is dated later."""
        return max([self.date, *(a.date for a in self.articles)])


@dataclass(frozen=True)
class Placement:
    """Where a report was printed, for its article page: issue, page and the links to both."""

    edition_date: datetime
    edition_label: str
    edition_url: str
    page_label: str
    page_name: str
    page_url: str
    position: int  # 1-based order on the page


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
    editions: tuple[Edition, ...] = ()  # newest first
    placements: dict[str, Placement] = field(default_factory=dict, repr=False)  # article url → where printed
