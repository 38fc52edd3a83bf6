"""Hostile inputs cost no more than their size: many tags or reporters, huge tables, YAML
aliases, long values in messages. A limit that is hit is an error naming the file and line.

Each build runs as its own process, with a time limit and a memory limit, so an input that
would take minutes or gigabytes fails the test instead of the machine."""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import GOLDEN_SITE

MEMORY = 2 << 30  # bytes of address space for each bulletin process
REPORT = "content/2021/hostile.md"


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _run(*args: str | Path, seconds: float = 60) -> subprocess.CompletedProcess[str]:
    """`bulletin ARGS` in a process of its own; a run over the time limit fails the test."""
    try:
        return subprocess.run([sys.executable, "-m", "bulletin", *map(str, args)], capture_output=True, text=True,
                              timeout=seconds, preexec_fn=_limit)
    except subprocess.TimeoutExpired:
        pytest.fail(f"bulletin {' '.join(map(str, args))} took more than {seconds} s")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    target = tmp_path / "site"
    shutil.copytree(GOLDEN_SITE, target)
    return target


def _report(site: Path, front: str, body: str = "正文。\n") -> None:
    (site / REPORT).write_text(f"---\ntitle: 恶意的报道\ndate: 2021-03-05\nzone: qingdao\n{front}---\n\n{body}", encoding="utf-8")


# A billion laughs: ten lines whose last value stands for 9^10 (3.4 billion) strings.
LAUGHS = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join(["*" + chr(97 + i)] * 9) + "]\n" for i in range(9))


def test_a_billion_laughs_in_front_matter_is_refused_with_file_and_line(site: Path) -> None:
    # The date's error message showed the value: its repr never ended.
    (site / REPORT).write_text("---\ntitle: 恶意的报道\nzone: qingdao\n" + LAUGHS.replace("\nj:", "\ndate:") + "---\n\n正文。\n",
                               encoding="utf-8")
    for command in ("check", "build"):
        result = _run(command, site)
        assert result.returncode == 1, result.stderr
        assert f"{REPORT}:4: YAML anchors and aliases are not allowed in front-matter: this line has an anchor (&name)" in result.stderr
        assert "hint: write each value out in full" in result.stderr and "Traceback" not in result.stderr


def test_a_billion_laughs_in_the_config_is_refused_with_file_and_line(site: Path) -> None:
    config = site / "bulletin.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("per_page: 2\n", "") + LAUGHS.replace("\nj:", "\nper_page:"),
                      encoding="utf-8")
    lines = config.read_text(encoding="utf-8").splitlines()
    first = next(n for n, line in enumerate(lines, 1) if line.startswith("a: &a"))
    result = _run("build", site)
    assert result.returncode == 1, result.stderr
    assert f"bulletin.yaml:{first}: YAML anchors and aliases are not allowed in bulletin.yaml" in result.stderr


def test_an_alias_alone_is_refused(site: Path) -> None:
    _report(site, "tags: [*x]\n")
    result = _run("check", site)
    assert f"{REPORT}:5: YAML anchors and aliases are not allowed in front-matter: this line has an alias (*name)" in result.stderr


def test_an_anchor_alone_is_refused(site: Path) -> None:
    _report(site, "tags: &x [营商环境]\n")
    result = _run("check", site)
    assert result.returncode == 1
    assert f"{REPORT}:5: YAML anchors and aliases are not allowed in front-matter: this line has an anchor (&name)" in result.stderr


def test_stars_and_ampersands_in_values_are_still_text(site: Path) -> None:
    _report(site, "summary: \"A&B 与 *重点* 项目\"\ntags: [R&D]\n")
    result = _run("build", site)
    assert result.returncode == 0, result.stderr
    assert "A&amp;B 与 *重点* 项目" in (site / "build/tags/r-d/index.html").read_text(encoding="utf-8")


def test_long_values_are_cut_short_in_messages(site: Path) -> None:
    long = "2021年" * 20_000
    _report(site, f"position: 1\npage: 2\nedition: \"{long}\"\n")
    (site / "content/2021/other.md").write_text(f"---\ntitle: 另一篇\ndate: 2021-03-05\nzone: \"{long}\"\n---\n\n正文。\n",
                                                encoding="utf-8")
    result = _run("check", site)
    assert result.returncode == 1
    assert len(result.stderr) < 2000, result.stderr[:3000]
    assert f"{REPORT}:7: '2021年2021年" in result.stderr and "content/2021/other.md:4: unknown zone '2021年" in result.stderr
    assert "…' (100,000 characters)" in result.stderr
    config = site / "bulletin.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("per_page: 2", f"per_page: \"{long}\""), encoding="utf-8")
    result = _run("check", site)
    assert len(result.stderr) < 1000, result.stderr[:3000]
    assert ("bulletin.yaml:5: 'per_page' must be a whole number from 1 to 1000, not '2021年2021年" in result.stderr
            and "…' (100,000 characters)" in result.stderr)


def test_a_number_too_long_to_read_is_an_error_with_its_line(site: Path) -> None:
    _report(site, "position: " + "1" * 5000 + "\n")
    result = _run("check", site)
    assert result.returncode == 1
    assert f"{REPORT}:5: 'position' has a number too long to read" in result.stderr, result.stderr[:500]


def _names(count: int, word: str) -> str:
    return "[" + ", ".join(f"{word}{n}" for n in range(count)) + "]"


def test_a_report_with_2000_tags_is_an_error_not_minutes_of_building(site: Path) -> None:
    # Each tag has a page and two feeds showing the report with every tag: the output grew
    # with the square of the tags (1,000 tags: 154 MB, and over two minutes in feedgen).
    _report(site, f"tags: {_names(2000, '标签')}\n")
    result = _run("build", site)
    assert result.returncode == 1
    assert f"{REPORT}:5: a report may have at most 50 tags; this one has 2,000" in result.stderr
    assert not (site / "build").exists()


def test_a_report_with_1000_reporters_is_an_error(site: Path) -> None:
    _report(site, f"reporter: {_names(1000, '记者')}\n")
    result = _run("check", site)
    assert result.returncode == 1
    assert f"{REPORT}:5: a report may have at most 50 reporters; this one has 1,000" in result.stderr


def test_a_report_with_50_tags_and_50_reporters_builds_with_all_of_them_in_its_feeds(site: Path) -> None:
    import feedparser

    _report(site, f"tags: {_names(50, '标签')}\nreporter: {_names(50, '记者')}\n")
    result = _run("build", site)
    assert result.returncode == 0, result.stderr
    for feed in ("build/tags/biao-qian-7/feed.xml", "build/tags/biao-qian-7/atom.xml"):
        entry = feedparser.parse((site / feed).read_bytes()).entries[0]
        assert [t.term for t in entry.tags] == [f"标签{n}" for n in range(50)]
    atom = feedparser.parse((site / "build/tags/biao-qian-7/atom.xml").read_bytes()).entries[0]
    assert [a.name for a in atom.authors] == [f"记者{n}" for n in range(50)]


def test_a_7_mb_table_is_an_error_naming_the_line_where_the_limit_is_passed(site: Path) -> None:
    # It took 55 s and 5.2 GB to render: about 750 bytes of memory per byte of table.
    rows = "".join(f"| {n} | 数据 | 数值 |\n" for n in range(250_000))
    _report(site, "", "| 序号 | 名称 | 数值 |\n|---|---|---|\n" + rows)
    assert (site / REPORT).stat().st_size > 7_000_000
    result = _run("build", site)
    assert result.returncode == 1
    found = re.search(rf"^{REPORT}:(\d+): the report has more markup than bulletin renders in one report: "
                      r"over 250,000 table cells, list items, links, marks and paragraphs by this line$", result.stderr, re.M)
    assert found, result.stderr
    # The line of the row where the count passed the limit: 11 tokens a row.
    assert abs(int(found.group(1)) - 250_000 // 11) < 100
    assert "hint: split it into several reports" in result.stderr


@pytest.mark.parametrize("shape", ["list", "emphasis", "links", "quotes"])
def test_other_dense_markup_is_bounded_the_same_way(site: Path, shape: str) -> None:
    # Each just over the limit: 6 tokens a list item, 4 a mark, a link or a quoted paragraph.
    body = {"list": "- 项\n" * 45_000, "emphasis": "*强调* " * 65_000, "links": "[链接](https://example.org) " * 65_000,
            "quotes": "> 引用\n>\n" * 65_000}[shape]
    _report(site, "", body)
    result = _run("check", site)
    assert result.returncode == 1
    assert "the report has more markup than bulletin renders in one report" in result.stderr, result.stderr[:500]


def test_a_report_longer_than_16_mb_is_an_error_naming_the_line(site: Path) -> None:
    paragraph = "贵阳高新区围绕重点产业发展导向，累计对接洽谈优强名企。\n" * 20 + "\n"
    _report(site, "", paragraph * (17_000_000 // len(paragraph.encode())))
    text = (site / REPORT).read_bytes()
    line = text.count(b"\n", 0, 16 << 20) + 1
    result = _run("check", site)
    assert result.returncode == 1
    assert (f"{REPORT}:{line}: the report is longer than 16 MB ({len(text) / (1 << 20):.1f} MB): "
            "the limit is passed on this line") in result.stderr


def test_a_long_report_under_the_limit_builds(site: Path) -> None:
    paragraph = "青岛高新区推行“拿地即开工”，项目平均审批时间至少缩短30个工作日。" * 10 + "\n\n"
    _report(site, "", "| 序号 | 名称 |\n|---|---|\n| 1 | 项目 |\n\n" + paragraph * 500)
    result = _run("build", site)
    assert result.returncode == 0, result.stderr


def test_short_table_rows_filled_up_with_empty_cells_are_counted(site: Path) -> None:
    # 4 KB: each table's one-character rows are filled up to its 300 columns (65,536 cells at
    # most), so 20 tables made 4 million tokens.
    table = "|" + "h|" * 300 + "\n|" + "-|" * 300 + "\n" + "x\n" * 220 + "\n"
    _report(site, "", table * 20)
    assert (site / REPORT).stat().st_size < 40_000
    result = _run("check", site)
    assert result.returncode == 1
    assert "the report has more markup than bulletin renders in one report" in result.stderr, result.stderr[:500]


@pytest.mark.parametrize("value", ["[" * 100_000 + "]" * 100_000, "{a: " * 600 + "1" + "}" * 600],
                         ids=["100,000 brackets", "600 mappings"])
def test_a_deeply_nested_value_in_front_matter_is_refused_with_its_line(site: Path, value: str) -> None:
    # 100,000 brackets crashed the YAML loader (a segmentation fault); 600 levels overflowed
    # Python's stack (an unexpected error).
    _report(site, f"summary: {value}\n")
    result = _run("check", site)
    assert result.returncode == 1, result.stderr[:500]
    assert f"{REPORT}:5: a value in front-matter is nested more than 20 levels deep" in result.stderr


def test_deep_nesting_in_the_config_is_refused_with_its_line(site: Path) -> None:
    config = site / "bulletin.yaml"
    nested = "".join(" " * n + f"level{n}:\n" for n in range(1, 40)) + " " * 40 + "end\n"
    config.write_text(config.read_text(encoding="utf-8") + "extra:\n" + nested, encoding="utf-8")
    first = config.read_text(encoding="utf-8").splitlines().index("extra:") + 1
    result = _run("build", site)
    assert result.returncode == 1
    assert f"bulletin.yaml:{first + 21}: a value in bulletin.yaml is nested more than 20 levels deep" in result.stderr


def test_the_nesting_bulletin_needs_is_allowed(site: Path) -> None:
    _report(site, "edition: {date: 2021-03-22, number: 101}\npage: {number: 2, name: 园区}\nposition: 3\n"
                  "tags:\n  - 营商环境\n  - 产业招商\n")
    result = _run("build", site)
    assert result.returncode == 0, result.stderr
