"""A published address never breaks: the record of addresses, redirect pages, aliases and
feed entry ids that survive a retitle, a new date, a new slug and a fresh clone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest

from bulletin.build import Builder, BuildOptions, build, load_site
from bulletin.errors import BuildError, Problem
from tests.conftest import snapshot

QINGDAO = "content/2021/qingdao.md"
OLD = "2021/03/na-di-ji-kai-gong-qing-dao-gao-xin-qu-xiang-mu-luo-di-shi/"
RETITLED = "2021/03/na-di-jiu-kai-gong-qing-dao-gao-xin-qu-xiang-mu-luo-di-shi/"
HOST = "https://news.example.com/gaoxin/"
RECORD = "published.json"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _retitle(site: Path) -> None:
    _edit(site / QINGDAO, "拿地即开工", "拿地就开工")


def _build(site: Path, output: Path) -> list[Problem]:
    warnings: list[Problem] = []
    build(site, output, warnings=warnings)
    return warnings


def _assert_redirect(output: Path, old: str, new: str) -> None:
    """The page at `old` is a redirect page leading to `new` (site-relative URLs)."""
    page = output / old / "index.html" if old.endswith("/") else output / old
    html = page.read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{HOST}{new}">' in html
    assert f'<meta http-equiv="refresh" content="0; url=/gaoxin/{new}">' in html
    assert '<meta name="robots" content="noindex">' in html
    assert f'<a href="/gaoxin/{new}">' in html  # a visible link, for browsers that do not follow the refresh
    assert html.startswith("<!DOCTYPE html>\n")


def _entry_ids(output: Path, feed: str) -> dict[str, str]:
    """Title → entry id of each entry of a feed file."""
    parsed = feedparser.parse((output / feed).read_bytes())
    return {entry.title: entry.id for entry in parsed.entries}


def _record(site: Path) -> dict:
    return json.loads((site / RECORD).read_text(encoding="utf-8"))


def test_a_retitled_report_keeps_its_old_address_and_its_feed_entry(site_copy: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    _build(site_copy, output)
    old_title = "拿地即开工　青岛高新区项目落地实现“加速跑”"
    before = {feed: _entry_ids(output, feed)[old_title] for feed in ("atom.xml", "feed.xml", "zones/qingdao/atom.xml")}
    assert before["atom.xml"] == HOST + OLD  # the id a subscriber already has: unchanged on upgrade

    _retitle(site_copy)
    _build(site_copy, output)
    new_title = old_title.replace("即", "就")
    assert new_title in (output / RETITLED / "index.html").read_text(encoding="utf-8")
    _assert_redirect(output, OLD, RETITLED)
    for feed, entry_id in before.items():
        ids = _entry_ids(output, feed)
        assert old_title not in ids
        assert ids[new_title] == entry_id, f"{feed}: the entry's id changed with its headline"
    # The RSS guid is no permalink any more (it is the old address); the link is the new one.
    rss = feedparser.parse((output / "feed.xml").read_bytes())
    entry = next(e for e in rss.entries if e.title == new_title)
    assert entry.link == HOST + RETITLED and entry.guidislink is False
    sitemap = (output / "sitemap.xml").read_text(encoding="utf-8")
    assert HOST + RETITLED in sitemap and HOST + OLD not in sitemap
    assert _record(site_copy)[QINGDAO]["addresses"] == ["/" + OLD, "/" + RETITLED]


def test_a_report_moved_to_another_month_redirects_from_the_old_one(site_copy: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    _build(site_copy, output)
    _edit(site_copy / QINGDAO, "date: 2021-03-02T10:00:00+08:00", "date: 2021-04-02T10:00:00+08:00")
    _build(site_copy, output)
    moved = OLD.replace("2021/03/", "2021/04/")
    _assert_redirect(output, OLD, moved)
    assert "拿地即开工" in (output / moved / "index.html").read_text(encoding="utf-8")


def test_each_edited_slug_leads_to_the_newest_address(site_copy: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    _build(site_copy, output)
    _edit(site_copy / QINGDAO, "zone: qingdao\n", "zone: qingdao\nslug: qingdao-kaigong\n")
    _build(site_copy, output)
    _edit(site_copy / QINGDAO, "slug: qingdao-kaigong", "slug: qingdao-kai-gong")
    _build(site_copy, output)
    _assert_redirect(output, OLD, "2021/03/qingdao-kai-gong/")
    _assert_redirect(output, "2021/03/qingdao-kaigong/", "2021/03/qingdao-kai-gong/")
    ids = _entry_ids(output, "atom.xml")
    assert ids["拿地即开工　青岛高新区项目落地实现“加速跑”"] == HOST + OLD
    # Back to the first slug: the page is real again, the other two addresses lead to it.
    _edit(site_copy / QINGDAO, "slug: qingdao-kai-gong\n", "")
    _build(site_copy, output)
    assert "拿地即开工" in (output / OLD / "index.html").read_text(encoding="utf-8")
    assert "http-equiv" not in (output / OLD / "index.html").read_text(encoding="utf-8")
    _assert_redirect(output, "2021/03/qingdao-kai-gong/", OLD)
    _assert_redirect(output, "2021/03/qingdao-kaigong/", OLD)


def _alias(site: Path, *aliases: str) -> None:
    """Give qingdao.md aliases: the key is on line 7, the items on lines 8, 9, …"""
    items = "".join(f"  - {a}\n" for a in aliases)
    _edit(site / QINGDAO, "tags: [重大项目, 营商环境]\n", f"tags: [重大项目, 营商环境]\naliases:\n{items}")


def test_aliases_add_redirects_at_the_old_system_s_addresses(site_copy: Path, tmp_path: Path) -> None:
    _alias(site_copy, "/news/2021/123.html", "/old/path", "/旧/地址/")
    output = tmp_path / "out"
    _build(site_copy, output)
    _assert_redirect(output, "news/2021/123.html", OLD)
    _assert_redirect(output, "old/path/", OLD)
    _assert_redirect(output, "旧/地址/", OLD)
    assert "news/2021/123.html" not in (output / "sitemap.xml").read_text(encoding="utf-8")
    # Aliases are the report's own: the record holds only the addresses bulletin gave it.
    assert _record(site_copy)[QINGDAO]["addresses"] == ["/" + OLD]


@pytest.mark.parametrize("alias, message", [
    ("https://old.example.com/news/1.html", "is a full address"),
    ("//old.example.com/news/1.html", "is a full address"),
    ("javascript:alert(1)", "is a full address"),
    ("news/1.html", "does not start with '/'"),
    ("/news/../2021/03/x/", "holds '.' or '..'"),
    ("/news/./x/", "holds '.' or '..'"),
    ("/news//1.html", "holds an empty part"),
    ("/news/1.html?id=3", "a character a path cannot hold"),
    ("/news/1.html#top", "a character a path cannot hold"),
    ("/news\\1.html", "a character a path cannot hold"),
    ("/.git/config", "holds a hidden name"),
    ("/", "is the home page"),
    ("/zones/", "is a page or file of the site"),
    ("/feed.xml", "is a page or file of the site"),
    ("/assets/style.css", "is a page or file of the site"),
    ("/pagefind/pagefind.js", "is a page or file of the site"),
    ("/2021/03/chong-qing-gao-xin-qu-zhong-da-xiang-mu-ji-zhong-kai-gong/chart.png", "is a page or file of the site"),
    ("/2021/03/na-di-ji-kai-gong-qing-dao-gao-xin-qu-xiang-mu-luo-di-shi/", "this report's own page"),
    ("/2021/03/chong-qing-gao-xin-qu-zhong-da-xiang-mu-ji-zhong-kai-gong", "the page of content/2021/chongqing.md"),
])
def test_an_alias_that_cannot_be_an_old_address_is_an_error_naming_file_and_line(
        site_copy: Path, alias: str, message: str) -> None:
    _alias(site_copy, "/news/ok.html", alias)
    with pytest.raises(BuildError) as raised:
        load_site(site_copy, BuildOptions())
    found = [p for p in raised.value.problems if message in p.message]
    assert found, raised.value.problems
    assert (found[0].path, found[0].line) == (QINGDAO, 9)
    assert repr(alias) in found[0].message  # quoted as Python writes it: a backslash shows as \\


def test_aliases_that_are_not_a_list_of_texts_are_errors(site_copy: Path) -> None:
    _edit(site_copy / QINGDAO, "tags: [重大项目, 营商环境]\n", "tags: [重大项目, 营商环境]\naliases: {old: /x/}\n")
    with pytest.raises(BuildError) as raised:
        load_site(site_copy, BuildOptions())
    problem = next(p for p in raised.value.problems if "'aliases' must be a list" in p.message)
    assert (problem.path, problem.line) == (QINGDAO, 7)
    _edit(site_copy / QINGDAO, "aliases: {old: /x/}\n", "aliases:\n  - /x/\n  - 12\n")
    with pytest.raises(BuildError) as raised:
        load_site(site_copy, BuildOptions())
    problem = next(p for p in raised.value.problems if "each address must be a text" in p.message)
    assert (problem.path, problem.line) == (QINGDAO, 9)


def test_two_reports_cannot_share_an_alias(site_copy: Path) -> None:
    _alias(site_copy, "/news/1.html")
    _edit(site_copy / "content/2021/chongqing.md", "zone: 重庆高新区\n", "zone: 重庆高新区\naliases: [/news/1.html]\n")
    with pytest.raises(BuildError) as raised:
        load_site(site_copy, BuildOptions())
    problem = next(p for p in raised.value.problems if "is also an alias of" in p.message)
    assert (problem.path, problem.line) == ("content/2021/qingdao.md", 8)
    assert "content/2021/chongqing.md" in problem.message


def test_a_new_report_at_an_old_address_is_a_real_page_and_check_says_so(site_copy: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    _build(site_copy, output)
    _retitle(site_copy)
    _build(site_copy, output)
    _assert_redirect(output, OLD, RETITLED)
    (site_copy / "content/2021/taker.md").write_text(
        "---\ntitle: 新报道\ndate: 2021-03-05\nzone: qingdao\nslug: na-di-ji-kai-gong-qing-dao-gao-xin-qu-xiang-mu-luo-di-shi\n"
        "---\n\n新报道的正文。\n", encoding="utf-8")
    warnings = _build(site_copy, output)
    page = (output / OLD / "index.html").read_text(encoding="utf-8")
    assert "新报道的正文" in page and "http-equiv" not in page
    assert any(w.path == QINGDAO and "/" + OLD in w.message and "content/2021/taker.md" in w.message for w in warnings), warnings
    checked: list[Problem] = []
    load_site(site_copy, BuildOptions(), checked)
    assert any("is now the page of content/2021/taker.md" in w.message for w in checked)


def test_the_record_s_format_is_one_sorted_line_per_report_and_the_same_every_time(site_copy: Path, tmp_path: Path) -> None:
    (site_copy / RECORD).unlink()
    _build(site_copy, tmp_path / "out")
    text = (site_copy / RECORD).read_text(encoding="utf-8")
    lines = text.split("\n")
    assert lines[0] == "{" and lines[-2:] == ["}", ""]
    sources = ["content/2020/guiyang-2020.md", "content/2021/chongqing.md", "content/2021/guiyang.md", QINGDAO]
    assert len(lines) == len(sources) + 3  # drafts and reports not yet due are not published: not recorded
    assert lines[4] == ('"content/2021/qingdao.md": {"addresses": ["/' + OLD + '"], "feed_id": "' + HOST + OLD + '"}')
    assert [json.loads("{" + line.rstrip(",") + "}").popitem()[0] for line in lines[1:-2]] == sources
    assert text == (Path(__file__).parent / "fixtures/golden-site" / RECORD).read_text(encoding="utf-8")
    # Built again, and cold (no cache): byte for byte the same file.
    _build(site_copy, tmp_path / "out")
    assert (site_copy / RECORD).read_text(encoding="utf-8") == text
    shutil.rmtree(site_copy / ".bulletin-cache", ignore_errors=True)
    _build(site_copy, tmp_path / "cold")
    assert (site_copy / RECORD).read_text(encoding="utf-8") == text
    # After a retitle: the new address is added after the old one, twice the same.
    _retitle(site_copy)
    _build(site_copy, tmp_path / "out")
    after = (site_copy / RECORD).read_text(encoding="utf-8")
    _build(site_copy, tmp_path / "other")
    assert (site_copy / RECORD).read_text(encoding="utf-8") == after
    assert f'"addresses": ["/{OLD}", "/{RETITLED}"], "feed_id": "{HOST}{OLD}"' in after


def test_drafts_and_scheduled_reports_built_for_a_preview_are_not_recorded(site_copy: Path, tmp_path: Path) -> None:
    before = (site_copy / RECORD).read_text(encoding="utf-8")
    Builder(site_copy, tmp_path / "out", BuildOptions(drafts=True, future=True)).build()
    assert (site_copy / RECORD).read_text(encoding="utf-8") == before


def test_a_fresh_clone_with_the_record_keeps_every_redirect(site_copy: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    _build(site_copy, output)
    _retitle(site_copy)
    _edit(site_copy / "content/2021/chongqing.md", "zone: 重庆高新区\n", "zone: 重庆高新区\nslug: chongqing-kaigong\n")
    _build(site_copy, output)
    clone = tmp_path / "clone"
    shutil.copytree(site_copy, clone, ignore=shutil.ignore_patterns(".bulletin-cache"))
    assert not (clone / ".bulletin-cache").exists()
    _build(clone, tmp_path / "clone-out")
    assert snapshot(tmp_path / "clone-out") == snapshot(output)  # the redirects, and the feeds' ids
    _assert_redirect(tmp_path / "clone-out", OLD, RETITLED)
    _assert_redirect(tmp_path / "clone-out", "2021/03/chong-qing-gao-xin-qu-zhong-da-xiang-mu-ji-zhong-kai-gong/",
                     "2021/03/chongqing-kaigong/")
    # Without the record (never committed), the old address is lost: which is why check warns.
    (clone / RECORD).unlink()
    _build(clone, tmp_path / "lost")
    assert not (tmp_path / "lost" / OLD).exists()


def test_check_warns_about_a_changed_address_and_writes_nothing(site_copy: Path, tmp_path: Path) -> None:
    _build(site_copy, tmp_path / "out")
    _retitle(site_copy)
    before = snapshot(site_copy)
    result = subprocess.run([sys.executable, "-m", "bulletin", "check", str(site_copy)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (f"{QINGDAO}:2: warning: the report's address changed from /{OLD} to /{RETITLED}: "
            f"the next build keeps /{OLD} as a redirect") in result.stderr
    assert "commit published.json" in result.stderr
    assert snapshot(site_copy) == before
    # The build records it and says so, once: a rebuild with nothing new does not repeat it.
    said = [w.message for w in _build(site_copy, tmp_path / "out") if "address changed" in w.message]
    assert said == [f"the report's address changed from /{OLD} to /{RETITLED}: /{OLD} is kept as a redirect "
                    f"to the new address, and published.json records it"]
    assert not [w for w in _build(site_copy, tmp_path / "out") if "address changed" in w.message]
    warnings: list[Problem] = []
    load_site(site_copy, BuildOptions(), warnings)
    assert not [w for w in warnings if "address changed" in w.message]


def test_a_renamed_file_is_the_same_report_by_its_id_or_its_address(site_copy: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    _edit(site_copy / "content/2021/guiyang.md", "zone:", "id: gy-0319\nzone:")
    _build(site_copy, output)
    guiyang_id = _record(site_copy)["content/2021/guiyang.md"]["feed_id"]
    # Renamed and retitled: found by its id.
    (site_copy / "content/2021/guiyang.md").rename(site_copy / "content/2021/gy.md")
    _edit(site_copy / "content/2021/gy.md", "title: ", "title: 新")
    # Renamed only: found by its address.
    (site_copy / QINGDAO).rename(site_copy / "content/2021/qd.md")
    _build(site_copy, output)
    record = _record(site_copy)
    assert "content/2021/guiyang.md" not in record and QINGDAO not in record
    assert record["content/2021/gy.md"]["feed_id"] == guiyang_id and record["content/2021/gy.md"]["id"] == "gy-0319"
    assert len(record["content/2021/gy.md"]["addresses"]) == 2
    _assert_redirect(output, record["content/2021/gy.md"]["addresses"][0][1:], record["content/2021/gy.md"]["addresses"][1][1:])
    assert record["content/2021/qd.md"] == {"addresses": ["/" + OLD], "feed_id": HOST + OLD}


@pytest.mark.parametrize("value, message", [
    ("qd/0319", "may only hold letters, digits"),
    ("[1, 2]", "'id' must be a text"),
    ("gy-0319", "id 'gy-0319' is also the id of content/2021/guiyang.md"),
])
def test_an_id_that_cannot_be_a_report_s_own_is_an_error(site_copy: Path, value: str, message: str) -> None:
    _edit(site_copy / "content/2021/guiyang.md", "zone:", "id: gy-0319\nzone:")
    _edit(site_copy / QINGDAO, "zone:", f"id: {value}\nzone:")
    with pytest.raises(BuildError) as raised:
        load_site(site_copy, BuildOptions())
    problem = next(p for p in raised.value.problems if message in p.message)
    assert (problem.path, problem.line) == (QINGDAO, 4)


def test_a_rebuild_notices_a_record_changed_by_hand(site_copy: Path, tmp_path: Path) -> None:
    """A record brought by a checkout (or edited) changes the redirects even when no report
    changed, or only a report's text (which a rebuild otherwise patches in place)."""
    output = tmp_path / "out"
    builder = Builder(site_copy, output)
    builder.build()
    record = _record(site_copy)
    record[QINGDAO]["addresses"].insert(0, "/2021/03/old-qingdao/")
    (site_copy / RECORD).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    Builder(site_copy, output).build()
    _assert_redirect(output, "2021/03/old-qingdao/", OLD)
    record[QINGDAO]["addresses"].insert(0, "/2021/03/older-qingdao/")
    (site_copy / RECORD).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    _edit(site_copy / QINGDAO, "16个重点项目", "17个重点项目")
    builder.build()
    _assert_redirect(output, "2021/03/older-qingdao/", OLD)
    # Deleted: written again, though nothing else changed (the addresses it alone knew are lost,
    # as in a cold build).
    (site_copy / RECORD).unlink()
    Builder(site_copy, output).build()
    assert _record(site_copy)[QINGDAO]["addresses"] == ["/" + OLD]
    assert not (output / "2021/03/older-qingdao").exists()


def test_a_deleted_report_keeps_its_entry_and_leaves_no_redirect(site_copy: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    _build(site_copy, output)
    before = _record(site_copy)["content/2021/chongqing.md"]
    (site_copy / "content/2021/chongqing.md").unlink()
    _build(site_copy, output)
    assert _record(site_copy)["content/2021/chongqing.md"] == before  # its address stays taken
    assert not (output / before["addresses"][0][1:]).exists()  # nothing to lead to: not found


def test_a_broken_record_is_an_error_naming_it(site_copy: Path, tmp_path: Path) -> None:
    (site_copy / RECORD).write_text('{\n"content/2021/qingdao.md": {"addresses": ["/x/"\n}\n', encoding="utf-8")
    with pytest.raises(BuildError) as raised:
        build(site_copy, tmp_path / "out")
    problem = raised.value.problems[0]
    assert (problem.path, problem.line) == (RECORD, 3) and "not valid JSON" in problem.message
    (site_copy / RECORD).write_text('{\n"content/2021/qingdao.md": {"addresses": "/x/"}\n}\n', encoding="utf-8")
    with pytest.raises(BuildError) as raised:
        build(site_copy, tmp_path / "out")
    problem = raised.value.problems[0]
    assert (problem.path, problem.line) == (RECORD, 2) and "content/2021/qingdao.md" in problem.message


@pytest.mark.slow
def test_redirect_pages_are_valid_html(site_copy: Path, tmp_path: Path) -> None:
    from tests.test_html_valid import _check

    _alias(site_copy, "/news/2021/123.html")
    _build(site_copy, tmp_path / "out")
    _retitle(site_copy)
    _build(site_copy, tmp_path / "out")
    assert not _check([tmp_path / "out" / OLD / "index.html", tmp_path / "out/news/2021/123.html"])


@pytest.mark.browser
def test_the_preview_follows_a_retitled_report_to_its_new_address(site_copy: Path) -> None:
    from tests.browser import bulletin_serve, chromium

    with bulletin_serve(site_copy) as (base, _log), chromium() as browser:
        page = browser.new_page()  # type: ignore[attr-defined]
        page.goto(f"{base}/gaoxin/{OLD}")
        assert "拿地即开工" in page.inner_text("h1")
        _retitle(site_copy)  # the report has no slug: its address follows the title
        page.wait_for_function(f"location.pathname === '/gaoxin/{RETITLED}'", timeout=20000)
        page.wait_for_selector("h1:has-text('拿地就开工')", timeout=15000)
