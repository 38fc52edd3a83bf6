"""Editions: the printed issues (期), their pages (版) and page views.

Front-matter normalisers, the issues gathered from reports, the nested bodies of page views, and
the pages and feed a reader sees. Broken sites with exact errors are in tests/fixtures/broken
(edition-fields, edition-inconsistent, config-pages); the golden output covers every byte.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest

from bulletin.build import BuildOptions, load_site
from bulletin.frontmatter import Split, ZoneIndex, parse_edition, parse_meta, parse_page, parse_position
from bulletin.markdown import REPORT_FOLDER, nest_prefix, render
from bulletin.model import IssueRef, PageRef
from tests.conftest import GOLDEN_SITE, fixture_copy
from tests.test_frontmatter import CONFIG

SHANGHAI = ZoneInfo("Asia/Shanghai")
ISSUE = "editions/2021-03-22/"


def meta(yaml: str) -> tuple[object, list[object]]:
    return parse_meta(Split("title: 标题\ndate: 2021-03-19\nzone: guiyang\n" + yaml, "正文", 10), "content/x.md",
                      CONFIG, ZoneIndex(CONFIG.zones))


# Front-matter ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("2021-03-31", IssueRef(date(2021, 3, 31))),
    ("2021-3-9", IssueRef(date(2021, 3, 9))),
    ({"date": "2021-03-31"}, IssueRef(date(2021, 3, 31))),
    ({"date": "2021-03-31", "number": 1234}, IssueRef(date(2021, 3, 31), 1234)),
    ({"date": "2021-03-31", "number": "1234"}, IssueRef(date(2021, 3, 31), 1234)),
    ({"date": "2021-03-31", "number": "第1234期"}, IssueRef(date(2021, 3, 31), 1234)),
    ({"date": "2021-03-31", "number": "第 1234 期"}, IssueRef(date(2021, 3, 31), 1234)),
])
def test_editions(value: object, expected: IssueRef) -> None:
    assert parse_edition(value) == expected


@pytest.mark.parametrize(("value", "reason"), [
    ("2021-02-30", "'2021-02-30' is not a date: day is out of range for month"),
    ("3月31日", "'3月31日' is not a date"),
    ("2021-03-31 08:00", "the edition's date '2021-03-31 08:00' has a time: an issue is a day"),
    (20210331, "the edition's date must be a day such as 2021-03-31, not 20210331"),
    ([1, 2], "the edition's date must be a day such as 2021-03-31, not a list"),
    (True, "the edition's date must be a day such as 2021-03-31, not true/false"),
    ({"number": 12}, "'edition' has no 'date'"),
    ({"date": "2021-03-31", "numbr": 12}, "'edition' has an unknown key 'numbr' (did you mean 'number'?)"),
    ({"date": "2021-03-31", "issue": 12}, "'edition' has an unknown key 'issue'"),
    ({"date": "2021-03-31", "number": 0}, "the issue number must be 1 or more, not 0"),
    ({"date": "2021-03-31", "number": "第一期"}, "the issue number must be a whole number such as 1234 or 第1234期, not '第一期'"),
    ({"date": "2021-03-31", "number": 12.5}, "the issue number must be a whole number such as 1234 or 第1234期, not 12.5"),
])
def test_bad_editions_say_why(value: object, reason: str) -> None:
    assert parse_edition(value) == reason


@pytest.mark.parametrize(("value", "expected"), [
    (6, PageRef(6)), ("6", PageRef(6)), ("06", PageRef(6)), ("第6版", PageRef(6)),
    ({"number": 6}, PageRef(6)), ({"number": 6, "name": " 高新区 "}, PageRef(6, "高新区")),
    ({"number": "第6版", "name": "高新区"}, PageRef(6, "高新区")),
])
def test_pages(value: object, expected: PageRef) -> None:
    assert parse_page(value) == expected


@pytest.mark.parametrize(("value", "reason"), [
    (0, "the page number must be a whole number from 1, such as 6 or 第6版, not 0"),
    (-2, "the page number must be a whole number from 1, such as 6 or 第6版, not -2"),
    ("第六版", "the page number must be a whole number from 1, such as 6 or 第6版, not '第六版'"),
    (True, "the page number must be a whole number from 1, such as 6 or 第6版, not True"),
    ({"name": "高新区"}, "'page' has no 'number'"),
    ({"number": 6, "nmae": "高新区"}, "'page' has an unknown key 'nmae' (did you mean 'name'?)"),
    ({"number": 6, "name": ["高新区"]}, "the page's name must be a text, not a list"),
])
def test_bad_pages_say_why(value: object, reason: str) -> None:
    assert parse_page(value) == reason


@pytest.mark.parametrize(("value", "expected"), [
    (1, 1), ("2", 2), (0, "'position' must be a whole number from 1, not 0"),
    ("一", "'position' must be a whole number from 1, not '一'"), (1.0, "'position' must be a whole number from 1, not 1.0"),
    (False, "'position' must be a whole number from 1, not False"),
])
def test_positions(value: object, expected: object) -> None:
    assert parse_position(value) == expected


def test_where_a_report_was_printed_is_in_its_meta() -> None:
    value, problems = meta("edition: {date: 2021-03-31, number: 第1583期}\npage: {number: 6, name: 高新区}\nposition: 2")
    assert problems == []
    assert value.edition == IssueRef(date(2021, 3, 31), 1583)  # type: ignore[attr-defined]
    assert value.page == PageRef(6, "高新区") and value.position == 2  # type: ignore[attr-defined]
    assert (value.edition_line, value.page_line, value.position_line) == (5, 6, 7)  # type: ignore[attr-defined]
    web_only, _ = meta("")
    assert web_only.edition is None and web_only.page is None and web_only.position is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(("yaml", "expected"), [
    ("page: 6", [(5, "the report names a page but not the edition it was printed in",
                  "add the issue it was printed in, e.g. edition: 2021-03-31; a web-only report has no page")]),
    ("edition: 2021-03-31", [(5, "the report names an edition but not the page (版) it was printed on",
                              "add e.g. page: 6; a report printed in no issue needs no edition")]),
    ("edition: 2021-03-31\nposition: 1", [
        (5, "the report names an edition but not the page (版) it was printed on",
         "add e.g. page: 6; a report printed in no issue needs no edition"),
        (6, "'position' is the order on a printed page, but the report names no page",
         "add edition: and page:, or leave position out")]),
    ("editon: 2021-03-31", [(5, "unknown front-matter key 'editon'", "did you mean 'edition'?")]),
    ("postion: 1", [(5, "unknown front-matter key 'postion'", "did you mean 'position'?")]),
])
def test_printed_fields_must_agree_with_each_other(yaml: str, expected: list[tuple[int, str, str]]) -> None:
    value, problems = meta(yaml)
    assert value is None
    assert [(p.line, p.message, p.hint) for p in problems] == expected  # type: ignore[attr-defined]


# The issues gathered ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def golden_site(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return load_site(fixture_copy(GOLDEN_SITE, tmp_path_factory.mktemp("editions")), BuildOptions())


def test_issues_are_newest_first_with_pages_in_order(golden_site) -> None:  # type: ignore[no-untyped-def]
    newest, older = golden_site.editions
    assert (newest.title, newest.url, newest.slug) == ("2021年3月22日 第101期", ISSUE, "2021-03-22")
    assert newest.date == datetime(2021, 3, 22, tzinfo=SHANGHAI)
    assert [(p.label, p.name, p.url) for p in newest.pages] == [
        ("第1版", "要闻", ISSUE + "01/"),  # the name bulletin.yaml gives page 1
        ("第2版", "园区", ISSUE + "02/"),  # the name the report gives
    ]
    assert [a.title for a in newest.articles] == ["重庆高新区重大项目集中开工", "贵阳高新区：“双第一”背后的发展密码"]
    assert (older.title, older.number, older.label) == ("2020年12月30日", None, "")  # known by its day only
    assert older.pages[0].name == "要闻"


def test_web_only_drafts_and_future_reports_are_in_no_issue(golden_site) -> None:  # type: ignore[no-untyped-def]
    printed = {a.title for e in golden_site.editions for a in e.articles}
    assert "拿地即开工　青岛高新区项目落地实现“加速跑”" not in printed  # no edition: web-only
    assert "尚未完成的稿件" not in printed  # a draft that names an edition
    qingdao = next(a for a in golden_site.articles if a.title.startswith("拿地即开工"))
    assert qingdao.url not in golden_site.placements


def test_a_page_is_ordered_by_position_then_oldest_first(site_copy: Path) -> None:
    for name, date_, position in (("a", "2021-03-05", ""), ("b", "2021-03-01", ""), ("c", "2021-03-09", "position: 3\n")):
        (site_copy / f"content/2021/{name}.md").write_text(
            f"---\ntitle: 报道{name}\ndate: {date_}\nzone: qingdao\nedition: 2021-03-22\npage: 1\n{position}---\n\n正文。\n",
            encoding="utf-8")
    site = load_site(site_copy, BuildOptions())
    page = site.editions[0].pages[0]
    # Position 1, position 3, then those without a position, oldest first.
    assert [a.title for a in page.articles] == ["重庆高新区重大项目集中开工", "报道c", "报道b", "报道a"]
    placement = site.placements[page.articles[-1].url]
    assert (placement.page_url, placement.position, placement.edition_label) == (ISSUE + "01/", 4, "第101期")


# Page views: nested bodies ---------------------------------------------------------------------

def test_a_nested_body_has_its_own_ids_and_headings_one_level_down() -> None:
    text = "见[注释](#zhu)[^1]。\n\n## 小标题\n\n![图](chart.png)\n\n[^1]: 来源。\n"
    body = render(text, source="content/2021/a.md", nested=True)
    prefix = nest_prefix("content/2021/a.md")
    assert prefix != nest_prefix("content/2021/b.md")
    nested = body.nested_html or ""
    assert f'<h3 id="{prefix}xiao-biao-ti">小标题</h3>' in nested
    assert f'href="#{prefix}zhu"' in nested
    assert f'id="fnref-{prefix[:-1]}-1"' in nested and f'<li id="fn-{prefix[:-1]}-1"' in nested
    assert '<h3 class="footnotes-title">注释</h3>' in nested
    assert f'src="{REPORT_FOLDER}chart.png"' in nested  # made the report's own URL once that is known
    assert '<h2 id="xiao-biao-ti">小标题</h2>' in body.html and 'src="chart.png"' in body.html  # the page itself
    assert render(text, source="content/2021/a.md").nested_html is None  # web-only: not rendered twice


def test_no_id_is_repeated_on_a_page_view(golden_build: Path) -> None:
    for page in (golden_build / "editions").rglob("index.html"):
        ids = re.findall(r' id="([^"]+)"', page.read_text())
        assert len(ids) == len(set(ids)), page


# What a reader sees ----------------------------------------------------------------------------

def test_the_editions_index_lists_every_issue_newest_first(golden_build: Path) -> None:
    html = (golden_build / "editions/index.html").read_text()
    entries = re.findall(r'<li><a href="([^"]+)"><time datetime="([^"]+)">[^<]+</time>(?: <span class="issue-number">([^<]+)</span>)?</a> '
                         r'<span class="count">([^<]+)</span></li>', html)
    assert entries == [("/gaoxin/editions/2021-03-22/", "2021-03-22", "第101期", "2 版 · 2 篇"),
                       ("/gaoxin/editions/2020-12-30/", "2020-12-30", "", "1 版 · 1 篇")]
    assert '<a href="/gaoxin/editions/" aria-current="page">数字报</a>' in html
    assert '<a href="/gaoxin/editions/">数字报</a>' in (golden_build / "index.html").read_text()  # in every page's navigation


def test_an_issue_is_a_table_of_contents(golden_build: Path) -> None:
    html = (golden_build / ISSUE / "index.html").read_text()
    sheets = re.findall(r'<h2 id="sheet-\d+"><a href="([^"]+)">([^<]+)<span class="sheet-name">([^<]+)</span></a></h2>', html)
    assert sheets == [("/gaoxin/editions/2021-03-22/01/", "第1版 ", "要闻"), ("/gaoxin/editions/2021-03-22/02/", "第2版 ", "园区")]
    assert html.index("重庆高新区重大项目集中开工") < html.index("贵阳高新区：“双第一”背后的发展密码")
    assert '上一期：<a href="/gaoxin/editions/2020-12-30/" rel="prev">2020年12月30日</a>' in html
    assert "下一期：" not in html  # the newest issue
    assert '<p class="count">星期一 · 共 2 版 2 篇报道</p>' in html
    older = (golden_build / "editions/2020-12-30/index.html").read_text()
    assert '下一期：<a href="/gaoxin/editions/2021-03-22/" rel="next">2021年3月22日 第101期</a>' in older


def test_a_page_view_shows_every_report_and_links_both_ways(golden_build: Path) -> None:
    html = (golden_build / ISSUE / "02/index.html").read_text()
    article = "/gaoxin/2021/03/gui-yang-gao-xin-qu-shuang-di-yi-bei-hou-de-fa-zhan-mi-ma/"
    assert f'<h2 class="press-title" id="item-1-title"><a href="{article}">贵阳高新区：“双第一”背后的发展密码</a></h2>' in html
    assert "新引进产业项目到位资金累计179.65亿元" in html  # the whole report, not a summary
    assert '<h1 class="folio-page">第2版 <span class="sheet-name">园区</span></h1>' in html
    assert '上一版：第1版 要闻' in html and "下一版" not in html
    page = (golden_build / article.removeprefix("/gaoxin/") / "index.html").read_text()
    assert ('<p class="printed" data-pagefind-ignore>刊于 <a href="/gaoxin/editions/2021-03-22/"><time datetime="2021-03-22">2021年3月22日</time> 第101期</a> '
            '<a href="/gaoxin/editions/2021-03-22/02/#item-1">第2版 园区</a></p>') in page
    web_only = (golden_build / "2021/03/na-di-ji-kai-gong-qing-dao-gao-xin-qu-xiang-mu-luo-di-shi/index.html").read_text()
    assert "刊于" not in web_only


def test_images_in_a_page_view_are_those_beside_the_report(golden_build: Path) -> None:
    html = (golden_build / ISSUE / "01/index.html").read_text()
    base = "/gaoxin/2021/03/chong-qing-gao-xin-qu-zhong-da-xiang-mu-ji-zhong-kai-gong/"
    assert f'<img src="{base}photos/kaigong.png" alt="重大项目集中开工现场">' in html
    assert f'<img src="{base}chart.png" alt="项目效果图"' in html
    assert "<script" not in html


def test_the_sample_bulletin_is_one_issue_of_one_page(sample_build: Path) -> None:
    issues = sorted(p.name for p in (sample_build / "editions").iterdir() if p.is_dir())
    assert issues == ["2021-03-31"]
    html = (sample_build / "editions/2021-03-31/06/index.html").read_text()
    titles = re.findall(r'class="press-title" id="item-\d+-title"><a href="[^"]+">([^<]+)</a>', html)
    assert titles == [
        "贵阳高新区：“双第一”背后的发展密码", "石家庄高新区多措并举营造金牌营商环境",
        "首都科技条件平台“百进千”集成电路产业对接会举行", "成都高新区发布首批医药健康产业机会清单",
        "26个项目落户自贡高新区", "无锡高新区出台新政　打造生物医药产业新高地",
        "珠海高新区与华为签约智慧视觉创新示范城项目", "拿地即开工　青岛高新区项目落地实现“加速跑”",
    ]
    assert '<h1 class="folio-page">第6版 <span class="sheet-name">高新区</span></h1>' in html
    assert "2021年3月31日</time> 星期三 第1583期" in html


# The issues' feed ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_the_issues_feed_has_one_entry_per_issue_with_its_contents(golden_build: Path, name: str) -> None:
    parsed = feedparser.parse((golden_build / "editions" / name).read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.feed.title == "数字报 - 测试公报"
    assert [e.title for e in parsed.entries] == ["2021年3月22日 第101期", "2020年12月30日"]
    newest = parsed.entries[0]
    assert newest.link == "https://news.example.com/gaoxin/editions/2021-03-22/"
    assert newest.published_parsed[:3] == (2021, 3, 21)  # midnight in Shanghai is the day before in UTC
    html = newest.content[0].value
    links = re.findall(r'href="([^"]+)"', html)
    assert links == [
        "https://news.example.com/gaoxin/editions/2021-03-22/01/",
        "https://news.example.com/gaoxin/2021/03/chong-qing-gao-xin-qu-zhong-da-xiang-mu-ji-zhong-kai-gong/",
        "https://news.example.com/gaoxin/editions/2021-03-22/02/",
        "https://news.example.com/gaoxin/2021/03/gui-yang-gao-xin-qu-shuang-di-yi-bei-hou-de-fa-zhan-mi-ma/",
    ]
    assert "第1版 要闻" in html and "（重庆高新区 · 张洁 文铭权）" in html


def test_a_site_without_printed_issues_has_no_edition_pages(tmp_path: Path) -> None:
    from bulletin.build import build

    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "bulletin.yaml").write_text("title: 公报\nbase_url: https://example.org/\nzones: [贵阳高新区]\n", encoding="utf-8")
    (site / "content/a.md").write_text("---\ntitle: 网络报道\ndate: 2021-03-01\nzone: 贵阳高新区\n---\n\n正文。\n", encoding="utf-8")
    build(site, tmp_path / "out")
    assert not (tmp_path / "out/editions").exists()
    assert "数字报" not in (tmp_path / "out/index.html").read_text()
