"""No process outlives its command: `bulletin build` with worker processes, run as a script
would run it (stdout and stderr captured), ends every worker on every exit path, and a caller
always sees the end of its output.

Each run carries a marker in its environment, which every process it starts inherits; a
process still carrying it once the command is over is a survivor. Workers are forced on small
sites (see FORCE_WORKERS); the thresholds only decide when workers pay off.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import GOLDEN_SITE, REPO, snapshot

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

# Parse and page workers for any number of reports, as a site of thousands would have them.
FORCE_WORKERS = ("import bulletin.build as b, bulletin.content as c; b.PARALLEL_PAGES = c.PARALLEL_THRESHOLD = 1; "
                 "from bulletin.cli import run; run()")
MARKER = "BULLETIN_TEST_MARKER"


def _marked(marker: str) -> list[int]:
    """Live processes (not zombies) carrying this marker in their environment."""
    needle = f"{MARKER}={marker}\0".encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as handle:
                if needle in handle.read():
                    found.append(int(name))
        except OSError:  # gone meanwhile, or a zombie
            pass
    return found


def _children(pid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def _gone(marker: str, within: float) -> list[int]:
    """The marked processes still alive after waiting up to `within` seconds for them to end;
    those are then killed, so that one failing test does not leave them to the next."""
    deadline = time.monotonic() + within
    while (left := _marked(marker)) and time.monotonic() < deadline:
        time.sleep(0.02)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return left


_used: list[str] = []  # the markers of the current test


def _marker() -> str:
    marker = uuid.uuid4().hex
    _used.append(marker)
    return marker


@pytest.fixture(autouse=True)
def _no_leftovers() -> Iterator[None]:
    """Whatever a failing test left running is killed, so that the next test starts clean."""
    yield
    for marker in _used:
        _gone(marker, 0)
    _used.clear()


def _start(args: list[str], marker: str, env: dict[str, str] | None = None, **options: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", FORCE_WORKERS, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, MARKER: marker, **(env or {})}, **options)  # type: ignore[call-overload]


def _build(site: Path, out: Path, env: dict[str, str] | None = None, timeout: float = 60,
           **options: object) -> tuple[subprocess.CompletedProcess[str], list[int]]:
    """`bulletin build` to its end and the end of both its pipes; and its survivors."""
    marker = _marker()
    process = _start(["build", str(site), "-o", str(out)], marker, env, **options)
    try:
        stdout, stderr = process.communicate(timeout=timeout)  # returns at EOF of both pipes
    except subprocess.TimeoutExpired:
        process.kill()
        _gone(marker, 0)
        process.communicate()
        raise AssertionError(f"the build (or a process holding its pipes) did not end in {timeout} s")
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), _gone(marker, 0)


def _site(tmp_path: Path, count: int = 24, slow: bool = False) -> Path:
    """The golden fixture site with `count` more reports; `slow`: each report page takes a
    moment to render, so that a build can be stopped while its workers render them."""
    site = tmp_path / "site"
    shutil.copytree(GOLDEN_SITE, site)
    for n in range(count):
        (site / f"content/2021/more-{n}.md").write_text(
            f"---\ntitle: 更多报道第{n}篇\ndate: 2021-03-{n % 28 + 1:02d}\nzone: qingdao\ntags: [重大项目]\n---\n\n"
            f"第{n}篇报道的正文。\n", encoding="utf-8")
    if slow:
        (site / "templates").mkdir()
        article = (REPO / "themes/default/templates/article.html").read_text(encoding="utf-8")
        (site / "templates/article.html").write_text("{% for n in range(150000) %}{% endfor %}" + article, encoding="utf-8")
    return site


@contextmanager
def _busy(count: int) -> Iterator[None]:
    """`count` processes that keep a core each busy."""
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


# Every build returns, under load, and leaves nothing behind --------------------------------

@pytest.mark.slow
def test_parallel_builds_under_load_always_return_and_leave_no_process(tmp_path: Path) -> None:
    """The stress test: builds with workers, their output captured, two at a time while busy
    loops take every core. Fork (Linux's default) and spawn (Windows' and macOS')."""
    from concurrent.futures import ThreadPoolExecutor

    site = _site(tmp_path, count=0)
    runs = [(method, n) for method, count in (("fork", 20), ("spawn", 4)) for n in range(count)]

    def one(run: tuple[str, int]) -> tuple[str, int, int, str, str, list[int]]:
        method, n = run
        result, survivors = _build(site, tmp_path / f"out-{method}-{n}", {"BULLETIN_START_METHOD": method}, timeout=60)
        return method, n, result.returncode, result.stdout, result.stderr, survivors

    started = time.monotonic()
    with _busy(os.cpu_count() or 2), ThreadPoolExecutor(2) as side_by_side:
        done = list(side_by_side.map(one, runs))
    seconds = time.monotonic() - started
    for method, n, code, stdout, stderr, survivors in done:
        assert (code, stderr, survivors) == (0, "", []), (method, n, stderr)
        assert stdout.startswith("built 4 reports: "), (method, n)
    print(f"\n{len(runs)} builds (fork 20, spawn 4), two at a time beside {os.cpu_count()} busy loops: {seconds:.1f} s")
    assert snapshot(tmp_path / "out-fork-0") == snapshot(tmp_path / "out-spawn-0")


def test_an_error_while_workers_render_ends_them_and_the_command(tmp_path: Path) -> None:
    """A template error in this process while the workers render report pages: the command
    used to end with the workers still waiting for work, holding its pipes open for ever."""
    site = _site(tmp_path, slow=True)
    (site / "templates/zone.html").write_text("{{ nothing.here }}\n", encoding="utf-8")
    out = tmp_path / "out"
    result, survivors = _build(site, out, timeout=30)
    assert result.returncode == 1
    assert result.stderr == ("templates/zone.html:1: template error while rendering zone.html: 'nothing' is undefined\n"
                             "  hint: check the names used on this line of the template\n"
                             "bulletin: 1 error; nothing was written\n")
    assert survivors == []
    assert not out.exists() and not (tmp_path / ".out.staging").exists()


def test_an_error_inside_a_worker_is_reported_and_ends_the_others(tmp_path: Path) -> None:
    site = _site(tmp_path)
    (site / "templates").mkdir()
    article = (REPO / "themes/default/templates/article.html").read_text(encoding="utf-8")
    (site / "templates/article.html").write_text(
        "{% if article.title == '更多报道第7篇' %}{{ article.no_such_field }}{% endif %}" + article, encoding="utf-8")
    result, survivors = _build(site, tmp_path / "out")
    assert result.returncode == 1
    assert result.stderr.startswith("templates/article.html:1: template error while rendering article.html: ")
    assert "no_such_field" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.endswith("bulletin: 1 error; nothing was written\n")
    assert survivors == []


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))


def test_a_system_error_inside_a_worker_is_reported_and_ends_the_others(tmp_path: Path) -> None:
    site = _site(tmp_path)
    (site / "content/2021/more-3.md").write_text(
        "---\ntitle: 很长的报道\ndate: 2021-03-03\nzone: qingdao\n---\n\n" + "长" * 30_000 + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result, survivors = _build(site, out, preexec_fn=_limit_file_size)
    assert result.returncode == 1
    assert re.fullmatch(r"bulletin: cannot write \S+: File too large\n"
                        r"  hint: free some space or fix the folder's permissions; the output folder was left as it was\n",
                        result.stderr), result.stderr
    assert survivors == []
    assert not out.exists()


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_worker_killed_mid_build_is_a_clear_error(tmp_path: Path, method: str) -> None:
    site = _site(tmp_path, slow=True)
    marker = _marker()
    process = _start(["build", str(site), "-o", str(tmp_path / "out")], marker, {"BULLETIN_START_METHOD": method})
    workers = _wait_for_page_workers(process, tmp_path)
    os.kill(workers[0], signal.SIGKILL)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert stderr == ("bulletin: a worker process ended abruptly (was it killed, or out of memory?)\n"
                      "  hint: run the command again; the output folder was left as it was\n")
    assert _gone(marker, 0) == []


# Stopped from outside --------------------------------------------------------------------

def _wait_for_page_workers(process: subprocess.Popen[str], tmp_path: Path) -> list[int]:
    """Wait until the build's page workers are at work (report pages appear in the staging
    folder); their process ids."""
    staging = tmp_path / ".out.staging"
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the workers never started"
        workers = [pid for pid in _children(process.pid) if b"resource_tracker" not in _cmdline(pid)]
        if len(workers) >= 2 and staging.is_dir() and any(staging.glob("2021/03/*/index.html")):
            return workers
        time.sleep(0.01)


@pytest.mark.parametrize("how, code, message", [
    (signal.SIGINT, 130, "bulletin: interrupted; the output folder was left as it was\n"),
    (signal.SIGTERM, 143, "bulletin: stopped by SIGTERM; the output folder was left as it was\n"),
    (signal.SIGHUP, 129, "bulletin: stopped by SIGHUP; the output folder was left as it was\n"),
], ids=["ctrl-c", "sigterm", "sighup"])
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_stopped_build_ends_its_workers_and_leaves_the_output(tmp_path: Path, how: signal.Signals, code: int,
                                                                 message: str, method: str) -> None:
    site = _site(tmp_path, slow=True)
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("the previous build")
    marker = _marker()
    process = _start(["build", str(site), "-o", str(out)], marker, {"BULLETIN_START_METHOD": method})
    _wait_for_page_workers(process, tmp_path)
    process.send_signal(how)
    stdout, stderr = process.communicate(timeout=30)
    assert (process.returncode, stdout, stderr) == (code, "", message)
    assert _gone(marker, 0) == []
    assert snapshot(out) == {"index.html": b"the previous build"}
    assert not (tmp_path / ".out.staging").exists()


def test_ctrl_c_in_a_terminal_reaches_every_process_and_the_build_stops_cleanly(tmp_path: Path) -> None:
    """In a terminal, Ctrl-C goes to the whole process group, workers included: they leave
    the stopping to the main process, and nothing but its one line is printed."""
    site = _site(tmp_path, slow=True)
    marker = _marker()
    process = _start(["build", str(site), "-o", str(tmp_path / "out")], marker, start_new_session=True)
    _wait_for_page_workers(process, tmp_path)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert (process.returncode, stderr) == (130, "bulletin: interrupted; the output folder was left as it was\n")
    assert _gone(marker, 0) == []


@pytest.mark.parametrize("env, within", [({}, 1.0), ({"BULLETIN_PORTABLE": "1"}, 3.0)],
                         ids=["pdeathsig", "portable-watch-thread"])
def test_workers_of_a_killed_build_exit_by_themselves(tmp_path: Path, env: dict[str, str], within: float) -> None:
    """SIGKILL gives the main process no chance to stop anything: its workers notice that it
    is gone (Linux tells them at once; elsewhere a thread in each looks every half second),
    and the caller sees the end of the output soon after."""
    site = _site(tmp_path, slow=True)
    marker = _marker()
    process = _start(["build", str(site), "-o", str(tmp_path / "out")], marker, env)
    workers = _wait_for_page_workers(process, tmp_path)
    process.kill()
    killed = time.monotonic()
    process.communicate(timeout=10)  # EOF: no worker holds the pipes any more
    assert time.monotonic() - killed < within
    assert _gone(marker, within) == [], f"workers {workers} outlived their killed parent"


# The other commands, and the parts that start processes ------------------------------------

def test_check_and_a_failing_build_with_parse_workers_leave_no_process(tmp_path: Path) -> None:
    site = _site(tmp_path)
    (site / "content/2021/more-5.md").write_text("---\ntitle: 坏报道\n", encoding="utf-8")
    for args in (["check", str(site)], ["build", str(site), "-o", str(tmp_path / "out")]):
        marker = _marker()
        process = _start(args, marker)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 1 and "content/2021/more-5.md" in stderr, args
        assert _gone(marker, 0) == [], args


def test_an_early_parse_that_is_not_used_is_stopped_and_reaped(site_copy: Path, tmp_path: Path) -> None:
    from bulletin.build import build
    from bulletin.content import EarlyParse

    build(site_copy, tmp_path / "out")
    early = EarlyParse(site_copy, ["content/2021/qingdao.md"])
    assert early.pid > 0
    pid = early.pid
    early.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped already
    assert pid not in _children(os.getpid())


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_stops_cleanly_on_ctrl_c_and_sigterm(site_copy: Path, how: signal.Signals) -> None:
    from tests.browser import free_port

    marker = _marker()
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bulletin", "serve", str(site_copy), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, MARKER: marker})
    assert process.stdout is not None
    lines = [process.stdout.readline(), process.stdout.readline()]
    assert lines[1].startswith(f"serving http://127.0.0.1:{port}/"), lines
    process.send_signal(how)
    output, _ = process.communicate(timeout=30)
    assert (process.returncode, output) == (0, "stopped\n")
    assert _gone(marker, 0) == []


def test_the_exit_codes_are_documented(capsys: pytest.CaptureFixture[str]) -> None:
    from bulletin.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = capsys.readouterr().out
    for line in ("  130  interrupted with Ctrl-C (SIGINT)", "  143  stopped by SIGTERM (129: by SIGHUP, the terminal was closed)"):
        assert line in help_text
