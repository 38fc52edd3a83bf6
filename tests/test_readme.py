"""The README's examples, copied into a site as an editor would copy them, check and build."""

from __future__ import annotations

import re
from pathlib import Path

from bulletin.cli import main
from tests.conftest import REPO


def _block(heading: str, language: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index(f"\n{heading}\n"):]
    match = re.search(rf"```{language}\n(.*?)```", section, re.S)
    assert match, f"no {language} example under {heading}"
    return match.group(1)


def test_the_readme_config_and_report_examples_build(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "content/2021").mkdir(parents=True)
    (site / "bulletin.yaml").write_text(_block("### bulletin.yaml", "yaml"), encoding="utf-8")
    report = _block("### A report", "markdown")
    (site / "content/2021/example.md").write_text(report, encoding="utf-8")
    assert main(["check", str(site)]) == 0
    assert main(["build", str(site), "-q"]) == 0
    title = re.search(r"^title: (.+)$", report, re.M)
    assert title
    pages = [p.read_text(encoding="utf-8") for p in (site / "build").rglob("index.html")]
    assert any(title.group(1) in page for page in pages)
