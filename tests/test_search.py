"""Chinese full-text search in a real browser, over the sample bulletin."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest

from bulletin.build import build
from tests.browser import chromium, serve_folder
from tests.conftest import REPO

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("search")
    build(REPO, root / "bulletin")  # served under /bulletin/, as base_url says
    with serve_folder(root) as base:
        yield base, root / "bulletin"


def _reports_containing(output: Path, word: str) -> set[str]:
    """Titles of the report pages whose article text holds the word (what a reader expects)."""
    found = set()
    for page in output.glob("2021/*/*/index.html"):
        html = page.read_text()
        article = html.split("<article", 1)[1].split("</article>", 1)[0]
        # What the page marks as not part of the report (where it was printed) is not searched.
        article = re.sub(r"<(\w+)[^>]*data-pagefind-ignore[^>]*>.*?</\1>", "", article, flags=re.S)
        if word in re.sub(r"<[^>]+>", "", article):
            found.add(re.search(r"<h1>(.*?)</h1>", html).group(1))  # type: ignore[union-attr]
    return found


def _results(page: object) -> list[str]:
    """Titles of every result the search page lists (after 'more' until all are shown)."""
    page.wait_for_function("/找到|没有找到/.test(document.querySelector('.search-status').innerText)", timeout=15000)  # type: ignore[attr-defined]
    more = page.locator("button.search-more")  # type: ignore[attr-defined]
    while more.is_visible():
        more.click()
        page.wait_for_timeout(100)  # type: ignore[attr-defined]
    page.wait_for_timeout(100)  # type: ignore[attr-defined]
    return [t.strip() for t in page.locator(".search-results .search-result-title").all_inner_texts()]  # type: ignore[attr-defined]


@pytest.mark.parametrize("word", ["高新区", "集成电路", "营商环境", "生物医药", "易颖", "常彬"])
def test_search_finds_the_reports_holding_the_word(site: tuple[str, Path], word: str) -> None:
    base, output = site
    expected = _reports_containing(output, word)
    assert expected, f"no report holds {word}"
    with chromium() as browser:
        page = browser.new_page()  # type: ignore[attr-defined]
        page.goto(f"{base}/bulletin/search/?q={word}")
        titles = _results(page)
    assert sorted(titles) == sorted(expected)


def test_a_word_that_appears_nowhere_finds_nothing(site: tuple[str, Path]) -> None:
    base, _ = site
    with chromium() as browser:
        page = browser.new_page()  # type: ignore[attr-defined]
        page.goto(f"{base}/bulletin/search/?q=量子计算机")
        assert _results(page) == []
        assert page.inner_text(".search-status") == "没有找到包含“量子计算机”的报道"
        # Two words: reports holding both.
        page.goto(f"{base}/bulletin/search/?q=高新区 集成电路")
        assert _results(page) == ["贵阳高新区：“双第一”背后的发展密码"]


def test_the_search_box_on_every_page_leads_to_results(site: tuple[str, Path]) -> None:
    base, _ = site
    with chromium() as browser:
        page = browser.new_page()  # type: ignore[attr-defined]
        page.goto(f"{base}/bulletin/zones/")
        page.fill("#site-search-query", "集成电路")
        page.press("#site-search-query", "Enter")
        page.wait_for_selector(".search-result-title", timeout=15000)
        assert "/bulletin/search/?q=" in page.url


def test_search_can_be_turned_off(site_copy: Path, tmp_path: Path) -> None:
    assert "search: false" in (site_copy / "bulletin.yaml").read_text()
    build(site_copy, tmp_path / "out")
    assert not (tmp_path / "out/search").exists() and not (tmp_path / "out/pagefind").exists()
    assert 'role="search"' not in (tmp_path / "out/index.html").read_text()
