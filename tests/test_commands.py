"""`bulletin check`, `new` and `init` end to end through the command line, and report links."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bulletin.build import BuildOptions, build
from bulletin.cli import main
from tests.conftest import snapshot


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bulletin", *args], capture_output=True, text=True, cwd=cwd, timeout=120)



def test_check_passes_a_good_site_and_writes_nothing(site_copy: Path) -> None:
    before = snapshot(site_copy)
    result = run("check", str(site_copy))
    assert result.returncode == 0
    assert result.stderr == "checked 4 reports: no errors, 0 warnings\n"
    assert snapshot(site_copy) == before


def test_check_reports_every_problem_and_exits_1(site_copy: Path) -> None:
    report = site_copy / "content/2021/qingdao.md"
    report.write_text(report.read_text().replace("zone: qingdao", "zone: qingdoa").replace("tags:", "tag:"))
    (site_copy / "content/2021/link.md").write_text(
        "---\ntitle: 链接\ndate: 2021-03-10\nzone: qingdao\n---\n\n见[前文](../2020/nothing.md)与![图](none.png)。\n")
    result = run("check", str(site_copy))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "content/2021/link.md:7: image 'none.png' not found (looked for content/2021/none.png)",
        "  hint: check the file name; paths are relative to the report's file",
        "content/2021/link.md:7: link to a report that does not exist: '../2020/nothing.md' (looked for content/2020/nothing.md)",
        "  hint: check the file name; paths are relative to the report's file",
        "content/2021/qingdao.md:4: unknown zone 'qingdoa'",
        "  hint: did you mean 'qingdao'?",
        "content/2021/qingdao.md:6: unknown front-matter key 'tag'",
        "  hint: did you mean 'tags'?",
        "bulletin: 4 errors, 0 warnings",
    ]
    assert not (site_copy / "build").exists()


def test_check_json_for_ci(site_copy: Path) -> None:
    (site_copy / "content/2021/notes.txt").write_text("editor's notes")
    result = run("check", str(site_copy), "--format", "json")
    assert result.returncode == 0  # warnings only
    report = json.loads(result.stdout)
    assert report["errors"] == [] and report["reports"] == 4
    assert report["warnings"] == [{"path": "content/2021/notes.txt", "line": None, "severity": "warning",
                                   "message": "this file is not a report (.md) and no report uses it",
                                   "hint": "link it from a report, move it to static/, or delete it",
                                   "code": "this file is not a report (.md) and no report uses it"}]
    (site_copy / "content/2021/chongqing.md").write_text("---\ntitle: x\n")
    failed = json.loads(run("check", str(site_copy), "--format", "json").stdout)
    assert failed["errors"][0]["path"] == "content/2021/chongqing.md"
    assert failed["errors"][0]["message"] == "the front-matter is never closed"


def test_links_between_reports_become_urls(site_copy: Path, tmp_path: Path) -> None:
    (site_copy / "content/2021/followup.md").write_text(
        "---\ntitle: 后续报道\ndate: 2021-03-25\nzone: guiyang\n---\n\n"
        "见[前文](guiyang.md)、[去年](../2020/guiyang-2020.md#jie-guo)和[附件](files/data.csv)。\n\n"
        "还有[未发布的稿件](draft.md)。\n")
    (site_copy / "content/2021/files").mkdir()
    (site_copy / "content/2021/files/data.csv").write_text("a,b\n1,2\n")
    warnings: list = []
    build(site_copy, tmp_path / "out", warnings=warnings)
    html = (tmp_path / "out/2021/03/hou-xu-bao-dao/index.html").read_text()
    assert '<a href="/gaoxin/2021/03/gui-yang-gao-xin-qu-shuang-di-yi-bei-hou-de-fa-zhan-mi-ma/">前文</a>' in html
    assert '<a href="/gaoxin/2020/12/guiyang-2020-zhao-shang/#jie-guo">去年</a>' in html
    assert '<a href="files/data.csv">附件</a>' in html
    assert (tmp_path / "out/2021/03/hou-xu-bao-dao/files/data.csv").read_text() == "a,b\n1,2\n"
    assert '<a href="/gaoxin/2021/03/shang-wei-wan-cheng-de-gao-jian/">未发布的稿件</a>' in html
    assert [w.format() for w in warnings] == [
        "content/2021/followup.md:9: warning: links to content/2021/draft.md, which is a draft or dated in the future\n"
        "  hint: the link will not work until that report is published"]


def test_new_writes_a_draft_that_checks_and_builds(site_copy: Path, tmp_path: Path) -> None:
    result = run("new", "重庆高新区：16个项目集中开工", "--zone", "重庆高新区", "--tags", "重大项目,产业招商",
                 "--reporter", "张洁，文铭权", "--date", "2021-03-22", cwd=site_copy)
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path == site_copy / "content/2021/chong-qing-gao-xin-qu-16-ge-xiang-mu-ji-zhong-kai-gong.md"
    text = path.read_text()
    assert 'title: "重庆高新区：16个项目集中开工"\ndate: 2021-03-22\nzone: 重庆高新区\n' in text
    assert "\nslug: chong-qing-gao-xin-qu-16-ge-xiang-mu-ji-zhong-kai-gong  # " in text
    assert 'reporter: ["张洁", "文铭权"]\ntags: ["重大项目", "产业招商"]\n' in text
    assert "\ndraft: true  # " in text and "draft: false" not in text
    assert "本报讯（记者 张洁 文铭权）3月22日，……" in text  # as guidance, in a comment

    # A draft: checked like any report, published only with --drafts, and showing no stub.
    assert run("check", str(site_copy)).returncode == 0
    checked = run("check", str(site_copy), "--drafts")
    assert checked.returncode == 0 and checked.stderr == "checked 6 reports: no errors, 0 warnings\n"
    address = "2021/03/chong-qing-gao-xin-qu-16-ge-xiang-mu-ji-zhong-kai-gong/index.html"
    build(site_copy, tmp_path / "out")
    assert not (tmp_path / "out" / address).exists()
    assert "16个项目" not in (tmp_path / "out/index.html").read_text()
    build(site_copy, tmp_path / "drafts", BuildOptions(drafts=True))
    page = (tmp_path / "drafts" / address).read_text()
    assert "<h1>重庆高新区：16个项目集中开工</h1>" in page and "本报讯" not in page

    # The address is the slug written down: correcting the headline does not move it.
    path.write_text(text.replace("16个项目集中开工", "16个重大项目集中开工"))
    build(site_copy, tmp_path / "retitled", BuildOptions(drafts=True))
    assert "<h1>重庆高新区：16个重大项目集中开工</h1>" in (tmp_path / "retitled" / address).read_text()

    again = run("new", "重庆高新区：16个项目集中开工", "--zone", "重庆高新区", "--date", "2021-03-22", cwd=site_copy)
    assert again.returncode == 1
    assert "a report with this file name already exists" in again.stderr


def test_new_cuts_a_long_headline_to_a_short_address(site_copy: Path) -> None:
    title = "首都科技条件平台“百进千”集成电路产业对接会举行"
    result = run("new", title, "--zone", "guiyang", "--date", "2021-03-22", "--site", str(site_copy))
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).name == "shou-du-ke-ji-tiao-jian-ping-tai-bai-jin-qian-ji-cheng-dian.md"
    assert "\nslug: shou-du-ke-ji-tiao-jian-ping-tai-bai-jin-qian-ji-cheng-dian  #" in Path(result.stdout.strip()).read_text()

    config = site_copy / "bulletin.yaml"
    config.write_text(config.read_text() + "slug_length: 30\n")
    result = run("new", title, "--zone", "guiyang", "--date", "2021-03-23", "--site", str(site_copy))
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).name == "shou-du-ke-ji-tiao-jian-ping.md"


def test_slug_length_cuts_report_addresses(site_copy: Path, tmp_path: Path) -> None:
    config = site_copy / "bulletin.yaml"
    config.write_text(config.read_text() + "slug_length: 20\n")
    build(site_copy, tmp_path / "out")
    # gui-yang-gao-xin-qu-shuang-di-yi-… without a slug of its own; guiyang-2020-zhao-shang has one
    assert (tmp_path / "out/2021/03/gui-yang-gao-xin-qu/index.html").is_file()
    assert (tmp_path / "out/2020/12/guiyang-2020-zhao-shang/index.html").is_file()


def test_a_bad_slug_length_is_named_with_its_line(site_copy: Path) -> None:
    config = site_copy / "bulletin.yaml"
    config.write_text(config.read_text() + "slug_length: 10\n")
    result = run("check", str(site_copy))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == "bulletin.yaml:20: 'slug_length' must be a whole number from 20 to 200, not 10"


def test_a_bad_line_join_is_named_with_its_line(site_copy: Path) -> None:
    config = site_copy / "bulletin.yaml"
    assert len(config.read_text().splitlines()) == 19
    config.write_text(config.read_text() + "line_join: newspaper\n")
    result = run("check", str(site_copy))
    assert result.returncode == 1
    assert result.stderr.splitlines()[:2] == [
        "bulletin.yaml:20: 'line_join' must be cjk or css3, not 'newspaper'",
        "  hint: cjk (the default): a line break next to Chinese disappears; css3: only one between two Chinese characters does (CSS Text 3)",
    ]


WRAPPED = "---\ntitle: 签约\ndate: 2021-03-10\nzone: qingdao\n---\n\n全年共签约项目\n15个，拉动全省\nGDP增长\n0.5个百分点。\nHello\nworld.\n"


def test_hard_wraps_next_to_digits_and_latin_leave_no_space(site_copy: Path, tmp_path: Path) -> None:
    (site_copy / "content/2021/wrapped.md").write_text(WRAPPED)
    build(site_copy, tmp_path / "out")
    html = (tmp_path / "out/2021/03/qian-yue/index.html").read_text()
    assert "<p>全年共签约项目15个，拉动全省GDP增长0.5个百分点。Hello\nworld.</p>" in html


def test_line_join_css3_keeps_a_space_next_to_digits_and_latin(site_copy: Path, tmp_path: Path) -> None:
    (site_copy / "content/2021/wrapped.md").write_text(WRAPPED)
    config = site_copy / "bulletin.yaml"
    config.write_text(config.read_text() + "line_join: css3\n")
    build(site_copy, tmp_path / "out")
    html = (tmp_path / "out/2021/03/qian-yue/index.html").read_text()
    assert "<p>全年共签约项目\n15个，拉动全省\nGDP增长\n0.5个百分点。\nHello\nworld.</p>" in html


def test_new_uses_today_in_the_sites_time_zone(site_copy: Path) -> None:
    result = run("new", "今天的报道", "--zone", "guiyang", "--site", str(site_copy))
    assert result.returncode == 0, result.stderr
    today = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")
    assert f"date: {today}\n" in Path(result.stdout.strip()).read_text()


def test_new_refuses_an_unknown_zone_with_a_hint(site_copy: Path) -> None:
    before = snapshot(site_copy)
    result = run("new", "标题", "--zone", "重庆高薪区", "--site", str(site_copy))
    assert result.returncode == 1
    assert result.stderr == "bulletin: unknown zone '重庆高薪区'\n  hint: did you mean '重庆高新区'?\nbulletin: 1 error; nothing was written\n"
    assert snapshot(site_copy) == before


def test_new_in_a_zone_not_yet_registered_says_how_to_register_it(site_copy: Path) -> None:
    before = snapshot(site_copy)
    result = run("new", "成都高新区发布首批机会清单", "--zone", "成都高新区", "--site", str(site_copy))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "bulletin: unknown zone '成都高新区'",
        "  hint: add it to zones: in bulletin.yaml as - {name: 成都高新区, slug: chengdu}"
        " (registered now: 贵阳高新区, 重庆高新区, 青岛高新区)",
        "bulletin: 1 error; nothing was written",
    ]
    assert snapshot(site_copy) == before
    # Registered as the hint says, the zone is found by name and by its slug.
    config = site_copy / "bulletin.yaml"
    config.write_text(config.read_text().replace("zones:\n", "zones:\n  - {name: 成都高新区, slug: chengdu}\n"))
    assert run("new", "成都高新区发布首批机会清单", "--zone", "chengdu", "--site", str(site_copy)).returncode == 0


def test_init_makes_a_site_that_builds_at_once(tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "新站"))
    assert result.returncode == 0, result.stderr
    assert run("check", str(tmp_path / "新站")).returncode == 0
    built = run("build", str(tmp_path / "新站"))
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "新站/build/2021/03/gui-yang-gao-xin-qu-shuang-di-yi-bei-hou-de-fa-zhan-mi-ma/index.html").is_file()
    again = run("init", str(tmp_path / "新站"))
    assert again.returncode == 1 and "already holds a site" in again.stderr


def test_build_is_quiet_when_asked_and_prints_no_bar_when_piped(tmp_path: Path) -> None:
    from tests.conftest import GOLDEN_SITE, fixture_copy, snapshot

    site = fixture_copy(GOLDEN_SITE, tmp_path)
    quiet = run("build", str(site), "-o", str(tmp_path / "a"), "-q")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    loud = run("build", str(site), "-o", str(tmp_path / "b"))
    assert loud.stderr == ""  # no progress bar when not on a terminal
    assert loud.stdout.startswith("built 4 reports: 33 pages, 16 feeds")


@pytest.mark.parametrize("argv", [["build", "--help"], ["check", "--help"], ["serve", "--help"], ["new", "--help"], ["init", "--help"]])
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    assert "usage: bulletin" in capsys.readouterr().out


def test_verbose_build_says_what_it_did_and_what_it_reused(site_copy: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    first = run("build", str(site_copy), "-o", out, "-v")
    assert first.returncode == 0
    lines = first.stdout.splitlines()
    assert lines[1].startswith("  read and check: ") and lines[2].startswith("  render and write: ")
    total = re.search(r"rendered (\d+) of (\d+) pages and feeds", first.stdout)
    assert total and total.group(1) == total.group(2)
    again = run("build", str(site_copy), "-o", out, "-v")
    assert "nothing changed since the last build: the output folder was left as it is" in again.stdout
    (site_copy / "content/2021/qingdao.md").write_text((site_copy / "content/2021/qingdao.md").read_text() + "\n补充。\n")
    edited = re.search(r"rendered (\d+) of (\d+)", run("build", str(site_copy), "-o", out, "-v").stdout)
    assert edited and 0 < int(edited.group(1)) < int(edited.group(2))
