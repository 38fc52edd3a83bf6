"""Messages in Chinese and English: the catalogue is complete and compiled, the language is
chosen as documented (--lang, BULLETIN_LANG, the site's language, the locale), and every way
bulletin speaks (problems, summary, check, JSON, help, the serve error page) follows it."""

from __future__ import annotations

import json
import pickle
import shutil
import string
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from bulletin import i18n
from bulletin.cli import main
from bulletin.errors import Problem, shown
from tests.conftest import FIXTURES, REPO

LOCALE = REPO / "bulletin" / "locale"
PO = LOCALE / "zh_CN" / "LC_MESSAGES" / "bulletin.po"
MO = PO.with_suffix(".mo")


def _catalogue():  # type: ignore[no-untyped-def]
    """The Chinese catalogue as Babel (a test dependency: see pyproject.toml) reads it."""
    read_po = pytest.importorskip("babel.messages.pofile").read_po
    with PO.open("rb") as file:
        return read_po(file, locale="zh_CN")


def _extracted(tmp_path: Path) -> set[str]:
    """The msgids in the code, as `pybabel extract` finds them (see bulletin/locale/README.md)."""
    pot = tmp_path / "bulletin.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(LOCALE / "babel.cfg"),
                    "-k", "_now", "-k", "N_", "--no-location", "-o", str(pot), "."],
                   cwd=REPO, check=True, capture_output=True, timeout=120)
    read_po = pytest.importorskip("babel.messages.pofile").read_po
    with pot.open("rb") as file:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(file) if m.id}


def test_every_message_in_the_code_has_a_reviewed_chinese_translation(tmp_path: Path) -> None:
    catalogue = _catalogue()
    translated = {}
    for message in catalogue:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        text = message.string if isinstance(message.string, str) else message.string[0]
        assert text.strip(), f"no Chinese for {key!r}"
        assert not message.fuzzy, f"the Chinese for {key!r} is marked fuzzy: review it and remove the mark"
        translated[key] = text
    in_code = _extracted(tmp_path)
    assert sorted(in_code - set(translated)) == [], "messages without Chinese: run the commands of bulletin/locale/README.md"
    assert sorted(set(translated) - in_code) == [], "translations of messages the code no longer has"
    assert len(in_code) > 250


def _fields(text: str) -> set[str]:
    brace = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    percent = set(__import__("re").findall(r"%\(\w+\)\w|%s", text))
    return brace | percent


def test_each_translation_keeps_the_placeholders_of_its_message() -> None:
    for message in _catalogue():
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else message.id[1]
        chinese = message.string if isinstance(message.string, str) else message.string[0]
        assert _fields(chinese) == _fields(english), f"placeholders differ: {english!r} → {chinese!r}"


def test_the_committed_mo_is_compiled_from_the_committed_po(tmp_path: Path) -> None:
    write_mo = pytest.importorskip("babel.messages.mofile").write_mo
    compiled = tmp_path / "bulletin.mo"
    with compiled.open("wb") as file:
        write_mo(file, _catalogue())
    assert compiled.read_bytes() == MO.read_bytes(), "run: pybabel compile -d bulletin/locale -D bulletin"


# Choosing the language -----------------------------------------------------------------------

@pytest.fixture
def no_language(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """No --lang, no BULLETIN_LANG, an English locale: each test sets what it needs."""
    for name in ("BULLETIN_LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    yield monkeypatch
    i18n.set_language("en")


def _site(tmp_path: Path, language: str | None) -> Path:
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "broken" / "unknown-zone", site)
    config = site / "bulletin.yaml"
    text = "\n".join(line for line in config.read_text(encoding="utf-8").splitlines() if not line.startswith("language:"))
    config.write_text(text + (f"\nlanguage: {language}\n" if language else "\n"), encoding="utf-8")
    return site


CHINESE = "content/a.md:4: 未知的高新区“贵阳高薪区”\n  提示：是否是“贵阳高新区”？\nbulletin：1个错误，0个警告\n"
ENGLISH = "content/a.md:4: unknown zone '贵阳高薪区'\n  hint: did you mean '贵阳高新区'?\nbulletin: 1 error, 0 warnings\n"


@pytest.mark.parametrize("site_language, env, locale, option, expected", [
    ("zh-CN", None, "en_US.UTF-8", None, CHINESE),      # a Chinese site, on an English machine
    ("en", None, "zh_CN.UTF-8", None, ENGLISH),         # the site's language before the locale
    (None, None, "zh_CN.UTF-8", None, CHINESE),          # no language in bulletin.yaml: the default, zh-CN
    ("zh-CN", "en", "zh_CN.UTF-8", None, ENGLISH),      # BULLETIN_LANG before the site
    ("en", "en", "en_US.UTF-8", "zh", CHINESE),         # --lang before everything
    ("zh-TW", "zh", "C", "en", ENGLISH),
], ids=["chinese-site", "english-site", "site-default", "env", "option-zh", "option-en"])
def test_the_language_follows_option_then_environment_then_site_then_locale(
        site_language: str | None, env: str | None, locale: str, option: str | None, expected: str,
        tmp_path: Path, no_language: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    if env:
        no_language.setenv("BULLETIN_LANG", env)
    no_language.setenv("LANG", locale)
    site = _site(tmp_path, site_language)
    assert main([*(["--lang", option] if option else []), "check", str(site)]) == 1
    assert capsys.readouterr().err == expected


def test_a_site_whose_config_cannot_be_read_speaks_the_language_of_the_locale(
        tmp_path: Path, no_language: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    no_language.setenv("LC_ALL", "zh_CN.UTF-8")
    assert main(["build", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (f"bulletin: {tmp_path.resolve()} 中没有 bulletin.yaml\n"
                                       "  提示：请在站点文件夹中运行 bulletin，或用 `bulletin init 文件夹` 新建一个站点\n"
                                       "bulletin：1个错误；没有写入任何文件\n")
    no_language.setenv("LC_ALL", "en_US.UTF-8")
    assert main(["build", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith("bulletin: no bulletin.yaml in ")


def test_choose_reads_the_locale_variables_in_order(no_language: pytest.MonkeyPatch) -> None:
    assert i18n.choose() == "en"
    no_language.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.choose() == "zh"
    no_language.setenv("LC_MESSAGES", "en_GB.UTF-8")
    assert i18n.choose() == "en"
    no_language.setenv("LC_ALL", "zh_TW.UTF-8")
    assert i18n.choose() == "zh"
    assert i18n.choose(site="en") == "en"
    no_language.setenv("BULLETIN_LANG", "zh")
    assert i18n.choose(site="en") == "zh"
    assert i18n.choose("en", site="zh") == "en"


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import os

    clean = {k: v for k, v in os.environ.items() if k not in ("BULLETIN_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")}
    return subprocess.run([sys.executable, "-m", "bulletin", *args], capture_output=True, text=True, timeout=60,
                          env={**clean, **env})


def test_help_is_in_chinese_for_a_chinese_locale_or_lang_zh() -> None:
    by_locale = _run("--help", env={"LANG": "zh_CN.UTF-8"})
    assert by_locale.returncode == 0
    assert by_locale.stdout.startswith("用法：bulletin ")
    assert "检查整个站点，不写入任何文件" in by_locale.stdout
    assert "退出状态：\n  0    完成\n" in by_locale.stdout
    assert "显示本帮助后退出" in by_locale.stdout
    assert _run("--lang", "zh", "check", "--help", env={"LANG": "en_US.UTF-8"}).stdout.startswith("用法：bulletin check ")
    english = _run("--help", env={"LANG": "zh_CN.UTF-8", "BULLETIN_LANG": "en"})
    assert english.stdout.startswith("usage: bulletin ") and "check the whole site without writing anything" in english.stdout
    wrong = _run("--lang", "zh", "check", "--format", "xml", env={})
    assert wrong.returncode == 2 and "无效的选项：'xml'" in wrong.stderr and "Traceback" not in wrong.stderr


# Everything that speaks follows the language -------------------------------------------------

def test_english_counts_are_singular_for_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = _site(tmp_path, "en")
    report = site / "content/a.md"
    report.write_text(report.read_text(encoding="utf-8").replace("贵阳高薪区", "贵阳高新区"), encoding="utf-8")
    (site / "content/notes.txt").write_text("editor's notes")
    assert main(["check", str(site)]) == 0
    assert capsys.readouterr().err.endswith("checked 1 report: no errors, 1 warning\n")
    (site / "content/notes.txt").unlink()
    (site / "content/b.md").write_text("---\ntitle: 第二篇\ndate: 2021-03-20\nzone: qingdao\n---\n\n正文。\n", encoding="utf-8")
    assert main(["check", str(site)]) == 0
    assert capsys.readouterr().err == "checked 2 reports: no errors, 0 warnings\n"
    (site / "content/b.md").write_text("---\ntitle: 第二篇\n", encoding="utf-8")
    assert main(["check", str(site)]) == 1
    assert capsys.readouterr().err.endswith("\nbulletin: 1 error, 0 warnings\n")


def test_build_summary_and_check_in_chinese(site_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "zh", "check", str(site_copy)]) == 0
    assert capsys.readouterr().err == "已检查4篇报道：没有错误，0个警告\n"
    assert main(["--lang", "zh", "build", "-q", str(site_copy), "-o", str(tmp_path / "out")]) == 0
    assert main(["--lang", "zh", "build", str(site_copy), "-o", str(tmp_path / "out")]) == 0
    said = capsys.readouterr().out
    assert said.startswith("已构建4篇报道：") and "个页面、" in said and "个订阅源、" in said and said.rstrip().endswith("秒")


def test_check_json_in_chinese_keeps_a_stable_english_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "zh", "check", str(FIXTURES / "broken" / "unknown-zone"), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == [{"path": "content/a.md", "line": 4, "severity": "error",
                                 "message": "未知的高新区“贵阳高薪区”", "hint": "是否是“贵阳高新区”？",
                                 "code": "unknown zone {zone}"}]


def test_a_problem_made_in_a_worker_is_shown_in_the_language_chosen_later() -> None:
    """Problems travel from worker processes pickled: they keep their msgid and parameters."""
    from bulletin.frontmatter import ZoneIndex
    from bulletin.config import Zone

    hint = ZoneIndex((Zone(name="重庆高新区", slug="chongqing"),)).hint("重庆高薪区")
    problem = pickle.loads(pickle.dumps(Problem(i18n._("unknown zone {zone}").format(zone=shown("重庆高薪区")),
                                                "content/2021/a.md", 4, hint=hint)))
    try:
        i18n.set_language("zh")
        assert problem.format() == "content/2021/a.md:4: 未知的高新区“重庆高薪区”\n  提示：是否是“重庆高新区”？"
        i18n.set_language("en")
        assert problem.format() == "content/2021/a.md:4: unknown zone '重庆高薪区'\n  hint: did you mean '重庆高新区'?"
    finally:
        i18n.set_language("en")


def test_the_serve_error_page_speaks_the_language(capsys: pytest.CaptureFixture[str]) -> None:
    from bulletin.serve import SiteHandler

    problems = [Problem(i18n._("the report has no body text"), "content/a.md", 5,
                        hint=i18n._("write the report below the closing '---'"))]
    fake = SimpleNamespace(preview=SimpleNamespace(problems=problems), _inject=lambda data: data)
    try:
        i18n.set_language("zh")
        page = SiteHandler._error_page(fake).decode()  # type: ignore[arg-type]
        assert '<html lang="zh-CN">' in page and "<h1>构建失败</h1>" in page
        assert "<code>content/a.md:5</code>: 报道没有正文" in page
        assert "提示：请在结束行“---”下面写报道正文" in page
        i18n.set_language("en")
        page = SiteHandler._error_page(fake).decode()  # type: ignore[arg-type]
        assert '<html lang="en">' in page and "<h1>Build failed</h1>" in page
        assert "<code>content/a.md:5</code>: the report has no body text" in page
        assert "hint: write the report below the closing &#x27;---&#x27;" in page
    finally:
        i18n.set_language("en")


def test_a_warning_is_labelled_in_the_language(site_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (site_copy / "content/2021/notes.txt").write_text("editor's notes")
    assert main(["--lang", "zh", "check", str(site_copy)]) == 0
    assert capsys.readouterr().err == ("content/2021/notes.txt: 警告：这个文件不是报道（.md），也没有报道用到它\n"
                                       "  提示：请在报道中链接它，或移到 static/，或删除它\n"
                                       "已检查4篇报道：没有错误，1个警告\n")
