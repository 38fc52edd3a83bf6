"""The configured Markdown renderer: body text → HTML, summary, headings, links, counts.

One markdown-it-py instance per process, CommonMark plus tables, strikethrough, footnotes,
heading ids in pinyin, figures for lone images, and the CJK rules of bulletin.cjk. Everything a
list, feed or check needs is read from the token stream, never from the HTML.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from functools import lru_cache
from html import unescape
from urllib.parse import unquote, urlsplit
from typing import Callable, Iterable, Sequence

from typing import TYPE_CHECKING

from bulletin.markup import LINK_SCHEMES, WEB_SCHEMES, attribute, scheme, srcset_urls, url_problem
from bulletin.model import Body, Heading, Link
from bulletin.slugs import slugify

if TYPE_CHECKING:  # the renderer's libraries load when a report is first rendered
    from markdown_it import MarkdownIt
    from markdown_it.rules_core import StateCore
    from markdown_it.token import Token

# Bumped whenever the HTML this module produces changes, so cached bodies are re-rendered.
RENDERER_VERSION = "3"
# A link to another report's file is written with this scheme until the site knows that
# report's URL (see taxonomy.assemble).
REPORT_LINK = "bulletin-report:"
# In a nested body (shown on another page than the report's own), a link to a file beside the
# report starts with this until the site knows the report's URL (see taxonomy.assemble).
REPORT_FOLDER = "bulletin-report-folder/"
# What links out of the site carry: written by a report's author (ugc), not vouched for by the
# site (nofollow), and given no handle on the page that opened them (noopener).
OUTSIDE_REL = "ugc nofollow noopener"
# The prefix of the classes raw HTML gives its elements, and of its ids on a report's own page
# (see _Authored): the theme names none of its ids or classes so.
AUTHOR_PREFIX = "r-"

_CJK_RUN = re.compile(r"[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_LATIN_WORD = re.compile(r"[A-Za-z0-9\u00c0-\u024f]+(?:[.'’-][A-Za-z0-9\u00c0-\u024f]+)*")
_SENTENCE_END = "。！？；!?…"


# Ids a heading may not take: those of the default theme's templates, and those bulletin keeps
# for footnotes (fn1, fnref1) and for the ids of raw HTML (r-…, r1a2b3c4d-…). Such a heading's
# id gets "section-" in front.
_TAKEN_IDS = re.compile(r"(?:main|search|search-query|site-search-query|related-title|(?:year|sheet|item|editions)-.*"
                        r"|r-.*|r[0-9a-f]{8}-.*|fn(?:ref)?[-\d].*)")


def _heading_slug(text: str) -> str:
    slug = slugify(text) or "section"
    return "section-" + slug if _TAKEN_IDS.fullmatch(slug) else slug


def _figures(state: StateCore) -> None:
    """A paragraph holding nothing but an image becomes a <figure> with a caption.

    The caption is the image's title, or else its alt text (as Pandoc does).
    """
    tokens = state.tokens
    for i in range(len(tokens) - 2):
        opener, inline, closer = tokens[i], tokens[i + 1], tokens[i + 2]
        if (
            opener.type == "paragraph_open"
            and closer.type == "paragraph_close"
            and inline.children is not None
            and len(inline.children) == 1
            and inline.children[0].type == "image"
        ):
            image = inline.children[0]
            caption = str(image.attrGet("title") or image.content or "")
            opener.tag = closer.tag = "figure"
            opener.hidden = closer.hidden = False
            opener.meta["caption"] = caption
            closer.meta["caption"] = caption


def _render_paragraph_open(self, tokens: Sequence[Token], idx: int, options, env) -> str:  # type: ignore[no-untyped-def]
    token = tokens[idx]
    if token.tag == "figure":
        return "<figure>\n"
    return self.renderToken(tokens, idx, options, env)


def _render_paragraph_close(self, tokens: Sequence[Token], idx: int, options, env) -> str:  # type: ignore[no-untyped-def]
    token = tokens[idx]
    if token.tag == "figure":
        caption = token.meta.get("caption")
        text = f"\n<figcaption>{attribute(caption)}</figcaption>" if caption else ""
        return f"{text}\n</figure>\n"
    return self.renderToken(tokens, idx, options, env)


def _render_footnotes_open(self, tokens: Sequence[Token], idx: int, options, env) -> str:  # type: ignore[no-untyped-def]
    # A titled section: readers (and assistive technology) see what the notes are.
    level = 3 if env.get("nested") else 2
    return f'<section class="footnotes">\n<h{level} class="footnotes-title">注释</h{level}>\n<ol class="footnotes-list">\n'


# A line that could underline a setext heading (=== or ---), inside any container. A text with
# none is parsed without the setext rule, which otherwise scans ahead through every line of
# every paragraph looking for one: the same tokens, a sixth less time for hard-wrapped reports.
_SETEXT_UNDERLINE = re.compile(r"^[ \t>]*(?:=+|-+)[ \t]*$", re.M)


def parser_for(text: str, line_join: str = "cjk") -> MarkdownIt:
    """The parser for `text` (see _SETEXT_UNDERLINE)."""
    return parser(setext=_SETEXT_UNDERLINE.search(text) is not None, line_join=line_join)


# The paragraph rule asks every rule that may interrupt a paragraph about each of its lines: a
# hard-wrapped report has a line every twenty characters, and most of those rules look at the
# line's first character only. A line that starts with none of theirs (and has no "|", which a
# table's header row needs) cannot end the paragraph, so it is not asked about. Only for
# these rules; with any other, every line is asked.
_INTERRUPTERS = {
    "table": "",  # a header row needs a "|" somewhere in the line
    "fence": "`~",
    "blockquote": ">",
    "hr": "*-_",
    "list": "*-+0123456789",
    "footnote_def": "[",
    "html_block": "<",
    "heading": "#",
}
_INTERRUPTER_STARTS = frozenset("".join(_INTERRUPTERS.values()))


def _paragraph(state, startLine: int, endLine: int, silent: bool) -> bool:  # type: ignore[no-untyped-def]
    """markdown-it-py's paragraph rule, not asking about lines no rule could start on."""
    from markdown_it.common.utils import mdTrim

    nextLine = startLine + 1
    ruler = state.md.block.ruler
    terminatorRules = ruler.getRules("paragraph")
    quick = _quick(ruler, "paragraph")
    endLine = state.lineMax
    src, bMarks, eMarks, tShift, sCount = state.src, state.bMarks, state.eMarks, state.tShift, state.sCount

    oldParentType = state.parentType
    state.parentType = "paragraph"

    while nextLine < endLine:
        start = bMarks[nextLine] + tShift[nextLine]
        if start >= eMarks[nextLine]:  # an empty line
            break
        # Indented more than code, or a blockquote's line: a lazy continuation.
        if sCount[nextLine] - state.blkIndent > 3 or sCount[nextLine] < 0:
            nextLine += 1
            continue
        if quick and src[start] not in _INTERRUPTER_STARTS and "|" not in src[start:eMarks[nextLine]]:
            nextLine += 1
            continue
        if any(rule(state, nextLine, endLine, True) for rule in terminatorRules):
            break
        nextLine += 1

    content = mdTrim(state.getLines(startLine, nextLine, state.blkIndent, False))
    state.line = nextLine
    token = state.push("paragraph_open", "p", 1)
    token.map = [startLine, state.line]
    token = state.push("inline", "", 0)
    token.content = content
    token.map = [startLine, state.line]
    token.children = []
    state.push("paragraph_close", "p", -1)
    state.parentType = oldParentType
    return True


def _plain_paragraph(state, startLine: int, endLine: int, silent: bool) -> bool:  # type: ignore[no-untyped-def]
    """A paragraph that starts on a line no other block rule could start on (see
    _INTERRUPTERS; indented code needs four spaces, a link reference definition a "["), found
    without asking each of those rules in turn. Only in parsers without setext headings, which
    may underline any line."""
    start = state.bMarks[startLine] + state.tShift[startLine]
    if (silent or state.sCount[startLine] - state.blkIndent >= 4 or state.src[start] in _INTERRUPTER_STARTS
            or "|" in state.src[start:state.eMarks[startLine]] or not _quick(state.md.block.ruler)):
        return False
    return _paragraph(state, startLine, endLine, silent)


_quick_for: dict[tuple[int, str], tuple[object, bool]] = {}  # (id(a ruler's chain), its name) → (the chain, answer)


def _quick(ruler, chain_name: str = "") -> bool:  # type: ignore[no-untyped-def]
    """Whether the shortcuts of _INTERRUPTERS apply to a chain of block rules: whether every
    rule in it that could start a block ("") or end a paragraph ("paragraph") is one it knows.
    Asked once per chain: the ruler makes a new one whenever a rule is switched on or off."""
    chain = ruler.getRules(chain_name)
    known = _quick_for.get((id(chain), chain_name))
    if known is None or known[0] is not chain:
        if chain_name:
            names = {rule.name for rule in ruler.__rules__ if rule.enabled and chain_name in rule.alt}
            answer = names <= _INTERRUPTERS.keys()
        else:
            names = {rule.name for rule in ruler.__rules__ if rule.enabled}
            answer = names <= {*_INTERRUPTERS, "code", "reference", "paragraph", "plain_paragraph"}
        known = _quick_for[(id(chain), chain_name)] = (chain, answer)
    return known[1]


def parser(setext: bool = True, quick_paragraphs: bool = True, line_join: str = "cjk") -> MarkdownIt:
    """`quick_paragraphs`: paragraphs found by _paragraph (the same tokens, less time).
    `line_join`: how line breaks next to Chinese are read (bulletin.cjk.LINE_JOIN_MODES).
    One instance for each combination, however the arguments are passed."""
    return _parser(setext, quick_paragraphs, line_join)


@lru_cache(maxsize=8)
def _parser(setext: bool, quick_paragraphs: bool, line_join: str) -> MarkdownIt:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.anchors import anchors_plugin
    from mdit_py_plugins.footnote import footnote_plugin

    from bulletin.cjk import cjk_friendly

    md = MarkdownIt("commonmark", {"html": True, "xhtmlOut": False, "breaks": False, "typographer": False})
    md.validateLink = _validate_link  # type: ignore[method-assign]
    if not setext:
        md.disable("lheading")
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=2, max_level=4, slug_func=_heading_slug)
    md.use(cjk_friendly, line_join=line_join)
    if quick_paragraphs:
        md.block.ruler.at("paragraph", _paragraph)
        if not setext:
            md.block.ruler.before("table", "plain_paragraph", _plain_paragraph)
    md.core.ruler.push("figures", _figures)
    md.add_render_rule("paragraph_open", _render_paragraph_open)
    md.add_render_rule("paragraph_close", _render_paragraph_close)
    md.add_render_rule("footnote_block_open", _render_footnotes_open)
    return md


def _validate_link(url: str) -> bool:
    """Whether markdown-it makes a link or an image of `url`: only with a scheme bulletin allows
    (inline raster images included); anything else stays text, as javascript: always did."""
    return url_problem(url, LINK_SCHEMES, data_images=True) is None


def _outside(href: str) -> bool:
    """Whether a link leads out of the site: every absolute web address does."""
    return scheme(href) in WEB_SCHEMES or href.startswith("//")


# Every token of a report is kept until its HTML is made, a few hundred bytes each, and densely
# marked-up text makes one for every byte or two (a 7 MB table of short cells made 5.2 GB). A
# report may make at most this many: 10 MB of prose makes about 25,000.
MAX_TOKENS = 250_000


class TooMuchMarkup(Exception):
    """A body would make more than MAX_TOKENS tokens; `line` (0-based, in the body) is where
    the count passed the limit."""

    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


class _Counted(list):  # type: ignore[type-arg]
    """A list of tokens that ends the parse once a body's tokens pass MAX_TOKENS. `count`, shared
    by every list of one body: [tokens still allowed, the line being parsed]."""

    def __init__(self, count: list[int]):
        super().__init__()
        self.count = count

    def append(self, token: Token) -> None:
        count = self.count
        if self and self[-1].map:  # block rules give a token its lines once it is pushed
            count[1] = self[-1].map[0]
        count[0] -= 1
        if count[0] < 0:
            raise TooMuchMarkup(count[1])
        super().append(token)


def parse(md: MarkdownIt, text: str, env: dict) -> list[Token]:  # type: ignore[type-arg]
    """`md.parse(text, env)`, but TooMuchMarkup is raised rather than more than MAX_TOKENS
    tokens made. A text too short to make that many is parsed as it is: without tables, no
    character makes more than four tokens (a table's short rows are filled up with empty
    cells, up to 65,536 of them: a table is always counted)."""
    if len(text) * 4 <= MAX_TOKENS and "|" not in text:
        return md.parse(text, env)
    from markdown_it.rules_core import StateCore
    from markdown_it.rules_core import inline as inline_rule

    count = [MAX_TOKENS, 0]
    state = StateCore(text, md, env)
    state.tokens = _Counted(count)
    for rule in md.core.ruler.getRules(""):
        if rule is not inline_rule:
            rule(state)
            continue
        for token in state.tokens:  # the inline rule, its tokens counted too
            if token.type == "inline":
                count[1] = token.map[0] if token.map else 0
                children = _Counted(count)
                md.inline.parse(token.content, md, env, children)
                token.children = children
    return state.tokens


@lru_cache(maxsize=1)
def _allowed() -> tuple[set[str], dict[str, set[str]]]:
    """The tags and attributes raw HTML from authors may keep, unless the site trusts them."""
    import nh3

    tags = (nh3.ALLOWED_TAGS | {"figure", "figcaption", "section", "video", "audio", "source", "picture", "mark", "ruby",
                                "rt", "rp", "details", "summary"}) - {"script", "style"}
    attributes = {
        **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
        "*": {"id", "class", "lang", "title", "dir"},
        "a": {"href", "hreflang", "rel"},
        "img": {"src", "alt", "width", "height", "loading", "srcset", "sizes"},
        "source": {"src", "srcset", "type", "media", "sizes"},
        "video": {"src", "controls", "width", "height", "poster"},
        "audio": {"src", "controls"},
        "td": {"colspan", "rowspan", "style"},
        "th": {"colspan", "rowspan", "style", "scope"},
        "ol": {"start", "reversed", "type"},
    }
    return tags, attributes


# Attributes that hold a URL in some element of some version of HTML or SVG; srcsets apart.
_URL_ATTRIBUTES = frozenset({"href", "src", "cite", "poster", "background", "action", "formaction", "longdesc",
                             "usemap", "data", "codebase", "classid", "archive", "profile", "manifest", "ping",
                             "icon", "dynsrc", "lowsrc", "xlink:href", "itemtype", "itemid"})
_SRCSET_ATTRIBUTES = frozenset({"srcset", "imagesrcset"})
_REPORT_SCHEME = REPORT_LINK.rstrip(":")


def _safe_url(tag: str, name: str, value: str, report_links: Iterable[str]) -> str | None:
    """`value`, or None when it is a URL bulletin does not allow there (bulletin.markup): links
    may be http(s), mailto, tel or relative, everything else http(s) or relative, an <img>'s
    src also an inline raster image. `report_links`: the links to other reports the renderer
    marked (REPORT_LINK), resolved once the site is known."""
    if name in _SRCSET_ATTRIBUTES:
        return None if any(url_problem(url, WEB_SCHEMES) for url in srcset_urls(value)) else value
    if name not in _URL_ATTRIBUTES:
        return value
    if name == "href" and value in report_links:
        return value
    problem = url_problem(value, LINK_SCHEMES if name == "href" else WEB_SCHEMES, data_images=(tag, name) == ("img", "src"))
    return None if problem else value


# The classes bulletin itself gives footnotes, by element.
_OWN_CLASSES = frozenset({("sup", "footnote-ref"), ("a", "footnote-backref"), ("section", "footnotes"), ("h2", "footnotes-title"),
                          ("h3", "footnotes-title"), ("ol", "footnotes-list"), ("li", "footnote-item"), ("hr", "footnotes-sep")})


class _Authored:
    """What a report's raw HTML names, renamed so that it can take no id or class of the
    theme's (a second id="main", a class="masthead"): its ids, and the links to them (#id),
    get `prefix` (r- on the report's page, the report's own prefix in a nested body), its
    classes AUTHOR_PREFIX. The ids bulletin gives headings (`own_ids`) and footnotes, and the
    footnotes' classes, stay as they are."""

    def __init__(self, own_ids: Iterable[str], prefix: str, footnotes: str, report_links: Iterable[str]):
        self.own_ids = frozenset(own_ids)
        self.prefix = prefix
        self.footnote = re.compile(rf"fn(?:ref)?{re.escape(footnotes)}\d+(?::\d+)?")
        self.report_links = frozenset(report_links)

    def id(self, value: str) -> str:
        if value in self.own_ids or value.startswith(self.prefix) or self.footnote.fullmatch(value):
            return value
        return self.prefix + value

    def __call__(self, tag: str, name: str, value: str) -> str | None:
        if name == "id":
            return self.id(value)
        if name == "href" and value.startswith("#") and len(value) > 1:
            return "#" + self.id(value[1:])
        if name == "class":
            return " ".join(c if (tag, c) in _OWN_CLASSES or c.startswith(AUTHOR_PREFIX) else AUTHOR_PREFIX + c
                            for c in value.split()) or None
        return value


def sanitize(html: str, attribute_filter: Callable[[str, str, str], str | None] | None = None,
             authored: _Authored | None = None) -> str:
    """Only the allow-listed tags and attributes of `html`, and no URL bulletin does not allow
    in any attribute (_safe_url); `authored` renames a report's ids and classes, then
    `attribute_filter` may rewrite values."""
    import nh3

    tags, attributes = _allowed()
    report_links = authored.report_links if authored is not None else frozenset()

    def check(tag: str, name: str, value: str) -> str | None:
        kept = _safe_url(tag, name, value, report_links)
        if kept is not None and authored is not None:
            kept = authored(tag, name, kept)
        if kept is not None and attribute_filter is not None:
            kept = attribute_filter(tag, name, kept)
        return kept

    return nh3.clean(
        html,
        tags=set(tags),
        attributes=attributes,
        # nh3 drops other schemes before asking `check`, which decides for these.
        url_schemes={"http", "https", "mailto", "tel", "data", _REPORT_SCHEME},
        link_rel=None,
        strip_comments=True,
        filter_style_properties={"text-align"},
        attribute_filter=check,
    )


# A start tag as nh3 writes it (every value double-quoted, < > & " escaped in it), and one of
# its attributes.
_START_TAG = re.compile(r'<([a-zA-Z][^\s/>]*)((?:\s+[^\s"\'>/=]+(?:="[^"]*")?)*)\s*/?>')
_ATTRIBUTE = re.compile(r'\s+([^\s"\'>/=]+)(?:="([^"]*)")?')


def _mark_outside_links(html: str) -> str:
    """Sanitised HTML with rel=OUTSIDE_REL on every link out of the site (and no other rel there)."""

    def mark(match: re.Match[str]) -> str:
        if match.group(1) != "a":
            return match.group(0)
        found = [(a.group(1), a.group(2)) for a in _ATTRIBUTE.finditer(match.group(2))]
        href = next((value for name, value in found if name == "href"), None)
        if href is None or not _outside(unescape(href)):
            return match.group(0)
        kept = "".join(f' {name}="{value}"' if value is not None else f" {name}" for name, value in found if name != "rel")
        return f'<a{kept} rel="{OUTSIDE_REL}">'

    return _START_TAG.sub(mark, html) if "<a " in html else html


def nest_prefix(source: str) -> str:
    """The prefix of every id in a report's nested body: short, and unique to the report's file."""
    return "r" + hashlib.blake2b(source.encode(), digest_size=4).hexdigest() + "-"


def render(text: str, first_line: int = 1, summary_length: int = 120, trusted_html: bool = False,
           source: str = "content/report.md", nested: bool = False, line_join: str = "cjk") -> Body:
    """Render a report body (raises TooMuchMarkup for one that would make too many tokens).

    `first_line` is the body's first line in its file and `source` the file's path relative to
    the site folder: links and images are recorded with their line and the local file they
    point at. `nested` also renders the body as it appears among other reports on one page
    (`Body.nested_html`). `line_join`: see bulletin.cjk.
    """
    md = parser_for(text, line_join)
    env: dict = {}
    tokens = parse(md, text, env)
    folder = posixpath.dirname(source)
    has_raw_html = False
    headings: list[Heading] = []
    links: list[Link] = []
    report_links: set[str] = set()  # the hrefs marked REPORT_LINK
    paragraphs: list[str] = []
    plain: list[str] = []
    summary_chars = 0
    in_heading = False
    in_footnotes = False
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "html_block":
            has_raw_html = True
        elif kind == "heading_open":
            in_heading = True
        elif kind == "heading_close":
            in_heading = False
        elif kind == "footnote_block_open":
            in_footnotes = True
        elif kind == "inline" and token.children is not None:
            text_ = _inline_text(token.children)
            plain.append(text_)
            line = first_line + (token.map[0] if token.map else 0)
            for child in token.children:
                if child.type == "link_open":
                    href = str(child.attrGet("href") or "")
                    path = local_path(folder, href)
                    links.append(Link(href, line, False, path))
                    if path and path.endswith(".md"):
                        fragment = urlsplit(href).fragment
                        child.attrSet("href", REPORT_LINK + path + (f"#{fragment}" if fragment else ""))
                        report_links.add(str(child.attrGet("href")))
                    elif scheme(href) == "data":  # _validate_link lets inline images through, as images only
                        del child.attrs["href"]
                    elif _outside(href):
                        child.attrSet("rel", OUTSIDE_REL)
                elif child.type == "image":
                    src = str(child.attrGet("src") or "")
                    links.append(Link(src, line, True, local_path(folder, src)))
                elif child.type == "html_inline":
                    has_raw_html = True
            if in_heading:
                opener = tokens[index - 1]
                headings.append(Heading(int(opener.tag[1]), str(opener.attrGet("id") or ""), text_))
            elif (
                not in_footnotes
                and summary_chars < summary_length * 2
                and tokens[index - 1].type == "paragraph_open"
                and tokens[index - 1].tag == "p"  # not table cells, not figure captions
                and text_.strip()
            ):
                paragraphs.append(text_.strip())
                summary_chars += len(text_)
    html = md.renderer.render(tokens, md.options, env)
    prefix = nest_prefix(source)
    nested_html = _render_nested(md, tokens, env, folder, prefix) if nested else None
    if has_raw_html and not trusted_html:
        own = [h.id for h in headings]
        html = _mark_outside_links(sanitize(html, authored=_Authored(own, AUTHOR_PREFIX, "", report_links)))
        if nested_html is not None:  # footnotes there are fn-<prefix>1 (docId)
            authored = _Authored([prefix + i for i in own], prefix, "-" + prefix, report_links)
            nested_html = _mark_outside_links(sanitize(nested_html, authored=authored))
    all_text = "".join(plain)
    return Body.of(
        html,
        summary=make_summary(paragraphs, summary_length),
        headings=tuple(headings),
        links=tuple(links),
        cjk_chars=len(all_text) - len(_CJK_RUN.sub("", all_text)),  # runs, not characters: fewer pieces
        latin_words=len(_LATIN_WORD.findall(all_text)),
        nested_html=nested_html,
    )


def _render_nested(md: MarkdownIt, tokens: list[Token], env: dict, folder: str, prefix: str) -> str:
    """The body as one of several reports on a page: each heading a level down (the report's
    own headline is the page's h2), every id and every link to one given the report's prefix
    so that no two reports' ids clash, and files beside the report marked to be linked by the
    report's URL. Changes `tokens`: call after the plain render."""
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + 1)}"
            if token.type == "heading_open" and token.attrGet("id"):
                token.attrSet("id", prefix + str(token.attrGet("id")))
        elif token.type == "inline" and token.children:
            for child in token.children:
                attribute = {"link_open": "href", "image": "src"}.get(child.type)
                if attribute and child.attrGet(attribute):
                    child.attrSet(attribute, _nested_target(folder, str(child.attrGet(attribute)), prefix))
    return md.renderer.render(tokens, md.options, {**env, "docId": prefix.rstrip("-"), "nested": True})


def _nested_target(folder: str, target: str, prefix: str) -> str:
    """Where a link or image of a nested body points: in-body anchors get the report's prefix,
    files beside the report the REPORT_FOLDER mark, everything else stays."""
    if target.startswith("#") and len(target) > 1:
        return "#" + prefix + target[1:]
    path = local_path(folder, target)
    if path is not None and not path.endswith(".md"):
        return REPORT_FOLDER + target
    return target


def local_path(folder: str, target: str) -> str | None:
    """The site-relative path of a local file a link points at, or None for anything else.

    Only relative links with a file extension count (../2020/a.md, photo.jpg); web addresses,
    absolute paths, anchors and folder links (../tags/) are left alone.
    """
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
        return None
    path = unquote(parts.path)
    if "." not in posixpath.basename(path):
        return None
    return posixpath.normpath(posixpath.join(folder, path))


def _inline_text(children: Sequence[Token]) -> str:
    parts: list[str] = []
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind == "softbreak":
            parts.append(" ")  # the CJK rule already removed the breaks that join CJK text
        elif kind == "hardbreak":
            parts.append(" ")
        elif kind == "image":
            parts.append(child.content)
    return "".join(parts)


def make_summary(paragraphs: Sequence[str], length: int) -> str:
    """About `length` characters from the start of the body, cut at a sentence end if possible."""
    text = "".join(p if not p or p[-1] in _SENTENCE_END else p + " " for p in paragraphs).strip()
    text = re.sub(r"\s+", " ", text)
    if len(text) <= length:
        return text
    window = text[: length + 1]
    cut = max(window.rfind(ch) for ch in _SENTENCE_END)
    if cut >= length // 3:
        return text[: cut + 1]
    # No sentence end near: cut at a clause or a word, and mark the cut.
    cut = max(window.rfind(ch) for ch in "，、：, ")
    if cut < length // 2:
        cut = length
    return text[:cut].rstrip("，、：, ") + "……"
