"""`bulletin serve` answers only to its own names, and its live-reload socket only to its own
pages: a page of another site whose name leads here (DNS rebinding) can read nothing, drafts
included."""

from __future__ import annotations

import base64
import http.client
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from tests.browser import bulletin_serve, free_port, wait_for_http

DRAFT = "尚未完成的稿件"  # the title of the golden site's draft
HOSTILE = ["evil.example", "evil.example:80", "rebind.attacker.test:{port}", "127.0.0.1.evil.example:{port}",
           "127.0.0.1:{port}x", "localhost.evil.example", "[::1].evil.example:{port}"]


def _get(port: int, path: str, headers: dict[str, str], address: str = "127.0.0.1") -> tuple[int, bytes, dict[str, str]]:
    """A request sent as written (Host included), to the server at `address`."""
    connection = http.client.HTTPConnection(address, port, timeout=20)
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


def _socket(port: int, host: str, origin: str | None, address: str = "127.0.0.1") -> int:
    """The status of a WebSocket handshake with the live-reload socket (101: opened)."""
    headers = {"Host": host, "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode()}
    if origin is not None:
        headers["Origin"] = origin
    return _get(port, "/livereload", headers, address)[0]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The golden site served with its drafts; yields the port."""
    import shutil

    from tests.conftest import GOLDEN_SITE

    site = tmp_path_factory.mktemp("serve") / "site"
    shutil.copytree(GOLDEN_SITE, site, ignore=shutil.ignore_patterns(".bulletin-cache"))
    with bulletin_serve(site, "--drafts") as (base, _):
        yield int(base.rsplit(":", 1)[1])


@pytest.mark.parametrize("host", HOSTILE)
@pytest.mark.parametrize("path", ["/gaoxin/", "/gaoxin/editions/2021-03-22/", "/gaoxin/atom.xml", "/livereload.js", "/nothing"])
def test_a_request_naming_another_host_is_refused(server: int, host: str, path: str) -> None:
    status, body, received = _get(server, path, {"Host": host.format(port=server)})
    assert status == 403, (host, path, status)
    assert DRAFT.encode() not in body and b"gaoxin" not in body
    assert received["Content-Type"] == "text/html; charset=utf-8" and b"answers only to its own address" in body
    assert len(body) < 300


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}", "localhost",
                                  "127.0.0.1"])
def test_its_own_names_are_answered_with_any_port(server: int, host: str) -> None:
    status, body, _ = _get(server, "/gaoxin/editions/2021-03-22/", {"Host": host.format(port=server)})
    assert status == 200 and DRAFT.encode() in body


def test_the_live_reload_socket_opens_only_to_its_own_pages(server: int) -> None:
    own = f"127.0.0.1:{server}"
    assert _socket(server, own, f"http://{own}") == 101
    assert _socket(server, own, None) == 101  # not a browser: nothing of its own to protect
    for origin in ("http://evil.example", f"http://evil.example:{server}", "null", f"http://localhost:{server}",
                   f"https://{own}.evil.example"):
        assert _socket(server, own, origin) == 403, origin
    # A rebinding page: its own name as Host and as Origin (the browser takes it for the same site).
    assert _socket(server, f"evil.example:{server}", f"http://evil.example:{server}") == 403
    assert _get(server, "/livereload", {"Host": f"evil.example:{server}", "Sec-Fetch-Site": "same-origin", "Connection": "Upgrade",
                                        "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                                        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode()})[0] == 403


@contextmanager
def _serve_on(site: Path, address: str) -> Iterator[int]:
    """`bulletin serve SITE --host ADDRESS`; yields the port once it answers there."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bulletin", "serve", str(site), "--host", address, "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_http(f"http://{address}:{port}/")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_host_it_was_started_on_is_its_own(site_copy: Path) -> None:
    with _serve_on(site_copy, "127.0.0.2") as port:
        assert _get(port, "/gaoxin/", {"Host": f"127.0.0.2:{port}"}, "127.0.0.2")[0] == 200
        assert _get(port, "/gaoxin/", {"Host": f"localhost:{port}"}, "127.0.0.2")[0] == 200
        assert _get(port, "/gaoxin/", {"Host": f"evil.example:{port}"}, "127.0.0.2")[0] == 403
        assert _socket(port, f"127.0.0.2:{port}", f"http://127.0.0.2:{port}", "127.0.0.2") == 101
        assert _socket(port, f"127.0.0.2:{port}", "http://evil.example", "127.0.0.2") == 403


def test_a_server_on_every_address_answers_to_addresses_but_not_to_other_names(site_copy: Path) -> None:
    with _serve_on(site_copy, "0.0.0.0") as port:
        assert _get(port, "/gaoxin/", {"Host": f"192.0.2.7:{port}"})[0] == 200  # the machine's address on a network
        assert _get(port, "/gaoxin/", {"Host": f"[2001:db8::7]:{port}"})[0] == 200
        assert _get(port, "/gaoxin/", {"Host": f"evil.example:{port}"})[0] == 403
