"""Where editors work: each path that Windows and macOS take instead of a Linux-only call,
forced here on Linux, gives the same site; and files and paths as Windows makes them.

    BULLETIN_START_METHOD=spawn   workers start as on Windows and macOS (no fork)
    BULLETIN_PORTABLE=1           no renameat2, no PR_SET_PDEATHSIG, no forked early parse
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

import bulletin.build as pipeline
import bulletin.content as content
from bulletin import system
from bulletin.build import Builder, build
from bulletin.cli import main
from bulletin.content import site_path
from bulletin.errors import BuildError
from bulletin.serve import relevant, site_relative
from bulletin.state import CACHE_DIR
from tests.conftest import GOLDEN_SITE, REPO, snapshot


def _workers_for_any_site(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "PARALLEL_PAGES", 1)
    monkeypatch.setattr(content, "PARALLEL_THRESHOLD", 1)


# Worker processes started by spawn -----------------------------------------------------------

def test_the_start_method_is_fork_on_linux_and_spawn_when_asked_or_portable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BULLETIN_START_METHOD", raising=False)
    monkeypatch.delenv("BULLETIN_PORTABLE", raising=False)
    assert system.start_method() == ("fork" if sys.platform.startswith("linux") else "spawn")
    monkeypatch.setenv("BULLETIN_PORTABLE", "1")
    assert system.start_method() == "spawn" and not system.can_fork()
    monkeypatch.setenv("BULLETIN_START_METHOD", "fork")
    assert system.start_method() == "fork"
    monkeypatch.setenv("BULLETIN_START_METHOD", "nonsense")  # not a method: the default for the system
    assert system.start_method() == "spawn"


@pytest.mark.slow
def test_spawned_workers_build_the_same_site_as_forked_ones_and_as_one_process(site_copy: Path, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    build(site_copy, tmp_path / "one-process")
    _workers_for_any_site(monkeypatch)
    monkeypatch.setenv("BULLETIN_START_METHOD", "fork")
    forked = Builder(site_copy, tmp_path / "forked")
    forked.build()
    monkeypatch.setenv("BULLETIN_START_METHOD", "spawn")
    spawned = Builder(site_copy, tmp_path / "spawned")
    spawned.build()
    assert snapshot(tmp_path / "spawned") == snapshot(tmp_path / "forked") == snapshot(tmp_path / "one-process")
    # What the workers said of each page is the same too: the next build relies on it.
    assert spawned.memo.pages == forked.memo.pages and spawned.memo.deps == forked.memo.deps


def test_without_fork_a_rebuild_parses_the_edited_report_itself(site_copy: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    output = tmp_path / "out"
    build(site_copy, output)
    report = site_copy / "content/2021/qingdao.md"
    report.write_text(report.read_text(encoding="utf-8") + "\n补充的一段。\n", encoding="utf-8")
    monkeypatch.setenv("BULLETIN_PORTABLE", "1")

    def no_fork() -> int:
        raise AssertionError("forked where fork is not to be used")

    monkeypatch.setattr(os, "fork", no_fork)
    assert Builder(site_copy, output).build().patched == 1
    monkeypatch.undo()
    build(site_copy, tmp_path / "cold")
    assert snapshot(output) == snapshot(tmp_path / "cold")


# The output swapped in without renameat2 ---------------------------------------------------
# A full build swaps its staging folder for the output; a rebuild that knows the last build's
# state patches the output in place instead. Without that state, every build is a full one.

def _forget_state(site: Path) -> None:
    shutil.rmtree(site / CACHE_DIR)


def test_without_renameat2_the_output_is_swapped_by_two_renames(site_copy: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    build(site_copy, out)
    (site_copy / "content/2021/qingdao.md").unlink()
    _forget_state(site_copy)
    monkeypatch.setenv("BULLETIN_PORTABLE", "1")
    renames: list[tuple[str, str]] = []
    rename = os.rename
    monkeypatch.setattr(os, "rename", lambda a, b: (renames.append((Path(a).name, Path(b).name)), rename(a, b))[1])
    build(site_copy, out)
    assert renames == [("out", ".out.old"), (".out.staging", "out")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"]
    monkeypatch.undo()
    build(site_copy, tmp_path / "cold")
    assert snapshot(out) == snapshot(tmp_path / "cold")


_KILLED_BETWEEN_THE_RENAMES = """
import os, signal, sys
rename = os.rename
def rename_then_die(a, b):
    rename(a, b)
    if str(b).endswith(".out.old"):
        os.kill(os.getpid(), signal.SIGKILL)
os.rename = rename_then_die
from bulletin.cli import run
run()
"""


def test_a_build_killed_between_the_two_renames_is_undone_by_the_next(site_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(site_copy, out)
    before = snapshot(out)
    (site_copy / "content/2021/qingdao.md").unlink()
    _forget_state(site_copy)
    killed = subprocess.run([sys.executable, "-c", _KILLED_BETWEEN_THE_RENAMES, "build", str(site_copy), "-o", str(out)],
                            capture_output=True, text=True, env={**os.environ, "BULLETIN_PORTABLE": "1"}, timeout=60)
    assert killed.returncode == -signal.SIGKILL
    assert not out.exists() and (tmp_path / ".out.old").is_dir()  # moved aside whole, not half-written
    # The next build puts the old output back first: when it fails, the old output stands.
    (site_copy / "content/2021/guiyang.md").write_text("---\ntitle: 坏\n", encoding="utf-8")
    with pytest.raises(BuildError):
        build(site_copy, out)
    assert snapshot(out) == before
    (site_copy / "content/2021/guiyang.md").write_bytes((GOLDEN_SITE / "content/2021/guiyang.md").read_bytes())
    build(site_copy, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"]
    build(site_copy, tmp_path / "cold")
    assert snapshot(out) == snapshot(tmp_path / "cold")


def test_a_second_rename_that_fails_puts_the_old_output_back(site_copy: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """On Windows a folder cannot be renamed while a program has a file in it open."""
    out = tmp_path / "out"
    build(site_copy, out)
    before = snapshot(out)
    (site_copy / "content/2021/qingdao.md").unlink()
    _forget_state(site_copy)
    monkeypatch.setenv("BULLETIN_PORTABLE", "1")
    rename = os.rename

    def held_open(a: str, b: str) -> None:
        if str(a).endswith(".out.staging"):
            raise PermissionError(13, "The process cannot access the file because it is being used by another process", str(a))
        rename(a, b)

    monkeypatch.setattr(os, "rename", held_open)
    assert main(["build", str(site_copy), "-o", str(out)]) == 1
    assert capsys.readouterr().err.startswith(f"bulletin: cannot write {tmp_path.as_posix()}/.out.staging: ")
    assert snapshot(out) == before
    monkeypatch.undo()
    build(site_copy, out)  # and the next build goes through
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"]


def test_a_signal_between_the_renames_waits_until_both_are_done() -> None:
    done = []
    with pytest.raises(KeyboardInterrupt):
        with system.held_signals():
            signal.raise_signal(signal.SIGINT)
            done.append("the second rename")
    assert done == ["the second rename"]


# Files as Windows editors save them --------------------------------------------------------

def _crlf(root: Path, suffixes: tuple[str, ...] = (".md", ".yaml", ".html")) -> None:
    for path in root.rglob("*"):
        if path.suffix in suffixes:
            path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


def test_crlf_line_ends_build_the_same_site_as_lf(site_copy: Path, tmp_path: Path) -> None:
    (site_copy / "templates").mkdir()
    (site_copy / "templates/zone.html").write_bytes((REPO / "themes/default/templates/zone.html").read_bytes())
    build(site_copy, tmp_path / "lf")
    _crlf(site_copy)
    assert b"\r\n" in (site_copy / "content/2021/qingdao.md").read_bytes()
    assert b"\r\n" in (site_copy / "bulletin.yaml").read_bytes()
    build(site_copy, tmp_path / "crlf")
    assert snapshot(tmp_path / "crlf") == snapshot(tmp_path / "lf")
    assert not any(b"\r" in data for rel, data in snapshot(tmp_path / "crlf").items() if rel.endswith((".html", ".xml")))


def test_crlf_problems_name_the_same_lines(site_copy: Path, tmp_path: Path) -> None:
    report = site_copy / "content/2021/qingdao.md"
    report.write_text(report.read_text(encoding="utf-8").replace("zone: qingdao", "zone: qingdoa"), encoding="utf-8")
    with pytest.raises(BuildError) as lf:
        build(site_copy, tmp_path / "out")
    _crlf(site_copy)
    with pytest.raises(BuildError) as crlf:
        build(site_copy, tmp_path / "out")
    assert [p.format() for p in crlf.value.problems] == [p.format() for p in lf.value.problems]
    assert lf.value.problems[0].format().startswith("content/2021/qingdao.md:4: unknown zone 'qingdoa'")


def test_paths_shown_to_people_have_forward_slashes_on_windows_too() -> None:
    root = PureWindowsPath(r"C:\Users\编辑\公报")
    assert site_path(PureWindowsPath(r"C:\Users\编辑\公报\content\2021\青岛.md"), root) == "content/2021/青岛.md"
    assert site_path(PureWindowsPath(r"c:\users\编辑\公报\static\css\a.css"), root) == "static/css/a.css"  # any case
    assert site_path(PureWindowsPath(r"D:\themes\default\static\x.css"), root) == "D:/themes/default/static/x.css"
    assert site_path(PurePosixPath("/srv/site/content/a.md"), PurePosixPath("/srv/site")) == "content/a.md"


def test_outputs_that_differ_only_in_case_are_refused(site_copy: Path, tmp_path: Path) -> None:
    """On Windows and macOS, static/Logo.png and static/logo.png would be one file: one would
    silently replace the other in the output."""
    (site_copy / "static").mkdir()
    (site_copy / "static/Logo.png").write_bytes(b"\x89PNG one")
    (site_copy / "static/logo.png").write_bytes(b"\x89PNG two")
    for in_memory in (False, True):
        with pytest.raises(BuildError) as refused:
            Builder(site_copy, tmp_path / "out", in_memory=in_memory).build()
        assert [p.format() for p in refused.value.problems] == [
            "static/logo.png: two outputs differ only in upper and lower case: Logo.png (from static/Logo.png) and "
            "logo.png (from static/logo.png); on Windows and macOS they would be the same file\n"
            "  hint: rename one of them, or give one of the reports a different slug"]
    assert not (tmp_path / "out").exists()


def test_attachments_that_differ_only_in_case_are_refused(site_copy: Path, tmp_path: Path) -> None:
    folder = site_copy / "content/2021"
    (folder / "Chart.png").write_bytes((folder / "chart.png").read_bytes())
    report = folder / "chongqing.md"
    report.write_text(report.read_text(encoding="utf-8") + "\n![另一张图](Chart.png)\n", encoding="utf-8")
    with pytest.raises(BuildError) as refused:
        build(site_copy, tmp_path / "out")
    assert "differ only in upper and lower case" in refused.value.problems[0].message
    assert "/Chart" in refused.value.problems[0].message and "/chart" in refused.value.problems[0].message


# The preview server's file watcher --------------------------------------------------------

WINDOWS_SITE = PureWindowsPath(r"C:\Users\编辑\Documents\公报")


@pytest.mark.parametrize("reported, rel, rebuilds", [
    (r"C:\Users\编辑\Documents\公报\content\2021\青岛.md", "content/2021/青岛.md", True),
    (r"c:\users\编辑\documents\公报\content\2021\青岛.md", "content/2021/青岛.md", True),  # drive and names in any case
    (r"C:\Users\编辑\Documents\公报\Content\2021\a.md", "Content/2021/a.md", True),
    (r"\\?\C:\Users\编辑\Documents\公报\bulletin.yaml", "bulletin.yaml", True),  # the long-path prefix
    ("C:/Users/编辑/Documents/公报/templates/article.html", "templates/article.html", True),  # forward slashes
    (r"C:\Users\编辑\Documents\公报\static\css\site.css", "static/css/site.css", True),
    (r"C:\Users\编辑\Documents\公报\build\index.html", "build/index.html", False),  # the output
    (r"C:\Users\编辑\Documents\公报\.bulletin-cache\x", ".bulletin-cache/x", False),
    (r"C:\Users\编辑\Documents\公报\content\2021\~$青岛.md.tmp", "content/2021/~$青岛.md.tmp", False),  # a scratch file
    (r"C:\Users\编辑\Documents\公报2\content\a.md", None, False),  # a folder that only starts the same
    (r"D:\content\a.md", None, False),
    (r"C:\Users\编辑\Documents\公报", "", False),
])
def test_the_watcher_understands_windows_paths(reported: str, rel: str | None, rebuilds: bool) -> None:
    assert site_relative(reported, WINDOWS_SITE) == rel
    assert relevant(reported, WINDOWS_SITE) is rebuilds


def test_the_watcher_matches_names_in_any_case_where_the_file_system_does() -> None:
    root = PurePosixPath("/Users/editor/Site")
    assert site_relative("/Users/editor/site/content/a.md", root, caseless=True) == "content/a.md"  # macOS
    assert site_relative("/Users/editor/site/content/a.md", root, caseless=False) is None  # Linux
    assert relevant("/Users/editor/Site/Bulletin.yaml", root, caseless=True)
    assert not relevant("/Users/editor/Site/Bulletin.yaml", root, caseless=False)
    assert relevant("/Users/editor/Site/content/a.md", root, caseless=False)
