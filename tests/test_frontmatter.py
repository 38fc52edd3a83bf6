"""Front-matter: splitting, dates, tags and every field's normaliser."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bulletin.config import load_config
from bulletin.errors import Problem
from bulletin.frontmatter import Split, ZoneIndex, parse_date, parse_meta, split
from tests.conftest import GOLDEN_SITE

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONFIG = load_config(GOLDEN_SITE)
ZONES = ZoneIndex(CONFIG.zones)


def meta(yaml: str) -> tuple[object, list[Problem]]:
    return parse_meta(Split(yaml, "正文", 10), "content/x.md", CONFIG, ZONES)


@pytest.mark.parametrize(
    ("text", "expected", "has_time"),
    [
        ("2021-03-19", datetime(2021, 3, 19, tzinfo=SHANGHAI), False),
        ("2021-3-9", datetime(2021, 3, 9, tzinfo=SHANGHAI), False),
        ("2021-03-19 09:30", datetime(2021, 3, 19, 9, 30, tzinfo=SHANGHAI), True),
        ("2021-03-19T09:30:15", datetime(2021, 3, 19, 9, 30, 15, tzinfo=SHANGHAI), True),
        ("2021-03-19T09:30:00+08:00", datetime(2021, 3, 19, 9, 30, tzinfo=timezone(timedelta(hours=8))), True),
        ("2021-03-19 01:30:00Z", datetime(2021, 3, 19, 1, 30, tzinfo=timezone.utc), True),
        ("2021-03-19T09:30:00-0500", datetime(2021, 3, 19, 9, 30, tzinfo=timezone(timedelta(hours=-5))), True),
    ],
)
def test_dates(text: str, expected: datetime, has_time: bool) -> None:
    assert parse_date(text, SHANGHAI) == (expected, has_time)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2021-02-30", "'2021-02-30' is not a date: day is out of range for month"),
        ("昨天", "'昨天' is not a date"),
        ("2021/03/19", "'2021/03/19' is not a date"),
        ("2021-03-19 25:00", "'2021-03-19 25:00' is not a date: hour must be in 0..23"),
        ("2021-03-19T10:00+15:00", "'2021-03-19T10:00+15:00' has an impossible UTC offset"),
    ],
)
def test_bad_dates_say_why(text: str, reason: str) -> None:
    assert parse_date(text, SHANGHAI) == reason


def test_a_date_in_the_site_time_zone_is_the_same_instant_as_with_its_offset() -> None:
    plain, _ = parse_date("2021-03-19 09:30", SHANGHAI)  # type: ignore[misc]
    offset, _ = parse_date("2021-03-19T09:30:00+08:00", SHANGHAI)  # type: ignore[misc]
    assert plain == offset


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2999, 12, 31)).map(lambda d: d.replace(microsecond=0)))
def test_any_written_datetime_reads_back(moment: datetime) -> None:
    assert parse_date(moment.strftime("%Y-%m-%d %H:%M:%S"), SHANGHAI) == (moment.replace(tzinfo=SHANGHAI), True)


def test_split() -> None:
    parts = split("---\ntitle: x\n---\n\n正文\n", "a.md")
    assert isinstance(parts, Split)
    assert (parts.yaml, parts.body, parts.body_line) == ("title: x", "\n正文\n", 4)
    assert isinstance(split("---\ntitle: x\n", "a.md"), Problem)
    assert isinstance(split("title: x\n---\n", "a.md"), Problem)
    assert isinstance(split("  \n", "a.md"), Problem)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_split_never_raises(text: str) -> None:
    result = split(text, "a.md")
    assert isinstance(result, (Split, Problem))


def test_fields_are_normalised() -> None:
    value, problems = meta("title: 标题\ndate: 2021-03-19\nzone: guiyang\nreporter: 易颖\ntags: 集成电路\ndraft: true\nslug: my-slug")
    assert problems == []
    assert value.zone.name == "贵阳高新区"  # type: ignore[attr-defined]
    assert value.reporters == ("易颖",)  # type: ignore[attr-defined]
    assert value.tags == ("集成电路",)  # a single text is one tag
    assert value.draft is True and value.slug == "my-slug"  # type: ignore[attr-defined]


def test_repeated_tags_and_reporters_are_kept_once() -> None:
    value, _ = meta("title: 标题\ndate: 2021-03-19\nzone: guiyang\nreporter: [张洁, 张洁]\ntags: [a, b, a]")
    assert value.reporters == ("张洁",) and value.tags == ("a", "b")  # type: ignore[attr-defined]


def test_every_problem_in_a_file_is_reported_with_its_line() -> None:
    value, problems = meta("title: [一, 二]\ndate: 2021-13-01\nzone: 重庆高薪区\nreporter: {a: 1}\ntags: 集成电路、生物医药\nslug: ../x\nimage: [a]\nsummery: 摘要")
    assert value is None
    assert [(p.line, p.message) for p in problems] == [
        (9, "unknown front-matter key 'summery'"),
        (2, "'title' must be a text, not a list"),
        (3, "'2021-13-01' is not a date: month must be in 1..12"),
        (4, "unknown zone '重庆高薪区'"),
        (5, "'reporter' must be a name or a list of names"),
        (6, "'tags' is one text with separators in it"),
        (7, "slug '../x' may only hold lower-case letters, digits and single hyphens"),
        (8, "'image' must be a text, not a list"),
    ]
    hints = {p.line: p.hint for p in problems}
    assert hints[4] == "did you mean '重庆高新区'?"
    assert hints[9] == "did you mean 'summary'?"
    assert hints[6] == "write a list: tags: [集成电路, 生物医药]"


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    from bulletin.content import read_text

    path = tmp_path / "a.md"
    path.write_bytes("\ufeff---\r\ntitle: 标题\r\n---\r\n正文\r\n".encode())
    assert read_text(path, "a.md") == "---\ntitle: 标题\n---\n正文\n"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("重庆高薪区", "重庆高新区"),  # one character wrong
        ("重庆高区", "重庆高新区"),  # one missing
        ("重庆", "重庆高新区"),  # the place alone
        ("重庆高新技术产业开发区", "重庆高新区"),  # the place with the long suffix
        ("qingdoa", "qingdao"),  # two letters swapped
        ("Guiyang", "guiyang"),
        ("guiyng", "guiyang"),
    ],
)
def test_an_unknown_zone_close_to_a_registered_one_is_suggested(typed: str, meant: str) -> None:
    value, problems = meta(f"title: 标题\ndate: 2021-03-19\nzone: {typed}")
    assert value is None
    assert [(p.path, p.line, p.message, p.hint) for p in problems] == [
        ("content/x.md", 4, f"unknown zone '{typed}'", f"did you mean '{meant}'?")]


@pytest.mark.parametrize(
    ("typed", "entry"),
    [
        # Another place that merely shares the suffix (and 成都/承德 differ in two characters).
        ("成都高新区", "{name: 成都高新区, slug: chengdu}"),
        ("承德高新区", "{name: 承德高新区, slug: chengde}"),
        ("中关村朝阳园", "{name: 中关村朝阳园, slug: zhongguancun-chaoyang}"),
        ("Zone A", '{name: "Zone A", slug: zone-a}'),
        # A slug: the name is for the editor to give.
        ("chengdu", "{name: <its name>, slug: chengdu}"),
    ],
)
def test_an_unknown_zone_far_from_every_registered_one_says_how_to_add_it(typed: str, entry: str) -> None:
    _, problems = meta(f"title: 标题\ndate: 2021-03-19\nzone: {typed}")
    assert [(p.line, p.message, p.hint) for p in problems] == [
        (4, f"unknown zone '{typed}'",
         f"add it to zones: in bulletin.yaml as - {entry} (registered now: 贵阳高新区, 重庆高新区, 青岛高新区)")]


def test_the_suggested_zone_entry_registers_the_zone(tmp_path: Path) -> None:
    import shutil

    site = tmp_path / "site"
    shutil.copytree(GOLDEN_SITE, site)
    hint = ZONES.hint("成都高新区")
    entry = hint.split(" as ", 1)[1].split(" (registered", 1)[0]
    config = site / "bulletin.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("zones:\n", f"zones:\n  {entry}\n"), encoding="utf-8")
    zones = ZoneIndex(load_config(site).zones)
    assert zones.find("成都高新区") == zones.find("chengdu") is not None


def test_a_zone_without_slug_gets_its_place_name() -> None:
    # The fixture site registers 重庆高新区 with no slug.
    assert ZONES.find("chongqing") == ZONES.find("重庆高新区") is not None


def test_a_long_zone_list_is_not_listed_whole() -> None:
    from bulletin.config import Zone

    zones = ZoneIndex(tuple(Zone(f"第{n}高新区", f"zone-{n}") for n in range(1, 21)))
    hint = zones.hint("成都高新区")
    assert hint.endswith("(registered now: 第1高新区, 第2高新区, 第3高新区, 第4高新区, 第5高新区, 第6高新区, 第7高新区, 第8高新区 and 12 more)")
