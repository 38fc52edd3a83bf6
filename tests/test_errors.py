"""Broken sites: every problem reported at once, as exact `path:line: message` text, and nothing
written. Each folder of tests/fixtures/broken is a site; its expected.txt is what bulletin prints.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bulletin.cli import main
from tests.conftest import FIXTURES, snapshot

BROKEN = sorted(p for p in (FIXTURES / "broken").iterdir() if p.is_dir())



@pytest.mark.parametrize("site", BROKEN, ids=[p.name for p in BROKEN])
def test_broken_site_reports_exact_errors_and_writes_nothing(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "build"
    output.mkdir()
    (output / "index.html").write_text("the previous build")
    (output / "old").mkdir()
    (output / "old" / "page.html").write_text("an older page")
    before = snapshot(output)

    code = main(["build", str(site), "-o", str(output)])

    captured = capsys.readouterr()
    assert code == 1
    assert captured.err == (site / "expected.txt").read_text(encoding="utf-8")
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
