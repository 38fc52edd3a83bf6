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
