"""The preview server: build, serve, watch, rebuild, reload the browser.

One thread watches the site (watchdog), one rebuilds, and tornado serves the last good build
from memory. A burst of saves causes one rebuild: the builder waits until the site
has been quiet for a moment. A save that lands while a build runs causes another build, so no
edit is ever dropped. A failed build keeps the server up and shows its problems in the browser
until the next good save. Reloads go to the browser over the LiveReload protocol (livereload).
"""

from __future__ import annotations

import html
import ipaddress
import logging
import mimetypes
import errno
import os
import sys
import socket
import tempfile
import threading
import time
from pathlib import Path, PurePath, PureWindowsPath
from types import SimpleNamespace
from typing import Callable
from urllib.parse import unquote, urlsplit

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from tornado import ioloop, web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from bulletin import i18n, search
from bulletin.build import BuildOptions, BuildReport, Builder
from bulletin.config import CONFIG_NAME
from bulletin.errors import BuildError, Problem
from bulletin.i18n import _, ngettext, translate

QUIET_SECONDS = 0.12  # a burst of saves ends when the site has been quiet this long
WATCHED = ("content", "themes", "static", "templates")


class Preview:
    """The state shared by the watcher, the builder and the web handlers."""

    def __init__(self, root: Path, options: BuildOptions, log: Callable[[str], None]):
        self.root = root.resolve()
        self.options = options
        self.log = log
        self.builder = Builder(self.root, None, options, in_memory=True)
        self.problems: list[Problem] = []
        self.prefix = "/"
        self.builds = 0
        self._changed = threading.Event()
        self._last_change = 0.0
        self._stop = threading.Event()
        self.on_rebuilt: Callable[[], None] = lambda: None
        self.search_files: dict[str, bytes] = {}
        self._index_serial = 0
        self._index_lock = threading.Lock()

    def build(self) -> BuildReport | None:
        started = time.perf_counter()
        try:
            report = self.builder.build()
        except BuildError as error:
            time.sleep(QUIET_SECONDS / 2)  # let the watcher report a save still under way
            if self._changed.is_set():
                # Files changed while this build read them (a save half-written, a checkout in
                # progress): the build that follows sees them whole; show its result instead.
                self.log(_("build failed while files were still changing; building again"))
                return None
            self.problems = error.problems
            for problem in error.problems:
                self.log(problem.format())
            self.log(ngettext("build failed ({n} problem); the browser shows it until the next good save",
                              "build failed ({n} problems); the browser shows them until the next good save",
                              len(error.problems)).format(n=len(error.problems)))
            return None
        except Exception as exc:  # keep serving whatever happens
            self.problems = [Problem(_("unexpected error: {error}").format(error=f"{type(exc).__name__}: {exc}"), hint=_("run `bulletin build --debug` to see where"))]
            self.log(self.problems[0].format())
            return None
        finally:
            self.builds += 1
        self.problems = []
        self.prefix = self.builder.config.path_prefix if self.builder.config else "/"
        self.log(_("{summary} (rebuilt in {seconds:.2f} s)").format(summary=report.summary(), seconds=time.perf_counter() - started))
        if self.builder.config and self.builder.config.search:
            self._index_soon()
        return report

    def _index_soon(self) -> None:
        """Make the search index of the newest build in the background.

        Pagefind reads every report page, which takes seconds on a large bulletin; pages
        reload at once, and search catches up when the index is ready.
        """
        files = self.builder.files
        self._index_serial += 1
        serial = self._index_serial

        def work() -> None:
            with self._index_lock:
                if serial != self._index_serial:
                    return  # a newer build is waiting to be indexed
                with tempfile.TemporaryDirectory(prefix="bulletin-search-") as folder:
                    base = Path(folder)
                    for rel, data in files.items():
                        if rel.endswith(".html") and b"data-pagefind-body" in data:
                            (base / rel).parent.mkdir(parents=True, exist_ok=True)
                            (base / rel).write_bytes(data)
                    try:
                        search.index(self.root, base)
                    except BuildError as error:
                        self.log(error.problems[0].format())
                        return
                    bundle = base / "pagefind"
                    self.search_files = {p.relative_to(base).as_posix(): p.read_bytes() for p in bundle.rglob("*") if p.is_file()}

        threading.Thread(target=work, name="bulletin-search", daemon=True).start()

    def changed(self) -> None:
        self._last_change = time.monotonic()
        self._changed.set()

    def run_builder(self) -> None:
        while not self._stop.is_set():
            if not self._changed.wait(timeout=0.5):
                continue
            while time.monotonic() - self._last_change < QUIET_SECONDS:
                time.sleep(QUIET_SECONDS / 3)
            self._changed.clear()
            self.build()
            self.on_rebuilt()

    def stop(self) -> None:
        self._stop.set()


def site_relative(path: str, root: PurePath, caseless: bool | None = None) -> str | None:
    r"""A path a file watcher reported, relative to the site folder `root` and with forward
    slashes ("" for the folder itself), or None when it is outside. On Windows the watcher
    gives backslashes, a drive letter in either case and at times the \\?\ prefix of long
    paths. `caseless`: names match whatever their case, as on the usual file systems of
    Windows and macOS (the default there)."""
    if caseless is None:
        caseless = _CASELESS or isinstance(root, PureWindowsPath)
    if isinstance(root, PureWindowsPath):
        if path.startswith(("\\\\?\\UNC\\", "//?/UNC/")):
            path = "\\\\" + path[8:]
        elif path.startswith(("\\\\?\\", "//?/")):
            path = path[4:]
    parts, base = type(root)(path).parts, root.parts
    head = parts[: len(base)]
    if (tuple(p.casefold() for p in head) != tuple(p.casefold() for p in base)) if caseless else head != base:
        return None
    return "/".join(parts[len(base):])


_CASELESS = os.name == "nt" or sys.platform == "darwin"  # the usual file systems there ignore case


class _Watch(FileSystemEventHandler):
    """Marks the site changed on any save under the watched folders or to bulletin.yaml.

    The output folder, .git and caches are never watched. A watched folder created while the
    server runs (the first file in templates/, say) is watched from then on.
    """

    def __init__(self, preview: Preview, observer: Observer):  # type: ignore[valid-type]
        self.preview = preview
        self.observer = observer
        self.watching: set[str] = set()

    def relevant(self, path: str) -> bool:
        return relevant(path, self.preview.root)

    def watch_folders(self) -> None:
        for name in WATCHED:
            folder = self.preview.root / name
            if folder.is_dir() and str(folder) not in self.watching:
                self.observer.schedule(self, str(folder), recursive=True)  # type: ignore[attr-defined]
                self.watching.add(str(folder))

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        made = site_relative(os.fsdecode(event.src_path), self.preview.root)
        if event.is_directory and made and "/" not in made:  # a folder at the top of the site
            self.watch_folders()
        paths = [os.fsdecode(event.src_path), os.fsdecode(getattr(event, "dest_path", "") or "")]
        if any(p and self.relevant(p) for p in paths):
            self.preview.changed()


def relevant(path: str, root: PurePath, caseless: bool | None = None) -> bool:
    """Whether a save to `path` (as the watcher reports it) changes the site of `root`: a file
    under one of the WATCHED folders, or bulletin.yaml; never an editor's scratch file."""
    rel = site_relative(path, root, caseless)
    if rel is None or rel == "":
        return False
    name = rel.rsplit("/", 1)[-1]
    if name.startswith((".#", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp")) or name == "4913":
        return False  # editor scratch files
    top = rel.split("/", 1)[0]
    if caseless if caseless is not None else (_CASELESS or isinstance(root, PureWindowsPath)):
        rel, top = rel.casefold(), top.casefold()
    return rel == CONFIG_NAME or top in WATCHED


LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


class Hosts:
    """The names this server answers to: this machine's (127.0.0.1, localhost, [::1]) and the
    one it was started on (--host), with any port. A page of another site that makes its own
    name lead here (DNS rebinding) sends that name as Host, and is refused: it cannot read the
    preview, drafts included. A server listening on every address (0.0.0.0) also answers to
    this machine's name and to any address written as digits, which no other site can use."""

    def __init__(self, host: str):
        name = host.strip("[]").rstrip(".").lower()
        self.any_address = name in ("", "0.0.0.0", "::")
        self.names = LOCAL_NAMES | {name} | ({socket.gethostname().lower()} if self.any_address else set())

    def allow(self, header: str | None) -> bool:
        """Whether a Host header (name[:port]) names this server."""
        if not header:
            return False
        header = header.strip().lower()
        if header.startswith("["):  # [IPv6 address]:port
            name, _, rest = header[1:].partition("]")
            if rest and not (rest.startswith(":") and rest[1:].isdigit()):
                return False
        else:
            name, colon, port = header.rpartition(":") if header.count(":") == 1 else (header, "", "")
            if colon and not port.isdigit():
                return False
        name = name.rstrip(".")
        if name in self.names:
            return True
        if self.any_address:
            try:
                ipaddress.ip_address(name)
                return True
            except ValueError:
                return False
        return False

    def same_origin(self, origin: str, host: str | None) -> bool:
        """Whether an Origin header is this server's own, as the request's Host names it."""
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and bool(host) and parts.netloc.lower() == host.strip().lower() and self.allow(host)


def _refuse(handler: web.RequestHandler, port: int) -> None:
    """403 with a short page: the request named another site."""
    handler.set_status(403)
    handler.set_header("Content-Type", "text/html; charset=utf-8")
    handler.set_header("Cache-Control", "no-store")
    said = translate(_("This preview answers only to its own address, such as {local} or {name}.").format(
        local=f"http://127.0.0.1:{port}/", name=f"http://localhost:{port}/"))
    handler.finish(f"<!DOCTYPE html><title>403</title><h1>403</h1><p>{html.escape(said)}</p>\n")


class _OwnHost:
    """Handlers that answer only requests naming this server (see Hosts)."""

    hosts: Hosts
    port: int

    def prepare(self) -> None:
        if not self.hosts.allow(self.request.headers.get("Host")):  # type: ignore[attr-defined]
            _refuse(self, self.port)  # type: ignore[arg-type]


class _Reloads(_OwnHost, LiveReloadHandler):
    """livereload's socket, open only to pages of this server (livereload takes any Origin)."""

    def initialize(self, hosts: Hosts, port: int) -> None:
        self.hosts, self.port = hosts, port

    def check_origin(self, origin: str) -> bool:
        return self.hosts.same_origin(origin, self.request.headers.get("Host"))


class _ReloadScript(_OwnHost, LiveReloadJSHandler):
    def initialize(self, hosts: Hosts, port: int) -> None:
        self.hosts, self.port = hosts, port


def _reload_script(port: int) -> bytes:
    return f'<script src="/livereload.js?port={port}"></script>'.encode()


class SiteHandler(_OwnHost, web.RequestHandler):
    """Serves the last good build under the site's path prefix, or the problems of a failed one."""

    preview: Preview
    port: int

    def initialize(self, preview: Preview, port: int, hosts: Hosts | None = None) -> None:
        self.preview = preview
        self.port = port
        self.hosts = hosts or Hosts("127.0.0.1")

    def head(self, path: str) -> None:
        self.get(path, include_body=False)

    def get(self, path: str, include_body: bool = True) -> None:
        preview = self.preview
        request_path = "/" + path
        if preview.problems and (request_path.endswith("/") or request_path.endswith(".html")):
            return self._send(500, "text/html; charset=utf-8", self._error_page(), include_body)
        prefix = preview.prefix
        if request_path == "/" and prefix != "/":
            return self.redirect(prefix)
        if not request_path.startswith(prefix):
            return self._not_found(include_body)
        files = self.preview.builder.files  # one build's files for the whole request
        if request_path[len(prefix):].startswith("pagefind/"):
            files = self.preview.search_files
        relative = self._resolve(files, request_path[len(prefix):])
        if relative is None:
            if not request_path.endswith("/") and self._resolve(files, request_path[len(prefix):] + "/"):
                return self.redirect(request_path + "/")
            return self._not_found(include_body)
        data = files[relative]
        kind = mimetypes.guess_type(relative)[0] or "application/octet-stream"
        if kind == "text/html":
            data = self._inject(data)
        if kind.startswith("text/") or kind in ("application/xml", "application/javascript", "application/json"):
            kind += "; charset=utf-8"
        self._send(200, kind, data, include_body)

    @staticmethod
    def _resolve(files: dict[str, bytes], path: str) -> str | None:
        """The output file a URL path names, or None. Only files of the build exist here:
        '..', absolute paths and anything outside the output folder simply are not found."""
        relative = unquote(path)
        if relative == "" or relative.endswith("/"):
            relative += "index.html"
        return relative if relative in files else None

    def _not_found(self, include_body: bool) -> None:
        page = self.preview.builder.files.get("404.html")
        data = self._inject(page) if page else b"<!DOCTYPE html><title>404</title><h1>404</h1>"
        self._send(404, "text/html; charset=utf-8", data, include_body)

    def _inject(self, data: bytes) -> bytes:
        marker = data.rfind(b"</body>")
        script = _reload_script(self.port)
        return data[:marker] + script + data[marker:] if marker >= 0 else data + script

    def _error_page(self) -> bytes:
        hint = _("hint: {hint}")
        items = "\n".join(
            f"<li><code>{html.escape(p.location)}</code>: {html.escape(translate(p.message))}"
            + (f"<br><span class=hint>{html.escape(translate(hint.format(hint=p.hint)))}</span>" if p.hint else "") + "</li>"
            for p in self.preview.problems
        )
        lang = "zh-CN" if i18n.language() == "zh" else "en"
        failed, advice = html.escape(translate(_("Build failed"))), html.escape(translate(
            _("Fix the problems below and save: this page reloads by itself.")))
        page = (
            f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{failed} - bulletin</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<style>body{font:16px/1.6 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
            "li{margin:.75em 0}code{background:#f3e8e8;padding:.1em .3em}.hint{color:#555}</style></head><body>"
            f"<h1>{failed}</h1><p>{advice}</p><ul class=problems>{items}</ul>"
            "</body></html>"
        )
        return self._inject(page.encode())

    def _send(self, status: int, kind: str, data: bytes, include_body: bool) -> None:
        self.set_status(status)
        self.set_header("Content-Type", kind)
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Length", str(len(data)))
        if include_body:
            self.write(data)
        self.finish()


def serve(root: Path, host: str, port: int, options: BuildOptions, log: Callable[[str], None] = print) -> int:
    logging.getLogger("tornado.access").setLevel(logging.ERROR)
    logging.getLogger("livereload").setLevel(logging.WARNING)
    sockets = listen(host, port)  # before the first build: a busy port is said at once
    preview = Preview(root, options, log)
    preview.build()
    loop = ioloop.IOLoop.current()
    # livereload's socket handler reads the name of the changed file from its watcher.
    LiveReloadHandler.watcher = SimpleNamespace(filepath="*")

    def reload_browsers() -> None:
        loop.add_callback(LiveReloadHandler.reload_waiters, "*")

    preview.on_rebuilt = reload_browsers
    hosts = Hosts(host)
    app = web.Application([
        (r"/livereload", _Reloads, {"hosts": hosts, "port": port}),
        (r"/livereload.js", _ReloadScript, {"hosts": hosts, "port": port}),
        (r"/(.*)", SiteHandler, {"preview": preview, "port": port, "hosts": hosts}),
    ])
    server = HTTPServer(app)
    server.add_sockets(sockets)
    observer = Observer()
    handler = _Watch(preview, observer)
    observer.schedule(handler, str(preview.root), recursive=False)
    handler.watch_folders()
    observer.start()
    builder = threading.Thread(target=preview.run_builder, name="bulletin-builder", daemon=True)
    builder.start()
    # Python runs a signal's handler in the main thread, between two steps of its code: a loop
    # asleep in select() with nothing to do would not notice a SIGTERM the system handed to
    # another thread. Waking it twice a second lets Ctrl-C and SIGTERM stop it at any moment.
    ioloop.PeriodicCallback(lambda: None, 500).start()
    try:  # a Ctrl-C right after the line below still stops the server cleanly
        log(_("serving {address} (Ctrl-C to stop)").format(address=f"http://{host}:{port}{preview.prefix}"))
        loop.start()
    except KeyboardInterrupt:
        log(_("stopped"))
    finally:
        server.stop()
        observer.stop()
        preview.stop()
    return 0


_IN_USE = {errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE)}
_DENIED = {errno.EACCES, getattr(errno, "WSAEACCES", errno.EACCES)}


def listen(host: str, port: int) -> list:  # type: ignore[type-arg]
    """The sockets for `host`:`port`; a BuildError saying what to do when the port is taken
    or not allowed, or the address is not one of this machine's."""
    try:
        return bind_sockets(port, address=host)
    except OSError as exc:
        if exc.errno in _IN_USE:
            problem = Problem(_("port {port} is already in use on {host}").format(port=port, host=host),
                              hint=_("stop the program that uses it (another bulletin serve?), or choose another port, "
                                     "e.g. bulletin serve --port {other}").format(other=port + 1 if port < 65535 else 8000))
        elif exc.errno in _DENIED:
            problem = Problem(_("not allowed to listen on port {port}").format(port=port),
                              hint=_("ports below 1024 need special rights; choose another port, e.g. bulletin serve --port 8000"))
        else:
            problem = Problem(_("cannot listen on {host}, port {port}: {error}").format(host=host, port=port, error=exc.strerror or exc),
                              hint=_("--host takes an address of this machine, e.g. 127.0.0.1 (this machine only)"))
        raise BuildError([problem]) from None
