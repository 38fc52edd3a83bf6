"""Articles → the printed issues (期) and their pages (版), checked for consistency.

A report's front-matter may say where it was printed: `edition` (the issue's day and number),
`page` and `position`. Every report naming one day belongs to one issue; its pages are ordered
by number and each page's reports by position (reports without one follow, oldest first). A
report without `edition` is web-only and appears in no issue.

What the reports say must agree: one issue has one day and one number, one page one name, and
one position one report. A disagreement is a problem naming both files.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, Sequence, TypeVar

from bulletin import urls
from bulletin.config import SiteConfig
from bulletin.errors import Problem
from bulletin.model import Article, Edition, EditionPage, Placement
from bulletin.i18n import _


T = TypeVar("T")


@dataclass(frozen=True)
class _Said(Generic[T]):
    """One report's claim about an issue, page or position: what it said and where."""

    value: T
    source: str
    line: int


def gather(config: SiteConfig, articles: Sequence[Article],
           problems: list[Problem]) -> tuple[tuple[Edition, ...], dict[str, Placement]]:
    """(issues newest first, article URL → where it was printed); appends every inconsistency."""
    printed = sorted((a for a in articles if a.meta.edition is not None and a.meta.page is not None),
                     key=lambda a: a.source)
    numbers: dict[date, _Said[int]] = {}  # issue day → the first number given for it
    days: dict[int, _Said[date]] = {}  # issue number → the first day given for it
    names: dict[tuple[date, int], _Said[str]] = {}  # (day, page) → the first name a report gives it
    places: dict[tuple[date, int, int], _Said[str]] = {}  # (day, page, position) → the first report there
    members: dict[date, dict[int, list[Article]]] = defaultdict(lambda: defaultdict(list))
    for article in printed:
        meta, source = article.meta, article.source
        assert meta.edition is not None and meta.page is not None
        day, number, page = meta.edition.date, meta.edition.number, meta.page.number
        line = meta.edition_line or 1
        if number is not None:
            if other_day := _disagrees(days, number, day, source, line):
                problems.append(Problem(
                    _("issue 第{number}期 has two dates: {day} in {source} and {other_day} in {other_source}").format(
                        number=number, day=other_day.value, source=other_day.source, other_day=day, other_source=source),
                    source, line, hint=_("one issue comes out on one day: correct the edition of one of them")))
            if other_number := _disagrees(numbers, day, number, source, line):
                problems.append(Problem(
                    _("the issue of {day} has two numbers: 第{number}期 in {source} and 第{other_number}期 in {other_source}").format(
                        day=day, number=other_number.value, source=other_number.source, other_number=number, other_source=source),
                    source, line, hint=_("one day has one issue: correct the edition of one of them")))
        name = meta.page.name
        if name is not None and (other_name := _disagrees(names, (day, page), name, source, meta.page_line or 1)):
            problems.append(Problem(
                _("page {page} of the issue of {day} has two names: {name} in {source} and {other_name} in {other_source}").format(
                    page=page, day=day, name=other_name.value, source=other_name.source, other_name=name, other_source=source),
                source, meta.page_line,
                hint=_("give both reports the same name, or name the paper's pages once in bulletin.yaml "
                       "(pages: {6: 高新区}) and give reports only the number")))
        position = meta.position
        if position is not None and (other := _disagrees(places, (day, page, position), source, source, meta.position_line or 1)):
            problems.append(Problem(
                _("two reports claim position {position} on page {page} of the issue of {day}: {source} and {other_source}").format(
                    position=position, page=page, day=day, source=other.source, other_source=source),
                source, meta.position_line, hint=_("give each report on a page its own position (1 is the lead)")))
        members[day][page].append(article)

    editions: list[Edition] = []
    placements: dict[str, Placement] = {}
    for day in sorted(members, reverse=True):
        midnight = datetime(day.year, day.month, day.day, tzinfo=config.tz)
        pages: list[EditionPage] = []
        for page_number in sorted(members[day]):
            ordered = sorted(members[day][page_number], key=_page_order)
            said = names.get((day, page_number))
            name = said.value if said else config.page_name(page_number)
            pages.append(EditionPage(page_number, name, urls.edition_page(day, page_number), tuple(ordered)))
        edition = Edition(midnight, numbers[day].value if day in numbers else None, urls.edition(day), tuple(pages))
        editions.append(edition)
        for sheet in edition.pages:
            for index, article in enumerate(sheet.articles, start=1):
                placements[article.url] = Placement(edition.date, edition.label, edition.url, sheet.label,
                                                    sheet.name, sheet.url, index)
    return tuple(editions), placements


K = TypeVar("K")


def _disagrees(seen: dict[K, _Said[T]], key: K, value: T, source: str, line: int) -> _Said[T] | None:
    """Note what a report says about `key`; the earlier report's claim if it said otherwise."""
    first = seen.setdefault(key, _Said(value, source, line))
    return first if first.value != value else None


def _page_order(article: Article) -> tuple[int, int, float, str]:
    """By position; reports without one after those with, oldest first, then by URL."""
    position = article.meta.position
    return (0 if position is not None else 1, position or 0, article.date.timestamp(), article.url)

