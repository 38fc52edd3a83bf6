"""Broken sites: every problem reported at once, as exact `path:line: message` text, and nothing
written. Each folder of tests/fixtures/broken is a site; its expected.txt is what bulletin prints
in English, expected.zh.txt what it prints in Chinese. Regenerate them on purpose with
`UPDATE_EXPECTED=1 python -m pytest tests/test_errors.py` and review the difference.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bulletin.cli import main
from tests.conftest import FIXTURES, snapshot

BROKEN = sorted(p for p in (FIXTURES / "broken").iterdir() if p.is_dir())
EXPECTED = {"en": "expected.txt", "zh": "expected.zh.txt"}


@pytest.mark.parametrize("lang", EXPECTED)
@pytest.mark.parametrize("site", BROKEN, ids=[p.name for p in BROKEN])
def test_broken_site_reports_exact_errors_and_writes_nothing(site: Path, lang: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "build"
    output.mkdir()
    (output / "index.html").write_text("the previous build")
    (output / "old").mkdir()
    (output / "old" / "page.html").write_text("an older page")
    before = snapshot(output)

    code = main(["--lang", lang, "build", str(site), "-o", str(output)])

    captured = capsys.readouterr()
    assert code == 1
    if os.environ.get("UPDATE_EXPECTED"):
        (site / EXPECTED[lang]).write_text(captured.err, encoding="utf-8")
    assert captured.err == (site / EXPECTED[lang]).read_text(encoding="utf-8")
    assert captured.out == ""
    assert snapshot(output) == before, "a failed build changed the output folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"], "a failed build left files beside the output"


def test_errors_never_show_a_traceback() -> None:
    site = FIXTURES / "broken" / "many-problems"
    result = subprocess.run([sys.executable, "-m", "bulletin", "build", str(site), "-o", "/nonexistent/never"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n  hint: ") >= 5
    assert not Path("/nonexistent/never").exists()


def test_a_missing_config_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"bulletin: no bulletin.yaml in {tmp_path.resolve()}\n  hint: ")


@pytest.mark.parametrize("output", [".", "content", "content/2021", "themes", ".."])
def test_refuses_to_build_over_the_site(site_copy: Path, output: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(site_copy)
    assert main(["build", str(site_copy), "-o", str(site_copy / output)]) == 1
    assert "refusing to build into" in capsys.readouterr().err
    assert snapshot(site_copy) == before


# Messages that point the right way ----------------------------------------------------------

def test_a_missing_builtin_theme_does_not_blame_the_config(site_copy: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The config does not set `theme`: the installation lacks its theme, and the message says so."""
    import bulletin.config as config

    monkeypatch.setattr(config, "BUILTIN_THEMES", tmp_path / "no-themes")
    assert main(["build", str(site_copy), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err == (f"bulletin: the built-in theme 'default' is missing from this installation of bulletin "
                   f"(looked in {(tmp_path / 'no-themes').as_posix()})\n"
                   "  hint: install bulletin again (e.g. pip install --force-reinstall bulletin), "
                   "or give the site a theme of its own in themes/default/\n"
                   "bulletin: 1 error; nothing was written\n")


def test_a_missing_theme_that_the_config_names_points_at_its_line(site_copy: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    config = site_copy / "bulletin.yaml"
    lines = config.read_text(encoding="utf-8").count("\n")
    config.write_text(config.read_text(encoding="utf-8") + "theme: dark\n", encoding="utf-8")
    assert main(["build", str(site_copy), "-o", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.startswith(
        f"bulletin.yaml:{lines + 1}: theme 'dark' not found in themes/\n"
        "  hint: themes live in themes/NAME/ (leave 'theme' out for the built-in default theme)\n")


def test_a_busy_port_names_the_port_and_suggests_another() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "bulletin", "serve", str(FIXTURES.parent.parent), "--port", str(port)],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == (f"bulletin: port {port} is already in use on 127.0.0.1\n"
                             f"  hint: stop the program that uses it (another bulletin serve?), or choose another port, "
                             f"e.g. bulletin serve --port {port + 1}\n"
                             "bulletin: 1 error\n")


@pytest.mark.parametrize("error, expected", [
    (PermissionError(13, "Permission denied"), "bulletin: not allowed to listen on port 80\n"
     "  hint: ports below 1024 need special rights; choose another port, e.g. bulletin serve --port 8000"),
    (OSError(99, "Cannot assign requested address"), "bulletin: cannot listen on 10.1.2.3, port 80: Cannot assign requested address\n"
     "  hint: --host takes an address of this machine, e.g. 127.0.0.1 (this machine only)"),
], ids=["low-port", "not-an-address-here"])
def test_other_reasons_the_server_cannot_listen(error: OSError, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import bulletin.serve as serve
    from bulletin.errors import BuildError

    def refuse(port: int, address: str) -> None:
        raise error

    monkeypatch.setattr(serve, "bind_sockets", refuse)
    with pytest.raises(BuildError) as refused:
        serve.listen("10.1.2.3", 80)
    assert refused.value.problems[0].format() == expected


def test_a_file_that_cannot_be_read_is_not_called_a_write_error(site_copy: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    (site_copy / "static").mkdir()
    (site_copy / "static/site.css").symlink_to(site_copy / "static/gone.css")  # a link to nothing
    out = tmp_path / "out"
    assert main(["build", str(site_copy), "-o", str(out)]) == 1
    said = capsys.readouterr().err
    assert said == ("static/site.css: this is a symbolic link to nothing (its file is gone)\n"
                    "  hint: remove the link, or put the file it names back\n"
                    "bulletin: 1 error; nothing was written\n")
    assert "cannot write" not in said
    assert not out.exists()


@pytest.mark.parametrize("error, expected", [
    (OSError(24, "Too many open files"), "bulletin: Too many open files\n"
     "  hint: run again with --debug to see where it happened; the output folder was left as it was\n"),
    (OSError(28, "No space left on device"), "bulletin: cannot write: No space left on device\n"
     "  hint: free some space or fix the folder's permissions; the output folder was left as it was\n"),
    (PermissionError(13, "Permission denied", "/outside/the/site/theme.css"), "bulletin: cannot read /outside/the/site/theme.css: Permission denied\n"
     "  hint: check that the file is there and that you may read it; the output folder was left as it was\n"),
], ids=["neither", "a-full-disk", "a-file-elsewhere"])
def test_system_errors_say_what_happened(error: OSError, expected: str, site_copy: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import bulletin.build as pipeline

    def fail(*args: object) -> None:
        raise error

    monkeypatch.setattr(pipeline, "copy_static", fail)
    assert main(["build", str(site_copy), "-o", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err == expected


def test_a_report_that_cannot_be_written_by_new_is_a_write_error(site_copy: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    def read_only(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", read_only)  # content/ is read-only
    assert main(["new", "标题", "--zone", "guiyang", "--date", "2021-03-22", "--site", str(site_copy)]) == 1
    assert capsys.readouterr().err == ("bulletin: cannot write content/2021: Permission denied\n"
                                       "  hint: free some space or fix the folder's permissions\n")


# One `check` reports every problem ----------------------------------------------------------

ALL_AT_ONCE = FIXTURES / "broken" / "all-at-once"


def test_one_check_finds_the_problems_of_config_front_matter_and_body_together(capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt config key does not hide the reports' problems; a front-matter problem does
    not hide the missing image and the broken link in the same report's body; the image that
    report does use is not called unused."""
    assert main(["check", str(ALL_AT_ONCE)]) == 1
    problems = (ALL_AT_ONCE / "expected.txt").read_text(encoding="utf-8").splitlines(keepends=True)[:-1]
    assert capsys.readouterr().err == "".join(problems) + "bulletin: 5 errors, 0 warnings\n"
    assert main(["--lang", "zh", "check", str(ALL_AT_ONCE)]) == 1
    problems = (ALL_AT_ONCE / "expected.zh.txt").read_text(encoding="utf-8").splitlines(keepends=True)[:-1]
    assert capsys.readouterr().err == "".join(problems) + "bulletin：5个错误，0个警告\n"


def test_check_json_counts_the_reports_also_when_there_are_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(ALL_AT_ONCE), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["reports"] == 3
    assert [(e["path"], e["line"]) for e in report["errors"]] == [
        ("bulletin.yaml", 3), ("content/2021/a.md", 4), ("content/2021/b.md", 5), ("content/2021/b.md", 12), ("content/2021/b.md", 14)]
    assert report["warnings"] == []


def test_a_file_no_report_names_is_still_unused_when_a_report_is_broken(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    shutil.copytree(ALL_AT_ONCE, site)
    report = site / "content/2021/b.md"
    report.write_text(report.read_text(encoding="utf-8").replace("![园区全景](yuan-qu.png)", "园区全景"), encoding="utf-8")
    assert main(["check", str(site)]) == 1
    said = capsys.readouterr().err
    assert "content/2021/yuan-qu.png: warning: this file is not a report (.md) and no report uses it\n" in said
    assert said.endswith("bulletin: 5 errors, 1 warning\n")


def test_without_zones_the_config_problems_come_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With no zones there is nothing to check reports against: no report is called wrong for it."""
    site = tmp_path / "site"
    shutil.copytree(ALL_AT_ONCE, site)
    (site / "bulletin.yaml").write_text("title: 测试公报\nbase_url: https://example.org/\nper_pag: 10\n", encoding="utf-8")
    assert main(["check", str(site)]) == 1
    assert capsys.readouterr().err == ("bulletin.yaml: missing required key 'zones'\n"
                                       "  hint: list the zones reports may name, e.g. zones: [{name: 贵阳高新区, slug: guiyang}]\n"
                                       "bulletin.yaml:3: unknown key 'per_pag'\n  hint: did you mean 'per_page'?\n"
                                       "bulletin: 2 errors, 0 warnings\n")
