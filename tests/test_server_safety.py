"""The preview server: nothing outside the output is reachable, and it keeps answering while
it rebuilds under many clients."""

from __future__ import annotations

import http.client
import threading
import time
from pathlib import Path

import pytest

from tests.browser import bulletin_serve

TRAVERSALS = ["/../../etc/passwd", "/gaoxin/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/gaoxin/%2e%2e%2f%2e%2e%2fetc/passwd",
              "//etc/passwd", "/gaoxin//etc/passwd", "/gaoxin/..%2f..%2fbulletin.yaml", "/gaoxin/%00", "/gaoxin/..\\..\\bulletin.yaml",
              "/gaoxin/content/2021/guiyang.md", "/bulletin.yaml", "/gaoxin/../bulletin.yaml"]


def _get(host: str, port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(host, port, timeout=20)
    try:
        connection.request("GET", path)  # sent as written: no client-side normalisation
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.slow
def test_nothing_outside_the_output_is_served(site_copy: Path) -> None:
    (site_copy / "static").mkdir()
    (site_copy / "static/link").symlink_to("/etc/passwd")
    with bulletin_serve(site_copy) as (base, log):
        port = int(base.rsplit(":", 1)[1])
        status, _ = _get("127.0.0.1", port, "/gaoxin/")
        # The symlink makes the build fail: the server shows the problem instead of the file.
        assert status == 500
        (site_copy / "static/link").unlink()
        deadline = time.monotonic() + 10
        while _get("127.0.0.1", port, "/gaoxin/")[0] != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        for path in TRAVERSALS:
            status, body = _get("127.0.0.1", port, path)
            assert status in (404, 400), (path, status)
            assert b"root:" not in body and b"base_url" not in body and b"zone:" not in body


@pytest.mark.slow
def test_keeps_answering_while_rebuilding_under_50_clients(site_copy: Path) -> None:
    report = site_copy / "content/2021/qingdao.md"
    text = report.read_text(encoding="utf-8")
    pages = ["/gaoxin/", "/gaoxin/zones/qingdao/", "/gaoxin/feed.xml", "/gaoxin/assets/style.css", "/gaoxin/tags/",
             "/gaoxin/2021/03/na-di-ji-kai-gong-qing-dao-gao-xin-qu-xiang-mu-luo-di-shi/"]
    failures: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()
    with bulletin_serve(site_copy) as (base, log):
        port = int(base.rsplit(":", 1)[1])

        def client(n: int) -> None:
            for i in range(40):
                path = pages[(n + i) % len(pages)]
                started = time.monotonic()
                try:
                    status, _ = _get("127.0.0.1", port, path)
                except Exception as exc:  # noqa: BLE001 - any failure is what we count
                    status, exc_text = -1, repr(exc)
                else:
                    exc_text = ""
                with lock:
                    latencies.append(time.monotonic() - started)
                    if status != 200:
                        failures.append(f"{path}: {status} {exc_text}")

        def editor() -> None:
            n = 0
            while not stop.is_set() and n < 40:
                n += 1
                # Saved as most editors save: a new file moved over the old one.
                draft = report.with_suffix(".md.tmp")
                draft.write_text(text.replace("16个重点项目", f"{n}个重点项目"), encoding="utf-8")
                draft.replace(report)
                time.sleep(0.15)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(50)]
        edits = threading.Thread(target=editor)
        edits.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        stop.set()
        edits.join()
        rebuilds = log.read_text().count("rebuilt in")
    latencies.sort()
    print(f"\n{len(latencies)} requests from 50 clients during {rebuilds} rebuilds: "
          f"median {latencies[len(latencies) // 2] * 1000:.1f} ms, p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms, "
          f"max {latencies[-1] * 1000:.1f} ms, {len(failures)} failed")
    assert not failures, failures[:10]
    assert len(latencies) == 50 * 40
    assert rebuilds > 2
