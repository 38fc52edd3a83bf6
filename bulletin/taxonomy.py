"""Reports → the Site: URLs decided, duplicates refused, articles grouped and ordered, and the
printed issues gathered (bulletin.editions).

Groups (zone, tag, reporter, year, month) hold their articles newest first; ties are broken by
URL so the order never depends on the order files were found in.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
import heapq
from itertools import chain
import re
from html import unescape
from pathlib import Path, PurePosixPath
from typing import Iterable, Sequence

from bulletin import editions as printed, svg, urls
from bulletin.config import SiteConfig
from bulletin.content import Report
from bulletin.errors import BuildError, Problem
from bulletin.images import Images, Picture
from bulletin.model import Article, Body, Group, Site, Term
from bulletin.markdown import REPORT_FOLDER, REPORT_LINK, local_path
from bulletin.markup import attribute
from bulletin.paths import NotPublishable, site_file
from bulletin.slugs import slugify
from bulletin.i18n import _

RELATED_COUNT = 5
_RELATED_WINDOW = 12  # neighbours looked at in each shared zone/tag list
# An image as the renderer writes it (markdown-it, or nh3 after sanitising), and a link to a
# report's file as markdown.render marks it; each value is matched unescaped.
_IMAGE = re.compile(r'<img src="([^"]*)" alt="([^"]*)"(?: title="([^"]*)")?>')
_REPORT_HREF = re.compile(r'href="' + re.escape(REPORT_LINK) + r'([^"#]*)')


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


def article_url(config: SiteConfig, report: Report) -> tuple[str, str]:
    """(slug, URL) of a report: its `slug`, else the pinyin of its title, else of its file name."""
    return report.slug, urls.article(report.meta.date.astimezone(config.tz), report.slug)


def assemble(config: SiteConfig, reports: Sequence[Report], unpublished: Sequence[Report] = (),
             warnings: list[Problem] | None = None, broken: set[str] = frozenset(),  # type: ignore[assignment]
             images: Images | None = None, previous: Site | None = None) -> Site:
    """Gather the Site; raises BuildError with every problem; appends warnings to `warnings`.

    `broken` names report files that could not be read: links to them are not reported again.
    `previous`: the site an earlier build gathered with the same config, whose articles are
    taken as they are for reports that did not change.
    """
    tz = config.tz
    tag_slugs = term_slugs((t for r in reports for t in r.meta.tags), "tag")
    reporter_slugs = term_slugs((n for r in reports for n in r.meta.reporters), "reporter")
    tag_terms = {n: Term("tag", n, s, urls.tag(s)) for n, s in tag_slugs.items()}
    reporter_terms = {n: Term("reporter", n, s, urls.reporter(s)) for n, s in reporter_slugs.items()}

    problems: list[Problem] = []
    by_url: dict[str, Article] = {}
    earlier = {a.source: a for a in previous.articles} if previous is not None else {}
    for report in reports:
        meta = report.meta
        article = earlier.get(report.source)  # type: ignore[assignment]
        if article is None or not _same_article(article, report, tag_terms, reporter_terms):
            article = article_of(config, report, tag_terms, reporter_terms, images, problems)
        url = article.url
        if url in by_url:
            other = by_url[url]
            problems.append(
                Problem(
                    _("two reports have the same URL /{url}: {source} and {other_source}").format(url=url, source=other.source, other_source=report.source),
                    report.source,
                    meta.slug_line or meta.title_line,
                    hint=_("give one of them a different 'slug:' in its front-matter"),
                )
            )
            continue
        by_url[url] = article
    by_source = {a.source: a for a in by_url.values()}
    not_yet = {r.source: article_url(config, r)[1] for r in unpublished}
    sink = warnings if warnings is not None else []
    for url, article in list(by_url.items()):
        by_url[url] = resolve_report_links(article, by_source, not_yet, config.path_prefix, problems, sink, broken)
    editions, placements = printed.gather(config, list(by_url.values()), problems)
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
    related = _related(articles, lists, previous)
    return Site(config, articles, zones, tags, reporters, years, months, neighbours, related, editions, placements)


def _same_article(article: Article, report: Report, tag_terms: dict[str, Term], reporter_terms: dict[str, Term]) -> bool:
    """Whether `article` is what article_of would make of `report` (the very report it was made
    from, the same terms, and no file beside the report that may have changed since)."""
    return (article.meta is report.meta and article.body is report.body and article.slug == report.slug
            and not article.attachments and article.picture is None and report.body.nested_html is None
            and article.tags == tuple(tag_terms[t] for t in report.meta.tags)
            and article.reporters == tuple(reporter_terms[n] for n in report.meta.reporters))


def article_of(config: SiteConfig, report: Report, tag_terms: dict[str, Term], reporter_terms: dict[str, Term],
               images: Images | None, problems: list[Problem]) -> Article:
    """One report as an article: its URL, terms, attachments and pictures (links to other
    reports are resolved later, once every article's URL is known)."""
    meta = report.meta
    slug, url = article_url(config, report)
    image_url, attachments = _attachments(config.root, report, url, problems)
    picture, body = None, report.body
    if images is not None:
        picture, body, attachments = _pictures(images, report, url, image_url, attachments, config.path_prefix, problems)
    article = Article(
        source=report.source,
        meta=meta,
        body=body,
        slug=slug,
        url=url,
        zone_url=urls.zone(meta.zone.slug),
        tags=tuple(tag_terms[t] for t in meta.tags),
        reporters=tuple(reporter_terms[n] for n in meta.reporters),
        image_url=image_url,
        attachments=attachments,
        picture=picture,
    )
    if report.body.nested_html is not None:  # files beside the report, linked from other pages
        nested = report.body.nested_html.replace(f'="{REPORT_FOLDER}', f'="{attribute(config.path_prefix + url)}')
        article = replace(article, body=replace(article.body, nested_html=nested))
    return article


def _attachments(root: Path, report: Report, url: str, problems: list[Problem]) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """The lead image's URL and the local files a report shows or links to, copied beside its page.

    A relative path is read relative to the report's file and written at the same relative path
    under the report's page, so the link in the body works unchanged.
    """
    if not report.meta.image and not any(l.path for l in report.body.links):
        return None, ()
    folder = PurePosixPath(report.source).parent
    # (as written, site path, line, is it the lead image, what it is)
    wanted: list[tuple[str, str | None, int, bool, str]] = []
    if report.meta.image:
        wanted.append((report.meta.image, local_path(folder.as_posix(), report.meta.image), report.meta.image_line or 1, True, "image"))
    wanted.extend((l.target, l.path, l.line, False, "image" if l.is_image else "linked file")
                  for l in report.body.links if l.path and not l.path.endswith(".md"))
    found: dict[str, str] = {}
    lead: str | None = None
    for target, path, line, is_lead, kind in wanted:
        if path is None:  # a web address
            lead = target if is_lead else lead
            continue
        relative = PurePosixPath(path).relative_to(folder) if PurePosixPath(path).is_relative_to(folder) else None
        if relative is None:
            problems.append(Problem(_("{subject} is outside the report's folder").format(subject=_subject(kind, target)), report.source, line,
                                    hint=_("put images and attachments in the report's folder or a subfolder of it")))
            continue
        try:
            real: Path | None = site_file(root, path, report=report.source, line=line, written=target, what=kind)
        except NotPublishable as refused:
            problems.append(refused.problem)
            continue
        except OSError:
            real = None
        if real is None or not real.is_file():
            problems.append(Problem(_("{subject} not found (looked for {path})").format(subject=_subject(kind, target), path=path), report.source, line,
                                    hint=_("check the file name; paths are relative to the report's file")))
            continue
        active = _active(real, path, target, kind, report.source, line)
        if active is not None:
            problems.append(active)
            continue
        found[path] = url + relative.as_posix()
        if is_lead:
            lead = found[path]
    return lead, tuple(sorted(found.items()))


def _subject(kind: str, target: str) -> str:
    """"image 'a.png'" or "linked file 'a.pdf'", for a message."""
    return (_("image '{name}'") if kind == "image" else _("linked file '{name}'")).format(name=target)


def _active(real: Path, path: str, target: str, kind: str, report: str, line: int) -> Problem | None:
    """The problem of an attachment that would run as code on the site (see bulletin.svg)."""
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in svg.REFUSED:
        return Problem(_("{subject} is a web page or script ({suffix}): published on the site it could run "
                         "scripts in the name of the site, so bulletin does not publish it").format(subject=_subject(kind, target), suffix=suffix),
                       report, line,
                       hint=_("attach a PDF (or a .zip of the file) instead; a page of the site belongs in content/ as a report"))
    if suffix == ".svg":
        try:
            svg.clean(real.read_bytes())
        except svg.SvgError as error:
            at = _(" (line {line} of the SVG)").format(line=error.line) if error.line else ""
            return Problem(_("{subject} cannot be published: {reason}{at}").format(subject=_subject(kind, target), reason=error.message, at=at),
                           report, line, hint=_("export the image again as plain SVG, or as PNG"))
        except OSError as exc:
            return Problem(_("cannot read {subject}: {error}").format(subject=_subject(kind, target), error=exc.strerror or exc), report, line)
    return None


def _pictures(images: Images, report: Report, url: str, lead_url: str | None, attachments: tuple[tuple[str, str], ...],
              prefix: str, problems: list[Problem]) -> tuple[Picture | None, Body, tuple[tuple[str, str], ...]]:
    """Resize the report's local images; body images become <picture> elements."""
    lines = {l.path: l.line for l in report.body.links if l.path}
    pictures: dict[str, Picture] = {}
    files = list(attachments)
    for source, target in attachments:
        made = images.picture(source, target, report.source, lines.get(source, report.meta.image_line or 1))
        if isinstance(made, Problem):
            problems.append(made)
        elif made is not None:
            pictures[target] = made
            files.extend((v.cache, v.url) for v in made.files)
    if not pictures or not any(l.is_image for l in report.body.links):
        return None if not lead_url else pictures.get(lead_url), report.body, tuple(sorted(set(files)))
    folder = PurePosixPath(report.source).parent
    shown: dict[str, Picture] = {}  # an image's src as the body has it → its Picture
    for link in report.body.links:
        if link.is_image and link.path and PurePosixPath(link.path).is_relative_to(folder):
            picture = pictures.get(url + PurePosixPath(link.path).relative_to(folder).as_posix())
            if picture is not None:
                shown[link.target] = picture

    def swap(match: re.Match[str]) -> str:
        picture = shown.get(unescape(match.group(1)))
        if picture is None:
            return match.group(0)
        return picture.html(lambda u: prefix + u, unescape(match.group(2)), unescape(match.group(3) or ""))

    html = _IMAGE.sub(swap, report.body.html) if shown else report.body.html
    lead = pictures.get(lead_url) if lead_url else None
    body = report.body if html == report.body.html else report.body.with_html(html)
    return lead, body, tuple(sorted(set(files)))


def resolve_report_links(article: Article, by_source: dict[str, Article], unpublished: dict[str, str],
                          prefix: str, problems: list[Problem], warnings: list[Problem], broken: set[str]) -> Article:
    """Replace links to report files with those reports' URLs."""
    links = [l for l in article.body.links if l.path and l.path.endswith(".md")]
    if not links:
        return article
    found: dict[str, str] = {}  # a report's file → its link, as the attribute's value
    for link in links:
        assert link.path is not None
        target = by_source.get(link.path)
        if target is not None:
            url = target.url
        elif link.path in unpublished:
            url = unpublished[link.path]
            warnings.append(Problem(_("links to {path}, which is a draft or dated in the future").format(path=link.path), article.source,
                                    link.line, hint=_("the link will not work until that report is published"), severity="warning"))
        elif link.path in broken:
            continue
        else:
            problems.append(Problem(_("link to a report that does not exist: '{target}' (looked for {path})").format(target=link.target, path=link.path),
                                    article.source, link.line, hint=_("check the file name; paths are relative to the report's file")))
            continue
        found[link.path] = attribute(prefix + url)

    def swap(match: re.Match[str]) -> str:
        href = found.get(unescape(match.group(1)))
        return match.group(0) if href is None else f'href="{href}'

    html, nested = article.body.html, article.body.nested_html
    html = _REPORT_HREF.sub(swap, html)
    nested = _REPORT_HREF.sub(swap, nested) if nested is not None else None
    return replace(article, body=article.body.with_html(html, nested))


def _term_groups(terms: dict[str, Term], members: dict[str, list[Article]]) -> tuple[Group, ...]:
    """Groups in pinyin order of their slugs."""
    return tuple(
        Group(t.name, t.name, t.slug, t.url, tuple(members[t.name]))
        for t in sorted(terms.values(), key=lambda t: t.slug)
    )


def _related(articles: Sequence[Article], lists: Sequence[Sequence[Article]],
             previous: Site | None = None) -> dict[str, tuple[Article, ...]]:
    """Up to RELATED_COUNT reports sharing the zone or tags, closest in time first.

    Only the reports near each article in each shared list are considered, so the cost grows
    with the number of articles, not with its square. `previous`: the site of the last build,
    whose answers are taken where they cannot have changed (see _unchanged_related).
    """
    position = {a.url: i for i, a in enumerate(articles)}
    # Each list as positions in `articles`, and where each article stands in each list.
    numbered = [[position[a.url] for a in members] for members in lists]
    where: list[list[tuple[int, int]]] = [[] for _ in articles]
    for li, members in enumerate(numbered):
        for pi, n in enumerate(members):
            where[n].append((li, pi))
    kept = _unchanged_related(articles, previous, numbered, where) if previous is not None else {}
    related: dict[str, tuple[Article, ...]] = {}
    size = len(articles) + 1
    for mine, article in enumerate(articles):
        if article.url in kept:
            related[article.url] = tuple(articles[position[url]] for url in kept[article.url])
            continue
        scores = Counter(chain.from_iterable(numbered[li][max(0, pi - _RELATED_WINDOW): pi + _RELATED_WINDOW + 1]
                                             for li, pi in where[mine]))
        del scores[mine]
        # Most lists shared first, then the closest in time, then the newest: one number each.
        ranked = [(-count * size + abs(n - mine)) * size + n for n, count in scores.items()]
        related[article.url] = tuple(articles[rank % size] for rank in heapq.nsmallest(RELATED_COUNT, ranked))
    return related


def _unchanged_related(articles: Sequence[Article], previous: Site, numbered: list[list[int]],
                       where: list[list[tuple[int, int]]]) -> dict[str, tuple[str, ...]]:
    """The related reports of the last build (as URLs) that are still right: those of every
    article when the site only gained reports newer than all it had, and each kept its zone
    and tags; then the articles near the top of a list that gained some are ranked again.

    Why that is exact: with the new reports all in front, every older report moves down by the
    same number of places, in the whole site and in each list, so the neighbours an article
    is ranked against, their counts and their distances stay the same, unless the window of
    neighbours in one of its lists reaches the new reports at the top.
    """
    old = previous.articles
    added = len(articles) - len(old)
    if added < 0 or any(a.url != b.url or a.zone.name != b.zone.name or a.tags != b.tags
                        for a, b in zip(articles[added:], old)):
        return {}
    gained = [sum(1 for n in members[:added] if n < added) for members in numbered]  # new reports at each list's top
    kept: dict[str, tuple[str, ...]] = {}
    for mine in range(added, len(articles)):
        # In a list that gained k reports, this one's window (from pi - WINDOW) reaches them
        # when pi - WINDOW < k.
        if any(gained[li] and pi - _RELATED_WINDOW < gained[li] for li, pi in where[mine]):
            continue
        url = articles[mine].url
        if url in previous.related:
            kept[url] = tuple(a.url for a in previous.related[url])
    return kept
