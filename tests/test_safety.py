"""Nothing lost, nothing injected: failed builds, foreign files, links out of the site, hostile
names, bad input of every kind, and random input through the whole pipeline."""

from __future__ import annotations

import html.parser
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulletin.build import Builder, build
from bulletin.cli import main
from tests.conftest import REPO, html_files, snapshot



def _report(title: str = "报道", zone: str = "guiyang", body: str = "正文。", extra: str = "") -> str:
    return f"---\ntitle: {title}\ndate: 2021-03-10\nzone: {zone}\n{extra}---\n\n{body}\n"


# Output that is never half-written or stale --------------------------------------------------

def test_files_bulletin_did_not_write_are_kept_and_named(site_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["build", str(site_copy), "-o", str(out)]) == 0
    (out / "CNAME").write_text("news.example.com\n")
    (out / ".well-known").mkdir()
    (out / ".well-known/security.txt").write_text("Contact: x\n")
    (site_copy / "content/2021/qingdao.md").unlink()
    capsys.readouterr()
    assert main(["build", str(site_copy), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: kept 2 files in the output that bulletin did not write: .well-known/security.txt, CNAME" in err
    assert (out / "CNAME").read_text() == "news.example.com\n"
    assert (out / ".well-known/security.txt").is_file()
    assert not list(out.glob("2021/03/na-di-ji-kai-gong*"))  # but a deleted report's page is gone
    # Found again by later builds, with any file put since into a folder bulletin writes to.
    (out / "zones/notes.txt").write_text("mine\n")
    (site_copy / "content/2021/chongqing.md").unlink()
    assert main(["build", str(site_copy), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: kept 3 files in the output that bulletin did not write: .well-known/security.txt, CNAME, zones/notes.txt" in err
    assert (out / "zones/notes.txt").read_text() == "mine\n"


def test_a_folder_that_is_not_a_bulletin_build_is_not_emptied(site_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "existing"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    warnings: list = []
    build(site_copy, out, warnings=warnings)
    assert (out / "notes.txt").read_text() == "mine"
    assert any("notes.txt" in w.message for w in warnings)


def _large_site(tmp_path: Path, count: int = 500) -> Path:
    site = tmp_path / "large"
    (site / "content").mkdir(parents=True)
    shutil.copy(REPO / "bulletin.yaml", site / "bulletin.yaml")
    sources = sorted((REPO / "content/2021").glob("*.md"))
    for n in range(count):
        text = sources[n % len(sources)].read_text(encoding="utf-8")
        text = text.replace("title: ", f"title: 第{n}篇 ", 1)
        # Web-only copies: the printed page has one report in each position.
        text = re.sub(r"^(?:edition|page|position): .*\n", "", text, flags=re.M)
        (site / "content" / f"{n}.md").write_text(text, encoding="utf-8")
    return site


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["killed", "ctrl-c"])
def test_an_interrupted_build_leaves_the_old_output_intact(tmp_path: Path, how: signal.Signals) -> None:
    site = _large_site(tmp_path)
    out = tmp_path / "out"
    build(site, out)
    before = snapshot(out)
    for n in range(500):  # every page changes, so the build has much to write
        report = site / "content" / f"{n}.md"
        report.write_text(report.read_text(encoding="utf-8").replace("title: 第", "title: 新第", 1), encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "bulletin", "build", str(site), "-o", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    staging = tmp_path / ".out.staging"
    deadline = time.monotonic() + 60
    while not (staging.is_dir() and sum(1 for p in staging.rglob("*") if p.is_file()) > 50):
        assert process.poll() is None, "the build ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    process.send_signal(how)
    _, err = process.communicate(timeout=30)
    assert snapshot(out) == before
    if how == signal.SIGINT:
        assert process.returncode == 130
        assert err.strip() == "bulletin: interrupted; the output folder was left as it was"
        assert not staging.exists()
    build(site, out)  # the next build cleans up and succeeds
    assert not staging.exists()
    assert "新第" in (out / "index.html").read_text()


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))


def test_a_full_disk_leaves_the_old_output_intact(site_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(site_copy, out)
    before = snapshot(out)
    (site_copy / "content/2021/guiyang.md").write_text(_report("很长的报道", body="长" * 30_000), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bulletin", "build", str(site_copy), "-o", str(out)],
                            capture_output=True, text=True, preexec_fn=_limit_file_size, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("bulletin: cannot write ")
    assert "File too large" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(out) == before


# Nothing outside the output folder -----------------------------------------------------------

def test_a_report_linked_from_outside_the_site_is_refused(site_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text(_report("外部文件"))
    (site_copy / "content/2021/outside.md").symlink_to(secret)
    (site_copy / "content/linked-folder").symlink_to(tmp_path)
    (site_copy / "content/loop").symlink_to(site_copy / "content")  # inside the site: followed once
    image_target = tmp_path / "photo.png"
    image_target.write_bytes(b"\x89PNG")
    (site_copy / "content/2021/photo.png").symlink_to(image_target)
    (site_copy / "content/2021/with-image.md").write_text(_report("有图", body="![图](photo.png)"))
    assert main(["build", str(site_copy), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "content/2021/outside.md: this is a symbolic link to something outside the site" in err
    assert "content/linked-folder: this is a symbolic link to something outside the site" in err
    assert "content/2021/with-image.md:7: image 'photo.png' is a symbolic link to something outside the site" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("slug", ["../../etc/x", "/etc/passwd", "a/b", "..", "CON"])
def test_slugs_that_would_leave_the_output_are_refused(site_copy: Path, tmp_path: Path, slug: str, capsys: pytest.CaptureFixture[str]) -> None:
    (site_copy / "content/2021/evil.md").write_text(_report("恶意", extra=f"slug: '{slug}'\n"))
    assert main(["build", str(site_copy), "-o", str(tmp_path / "out")]) == 1
    assert "content/2021/evil.md:5: slug" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_zone_slug_with_a_slash_is_refused(site_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = site_copy / "bulletin.yaml"
    config.write_text(config.read_text().replace("slug: guiyang", "slug: ../../guiyang"))
    assert main(["build", str(site_copy), "-o", str(tmp_path / "out")]) == 1
    assert "bulletin.yaml:9: zone '贵阳高新区': slug '../../guiyang' is not valid" in capsys.readouterr().err


# Escaping -------------------------------------------------------------------------------------

HOSTILE = "<script>alert('x')</script> & \"引号\" ]]> '单引号'"


class _Elements(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        # The theme's own scripts load from the site; JSON-LD is data. Anything else is injected.
        if tag == "script" and ((values.get("src") or "").startswith("/gaoxin/") or values.get("type") == "application/ld+json"):
            tag = "own-script"
        self.tags.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def test_hostile_names_stay_text_everywhere(site_copy: Path, tmp_path: Path) -> None:
    config = site_copy / "bulletin.yaml"
    config.write_text(config.read_text().replace("search: false", "search: true").replace("  - name: 青岛高新区\n", f"  - name: '{HOSTILE.replace(chr(39), chr(39) * 2)}'\n"))
    escaped = HOSTILE.replace("'", "''")
    (site_copy / "content/2021/hostile.md").write_text(
        f"---\ntitle: '{escaped}'\ndate: 2021-03-10\nzone: qingdao\nreporter: ['{escaped}']\ntags: ['{escaped}', 'a&b']\n"
        f"summary: '{escaped}'\n---\n\n正文 <img src=x onerror=alert(1)> [点](javascript:alert(1))\n")
    out = tmp_path / "out"
    build(site_copy, out)
    pages = html_files(out)
    assert len(pages) > 20
    for page in pages:
        parser = _Elements()
        parser.feed(page.read_text())
        assert "script" not in parser.tags and not parser.handlers, page
    article = next(p for p in pages if "hostile" in p.read_text() or "script" in p.read_text() and "2021/03" in str(p))
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;引号&#34; ]]&gt;" in article.read_text()
    for feed in [*out.rglob("feed.xml"), *out.rglob("atom.xml"), out / "sitemap.xml"]:
        ET.parse(feed)  # well-formed XML
    parsed = feedparser.parse((out / "atom.xml").read_bytes())
    assert parsed.bozo == 0
    assert any(e.title == HOSTILE for e in parsed.entries)


# Bad input: clear errors or correct output, in bounded time, never a traceback ----------------

BAD_INPUT = {
    "utf-8 with BOM": ("\ufeff" + _report("带BOM的报道")).encode(),
    "CRLF line ends": _report("Windows换行").replace("\n", "\r\n").encode(),
    "old Mac line ends": _report("旧式换行").replace("\n", "\r").encode(),
    "front-matter is a scalar": b"---\njust a line\n---\n\nbody\n",
    "front-matter is a list": b"---\n- a\n---\n\nbody\n",
    "GBK bytes": "---\ntitle: 编码\n---\n".encode("gbk"),
    "NUL bytes": b"---\ntitle: a\x00b\n---\n",
    "binary": bytes(range(256)) * 4,
    "only dashes": b"---\n---\n",
    "YAML anchors bomb": b"---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n---\n\nbody\n",
    "deep YAML nesting": b"---\ntitle: " + b"[" * 5000 + b"\n---\n",
    "10,000 nested block quotes": _report("引用", body=">" * 10_000 + " 深").encode(),
    "10,000 nested brackets": _report("括号", body="[" * 10_000 + "x" + "]" * 10_000).encode(),
    "10,000 nested emphasis": _report("强调", body="*" * 10_000 + "x" + "*" * 10_000).encode(),
    "10,000 nested lists": _report("列表", body="".join("  " * n + "- x\n" for n in range(0, 2000))).encode(),
}


@pytest.mark.parametrize("name", list(BAD_INPUT))
def test_bad_input_gives_a_clear_answer(site_copy: Path, tmp_path: Path, name: str) -> None:
    (site_copy / "content/2021/bad.md").write_bytes(BAD_INPUT[name])
    result = subprocess.run([sys.executable, "-m", "bulletin", "build", str(site_copy), "-o", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr, result.stderr
    if result.returncode == 1:
        assert result.stderr.startswith("content/2021/bad.md"), result.stderr
        assert not (tmp_path / "out").exists()
    else:
        assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_a_10_mb_report_builds(site_copy: Path, tmp_path: Path) -> None:
    paragraph = "贵阳高新区围绕重点产业发展导向，累计对接洽谈优强名企。\n" * 20 + "\n"
    body = paragraph * (10_000_000 // len(paragraph.encode()))
    (site_copy / "content/2021/huge.md").write_text(_report("一篇很长的报道", body=body), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bulletin", "build", str(site_copy), "-o", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert max(p.stat().st_size for p in (tmp_path / "out/2021/03").glob("*/index.html")) > 9_000_000


def test_a_non_markdown_file_in_content_is_a_warning_not_a_report(site_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (site_copy / "content/2021/notes.docx").write_bytes(b"PK\x03\x04 not a report")
    assert main(["build", str(site_copy), "-o", str(tmp_path / "out")]) == 0
    assert "content/2021/notes.docx: warning: this file is not a report (.md) and no report uses it" in capsys.readouterr().err
    assert not list((tmp_path / "out").rglob("notes.docx"))


# Fuzzing the whole pipeline -------------------------------------------------------------------

_builder_sites: dict[str, Path] = {}


def _fuzz_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if "site" not in _builder_sites:
        site = tmp_path_factory.mktemp("fuzz") / "site"
        shutil.copytree(REPO / "tests/fixtures/golden-site", site)
        _builder_sites["site"] = site
    return _builder_sites["site"]


markdownish = st.lists(st.sampled_from(["#", "##", ">", "-", "*", "**", "_", "`", "```", "[", "]", "(", ")", "!", "|", "---", "\n", "\n\n",
                                        "“", "”", "《", "》", "，", "。", "中文", "English", "<div>", "</div>", "<script>", "&amp;", "[^1]", "[^1]: ",
                                        "    ", "\t", "1.", "~~", "http://x", "\\", "<!--", "-->", "\u200b", "𠮷", "\ufe0f"]), max_size=60).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=markdownish, front=st.sampled_from(["title: 标题\ndate: 2021-03-10\nzone: guiyang\n", "title: [\n", "", "date: 昨天\n", "zone: 无\ntitle: x\ndate: 2021-01-01\n"]))
def test_random_markdown_through_the_pipeline(tmp_path_factory: pytest.TempPathFactory, body: str, front: str) -> None:
    site = _fuzz_site(tmp_path_factory)
    (site / "content/2021/fuzz.md").write_text(f"---\n{front}---\n\n{body}\n", encoding="utf-8")
    _run_clean(site)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_random_bytes_through_the_pipeline(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    site = _fuzz_site(tmp_path_factory)
    (site / "content/2021/fuzz.md").write_bytes(b"---\ntitle: x\ndate: 2021-03-01\nzone: guiyang\n---\n" + data)
    (site / "content/2021/raw.md").write_bytes(data)
    _run_clean(site)
    (site / "content/2021/raw.md").unlink()


def _run_clean(site: Path) -> None:
    out = site.parent / "out"
    try:
        code = main(["build", str(site), "-o", str(out), "-q"])
    except SystemExit as exit_:  # argparse never exits here, but be exact about it
        raise AssertionError(f"exited {exit_.code}") from exit_
    assert code in (0, 1)
