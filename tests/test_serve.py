"""`bulletin serve` for real: a browser watching a page while an editor saves files."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.browser import bulletin_serve, chromium, free_port, wait_for_http

pytestmark = pytest.mark.browser

ARTICLE = "/gaoxin/2021/03/chong-qing-gao-xin-qu-zhong-da-xiang-mu-ji-zhong-kai-gong/"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _builds(log: Path) -> int:
    return len(re.findall(r"^built \d+ reports", log.read_text(), re.M))


def test_saved_edits_show_in_the_open_browser(site_copy: Path) -> None:
    report = site_copy / "content/2021/chongqing.md"
    with bulletin_serve(site_copy) as (base, log), chromium() as browser:
        page = browser.new_page()  # type: ignore[attr-defined]
        page.goto(base + ARTICLE)
        assert "16个重点项目集中开工" in page.inner_text("main")

        # One save: the page shows it (bench/serve_latency.py measures how fast).
        _edit(report, "16个重点项目集中开工", "17个重点项目集中开工")
        page.wait_for_function("document.body.innerText.includes('17个重点项目集中开工')", timeout=15000)

        # Two saves one second apart: both land, in order.
        _edit(report, "17个重点项目", "18个重点项目")
        page.wait_for_function("document.body.innerText.includes('18个重点项目')", timeout=15000)
        time.sleep(1)
        _edit(report, "18个重点项目", "19个重点项目")
        page.wait_for_function("document.body.innerText.includes('19个重点项目')", timeout=15000)

        # A burst of saves (ten files at once) is one rebuild.
        before = _builds(log)
        for n in range(10):
            (site_copy / f"content/2021/burst-{n}.md").write_text(
                f"---\ntitle: 批量保存的报道{n}\ndate: 2021-03-0{n % 9 + 1}\nzone: qingdao\n---\n\n第{n}篇。\n", encoding="utf-8")
        page.wait_for_function("fetch('/gaoxin/zones/qingdao/').then(r => r.text()).then(t => t.includes('共 11 篇报道'))", timeout=15000)
        time.sleep(0.5)
        assert _builds(log) - before == 1, log.read_text()


def test_broken_save_shows_an_error_page_and_the_next_good_save_recovers(site_copy: Path) -> None:
    report = site_copy / "content/2021/chongqing.md"
    with bulletin_serve(site_copy) as (base, log), chromium() as browser:
        page = browser.new_page()  # type: ignore[attr-defined]
        page.goto(base + ARTICLE)
        _edit(report, "zone: 重庆高新区", "zone: 重庆高薪区")
        page.wait_for_selector("ul.problems", timeout=15000)
        text = page.inner_text("body")
        assert "content/2021/chongqing.md:4: unknown zone '重庆高薪区'" in text
        assert "hint: did you mean '重庆高新区'?" in text
        assert "Traceback" not in log.read_text()

        _edit(report, "zone: 重庆高薪区", "zone: 重庆高新区")
        page.wait_for_selector("h1:has-text('重庆高新区重大项目集中开工')", timeout=15000)

        # A template error names the template and its line.
        (site_copy / "templates").mkdir()
        (site_copy / "templates/article.html").write_text('{% extends "base.html" %}\n{% block main %}\n{{ article.nothing }}\n{% endblock %}\n')
        page.wait_for_selector("ul.problems", timeout=15000)
        assert "templates/article.html:3: template error" in page.inner_text("body")
        (site_copy / "templates/article.html").unlink()
        page.wait_for_selector("h1:has-text('重庆高新区重大项目集中开工')", timeout=15000)


def test_serve_is_the_same_as_a_fresh_build(site_copy: Path, tmp_path: Path) -> None:
    from bulletin.build import build

    with bulletin_serve(site_copy) as (base, log):
        _edit(site_copy / "content/2021/qingdao.md", "16个重点项目", "20个重点项目")
        deadline = time.monotonic() + 15
        while _builds(log) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        build(site_copy, tmp_path / "fresh")
        for rel in ["index.html", "feed.xml", "zones/qingdao/index.html", "tags/zhong-da-xiang-mu/atom.xml"]:
            with urllib.request.urlopen(f"{base}/gaoxin/{rel}") as response:
                served = response.read()
            fresh = (tmp_path / "fresh" / rel).read_bytes()
            if rel.endswith(".html"):
                served = re.sub(rb'<script src="/livereload.js\?port=\d+"></script>', b"", served)
            assert served == fresh, rel


def test_serve_binds_loopback_and_stops_cleanly_on_ctrl_c(site_copy: Path) -> None:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bulletin", "serve", str(site_copy), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/gaoxin/")
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
        local_addresses = [line.split()[3] for line in listening.splitlines()]
        assert local_addresses == [f"127.0.0.1:{port}"]
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/gaoxin/no-such-page/")
        assert missing.value.code == 404 and "页面未找到" in missing.value.read().decode()
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "Traceback" not in output
    assert f"serving http://127.0.0.1:{port}/gaoxin/" in output
