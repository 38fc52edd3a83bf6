"""The report renderer: summaries, reading time, headings, figures, sanitising, links."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bulletin.markdown import make_summary, render

LONG = ("贵阳高新区新引进产业项目到位资金累计179.65亿元。新引进产业项目累计完成78个，"
        "优强企业累计完成50家。近年来，贵阳高新区围绕中高端消费品制造业、先进装备制造业、"
        "新能源产业、数字产业，着力引进电子产品、机器人、显示触屏等新技术、新产业、新业态的项目，"
        "吸引一批投资额度大、市场前景好、带动能力强的领军企业落户园区。")


def test_summary_cuts_at_a_sentence_end() -> None:
    summary = render(LONG).summary
    assert summary == "贵阳高新区新引进产业项目到位资金累计179.65亿元。新引进产业项目累计完成78个，优强企业累计完成50家。"


def test_summary_without_sentence_end_is_marked_as_cut() -> None:
    text = "，".join(["贵阳高新区围绕重点产业发展导向累计对接洽谈优强名企"] * 10)
    summary = make_summary([text], 120)
    assert summary.endswith("……") and len(summary) <= 122
    assert "，……" not in summary


def test_summary_is_plain_text_from_paragraphs_not_headings() -> None:
    body = render("## 小标题\n\n这是**第一段**，含[链接](https://example.org)与`代码`。\n\n| a |\n|---|\n| b |\n")
    assert body.summary == "这是第一段，含链接与代码。"
    assert "<" not in body.summary


@given(st.text(max_size=600))
@settings(max_examples=200, deadline=None)
def test_summary_is_never_longer_than_asked(text: str) -> None:
    body = render(text, summary_length=120)
    assert len(body.summary) <= 122
    assert "\n" not in body.summary


def test_reading_time_counts_cjk_characters_and_latin_words() -> None:
    assert render("字" * 500).reading_minutes == 1
    assert render("字" * 1600).reading_minutes == 4  # 3.2 minutes → 4
    assert render(" ".join(["word"] * 1000)).reading_minutes == 5
    body = render("汉字" * 250 + " " + " ".join(["word"] * 200))
    assert (body.cjk_chars, body.latin_words, body.reading_minutes) == (500, 200, 2)


def test_headings_get_stable_pinyin_ids() -> None:
    body = render("## 围绕产业　全方位精准招商\n\n正文\n\n## 服务企业\n\n## 服务企业\n")
    assert [(h.level, h.id, h.text) for h in body.headings] == [
        (2, "wei-rao-chan-ye-quan-fang-wei-jing-zhun-zhao-shang", "围绕产业　全方位精准招商"),
        (2, "fu-wu-qi-ye", "服务企业"),
        (2, "fu-wu-qi-ye-1", "服务企业"),
    ]
    assert '<h2 id="fu-wu-qi-ye-1">' in body.html


def test_a_lone_image_becomes_a_figure_with_caption() -> None:
    html = render('![开工现场](a.jpg "集中开工现场")\n\n![无标题图](b.jpg)\n\n文字 ![行内](c.jpg) 文字\n').html
    assert '<figure>\n<img src="a.jpg" alt="开工现场" title="集中开工现场">\n<figcaption>集中开工现场</figcaption>\n</figure>' in html
    assert "<figcaption>无标题图</figcaption>" in html
    assert '<p>文字 <img src="c.jpg" alt="行内"> 文字</p>' in html


def test_tables_footnotes_and_strikethrough() -> None:
    html = render("| 指标 | 数值 |\n|---|---|\n| 项目 | 78 |\n\n注释[^1]，~~删除~~。\n\n[^1]: 来源。\n").html
    assert "<table>" in html and "<td>78</td>" in html
    assert '<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup>' in html
    assert "<s>删除</s>" in html
    assert '<h2 class="footnotes-title">注释</h2>' in html


@pytest.mark.parametrize(
    "raw",
    [
        "<script>alert(1)</script>",
        '<img src="x.png" onerror="alert(1)">',
        '<a href="javascript:alert(1)">点我</a>',
        "<p onclick=\"alert(1)\">段落</p>",
        "<iframe src=\"https://evil.example\"></iframe>",
        '<svg><script>alert(1)</script></svg>',
        "[链接](javascript:alert(1))",
        '<style>body{display:none}</style>',
    ],
)
def test_raw_html_is_sanitised(raw: str) -> None:
    html = render(f"前文\n\n{raw}\n\n后文 {raw}\n").html.lower()
    for bad in ("<script", "onerror", "onclick", 'href="javascript:', "<iframe", "<style", "alert(1)</"):
        assert bad not in html
    assert "前文" in html and "后文" in html


def test_allowed_html_is_kept_and_trusted_sites_keep_everything() -> None:
    raw = '<figure><img src="a.png" alt="图"><figcaption>说明</figcaption></figure>\n\n<p>正文<script>x()</script></p>\n'
    safe = render(raw).html
    assert "<figure><img src=\"a.png\" alt=\"图\"><figcaption>说明</figcaption></figure>" in safe
    assert "<script>" not in safe
    assert "<script>x()</script>" in render(raw, trusted_html=True).html


def test_links_and_images_are_found_with_their_file_lines() -> None:
    body = render("第一行\n\n[前文](../a.md)\n\n![图](p.png)\n", first_line=6)
    assert [(l.target, l.line, l.is_image) for l in body.links] == [("../a.md", 8, False), ("p.png", 10, True)]


def _commonmark_sources() -> list[str]:
    import json

    from tests.conftest import FIXTURES

    cases = json.loads((FIXTURES / "cjk-friendly/commonmark.json").read_text(encoding="utf-8"))
    return [case["markdown"] for case in cases]


def test_texts_without_a_setext_underline_parse_the_same_without_the_setext_rule() -> None:
    """The renderer skips the setext rule for texts with no line that could underline a
    heading; on every CommonMark example and every report it must give the same HTML."""
    from pathlib import Path

    from bulletin.markdown import parser, parser_for
    from tests.conftest import REPO

    sources = _commonmark_sources() + [p.read_text(encoding="utf-8") for p in sorted(Path(REPO, "content").rglob("*.md"))]
    sources += ["标题\n===\n", "标题\n  ---  \n", "> 引文\n> ---\n", "- 项目\n\n  正文\n  ---\n", "段落\n-\n"]
    pruned = 0
    for source in sources:
        full = parser(setext=True).render(source)
        assert parser_for(source).render(source) == full, source
        if parser_for(source) is not parser(setext=True):
            pruned += 1
            assert parser(setext=False).render(source) == full, source
    assert pruned > len(sources) / 2  # the shortcut is taken for most texts
    # And a text with an underline keeps its setext heading.
    assert "<h1>标题</h1>" in parser_for("标题\n===\n").render("标题\n===\n")


def test_paragraphs_end_where_markdown_it_ends_them() -> None:
    """The renderer's paragraph rules skip lines no other rule could start on; on every
    CommonMark example and every report, and on lines that do interrupt a paragraph after
    Chinese text, its tokens must be those of markdown-it-py's own rule."""
    from pathlib import Path

    from bulletin.markdown import parser
    from tests.conftest import REPO

    sources = _commonmark_sources() + [p.read_text(encoding="utf-8") for p in sorted(Path(REPO, "content").rglob("*.md"))]
    interrupters = ["| 列 | 列 |\n|---|---|\n| 甲 | 乙 |", "```\n代码\n```", "~~~\n代码\n~~~", "> 引文", "***", "---", "___",
                    "- 项目", "* 项目", "+ 项目", "1. 项目", "2. 项目", "[^1]: 脚注", "<div>块</div>", "<!-- 注释 -->",
                    "# 标题", "###### 标题", "1）项目", "——破折号", "《书名》", "“引号”", "[链接](a.md)", "    缩进",
                    "列|列\n-|-", "甲 | 乙"]
    for line in interrupters:
        sources.append(f"第一行中文\n{line}\n")
        sources.append(f"- 列表项中文\n  {line}\n")
        sources.append(f"> 引文中文\n> {line}\n")
        sources.append(f"第一行中文[^1]\n\n[^1]: 脚注中文\n    {line}\n")
    for setext in (True, False):  # without setext headings, paragraphs are also begun quickly
        quick, upstream = parser(setext, quick_paragraphs=True), parser(setext, quick_paragraphs=False)
        assert quick is not upstream
        for source in sources:
            tokens = [(t.type, t.map, t.content, t.level) for t in quick.parse(source)]
            assert tokens == [(t.type, t.map, t.content, t.level) for t in upstream.parse(source)], source
            assert quick.render(source) == upstream.render(source), source
