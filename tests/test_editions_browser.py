"""The page view in a real browser: newspaper columns on a desktop, one column on a phone, and
clean paper in print. Screenshots and PDFs go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from bulletin.build import build
from tests.browser import ARTIFACTS, chromium, free_port, wait_for_http
from tests.conftest import REPO

pytestmark = pytest.mark.browser

PAGE_VIEW = "/bulletin/editions/2021-03-31/06/"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sample bulletin built under /bulletin/ (its base path) and served over HTTP."""
    root = tmp_path_factory.mktemp("served")
    build(REPO, root / "bulletin")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(root)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(base + "/bulletin/")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def _headline_boxes(page: object) -> list[dict[str, float]]:
    return page.eval_on_selector_all(  # type: ignore[attr-defined]
        ".press-body p", "ps => ps.map(p => { const r = p.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width}; })")


def test_page_view_is_laid_out_in_columns_on_a_desktop(served: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})  # type: ignore[attr-defined]
        page.goto(served + PAGE_VIEW)
        page.wait_for_load_state("networkidle")
        assert page.eval_on_selector(".sheet", "e => getComputedStyle(e).columnCount") == "4"
        # The lead report's paragraphs run in several columns side by side under its headline.
        lead = page.eval_on_selector_all(
            ".press-lead .press-body p", "ps => ps.map(p => Math.round(p.getBoundingClientRect().x))")
        assert len(set(lead)) >= 3, lead
        headline = page.eval_on_selector(".press-lead .press-title", "e => e.getBoundingClientRect().width")
        column = page.eval_on_selector(".press-lead .press-body p", "e => e.getBoundingClientRect().width")
        assert headline > 3 * column, (headline, column)  # the headline spans the columns
        # Every report is there, in the order printed, each linking to its own page.
        titles = page.eval_on_selector_all(".press-title a", "as => as.map(a => a.textContent)")
        assert titles[0] == "贵阳高新区：“双第一”背后的发展密码" and len(titles) == 8
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(ARTIFACTS / "edition-page-desktop.png"), full_page=True)

        page.click(".press-lead .press-title a")
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/bulletin/2021/03/gui-yang-gao-xin-qu-shuang-di-yi-bei-hou-de-fa-zhan-mi-ma/")
        printed = page.inner_text(".printed")
        assert printed == "刊于 2021年3月31日 第1583期 第6版 高新区"
        page.click(".printed a[href*='/06/']")
        page.wait_for_load_state("networkidle")
        assert page.url.endswith(PAGE_VIEW + "#item-1")


def test_page_view_is_one_column_on_a_phone(served: str) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)  # type: ignore[attr-defined]
        page.goto(served + PAGE_VIEW)
        page.wait_for_load_state("networkidle")
        xs = page.eval_on_selector_all(".press-body p", "ps => ps.map(p => Math.round(p.getBoundingClientRect().x))")
        assert len(set(xs)) == 1, set(xs)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(ARTIFACTS / "edition-page-phone.png"), full_page=False)


def test_page_view_prints_cleanly(served: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})  # type: ignore[attr-defined]
        page.goto(served + PAGE_VIEW)
        page.wait_for_load_state("networkidle")
        page.emulate_media(media="print")
        for hidden in (".site-nav", ".sheet-nav", ".site-footer", ".press-link"):
            assert not page.is_visible(hidden), f"{hidden} is printed"
        assert page.is_visible(".folio")  # the page's head: paper, page and date
        assert page.eval_on_selector(".sheet", "e => getComputedStyle(e).columnCount") == "5"
        page.screenshot(path=str(ARTIFACTS / "edition-page-print.png"), full_page=True)

        # On paper: A4 holds three columns, A3 five; both print every report, and nothing is cut.
        widths = {}
        for paper, width_mm in (("A4", 210), ("A3", 297)):
            pdf = page.pdf(format=paper, print_background=False)
            (ARTIFACTS / f"edition-page-{paper}.pdf").write_bytes(pdf)
            assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
            # The same layout at the paper's text width, as the browser lays it out for print.
            page.set_viewport_size({"width": round((width_mm - 20) / 25.4 * 96), "height": 1000})
            widths[paper] = page.eval_on_selector(".sheet", "e => getComputedStyle(e).columnCount")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), paper
        assert widths == {"A4": "3", "A3": "5"}
