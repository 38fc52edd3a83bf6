"""No script through any field, and names that look the same are the same (issue 13, findings 4,
8, 10 and 11): hostile sites built from a copy of the golden fixture site."""

from __future__ import annotations

import html
import html.parser
import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import feedparser
import pytest

from bulletin.build import build
from bulletin.cli import main
from bulletin.markdown import render

BASE = "/gaoxin/"
EVIL_PAGE = "2021/12/evil/index.html"  # where _report's report is published
SCRIPT_NAME = 'b"><img src=q onerror=alert(1)>.png'  # the file name of finding 4
ENCODED_NAME = "b%22%3E%3Cimg%20src=q%20onerror=alert(1)%3E.png"  # … as a Markdown link gives it


def _report(site: Path, body: str = "正文。", front: str = "", name: str = "evil.md", title: str = "恶意的报道",
            zone: str = "guiyang") -> Path:
    """A report newer than every other of the fixture site (so it leads every feed), published at
    EVIL_PAGE when `name` is evil.md; `front` starts on line 6."""
    path = site / "content/2021" / name
    path.write_text(f"---\ntitle: '{title}'\ndate: 2021-12-01\nzone: {zone}\nslug: {path.stem}\n{front}---\n\n{body}\n",
                    encoding="utf-8")
    return path


def _build(site: Path) -> Path:
    out = site.parent / "out"
    build(site, out)
    return out


def _refused(site: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The errors of a build that must fail, which leaves no output and no traceback."""
    capsys.readouterr()
    assert main(["build", str(site), "-o", str(site.parent / "out")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert not (site.parent / "out").exists()
    return err


class _Page(html.parser.HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self, text: str):
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def find(self, tag: str, **wanted: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in wanted.items())]

    def values(self, attribute: str) -> list[str]:
        return [str(a[attribute]) for _, a in self.elements if a.get(attribute) is not None]

    def handlers(self) -> list[str]:
        return [name for _, attrs in self.elements for name in attrs if name.startswith("on")]


# Finding 4: script through image file names ---------------------------------------------------

def _picture_site(site: Path) -> Path:
    """Images whose file names are markup, in the body and as the lead image."""
    folder = site / "content/2021"
    for name in (SCRIPT_NAME, 'lead"><svg onload=window.__pwned=1>.png', "图 1, 2.png"):
        shutil.copy(folder / "chart.png", folder / name)
    front = "image: 'lead\"><svg onload=window.__pwned=1>.png'\n"
    _report(site, f"正文。\n\n![图一]({ENCODED_NAME})\n\n![图二](<图 1, 2.png>)\n", front)
    return site


def test_image_file_names_stay_file_names_in_pictures(site_copy: Path) -> None:
    out = _build(_picture_site(site_copy))
    page = _Page((out / EVIL_PAGE).read_text())
    assert not page.handlers() and not page.find("svg") and not page.find("img", src="q")
    pictures = page.find("img", loading="lazy") + page.find("img", loading="eager")
    assert len(pictures) == 3  # the lead image and both body images, each still a <picture>
    # Every address in src and srcset names a file that was published.
    urls = page.values("src") + [c.split()[0] for v in page.values("srcset") for c in v.split(", ")]
    local = [u for u in urls if u.startswith(BASE + "2021/12/evil/")]
    assert len(local) >= 9
    for url in local:
        assert (out / unquote(url)[len(BASE):]).is_file(), url
    assert {unquote(p["src"] or "").rsplit("/", 1)[1] for p in pictures} == {
        SCRIPT_NAME, 'lead"><svg onload=window.__pwned=1>.png', "图 1, 2.png"}


@pytest.mark.browser
def test_image_file_names_run_no_script_in_chromium(site_copy: Path) -> None:
    from tests.browser import chromium, serve_folder

    site = _picture_site(site_copy)
    out = site.parent / "served"
    build(site, out / "gaoxin")
    with serve_folder(out) as server, chromium() as browser:
        page = browser.new_page()  # type: ignore[attr-defined]
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{server}{BASE}2021/12/evil/", wait_until="networkidle")
        page.wait_for_timeout(300)
        assert dialogs == []
        assert page.evaluate("typeof window.__pwned") == "undefined"
        # The pictures themselves work: each image loaded, from its file.
        sizes = page.evaluate("[...document.images].filter(i => i.closest('picture')).map(i => i.naturalWidth)")
        assert len(sizes) == 3 and all(sizes), sizes


# Finding 10: the sanitiser's allow-list --------------------------------------------------------

def test_raw_html_takes_no_id_or_class_of_the_theme(site_copy: Path) -> None:
    body = ('## Main\n\n<div id="main" class="masthead site-title">伪装成报头</div>\n\n'
            '正文[^1]，见<a href="#note">注</a>。\n\n<p id="note">说明</p>\n\n## 小节\n\n[^1]: 数据来源。\n')
    out = _build(_report(site_copy, body).parents[2])
    text = (out / EVIL_PAGE).read_text()
    page = _Page(text)
    ids = page.values("id")
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert len(page.find("main", id="main")) == 1 and not page.find("div", id="main")
    assert page.find("div", id="r-main", **{"class": "r-masthead r-site-title"})
    assert not [c for c in page.values("class") if "masthead" in c.split()][1:]  # only the theme's own
    # The report's own anchors still lead somewhere: its link to its note, footnotes, headings.
    assert page.find("a", href="#r-note") and page.find("p", id="r-note")
    assert page.find("a", href="#fn1") and page.find("li", id="fn1", **{"class": "footnote-item"})
    assert page.find("section", **{"class": "footnotes"})
    assert page.find("h2", id="xiao-jie") and page.find("h2", id="section-main")


SCRIPT_URLS = {
    "q cite": '<q cite="javascript:alert(1)">引</q>',
    "blockquote cite": '<blockquote cite="vbscript:msgbox(1)">引</blockquote>',
    "img srcset": '<img src="ok.png" srcset="javascript:alert(1) 1x" alt="">',
    "source srcset": '<picture><source srcset="ok.png 1x, javascript:alert(1) 2x"><img src="ok.png" alt=""></picture>',
    "video poster": '<video src="a.mp4" poster="javascript:alert(1)"></video>',
    "a data:": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">点</a>',
    "img svg data:": '<img src="data:image/svg+xml,&lt;svg onload=alert(1)&gt;" alt="">',
    "split scheme": '<a href="java&#10;script:alert(1)">点</a>',
    "del cite": '<del cite="  JAVASCRIPT:alert(1)">删</del>',
    "markdown data: link": "[点](data:image/png;base64,iVBORw0KGgo=)",
}


@pytest.mark.parametrize("raw", list(SCRIPT_URLS.values()), ids=list(SCRIPT_URLS))
def test_no_attribute_of_raw_html_keeps_a_script_address(raw: str) -> None:
    page = _Page(render(f"正文。\n\n{raw}\n").html)
    for _, attrs in page.elements:
        for name, value in attrs.items():
            assert "script" not in (value or "").lower().replace("\n", ""), (name, value)
            assert not (value or "").startswith("data:"), (name, value)


def test_markdown_makes_links_only_of_allowed_addresses() -> None:
    page = _Page(render("[甲](ftp://example.org/a) [乙](weixin://dl/chat) [丙](https://example.org/) [丁](../2020/a.md)",
                        source="content/2021/a.md").html)
    assert [a.get("href") for a in page.find("a")] == ["https://example.org/", "bulletin-report:content/2020/a.md"]


def test_raw_html_keeps_safe_addresses_and_inline_raster_images() -> None:
    png = "data:image/png;base64,iVBORw0KGgo="
    page = _Page(render(f'<q cite="https://example.org/src">引</q> <img src="{png}" srcset="a.png 1x, b.png 2x" alt="">'
                        '<a href="mailto:news@example.org">信</a> <a href="tel:+86-10-1234">电</a>').html)
    assert page.find("q", cite="https://example.org/src")
    assert page.find("img", src=png, srcset="a.png 1x, b.png 2x")
    assert page.find("a", href="mailto:news@example.org") and page.find("a", href="tel:+86-10-1234")


def test_links_out_of_the_site_are_marked_ugc_nofollow_noopener(site_copy: Path) -> None:
    body = ('[外链](https://evil.example/a) <https://evil.example/b> <a href="https://evil.example/c" rel="author">c</a> '
            '<a href="//evil.example/d">d</a> [站内](guiyang.md) <mark>原始 HTML</mark> [邮件](mailto:a@example.org)\n')
    out = _build(_report(site_copy, body).parents[2])
    page = _Page((out / EVIL_PAGE).read_text())
    outside = [a for a in page.find("a") if "evil.example" in (a.get("href") or "")]
    assert len(outside) == 4
    assert all(a.get("rel") == "ugc nofollow noopener" for a in outside), outside
    inside = [a for a in page.find("a") if (a.get("href") or "").startswith(BASE + "2021/03/gui-yang")]
    assert inside and all(a.get("rel") is None for a in inside)
    assert page.find("a", href="mailto:a@example.org")[0].get("rel") is None
    # The same without raw HTML in the report.
    _report(site_copy, "[外链](https://evil.example/a)")
    out = _build(site_copy)
    assert _Page((out / EVIL_PAGE).read_text()).find("a", href="https://evil.example/a", rel="ugc nofollow noopener")


# Finding 11: links to reports in reports with raw HTML -----------------------------------------

def test_links_to_reports_survive_raw_html(site_copy: Path) -> None:
    guiyang = site_copy / "content/2021/guiyang.md"
    guiyang.write_text(guiyang.read_text(encoding="utf-8") + '\n<mark id="main">重点</mark>：另见[青岛的报道](qingdao.md#kai-gong)。\n',
                       encoding="utf-8")
    out = _build(site_copy)
    qingdao = BASE + "2021/03/na-di-ji-kai-gong-qing-dao-gao-xin-qu-xiang-mu-luo-di-shi/"
    article = _Page((out / "2021/03/gui-yang-gao-xin-qu-shuang-di-yi-bei-hou-de-fa-zhan-mi-ma/index.html").read_text())
    assert article.find("a", href=qingdao + "#kai-gong")
    assert article.find("mark")
    # … and on the printed page the report is shown on, among others.
    printed = _Page((out / "editions/2021-03-22/02/index.html").read_text())
    assert printed.find("a", href=qingdao + "#kai-gong")
    for page in (article, printed):  # the report's id is its own on either page
        ids = page.values("id")
        assert ids.count("main") == 1 and len(ids) == len(set(ids))
    assert not [v for v in article.values("href") + printed.values("href") if v.startswith("bulletin-")]


def test_a_forged_report_link_in_raw_html_is_dropped() -> None:
    page = _Page(render('<a href="bulletin-report:content/2021/secret.md">伪造</a> [真](other.md)',
                        source="content/2021/a.md").html)
    assert [a.get("href") for a in page.find("a")] == [None, "bulletin-report:content/2021/other.md"]
# Finding 10: names that look the same are the same, and read the right way round --------------

def _groups(out: Path, kind: str) -> list[str]:
    """The names on a group index (tags/, reporters/), as readers see them."""
    page = (out / kind / "index.html").read_text()
    return [html.unescape(name) for name in re.findall(rf'<a href="{BASE}{kind}/[^"]+/">([^<]*)</a> <span class="count">', page)]


def test_names_that_look_the_same_are_the_same(site_copy: Path) -> None:
    # guiyang.md has 营商环境 and 易颖 already.
    _report(site_copy, front="reporter: [\"易\\u200b颖\", ＡＩ 记者]\ntags: [\"营商\\u200b环境\", \"\\ufeff产业招商\", ＡＩ　产业]\n")
    _report(site_copy, name="other.md", title="另一篇", zone='"贵阳\\u2060高新区"',
            front="reporter: AI  记者\ntags: [AI 产业, \"营商\\u200d环境\"]\n")
    out = _build(site_copy)
    tags, reporters = _groups(out, "tags"), _groups(out, "reporters")
    assert sorted(t for t in tags if "营商" in t or "产业" in t) == ["AI 产业", "产业招商", "营商环境"], tags
    assert sorted(r for r in reporters if "易" in r or "记者" in r) == ["AI 记者", "易颖"], reporters
    assert not list((out / "tags").glob("*-2"))  # no second page for a name that looks the same
    evil = _Page((out / EVIL_PAGE).read_text())
    assert evil.find("a", href=BASE + "tags/ying-shang-huan-jing/") and evil.find("a", href=BASE + "zones/guiyang/")


INVISIBLE_NAMES = {
    "zero-width tag": ('tags: [营商环境, "\\u200b"]', "content/2021/evil.md:6: 'tags': the name '<U+200B>' is made only of invisible characters"),
    "word joiner reporter": ('reporter: "\\u2060\\ufeff"', "content/2021/evil.md:6: 'reporter': the name '<U+2060><U+FEFF>' is made only of invisible characters"),
}


@pytest.mark.parametrize("front, message", list(INVISIBLE_NAMES.values()), ids=list(INVISIBLE_NAMES))
def test_a_name_of_invisible_characters_is_refused(site_copy: Path, capsys: pytest.CaptureFixture[str], front: str, message: str) -> None:
    _report(site_copy, front=front + "\n")
    err = _refused(site_copy, capsys)
    assert message in err, err
    assert "hint: delete it, or write the name" in err


BIDI = {
    "title": ("title: \"\\u202e报道\"\ndate: 2021-12-01\nzone: guiyang\n", "content/2021/bidi.md:2: the title '<U+202E>报道' holds an invisible character that changes the order text is shown in (U+202E)"),
    "tag": ("title: 报道\ndate: 2021-12-01\nzone: guiyang\ntags:\n  - 正常\n  - \"产业\\u2067招商\"\n", "content/2021/bidi.md:7: 'tags': the name '产业<U+2067>招商' holds"),
    "reporter": ("title: 报道\ndate: 2021-12-01\nzone: guiyang\nreporter: \"易\\u200f颖\"\n", "content/2021/bidi.md:5: 'reporter': the name '易<U+200F>颖' holds"),
    "zone": ("title: 报道\ndate: 2021-12-01\nzone: \"贵阳高新区\\u202d\"\n", "content/2021/bidi.md:4: the zone '贵阳高新区<U+202D>' holds"),
}


@pytest.mark.parametrize("front, message", list(BIDI.values()), ids=list(BIDI))
def test_bidirectional_controls_are_refused_in_titles_and_names(site_copy: Path, capsys: pytest.CaptureFixture[str], front: str, message: str) -> None:
    (site_copy / "content/2021/bidi.md").write_text(f"---\n{front}---\n\n正文。\n", encoding="utf-8")
    err = _refused(site_copy, capsys)
    assert message in err, err
    assert "hint: delete it (most editors do not show it: retype the text if need be)" in err
    assert "\u202e" not in err and "\u2067" not in err  # the message itself reads the right way round


# Finding 10: addresses in front-matter ---------------------------------------------------------

@pytest.mark.parametrize("image", ["javascript://%0aalert(1)", "JavaScript:alert(1)", "data:image/png;base64,iVBORw0KGgo=",
                                   "vbscript:msgbox(1)", "file:///etc/passwd", "https://example.org/a\\nb.png"])
def test_a_lead_image_with_a_script_address_is_refused(site_copy: Path, capsys: pytest.CaptureFixture[str], image: str) -> None:
    _report(site_copy, front=f'image: "{image}"\n')
    err = _refused(site_copy, capsys)
    assert err.startswith("content/2021/evil.md:6: 'image' cannot be "), err
    assert "hint: give the path of an image file beside the report (photo.jpg) or an http(s) address" in err


def test_a_lead_image_on_the_web_is_kept(site_copy: Path) -> None:
    _report(site_copy, front="image: https://img.example.org/a.png\n")
    page = _Page((_build(site_copy) / EVIL_PAGE).read_text())
    assert page.find("meta", property="og:image", content="https://img.example.org/a.png")


# Finding 10: base_url ---------------------------------------------------------------------------

BAD_BASE_URLS = {
    "line break": ('"https://news.example.com/gaoxin/\\nSitemap: https://evil.example/x.xml"', "found U+000A at character 33"),
    "space": ('"https://news.example.com/ga oxin/"', "found U+0020 at character 28"),
    "tab": ('"https://news.example.com/\\tgaoxin/"', "found U+0009"),
    "quote": ("'https://news.example.com/gaoxin/\"onmouseover=\"alert(1)'", "found U+0022"),
    "bidi": ('"https://news.example.com/\\u202egaoxin/"', "found U+202E"),
    "password": ("https://editor:s3cret@news.example.com/gaoxin/", "must not contain a user name or password"),
    "scheme": ("javascript://news.example.com/%0aalert(1)", "must be an absolute http(s) URL"),
}


@pytest.mark.parametrize("value, message", list(BAD_BASE_URLS.values()), ids=list(BAD_BASE_URLS))
def test_a_base_url_that_could_inject_is_refused(site_copy: Path, capsys: pytest.CaptureFixture[str], value: str, message: str) -> None:
    config = site_copy / "bulletin.yaml"
    config.write_text(config.read_text().replace("base_url: https://news.example.com/gaoxin/", f"base_url: {value}"))
    err = _refused(site_copy, capsys)
    assert err.startswith("bulletin.yaml:4: 'base_url' "), err
    assert message in err


# Finding 8: RSS carries plain text as text ----------------------------------------------------

PHISH = '<a href="https://evil.example/phish">点此领取补贴</a>'


def _links_in(fragment: str) -> list[dict[str, str | None]]:
    return _Page(fragment).find("a")


def test_rss_gives_summaries_and_titles_as_text_not_html(site_copy: Path) -> None:
    front = f"summary: '{PHISH}'\ntags: ['<i>斜体</i>']\nedition: 2021-12-02\npage: 1\n"
    _report(site_copy, front=front, title="标题 <b>加粗</b> & 更多")
    _report(site_copy, '`<a href="https://evil.example/code">代码</a>` 是一段代码。', name="code.md", title="代码")
    out = _build(site_copy)
    rss = feedparser.parse((out / "feed.xml").read_bytes())
    assert rss.bozo == 0
    entries = {e.link.rsplit("/", 2)[1]: e for e in rss.entries}
    for slug, summary in (("evil", PHISH), ("code", '<a href="https://evil.example/code">代码</a> 是一段代码。')):
        entry = entries[slug]
        assert _links_in(entry.summary) == [], entry.summary  # no live link in what readers show
        assert html.unescape(entry.summary) == summary  # the text itself, as written
    assert not _Page(entries["evil"].title).find("b")
    assert html.unescape(entries["evil"].title) == "标题 <b>加粗</b> & 更多"
    assert "<p>" in entries["evil"].content[0].value  # content:encoded is still HTML
    # The same in the feeds of a tag (its name in the channel's title) and of the printed issues.
    tag = feedparser.parse(next(f for f in (out / "tags").glob("*/feed.xml") if "斜体" in f.read_text()).read_bytes())
    assert not _Page(tag.feed.title).find("i") and html.unescape(tag.feed.title).startswith("<i>斜体</i> - ")
    issue = feedparser.parse((out / "editions/feed.xml").read_bytes()).entries[0]
    assert not _Page(issue.summary).find("b") and "标题 <b>加粗</b> & 更多" in html.unescape(issue.summary)
    # Atom was right and stays so: text marked as text.
    atom = feedparser.parse((out / "atom.xml").read_bytes())
    evil = next(e for e in atom.entries if e.link.endswith("/evil/"))
    assert evil.title == "标题 <b>加粗</b> & 更多"
    assert evil.summary == PHISH and evil.summary_detail.type == "text/plain"
