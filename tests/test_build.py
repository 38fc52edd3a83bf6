"""End-to-end behaviour of `bulletin build` that readers and editors notice."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from bulletin.build import BuildOptions, build
from bulletin.cli import main
from tests.conftest import REPO, html_files, snapshot



def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    build(REPO, tmp_path / "one")
    build(REPO, tmp_path / "two")
    one, two = snapshot(tmp_path / "one"), snapshot(tmp_path / "two")
    assert one == two
    assert len(one) > 50


def test_cli_builds_the_sample_bulletin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(REPO), "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert re.fullmatch(r"built 8 reports: \d+ pages, \d+ feeds, \d+ files in \d+\.\d\d s\n", out)
    for page in ["index.html", "404.html", "sitemap.xml", "robots.txt", "zones/index.html", "tags/index.html",
                 "reporters/index.html", "archive/index.html", "archive/2021/index.html", "archive/2021/03/index.html",
                 "zones/guiyang/index.html", "reporters/yi-ying/index.html", "assets/style.css"]:
        assert (tmp_path / "out" / page).is_file(), page


def _local_links(root: Path, prefix: str) -> list[tuple[Path, str]]:
    links = []
    for page in html_files(root):
        for target in re.findall(r'(?:href|src)="([^"]+)"', page.read_text()):
            parts = urlsplit(target)
            if parts.scheme or target.startswith("#"):
                continue
            links.append((page, target))
    return links


@pytest.mark.parametrize("which", ["sample_build", "golden_build"])
def test_every_link_resolves_under_the_base_path(which: str, request: pytest.FixtureRequest) -> None:
    root: Path = request.getfixturevalue(which)
    prefix = "/bulletin/" if which == "sample_build" else "/gaoxin/"
    checked = 0
    for page, target in _local_links(root, prefix):
        path = unquote(urlsplit(target).path)
        if path.startswith("/"):
            assert path.startswith(prefix), f"{page}: {target} ignores the base path {prefix}"
            file = root / path[len(prefix):]
        else:
            file = page.parent / path
        if path.endswith("/"):
            file = file / "index.html"
        assert file.is_file(), f"{page.relative_to(root)} links to {target}, which does not exist"
        checked += 1
    assert checked > 200


def test_drafts_and_future_reports_are_left_out_unless_asked(site_copy: Path, tmp_path: Path) -> None:
    build(site_copy, tmp_path / "plain")
    pages = {p.relative_to(tmp_path / "plain").as_posix() for p in html_files(tmp_path / "plain")}
    assert not any("wei-lai" in p or "shang-wei-wan-cheng" in p for p in pages)
    assert "尚未完成的稿件" not in (tmp_path / "plain" / "feed.xml").read_text()

    build(site_copy, tmp_path / "all", BuildOptions(drafts=True, future=True))
    home = (tmp_path / "all" / "index.html").read_text()
    assert "未来的报道" in home  # the newest comes first
    assert (tmp_path / "all" / "2021/03/shang-wei-wan-cheng-de-gao-jian/index.html").is_file()

    # A report dated in the future appears once its date has come.
    build(site_copy, tmp_path / "later", BuildOptions(now=datetime(2999, 1, 2, tzinfo=timezone.utc)))
    assert (tmp_path / "later" / "2999/01/wei-lai-de-bao-dao/index.html").is_file()


def test_deleted_report_disappears_from_every_page_and_feed(site_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(site_copy, out)
    page = out / "2021/03/na-di-ji-kai-gong-qing-dao-gao-xin-qu-xiang-mu-luo-di-shi/index.html"
    assert page.is_file()
    (site_copy / "content/2021/qingdao.md").unlink()
    build(site_copy, out)
    assert not page.exists()
    for file in out.rglob("*"):
        if file.suffix in (".html", ".xml"):
            assert "拿地即开工" not in file.read_text(), f"{file} still lists the deleted report"


def test_failed_build_leaves_previous_output_untouched(site_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(site_copy, out)
    before = snapshot(out)
    # A template that fails only while rendering articles: many pages are written before it.
    (site_copy / "templates").mkdir()
    (site_copy / "templates/article.html").write_text('{% extends "base.html" %}{% block main %}{{ 1 // 0 }}{% endblock %}')
    assert main(["build", str(site_copy), "-o", str(out)]) == 1
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"]


def test_site_overrides_a_single_template(site_copy: Path, tmp_path: Path) -> None:
    (site_copy / "templates").mkdir()
    (site_copy / "templates/404.html").write_text('{% extends "base.html" %}{% block main %}<h1>找不到了</h1>{% endblock %}')
    build(site_copy, tmp_path / "out")
    assert "<h1>找不到了</h1>" in (tmp_path / "out/404.html").read_text()
    assert "<h1>最新报道</h1>" not in (tmp_path / "out/404.html").read_text()
    assert 'class="page-title">最新报道</h1>' in (tmp_path / "out/index.html").read_text()


def test_article_page_shows_what_readers_expect(golden_build: Path) -> None:
    html = (golden_build / "2021/03/chong-qing-gao-xin-qu-zhong-da-xiang-mu-ji-zhong-kai-gong/index.html").read_text()
    assert '<time datetime="2021-03-20T09:30:00+08:00">2021年3月20日</time>' in html
    assert '<a href="/gaoxin/zones/chongqing/">重庆高新区</a>' in html
    assert '<a href="/gaoxin/reporters/zhang-jie/">张洁</a> <a href="/gaoxin/reporters/wen-ming-quan/">文铭权</a>' in html
    assert '<a href="/gaoxin/tags/zhong-da-xiang-mu/">重大项目</a>' in html
    assert "阅读约 1 分钟" in html
    assert '<span class="caption">重大项目集中开工现场</span> <span class="credit">图片来源：重庆高新区</span>' in html
    assert 'src="/gaoxin/2021/03/chong-qing-gao-xin-qu-zhong-da-xiang-mu-ji-zhong-kai-gong/photos/kaigong.png"' in html
    assert "<figcaption>项目效果图：西部科学城核心区</figcaption>" in html
    body = html.split('<div class="report-body">')[1].split("</div>")[0]
    assert "<script" not in body and "alert(" not in html  # the raw HTML's script was removed
    # Images come in several widths, WebP first, with their size (no layout shift).
    assert ('<source type="image/webp" srcset="/gaoxin/2021/03/chong-qing-gao-xin-qu-zhong-da-xiang-mu-ji-zhong-kai-gong/photos/kaigong-480w.webp 480w, '
            '/gaoxin/2021/03/chong-qing-gao-xin-qu-zhong-da-xiang-mu-ji-zhong-kai-gong/photos/kaigong-960w.webp 960w, '
            '/gaoxin/2021/03/chong-qing-gao-xin-qu-zhong-da-xiang-mu-ji-zhong-kai-gong/photos/kaigong-1200w.webp 1200w"') in html
    assert 'width="1200" height="600" alt="重大项目集中开工现场" loading="eager"' in html
    assert 'rel="prev">贵阳高新区：“双第一”背后的发展密码' in html  # the newest report has no next
    assert 'rel="next"' not in html
    related = html.split('id="related-title"')[1]
    assert "拿地即开工" in related  # shares the tag 重大项目


def test_home_is_paginated_newest_first(golden_build: Path) -> None:
    first = (golden_build / "index.html").read_text()
    second = (golden_build / "page/2/index.html").read_text()
    titles = re.findall(r'class="entry-title"><a href="[^"]+">([^<]+)</a>', first + second)
    assert titles == ["重庆高新区重大项目集中开工", "贵阳高新区：“双第一”背后的发展密码",
                      "拿地即开工　青岛高新区项目落地实现“加速跑”", "贵阳高新区2020年招商成绩单"]
    assert 'rel="next" href="/gaoxin/page/2/"' in first and 'rel="prev" href="/gaoxin/"' in second


def test_zone_page_shows_its_metadata_and_the_index_counts(golden_build: Path) -> None:
    zone = (golden_build / "zones/guiyang/index.html").read_text()
    assert "贵州 · 贵阳" in zone and "贵阳国家高新技术产业开发区。" in zone and "共 2 篇报道" in zone
    index = (golden_build / "zones/index.html").read_text()
    assert re.search(r'>贵阳高新区</a> <span class="count">2 篇</span>', index)
    assert re.search(r'>青岛高新区</a> <span class="count">1 篇</span>', index)
    tags = (golden_build / "tags/index.html").read_text()
    assert re.search(r'>产业招商</a> <span class="count">3 篇</span>', tags)


def test_sitemap_and_robots(golden_build: Path) -> None:
    sitemap = (golden_build / "sitemap.xml").read_text()
    assert "<loc>https://news.example.com/gaoxin/</loc>" in sitemap
    assert "<loc>https://news.example.com/gaoxin/2020/12/guiyang-2020-zhao-shang/</loc><lastmod>2020-12-28T00:00:00+08:00</lastmod>" in sitemap
    assert "404" not in sitemap
    robots = (golden_build / "robots.txt").read_text()
    assert "Sitemap: https://news.example.com/gaoxin/sitemap.xml" in robots


def test_pages_have_chinese_typography_basics(sample_build: Path) -> None:
    css = (sample_build / "assets/style.css").read_text()
    assert "Noto Sans CJK SC" in css and "prefers-color-scheme: dark" in css and "@media print" in css
    for page in html_files(sample_build):
        html = page.read_text()
        assert html.startswith('<!DOCTYPE html>\n<html lang="zh-CN">'), page
        assert not re.search(r'(?:src|href)="(?:https?:)?//', html.split("<body")[0].replace('rel="canonical" href="https://example.org', "")), page


def test_duplicate_output_between_static_file_and_page_is_an_error(site_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (site_copy / "static").mkdir()
    (site_copy / "static/404.html").write_text("mine")
    assert main(["build", str(site_copy), "-o", str(tmp_path / "out")]) == 1
    assert "two outputs have the same path 404.html: 404 page and static/404.html" in capsys.readouterr().err


def test_static_files_are_copied(site_copy: Path, tmp_path: Path) -> None:
    (site_copy / "static").mkdir()
    (site_copy / "static/CNAME").write_text("news.example.com\n")
    build(site_copy, tmp_path / "out")
    assert (tmp_path / "out/CNAME").read_text() == "news.example.com\n"
    shutil.rmtree(site_copy / "static")
