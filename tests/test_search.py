"""Chinese full-text search in a real browser, over the sample bulletin, with each Pagefind a
user may have: npm's (in bulletin's node_modules) and PyPI's (a dependency of bulletin)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Iterator

import pytest

from bulletin import search
from bulletin.build import build
from bulletin.cli import main
from tests.browser import chromium, serve_folder
from tests.conftest import REPO


def _npm_version() -> str:
    return str(json.loads((REPO / "node_modules/pagefind/package.json").read_text())["version"])


# Each Pagefind with the version its package says it is: the index built with it must say so too.
PAGEFINDS = [
    pytest.param((search.npm_pagefind(), _npm_version), id="npm",
                 marks=pytest.mark.skipif(search.npm_pagefind() is None, reason="npm's Pagefind is not installed (npm ci)")),
    pytest.param((search.pypi_pagefind(), lambda: metadata.version("pagefind-bin-extended")), id="pypi",
                 marks=pytest.mark.skipif(search.pypi_pagefind() is None, reason="pagefind-bin-extended is not installed")),
]


def _index_version(output: Path) -> str:
    return str(json.loads((output / "pagefind/pagefind-entry.json").read_text())["version"])


@pytest.fixture(scope="module", params=PAGEFINDS)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    binary, version = request.param
    root = tmp_path_factory.mktemp("search")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(search.ENV, str(binary))
        build(REPO, root / "bulletin")  # served under /bulletin/, as base_url says
    assert _index_version(root / "bulletin") == version()
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
    listed = "document.querySelector('.search-results').getAttribute('aria-busy') === 'false'"
    page.wait_for_function(f"/找到|没有找到/.test(document.querySelector('.search-status').innerText) && {listed}",  # type: ignore[attr-defined]
                           timeout=15000)
    more = page.locator("button.search-more")  # type: ignore[attr-defined]
    while more.is_visible():
        more.click()
        page.wait_for_function(listed, timeout=15000)  # type: ignore[attr-defined]
    return [t.strip() for t in page.locator(".search-results .search-result-title").all_inner_texts()]  # type: ignore[attr-defined]


@pytest.mark.browser
@pytest.mark.parametrize("word", ["高新区", "集成电路", "营商环境", "生物医药", "易颖", "常彬", "IC创新",
                                  '"高新区"', '"营商环境"'])
def test_search_finds_the_reports_holding_the_word(site: tuple[str, Path], word: str) -> None:
    base, output = site
    expected = _reports_containing(output, word.strip('"'))
    assert expected, f"no report holds {word}"
    with chromium() as browser:
        page = browser.new_page()  # type: ignore[attr-defined]
        page.goto(f"{base}/bulletin/search/?q={word}")
        titles = _results(page)
        marks = page.locator(".search-excerpt mark").all_inner_texts()
    assert sorted(titles) == sorted(expected)
    # The excerpts show the word highlighted whole.
    assert word.strip('"') in [m.strip() for m in marks]


@pytest.mark.browser
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
        page.goto(f"{base}/bulletin/search/?q=高新区，集成电路")  # Chinese punctuation separates words too
        assert _results(page) == ["贵阳高新区：“双第一”背后的发展密码"]


@pytest.mark.browser
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


# Which Pagefind runs. A site is data: programs come from bulletin's installation or an explicit
# setting (BULLETIN_PAGEFIND), never from the site's folders.

def _search_on(site: Path) -> Path:
    config = site / "bulletin.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("search: false", "search: true"), encoding="utf-8")
    return site


def _program(path: Path, script: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return path


def _plant(site: Path, marker: Path) -> None:
    """A hostile site's Pagefind: it writes a marker and says it is a fine Pagefind."""
    for rel in ("node_modules/.bin/pagefind", "node_modules/.bin/pagefind_extended",
                "node_modules/@pagefind/linux-x64/bin/pagefind_extended",
                "node_modules/@pagefind/linux-arm64/bin/pagefind_extended",
                "node_modules/@pagefind/darwin-arm64/bin/pagefind_extended"):
        _program(site / rel, f'echo "$0 $*" >> "{marker}"\necho "pagefind 9.9.9"\n')


def _no_installed_pagefind(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """bulletin installed without npm's Pagefind and without pagefind-bin-extended."""
    monkeypatch.delenv(search.ENV, raising=False)
    monkeypatch.setattr(search, "REPO", tmp_path / "installation")
    monkeypatch.setitem(sys.modules, "pagefind_bin_extended", None)  # import fails, as when not installed


def _any_pagefind() -> Path:
    found = search.npm_pagefind() or search.pypi_pagefind()
    if found is None:
        pytest.skip("no Pagefind is installed")
    return found


posix_only = pytest.mark.skipif(os.name == "nt", reason="the stand-in programs are shell scripts")


@posix_only
def test_a_pagefind_inside_the_site_is_never_run(site_copy: Path, tmp_path: Path) -> None:
    site = _search_on(site_copy)
    marker = tmp_path / "ran"
    _plant(site, marker)
    # As `npm run build` in the site would: its node_modules/.bin first on PATH, the site the
    # current folder.
    env = {**os.environ, "PATH": os.pathsep.join([str(site / "node_modules/.bin"), "node_modules/.bin", os.environ["PATH"]])}
    env.pop(search.ENV, None)
    result = subprocess.run([sys.executable, "-m", "bulletin", "build", "-o", str(tmp_path / "out")], cwd=site, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert not marker.exists(), marker.read_text()
    assert _index_version(tmp_path / "out") in (_npm_version() if search.npm_pagefind() else None,
                                                metadata.version("pagefind-bin-extended"))


@posix_only
def test_pagefind_on_path_is_used_but_never_the_sites(site_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = _search_on(site_copy)
    marker = tmp_path / "ran"
    _plant(site, marker)
    installed = _any_pagefind()
    _no_installed_pagefind(monkeypatch, tmp_path)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin/pagefind").symlink_to(installed)
    monkeypatch.setenv("PATH", os.pathsep.join([str(site / "node_modules/.bin"), str(tmp_path / "bin")]))
    build(site, tmp_path / "out")
    assert not marker.exists(), marker.read_text()
    assert (tmp_path / "out/pagefind/pagefind-entry.json").is_file()


def test_npm_pagefind_is_preferred_and_pypi_is_used_without_it(site_copy: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    if search.npm_pagefind() is None or search.pypi_pagefind() is None:
        pytest.skip("needs both npm's Pagefind (npm ci) and pagefind-bin-extended")
    site = _search_on(site_copy)
    monkeypatch.delenv(search.ENV, raising=False)
    build(site, tmp_path / "with-npm")
    assert _index_version(tmp_path / "with-npm") == _npm_version()
    monkeypatch.setattr(search, "REPO", tmp_path / "installation")  # bulletin installed by pip alone
    build(site, tmp_path / "pip-only")
    assert _index_version(tmp_path / "pip-only") == metadata.version("pagefind-bin-extended")
    # Pagefind is given the pages with Chinese split into characters; readers get them as written.
    for output in (tmp_path / "with-npm", tmp_path / "pip-only"):
        pages = list(output.rglob("*.html"))
        assert pages and not any("\u200b" in p.read_text(encoding="utf-8") for p in pages)


@posix_only
def test_no_pagefind_says_what_to_run(site_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    site = _search_on(site_copy)
    marker = tmp_path / "ran"
    _plant(site, marker)
    installed = _any_pagefind()
    _no_installed_pagefind(monkeypatch, tmp_path)
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", os.pathsep.join([str(site / "node_modules/.bin"), str(tmp_path / "empty")]))
    assert main(["build", str(site), "-o", str(tmp_path / "out")]) == 1
    said = capsys.readouterr().err
    assert "search is on, but no usable Pagefind was found" in said
    assert f'{sys.executable} -m pip install "pagefind-bin-extended>=1.5.2,<2"' in said
    assert "BULLETIN_PAGEFIND" in said and "`search: false` in bulletin.yaml" in said
    assert "npm" not in said and "Traceback" not in said
    assert not (tmp_path / "out").exists() and not marker.exists()
    # `check` finds the same problem, before anything is rendered.
    assert main(["check", str(site)]) == 1
    checked = capsys.readouterr().err
    assert "search is on, but no usable Pagefind was found" in checked and "Traceback" not in checked
    # Doing what it says works.
    monkeypatch.setenv(search.ENV, str(installed))
    assert main(["check", str(site)]) == 0
    assert main(["build", str(site), "-o", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out/pagefind/pagefind-entry.json").is_file()


NOT_EXTENDED = """case "$1" in --version) echo "pagefind 1.5.2"; exit 0;; esac
echo "⚠ Indexing Chinese in non-extended mode."
echo "In this mode, Pagefind will not segment words that are not whitespace separated."
"""


@posix_only
@pytest.mark.parametrize("program, says", [
    (None, "BULLETIN_PAGEFIND names {path}, which does not exist"),
    ('echo "pagefind 1.4.0"\n', "BULLETIN_PAGEFIND names {path}, which is Pagefind 1.4.0; bulletin needs 1.5 or newer"),
    ('echo "hello"\n', "BULLETIN_PAGEFIND names {path}, which does not answer `--version` as Pagefind does"),
    (NOT_EXTENDED, "Pagefind 1.5.2 at {path} (BULLETIN_PAGEFIND) is not the extended build"),
], ids=["missing", "too-old", "not-pagefind", "not-extended"])
def test_an_unusable_pagefind_is_a_clear_error(site_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str], program: str | None, says: str) -> None:
    site = _search_on(site_copy)
    path = tmp_path / "pagefind"
    if program is not None:
        _program(path, program)
    monkeypatch.setenv(search.ENV, str(path))
    assert main(["build", str(site), "-o", str(tmp_path / "out")]) == 1
    said = capsys.readouterr().err
    assert says.format(path=path) in said
    assert "Traceback" not in said and not (tmp_path / "out").exists()
