"""Reports → the Site: URLs decided, duplicates refused, articles grouped and ordered.

Groups (zone, tag, reporter, year, month) hold their articles newest first; ties are broken by
URL so the order never depends on the order files were found in.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path, PurePosixPath
from typing import Iterable, Sequence
from urllib.parse import unquote, urlsplit

from bulletin import urls
from bulletin.config import SiteConfig
from bulletin.content import Report
from bulletin.errors import BuildError, Problem
from bulletin.model import Article, Group, Site, Term
from bulletin.slugs import slugify

RELATED_COUNT = 5
_RELATED_WINDOW = 12  # neighbours looked at in each shared zone/tag list


def term_slugs(names: Iterable[str], fallback: str) -> dict[str, str]:
    """A slug for each name; names whose pinyin collides (公式/公示) get -2, -3… in name order."""
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(set(names)):
        base = slugify(name) or fallback
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        slugs[name] = slug
    return slugs


def assemble(config: SiteConfig, reports: Sequence[Report]) -> Site:
    tz = config.tz
    tag_slugs = term_slugs((t for r in reports for t in r.meta.tags), "tag")
    reporter_slugs = term_slugs((n for r in reports for n in r.meta.reporters), "reporter")
    tag_terms = {n: Term("tag", n, s, urls.tag(s)) for n, s in tag_slugs.items()}
    reporter_terms = {n: Term("reporter", n, s, urls.reporter(s)) for n, s in reporter_slugs.items()}

    problems: list[Problem] = []
    by_url: dict[str, Article] = {}
    for report in reports:
        meta = report.meta
        slug = meta.slug or slugify(meta.title) or slugify(report.source.rsplit("/", 1)[-1][:-3]) or "report"
        url = urls.article(meta.date.astimezone(tz), slug)
        image_url, attachments = _attachments(config.root, report, url, problems)
        article = Article(
            source=report.source,
            meta=meta,
            body=report.body,
            slug=slug,
            url=url,
            zone_url=urls.zone(meta.zone.slug),
            tags=tuple(tag_terms[t] for t in meta.tags),
            reporters=tuple(reporter_terms[n] for n in meta.reporters),
            image_url=image_url,
            attachments=attachments,
        )
        if url in by_url:
            other = by_url[url]
            problems.append(
                Problem(
                    f"two reports have the same URL /{url}: {other.source} and {report.source}",
                    report.source,
                    meta.slug_line or meta.title_line,
                    hint="give one of them a different 'slug:' in its front-matter",
                )
            )
            continue
        by_url[url] = article
    if problems:
        raise BuildError(problems)

    articles = tuple(sorted(by_url.values(), key=lambda a: a.sort_key))
    by_zone: dict[str, list[Article]] = defaultdict(list)
    by_tag: dict[str, list[Article]] = defaultdict(list)
    by_reporter: dict[str, list[Article]] = defaultdict(list)
    by_year: dict[int, list[Article]] = defaultdict(list)
    by_month: dict[tuple[int, int], list[Article]] = defaultdict(list)
    for article in articles:
        local = article.date.astimezone(tz)
        by_zone[article.zone.name].append(article)
        for term in article.tags:
            by_tag[term.name].append(article)
        for term in article.reporters:
            by_reporter[term.name].append(article)
        by_year[local.year].append(article)
        by_month[(local.year, local.month)].append(article)

    zones = tuple(
        Group(z.name, z.name, z.slug, urls.zone(z.slug), tuple(by_zone.get(z.name, ()))) for z in config.zones
    )
    tags = _term_groups(tag_terms, by_tag)
    reporters = _term_groups(reporter_terms, by_reporter)
    years = tuple(
        Group(str(y), f"{y}年", f"{y:04d}", urls.year(y), tuple(by_year[y])) for y in sorted(by_year, reverse=True)
    )
    months = tuple(
        Group(f"{y:04d}-{m:02d}", f"{y}年{m}月", f"{m:02d}", urls.month(y, m), tuple(by_month[(y, m)]))
        for y, m in sorted(by_month, reverse=True)
    )
    neighbours = {
        a.url: (articles[i + 1] if i + 1 < len(articles) else None, articles[i - 1] if i > 0 else None)
        for i, a in enumerate(articles)
    }
    lists = [g.articles for g in zones] + [g.articles for g in tags]
    related = _related(articles, lists)
    return Site(config, articles, zones, tags, reporters, years, months, neighbours, related)


def _attachments(root: Path, report: Report, url: str, problems: list[Problem]) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """The lead image's URL and the local images a report shows, copied beside its page.

    A relative image path is read relative to the report's file and written at the same
    relative path under the report's page, so the link in the body works unchanged.
    """
    folder = PurePosixPath(report.source).parent
    found: dict[str, str] = {}
    wanted: list[tuple[str, int]] = []
    if report.meta.image:
        wanted.append((report.meta.image, report.meta.image_line or 1))
    wanted.extend((link.target, link.line) for link in report.body.links if link.is_image)
    lead: str | None = None
    for index, (target, line) in enumerate(wanted):
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or target.startswith("/"):
            if index == 0 and report.meta.image:
                lead = target
            continue
        relative = PurePosixPath(unquote(parts.path))
        if ".." in relative.parts or not relative.parts:
            problems.append(Problem(f"image '{target}' is outside the report's folder", report.source, line,
                                    hint="put images in the report's folder or a subfolder of it"))
            continue
        source = (folder / relative).as_posix()
        if not (root / source).is_file():
            problems.append(Problem(f"image '{target}' not found (looked for {source})", report.source, line,
                                    hint="check the file name; image paths are relative to the report's file"))
            continue
        found[source] = url + relative.as_posix()
        if index == 0 and report.meta.image:
            lead = found[source]
    return lead, tuple(sorted(found.items()))


def _term_groups(terms: dict[str, Term], members: dict[str, list[Article]]) -> tuple[Group, ...]:
    """Groups in pinyin order of their slugs."""
    return tuple(
        Group(t.name, t.name, t.slug, t.url, tuple(members[t.name]))
        for t in sorted(terms.values(), key=lambda t: t.slug)
    )


def _related(articles: Sequence[Article], lists: Sequence[Sequence[Article]]) -> dict[str, tuple[Article, ...]]:
    """Up to RELATED_COUNT reports sharing the zone or tags, closest in time first.

    Only the reports near each article in each shared list are considered, so the cost grows
    with the number of articles, not with its square.
    """
    position = {a.url: i for i, a in enumerate(articles)}
    where: dict[str, list[tuple[int, int]]] = defaultdict(list)  # url → (list index, position)
    for li, members in enumerate(lists):
        for pi, a in enumerate(members):
            where[a.url].append((li, pi))
    related: dict[str, tuple[Article, ...]] = {}
    for article in articles:
        me = article.url
        scores: dict[str, int] = defaultdict(int)
        for li, pi in where[me]:
            members = lists[li]
            for other in members[max(0, pi - _RELATED_WINDOW): pi + _RELATED_WINDOW + 1]:
                if other.url != me:
                    scores[other.url] += 1
        mine = position[me]
        ranked = sorted(scores, key=lambda u: (-scores[u], abs(position[u] - mine), position[u]))
        related[me] = tuple(articles[position[u]] for u in ranked[:RELATED_COUNT])
    return related
