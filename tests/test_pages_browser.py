"""Every page type in a real browser: no errors, no sideways scrolling from phone to desktop,
accessible (axe-core, WCAG 2.1 A/AA, light and dark), usable from the keyboard. Full-page
screenshots of each page type at phone and desktop width are saved in tests/artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from bulletin.build import build
from tests.browser import ARTIFACTS, chromium, serve_folder
from tests.conftest import REPO

pytestmark = pytest.mark.browser

AXE = REPO / "node_modules/axe-core/axe.min.js"
PAGES = {
    "home": "/bulletin/",
    "article": "/bulletin/2021/03/gui-yang-gao-xin-qu-shuang-di-yi-bei-hou-de-fa-zhan-mi-ma/",
    "zone": "/bulletin/zones/guiyang/",
    "zone-index": "/bulletin/zones/",
    "tag": "/bulletin/tags/ying-shang-huan-jing/",
    "tag-index": "/bulletin/tags/",
    "reporter": "/bulletin/reporters/yi-ying/",
    "reporter-index": "/bulletin/reporters/",
    "archive": "/bulletin/archive/",
    "archive-month": "/bulletin/archive/2021/03/",
    "search": "/bulletin/search/?q=集成电路",
    "not-found": "/bulletin/404.html",
}
WIDTHS = (360, 768, 1024, 1440)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("pages")
    build(REPO, root / "bulletin")
    with serve_folder(root) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as instance:
        yield instance


def _open(browser: object, url: str, width: int, scheme: str = "light") -> tuple[object, list[str]]:
    page = browser.new_page(viewport={"width": width, "height": 800}, color_scheme=scheme)  # type: ignore[attr-defined]
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status}: {r.url}"))
    page.goto(url, wait_until="networkidle")
    return page, problems


@pytest.mark.parametrize("kind", list(PAGES))
def test_page_works_from_phone_to_desktop(base: str, browser: object, kind: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        page, problems = _open(browser, base + PAGES[kind], width)
        try:
            assert problems == [], f"{kind} at {width}px: {problems}"
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")  # type: ignore[attr-defined]
            assert overflow <= 0, f"{kind} scrolls sideways by {overflow}px at {width}px"
            if width in (360, 1440):
                page.screenshot(path=str(ARTIFACTS / f"{kind}-{width}.png"), full_page=True)  # type: ignore[attr-defined]
        finally:
            page.close()  # type: ignore[attr-defined]


def test_report_text_is_readable_on_a_phone(base: str, browser: object) -> None:
    page, _ = _open(browser, base + PAGES["article"], 360)
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.report-body p')).fontSize)")  # type: ignore[attr-defined]
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.report-body p')).lineHeight)")  # type: ignore[attr-defined]
    width = page.evaluate("document.querySelector('.report-body').getBoundingClientRect().width")  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]
    assert size >= 16 and line >= size * 1.5 and width >= 300
    # Chinese glyphs come from a CJK font, not a fallback box.
    page, _ = _open(browser, base + PAGES["article"], 1440)
    fonts = page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '高新区')")  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]
    assert fonts


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", list(PAGES))
def test_no_accessibility_violations(base: str, browser: object, kind: str, scheme: str) -> None:
    page, _ = _open(browser, base + PAGES[kind], 1024, scheme)
    if kind == "search":
        page.wait_for_selector(".search-result-title", timeout=15000)  # type: ignore[attr-defined]
    page.add_script_tag(path=str(AXE))  # type: ignore[attr-defined]
    violations = page.evaluate("""async () => {
        const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return result.violations.map(v => v.id + ': ' + v.help + ' — ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""")  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]
    assert violations == [], f"{kind} ({scheme}): {violations}"


def test_keyboard_reaches_every_link_and_the_search_box_with_visible_focus(base: str, browser: object) -> None:
    page, _ = _open(browser, base + PAGES["article"], 1024)
    links = page.evaluate("document.querySelectorAll('a[href], input, button').length")  # type: ignore[attr-defined]
    reached: list[str] = []
    for _ in range(links + 5):
        page.keyboard.press("Tab")  # type: ignore[attr-defined]
        focused = page.evaluate("""() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {tag: el.tagName, text: (el.innerText || el.id || '').trim().slice(0, 20), cls: el.className,
                    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2, visible: el.getBoundingClientRect().height > 0};
        }""")  # type: ignore[attr-defined]
        if focused["tag"] == "BODY":
            break
        assert focused["outline"] and focused["visible"], f"no visible focus on {focused}"
        reached.append(focused["cls"] or focused["text"] or focused["tag"])
    assert reached[0] == "skip-link"
    assert "site-search-query" in reached
    assert len(reached) >= links  # every link, field and button took the focus
    # The skip link jumps to the main content.
    page.goto(base + PAGES["article"])  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    assert page.evaluate("document.activeElement.id") == "main"  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_axe_finds_violations_where_there_are_some(browser: object, tmp_path: Path) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_content('<html><body><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><a href="#"></a></body></html>')  # type: ignore[attr-defined]
    page.add_script_tag(path=str(AXE))  # type: ignore[attr-defined]
    ids = page.evaluate("async () => (await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})).violations.map(v => v.id)")  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]
    assert {"image-alt", "html-has-lang", "link-name"} <= set(ids)
