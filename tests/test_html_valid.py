"""Every HTML page of the sample bulletin and of the fixture site is valid in the Nu HTML Checker."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, html_files

VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def _check(files: list[Path]) -> list[dict[str, object]]:
    assert VNU.is_file(), "the Nu HTML Checker is missing: run `npm ci` in the repository"
    java = shutil.which("java")
    assert java, "the Nu HTML Checker needs Java"
    result = subprocess.run([java, "-jar", str(VNU), "--format", "json", "--stdout", *map(str, files)],
                            capture_output=True, text=True, timeout=600)
    return [m for m in json.loads(result.stdout)["messages"] if m["type"] in ("error", "non-document-error") or m.get("subType") == "warning"]


@pytest.mark.slow
def test_every_page_is_valid_html(sample_build: Path, golden_build: Path) -> None:
    files = html_files(sample_build) + html_files(golden_build)
    assert len(files) > 60
    problems = _check(files)
    assert not problems, "\n".join(f"{m.get('url')}:{m.get('lastLine')}: {m['message']}" for m in problems[:30])


@pytest.mark.slow
def test_the_checker_catches_invalid_html(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html lang=zh-CN><title>x</title><p><div></p>")
    assert _check([page])
