"""Every feed parses in feedparser without complaint and says what a subscriber needs."""

from __future__ import annotations

import re
from pathlib import Path

import feedparser
import pytest

from tests.conftest import REPO


def _feeds(root: Path) -> list[Path]:
    return sorted([*root.rglob("feed.xml"), *root.rglob("atom.xml")])


def test_sample_bulletin_has_site_zone_tag_and_issue_feeds(sample_build: Path) -> None:
    names = {p.relative_to(sample_build).as_posix() for p in _feeds(sample_build)}
    assert {"feed.xml", "atom.xml", "zones/guiyang/feed.xml", "zones/guiyang/atom.xml",
            "tags/sheng-wu-yi-yao/feed.xml", "tags/sheng-wu-yi-yao/atom.xml", "editions/feed.xml", "editions/atom.xml"} <= names
    assert len(names) == 2 * (1 + 8 + len(list((sample_build / "tags").glob("*/feed.xml"))) + 1)


def test_every_feed_parses_cleanly(sample_build: Path, golden_build: Path) -> None:
    feeds = _feeds(sample_build) + _feeds(golden_build)
    assert len(feeds) > 20
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.bozo == 0, f"{path}: {parsed.get('bozo_exception')}"
        assert parsed.version in ("rss20", "atom10"), path
        assert parsed.entries, f"{path} has no entries"
        dates = [e.published_parsed for e in parsed.entries]
        assert dates == sorted(dates, reverse=True), f"{path}: entries are not newest first"


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_site_feed_entries_carry_full_content_authors_and_tags(sample_build: Path, name: str) -> None:
    parsed = feedparser.parse((sample_build / name).read_bytes())
    assert parsed.feed.title == "高新区新闻公报"
    assert parsed.feed.link == "https://example.org/bulletin/"
    assert len(parsed.entries) == 8
    by_title = {e.title: e for e in parsed.entries}
    guiyang = by_title["贵阳高新区：“双第一”背后的发展密码"]
    assert guiyang.link.startswith("https://example.org/bulletin/2021/03/")
    assert guiyang.author == "易颖"
    assert {t.term for t in guiyang.tags} == {"产业招商", "营商环境", "企业服务"}
    html = guiyang.content[0].value
    assert "<h2" in html and "围绕产业" in html and "企业满意率100%" in html  # the whole report, not a summary
    zigong = by_title["26个项目落户自贡高新区"]
    assert {a.name for a in zigong.authors} >= {"张洁"} if name == "atom.xml" else "张洁" in zigong.author


def test_zone_feed_holds_only_that_zones_reports(sample_build: Path) -> None:
    parsed = feedparser.parse((sample_build / "zones/chengdu/atom.xml").read_bytes())
    assert [e.title for e in parsed.entries] == ["成都高新区发布首批医药健康产业机会清单"]
    assert parsed.feed.links[0].href.endswith("/zones/chengdu/atom.xml") or any(
        l.rel == "self" and l.href == "https://example.org/bulletin/zones/chengdu/atom.xml" for l in parsed.feed.links)


def test_feed_content_links_are_absolute(golden_build: Path) -> None:
    parsed = feedparser.parse((golden_build / "feed.xml").read_bytes())
    entry = next(e for e in parsed.entries if e.title == "重庆高新区重大项目集中开工")
    html = entry.content[0].value
    sources = re.findall(r'src="([^"]+)"', html)
    assert sources == ["https://news.example.com/gaoxin/2021/03/chong-qing-gao-xin-qu-zhong-da-xiang-mu-ji-zhong-kai-gong/chart.png"]
    assert "<script" not in html


def test_feeds_are_limited_and_dated_by_their_newest_entry(golden_build: Path) -> None:
    parsed = feedparser.parse((golden_build / "atom.xml").read_bytes())
    assert len(parsed.entries) == 3  # feed_limit: 3 in the fixture's bulletin.yaml
    assert parsed.feed.updated == "2021-03-20T09:30:00+08:00"


def test_pages_advertise_their_feeds(sample_build: Path) -> None:
    home = (sample_build / "index.html").read_text()
    assert '<link rel="alternate" type="application/rss+xml" title="高新区新闻公报（RSS）" href="/bulletin/feed.xml">' in home
    zone = (sample_build / "zones/guiyang/index.html").read_text()
    assert 'type="application/atom+xml" title="贵阳高新区 - 高新区新闻公报（Atom）" href="/bulletin/zones/guiyang/atom.xml"' in zone
    tag = (sample_build / "tags/sheng-wu-yi-yao/index.html").read_text()
    assert 'href="/bulletin/tags/sheng-wu-yi-yao/feed.xml"' in tag
    assert REPO.exists()
