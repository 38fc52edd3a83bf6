"""`bulletin new` and `bulletin init`: files an editor starts from."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from bulletin.config import CONFIG_NAME, load_config
from bulletin.errors import BuildError, Problem, shown
from bulletin.frontmatter import DATE_HINT, ZoneIndex, parse_date
from bulletin.slugs import slugify
from bulletin.i18n import _


def _yaml_text(value: str) -> str:
    """A YAML scalar for any text: a JSON string is valid YAML and needs no further thought."""
    return json.dumps(value, ensure_ascii=False)


def _yaml_list(values: list[str]) -> str:
    return "[" + ", ".join(_yaml_text(v) for v in values) + "]"


def new_report(root: Path, title: str, zone: str, tags: list[str], reporters: list[str], date: str | None,
               now: datetime | None = None) -> Path:
    """Write content/YYYY/<slug>.md and return its path; refuses to overwrite or to guess."""
    config = load_config(root)
    found = ZoneIndex(config.zones)
    registered = found.find(zone.strip())
    problems = []
    if registered is None:
        problems.append(Problem(_("unknown zone {zone}").format(zone=shown(zone)), hint=found.hint(zone.strip())))
    if date:
        parsed = parse_date(date, config.tz)
        if isinstance(parsed, str):
            problems.append(Problem(parsed, hint=DATE_HINT))
            when = None
        else:
            when = parsed[0]
    else:
        when = (now or datetime.now(config.tz)).astimezone(config.tz)
        date = when.strftime("%Y-%m-%d")
    slug = slugify(title, config.slug_length)
    if not title.strip() or not slug:
        problems.append(Problem(_("cannot make a file name from the title {title}").format(title=shown(title)), hint=_("give a title with Chinese characters, letters or digits")))
    if problems:
        raise BuildError(problems)
    assert when is not None and registered is not None
    path = config.content_dir / f"{when:%Y}" / f"{slug}.md"
    rel = path.relative_to(config.root).as_posix()
    if path.exists():
        raise BuildError([Problem(_("a report with this file name already exists"), rel,
                                  hint=_("choose another title, or edit the existing report"))])
    dateline = f"本报讯（记者 {' '.join(reporters)}）" if reporters else "本报讯"
    # A draft with its address fixed: the slug stays when the headline is corrected, and
    # nothing is published before the editor takes `draft: true` out.
    lines = [
        "---",
        f"title: {_yaml_text(title.strip())}",
        f"date: {date}",
        f"zone: {registered.name}",
        f"slug: {slug}  # 报道的网址，发布后不要再改",
        f"reporter: {_yaml_list(reporters) if len(reporters) != 1 else _yaml_text(reporters[0])}",
        f"tags: {_yaml_list(tags)}",
        "# summary: 一句话摘要（不写则取正文开头）",
        "# image: photo.jpg",
        "# image_caption: 图片说明",
        "# image_credit: 图片来源",
        "draft: true  # 草稿：写完后删去这一行，报道才会发布",
        "---",
        "",
        "<!--",
        "正文写在这段说明的下面，以电头开头，例如：",
        f"{dateline}{when.month}月{when.day}日，……",
        "这段说明不会出现在页面上，写完正文后可以删去。",
        "-->",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as handle:  # "x": never overwrite, even in a race
        handle.write("\n".join(lines))
    return path


CONFIG_TEMPLATE = """\
# The site: see the README of bulletin for every key.
title: 高新区新闻公报
description: 高新区动态
base_url: https://example.org/
language: zh-CN
timezone: Asia/Shanghai
per_page: 20
zones:
  - name: 贵阳高新区
    slug: guiyang
    province: 贵州
    city: 贵阳
"""

SAMPLE_REPORT = """\
---
title: 贵阳高新区：“双第一”背后的发展密码
date: 2021-03-19
zone: 贵阳高新区
reporter: 易颖
tags: [产业招商, 营商环境]
---

《2020年贵州省产业招商综合成效
测评结果》显示，贵阳高新区产业招商
综合成效测评在贵州省“1+8”国家级
开放创新平台中排名第一。

## 围绕产业　全方位精准招商

贵阳高新区围绕先进装备制造业、
中高端消费品制造业、新材料产业、
数字产业等重点产业开展**“建链、
强链、补链、延链”**招商。
"""


def init_site(directory: Path) -> list[Path]:
    """Write a new site skeleton (config with one zone, one sample report) that builds at once."""
    target = directory.absolute()
    if (target / CONFIG_NAME).exists() or ((target / "content").exists() and any((target / "content").iterdir())):
        raise BuildError([Problem(_("{folder} already holds a site").format(folder=directory), hint=_("choose an empty or new folder"))])
    files = {
        target / CONFIG_NAME: CONFIG_TEMPLATE,
        target / "content" / "2021" / "guiyang-shuang-di-yi.md": SAMPLE_REPORT,
        target / ".gitignore": "/build/\n/.bulletin-cache/\n",
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
