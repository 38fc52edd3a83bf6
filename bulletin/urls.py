"""The one place that decides each page's URL and output path.

URLs here are site-relative paths without a leading slash ('2021/03/slug/'); `href` adds the
site's path prefix (so a site under https://example.org/bulletin/ links to /bulletin/…) and
`absolute` the whole base URL. A URL ending in '/' is written to that folder's index.html.
"""

from __future__ import annotations

from datetime import date, datetime

HOME = ""
ZONES = "zones/"
TAGS = "tags/"
REPORTERS = "reporters/"
ARCHIVE = "archive/"
EDITIONS = "editions/"
NOT_FOUND = "404.html"
SEARCH = "search/"
SEARCH_BUNDLE = "pagefind/"
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
RSS = "feed.xml"
ATOM = "atom.xml"


def article(date: datetime, slug: str) -> str:
    return f"{date:%Y}/{date:%m}/{slug}/"


def zone(slug: str) -> str:
    return f"{ZONES}{slug}/"


def tag(slug: str) -> str:
    return f"{TAGS}{slug}/"


def reporter(slug: str) -> str:
    return f"{REPORTERS}{slug}/"


def year(value: int) -> str:
    return f"{ARCHIVE}{value:04d}/"


def month(year_: int, month_: int) -> str:
    return f"{ARCHIVE}{year_:04d}/{month_:02d}/"


def edition(day: date) -> str:
    """A printed issue's table of contents: editions/2021-03-31/."""
    return f"{EDITIONS}{day:%Y-%m-%d}/"


def edition_page(day: date, number: int) -> str:
    """The page view of page (版) `number` of the issue of `day`: editions/2021-03-31/06/."""
    return f"{edition(day)}{number:02d}/"


def page(url: str, number: int) -> str:
    """The URL of page `number` (1-based) of a paginated list living at `url`."""
    return url if number == 1 else f"{url}page/{number}/"


def feeds(url: str) -> tuple[str, str]:
    """(RSS, Atom) feed URLs of the list at `url` (the site's when url is HOME)."""
    return f"{url}{RSS}", f"{url}{ATOM}"


def output_path(url: str) -> str:
    """The file a URL is written to, relative to the output folder."""
    return url + "index.html" if url == "" or url.endswith("/") else url


class Links:
    """Turns site-relative URLs into links for one site."""

    def __init__(self, base_url: str, prefix: str):
        self.base_url = base_url  # ends with '/'
        self.prefix = prefix  # starts and ends with '/'

    def href(self, url: str) -> str:
        if "://" in url:  # already absolute (an external image, say)
            return url
        return self.prefix + url

    def absolute(self, url: str) -> str:
        if "://" in url:
            return url
        return self.base_url + url
