"""Rich previews: canonical URL, OpenGraph, Twitter cards and JSON-LD that parse and say the truth."""

from __future__ import annotations

import json
import re
from pathlib import Path


def _json_ld(html: str) -> list[dict]:
    return [json.loads(block) for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]


def _meta(html: str, key: str) -> list[str]:
    return re.findall(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', html)


def test_article_metadata(golden_build: Path) -> None:
    html = (golden_build / "2021/03/chong-qing-gao-xin-qu-zhong-da-xiang-mu-ji-zhong-kai-gong/index.html").read_text()
    url = "https://news.example.com/gaoxin/2021/03/chong-qing-gao-xin-qu-zhong-da-xiang-mu-ji-zhong-kai-gong/"
    assert f'<link rel="canonical" href="{url}">' in html
    assert _meta(html, "og:type") == ["article"] and _meta(html, "og:url") == [url]
    assert _meta(html, "og:image") == [url + "photos/kaigong.png"]
    assert _meta(html, "twitter:card") == ["summary_large_image"]
    assert _meta(html, "article:tag") == ["重大项目", "产业招商"]
    [data] = _json_ld(html)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "重庆高新区重大项目集中开工"
    assert data["datePublished"] == "2021-03-20T09:30:00+08:00"
    assert [a["name"] for a in data["author"]] == ["张洁", "文铭权"]
    assert data["publisher"] == {"@type": "Organization", "name": "测试编辑部", "url": "https://news.example.com/gaoxin/"}
    assert data["image"] == [url + "photos/kaigong.png"]
    assert data["contentLocation"]["name"] == "重庆高新区"
    assert data["contentLocation"]["address"]["addressRegion"] == "重庆"


def test_zone_and_tag_pages_are_collection_pages(golden_build: Path) -> None:
    for path, name in (("zones/guiyang/index.html", "贵阳高新区"), ("tags/chan-ye-zhao-shang/index.html", "产业招商")):
        [data] = _json_ld((golden_build / path).read_text())
        assert data["@type"] == "CollectionPage" and data["name"] == name
        items = data["mainEntity"]["itemListElement"]
        assert items and all(i["url"].startswith("https://news.example.com/gaoxin/") for i in items)


def test_home_links_the_site_feeds_and_describes_the_site(golden_build: Path) -> None:
    html = (golden_build / "index.html").read_text()
    assert 'type="application/rss+xml" title="测试公报（RSS）" href="/gaoxin/feed.xml"' in html
    assert 'type="application/atom+xml" title="测试公报（Atom）" href="/gaoxin/atom.xml"' in html
    [data] = _json_ld(html)
    assert data["@type"] == "WebSite" and data["url"] == "https://news.example.com/gaoxin/"


def test_json_ld_cannot_be_broken_out_of(tmp_path: Path) -> None:
    from bulletin.theme import json_ld

    text = str(json_ld({"headline": "</script><script>alert(1)</script> & <!--"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["headline"] == "</script><script>alert(1)</script> & <!--"
