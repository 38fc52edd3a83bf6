"""Tests for bulletin.cjk: CJK-friendly emphasis and CJK line joining."""

from __future__ import annotations

import json
from pathlib import Path
import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.parser_inline import ParserInline
from markdown_it.rules_inline.state_inline import StateInline
import pytest

from bulletin.cjk import cjk_friendly

FIXTURES = Path(__file__).parent / "fixtures" / "cjk-friendly"

# A literal `**…**` left on one output line means a strong emphasis was missed
# (the check the upstream suite makes).
LITERAL_STRONG = re.compile(r"\*\*[^\n]+\*\*")


def make_md() -> MarkdownIt:
    return MarkdownIt("commonmark").use(cjk_friendly)


MD = make_md()
# The segment-break transformation of CSS Text 3, for sites that ask for it (line_join: css3).
CSS3 = MarkdownIt("commonmark").use(cjk_friendly, line_join="css3")
PLAIN = MarkdownIt("commonmark")


def render_fixture(name: str) -> list[str]:
    source = (FIXTURES / name).read_text(encoding="utf-8")
    return re.split(r"\r?\n", MD.render(source))


def para(text: str, md: MarkdownIt = MD) -> str:
    """The HTML of ``text`` as one paragraph, without the <p> wrapper."""
    html: str = md.render(text)
    assert html.startswith("<p>") and html.endswith("</p>\n"), html
    return html[3:-5]


# ---------------------------------------------------------------------------
# The upstream test suite
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["strong.md", "korean.md", "pseudo-emoji.md"])
def test_fixture_every_strong_pair_is_converted(name: str) -> None:
    lines = render_fixture(name)
    assert any("<strong>" in line for line in lines)
    assert [line for line in lines if LITERAL_STRONG.search(line)] == []


def test_fixture_non_bmp_punctuation_does_not_open_strong() -> None:
    assert [line for line in render_fixture("non-bmp.md") if "<strong>" in line] == []


def test_fixture_underscores_around_cjk_punctuation() -> None:
    assert [line for line in render_fixture("underscore-cjk-punct.md") if "_" in line] == []


COMMONMARK_CASES = json.loads((FIXTURES / "commonmark.json").read_text(encoding="utf-8"))


def test_commonmark_fixture_is_complete() -> None:
    assert len(COMMONMARK_CASES) == 652


@pytest.mark.parametrize(
    "case", COMMONMARK_CASES, ids=[f"example-{c['example']}" for c in COMMONMARK_CASES]
)
def test_commonmark_examples_are_unchanged(case: dict[str, object]) -> None:
    markdown = case["markdown"]
    assert isinstance(markdown, str)
    assert MD.render(markdown) == PLAIN.render(markdown)


# ---------------------------------------------------------------------------
# Emphasis
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("**“引用”**之后", "<strong>“引用”</strong>之后"),
        ("他说**（注意）**然后", "他说<strong>（注意）</strong>然后"),
        ("**真。**她", "<strong>真。</strong>她"),
        ("**推荐几个框架：**React", "<strong>推荐几个框架：</strong>React"),
        ("*“斜体”*文字", "<em>“斜体”</em>文字"),
        ("国际规格**[ECMA-262](https://tc39.es/)**", (
            '国际规格<strong><a href="https://tc39.es/">ECMA-262</a></strong>'
        )),
        # non-BMP ideograph before the run
        ("𠮟**(正式)**", "𠮟<strong>(正式)</strong>"),
        # ideographic variation selector: the ideograph before it counts
        ("葛\U000e0100**(正式)**城", "葛\U000e0100<strong>(正式)</strong>城"),
        # standardized variation selector after an ideograph
        ("大塚\ufe00**(U+585A)**", "大塚\ufe00<strong>(U+585A)</strong>"),
        # U+FE01 makes the curly quote a full-width (CJK) one
        ("**“\ufe01Git”\ufe01**Hub", "<strong>“\ufe01Git”\ufe01</strong>Hub"),
        # punctuation + selector is punctuation for `_`
        ("正體字。\ufe01_Traditional._", "正體字。\ufe01<em>Traditional.</em>"),
        # CJK symbols that are emoji only with U+FE0F are CJK
        ("a**🈂**a", "a<strong>🈂</strong>a"),
    ],
)
def test_emphasis_next_to_cjk(source: str, expected: str) -> None:
    assert para(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        # emoji presentation characters are not CJK
        "a**🈚**a",
        # non-CJK punctuation inside, letters outside: CommonMark still applies
        "a**«a**a",
        "a**a»**a",
        # `_` still does not split words, CJK or not
        "中文_强调_中文",
    ],
)
def test_emphasis_not_opened(source: str) -> None:
    assert "<strong>" not in para(source)
    assert "<em>" not in para(source)


def test_strikethrough_follows_the_same_rule() -> None:
    md = MarkdownIt("commonmark").enable("strikethrough").use(cjk_friendly)
    plain = MarkdownIt("commonmark").enable("strikethrough")
    source = "他说~~“删除”~~之后"
    assert md.render(source) == "<p>他说<s>“删除”</s>之后</p>\n"
    assert "<s>" not in plain.render(source)


def test_other_instances_are_not_affected() -> None:
    source = "**“引用”**之后"
    before = MarkdownIt("commonmark").render(source)
    make_md()
    assert MarkdownIt("commonmark").render(source) == before == PLAIN.render(source)
    assert "<strong>" not in before
    # nothing global was patched
    assert StateInline.scanDelims.__module__ == "markdown_it.rules_inline.state_inline"
    assert ParserInline.parse.__module__ == "markdown_it.parser_inline"
    assert type(PLAIN.inline) is ParserInline
    assert "cjk_softbreak" not in PLAIN.core.ruler.get_all_rules()


def test_using_twice_is_harmless() -> None:
    md = make_md().use(cjk_friendly)
    assert md.core.ruler.get_all_rules().count("cjk_softbreak") == 1
    assert md.render("**“引用”**之后\n文字") == "<p><strong>“引用”</strong>之后文字</p>\n"


def test_default_preset_works_too() -> None:
    md = MarkdownIt().use(cjk_friendly)
    assert md.render("**“引用”**之后\n文字") == "<p><strong>“引用”</strong>之后文字</p>\n"


# ---------------------------------------------------------------------------
# Soft line breaks
# ---------------------------------------------------------------------------

# A newspaper column: ideographs, full-width digits and Chinese punctuation,
# including the width-A quotes, dashes and ellipsis.
ARTICLE = (
    "本报讯（记者张伟）近日，中关村科技园区管理委员会发布《２０２４年高新技术企业发展报告》。"
    "报告显示，园区内高新技术企业数量达到２．６万家，同比增长１２．５％；管委会负责人表示："
    "“我们将继续优化营商环境——加大对初创企业的支持力度……”据介绍，园区在人工智能、"
    "集成电路、生物医药等领域形成了一批具有国际竞争力的产业集群，‘专精特新’企业超过百家。"
)


def wrap(text: str, width: int) -> str:
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


@pytest.mark.parametrize("width", [20, 7, 13, 1])
def test_newspaper_column_reads_as_one_line(width: int) -> None:
    assert MD.render(wrap(ARTICLE, width)) == f"<p>{ARTICLE}</p>\n"


def test_newspaper_column_with_markup_has_no_breaks_left() -> None:
    text = "园区企业数量达到\n**2.6万家**，\n同比增长12.5%；\n其中AI\n企业超过1500家。"
    assert para(text) == "园区企业数量达到<strong>2.6万家</strong>，同比增长12.5%；其中AI企业超过1500家。"
    # CSS Text 3: the breaks next to the digits and Latin letters stay, the others go.
    assert para(text, CSS3) == (
        "园区企业数量达到\n<strong>2.6万家</strong>，同比增长12.5%；其中AI\n企业超过1500家。"
    )


@pytest.mark.parametrize("md", [MD, CSS3], ids=["cjk", "css3"])
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("中文\n中文", "中文中文"),
        ("日本語\nです", "日本語です"),
        ("全角\u3000\n空格", "全角\u3000空格"),
        ("𠮟\n𠮟", "𠮟𠮟"),
        ("葛\U000e0100\n城", "葛\U000e0100城"),
        ("中文\n２０２４年", "中文２０２４年"),  # full-width digits are wide
    ],
)
def test_cjk_cjk_joined(md: MarkdownIt, source: str, expected: str) -> None:
    assert para(source, md) == expected


CHINESE_PUNCTUATION = [
    "，", "。", "：", "（", "）", "“", "”", "‘", "’", "——", "……", "《", "》", "、", "；", "！", "？",
]


@pytest.mark.parametrize("md", [MD, CSS3], ids=["cjk", "css3"])
@pytest.mark.parametrize("punct", CHINESE_PUNCTUATION)
def test_break_before_chinese_punctuation_removed(md: MarkdownIt, punct: str) -> None:
    assert para(f"前文\n{punct}后文", md) == f"前文{punct}后文"


@pytest.mark.parametrize("md", [MD, CSS3], ids=["cjk", "css3"])
@pytest.mark.parametrize("punct", CHINESE_PUNCTUATION)
def test_break_after_chinese_punctuation_removed(md: MarkdownIt, punct: str) -> None:
    assert para(f"前文{punct}\n后文", md) == f"前文{punct}后文"


# A break with Chinese on one side and a digit, a Latin letter or narrow punctuation on the
# other: gone as a Chinese newspaper sets it, a space in CSS Text 3.
NEXT_TO_CHINESE = [
    "共签约项目\n15个",
    "全省\nGDP",
    "中文\nEnglish",
    "English\n中文",
    "2024年\n3月",
    "增长\n12.5%",
    "增长\n+15%",
    "+15%\n以上",
    "中文\n(括号)",
    "(括号)\n中文",
    "中文\n\"引号\"",
    "iPhone\n手机",
    # full-width punctuation on either side of a Latin word or a digit
    "，\nGDP",
    "GDP\n，",
    "（\n2024",
    "2024\n）",
    "中文——\nABC",
    "“好”\nOK",
    # Korean next to Chinese, as in a name given in brackets
    "中文\n한국어",
    "한국어\n中文",
    # emoji presented as text by U+FE0F is not CJK, but the Chinese after it is
    "☺\ufe0f\n中文",
]
# CSS Text 3 removes these too: a Chinese quotation mark before an ideograph, two wide characters.
ALSO_CSS3 = ["“1+8”\n国家级", "中文\n😀"]


@pytest.mark.parametrize("source", NEXT_TO_CHINESE + ALSO_CSS3)
def test_break_next_to_chinese_removed(source: str) -> None:
    assert para(source) == source.replace("\n", "").replace('"', "&quot;")


@pytest.mark.parametrize("source", NEXT_TO_CHINESE)
def test_break_next_to_chinese_kept_in_css3(source: str) -> None:
    assert para(source, CSS3) == source.replace('"', "&quot;")


@pytest.mark.parametrize("md", [MD, CSS3], ids=["cjk", "css3"])
@pytest.mark.parametrize(
    "source",
    [
        "Hello\nworld",
        "Latin\nwords",
        "one\n2",
        "1+\n8",
        "GDP\n(2024)",
        # Korean separates words with spaces
        "한국어\n문장",
        # narrow punctuation stays narrow in Western text
        "Hello—\n—World",
        "Hello”\n“World",
        "wait…\n“really”",
        "middle·\ndot",
        "—\nA",
        # an emoji is read like a word
        "Hello\n😀",
        "😀\nHello",
    ],
)
def test_break_kept(md: MarkdownIt, source: str) -> None:
    assert para(source, md) == source.replace('"', "&quot;")


def test_break_between_two_emoji() -> None:
    # Neither is Chinese; CSS Text 3 looks only at the width, and both are wide.
    assert para("😀\n😀") == "😀\n😀"
    assert para("😀\n😀", CSS3) == "😀😀"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # quotation marks on both sides: the text behind them decides
        ("他说：“你好”\n“再见”", "他说：“你好”“再见”"),
        ("……\n——中文", "……——中文"),
        ("中文……\n——", "中文……——"),
        # dash or quote opening the line after Chinese text
        ("名言\n——Steve Jobs", "名言——Steve Jobs"),
        ("他说\n“OK”", "他说“OK”"),
        # zero-width space is an explicit "no space here"
        ("abc\u200b\ndef", "abc\u200bdef"),
        ("abc\n\u200bdef", "abc\u200bdef"),
        ("中文\n&ZeroWidthSpace;English", "中文\u200bEnglish"),
        # character references are read as the characters they stand for
        ("中文&#x4E2D;\n文字", "中文中文字"),
        ("A&#x4E2D;\nB", "A中B"),
    ],
)
def test_break_removed_special(source: str, expected: str) -> None:
    assert para(source) == expected
    if source != "A&#x4E2D;\nB":
        assert para(source, CSS3) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("**强调**\n文字", "<strong>强调</strong>文字"),
        ("文字\n**强调**", "文字<strong>强调</strong>"),
        ("*强调*\n*强调*", "<em>强调</em><em>强调</em>"),
        ("**强调\n文字**", "<strong>强调文字</strong>"),
        ("[链接](x)\n文字", '<a href="x">链接</a>文字'),
        ("文字\n[链接](x)", '文字<a href="x">链接</a>'),
        ("[链接\n文字](x)", '<a href="x">链接文字</a>'),
        ("文字\n`代码`", "文字<code>代码</code>"),
        ("`代码`\n文字", "<code>代码</code>文字"),
        ("**[链接](x)**\n文字", '<strong><a href="x">链接</a></strong>文字'),
        # the alt text is joined like any text
        ("![图片\n说明](x)", '<img src="x" alt="图片说明" />'),
        # Latin or digits behind markup, Chinese on the other side
        ("**bold**\n文字", "<strong>bold</strong>文字"),
        ("[link](x)\n文字", '<a href="x">link</a>文字'),
        ("文字\n`code`", "文字<code>code</code>"),
        ("签约\n**15个**项目", "签约<strong>15个</strong>项目"),
        # an image or raw HTML is not a character: the Chinese on the other side decides
        ("文字\n![图片](x)", '文字<img src="x" alt="图片" />'),
        ("![图片](x)\n文字", '<img src="x" alt="图片" />文字'),
        ("文字\n<b>粗</b>", "文字<b>粗</b>"),
        ("<b>粗</b>\n文字", "<b>粗</b>文字"),
        ("![image](x)\n<b>bold</b>", '<img src="x" alt="image" />\n<b>bold</b>'),
        ("**bold**\n*italic*", "<strong>bold</strong>\n<em>italic</em>"),
    ],
)
def test_break_across_inline_markup(source: str, expected: str) -> None:
    assert para(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("**强调**\n文字", "<strong>强调</strong>文字"),
        ("[链接\n文字](x)", '<a href="x">链接文字</a>'),
        ("`代码`\n文字", "<code>代码</code>文字"),
        ("**bold**\n文字", "<strong>bold</strong>\n文字"),
        ("[link](x)\n文字", '<a href="x">link</a>\n文字'),
        ("文字\n`code`", "文字\n<code>code</code>"),
        ("文字\n![图片](x)", '文字\n<img src="x" alt="图片" />'),
        ("<b>粗</b>\n文字", "<b>粗</b>\n文字"),
        ("![图片\n说明](x)", '<img src="x" alt="图片说明" />'),
    ],
)
def test_break_across_inline_markup_css3(source: str, expected: str) -> None:
    assert para(source, CSS3) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("- 第一行\n  第二行\n- 第三行\n第四行", (
            "<ul>\n<li>第一行第二行</li>\n<li>第三行第四行</li>\n</ul>\n"
        )),
        ("1. 第一行\n   第二行", "<ol>\n<li>第一行第二行</li>\n</ol>\n"),
        ("> 第一行\n> 第二行\n第三行", "<blockquote>\n<p>第一行第二行第三行</p>\n</blockquote>\n"),
        ("> - 列表\n>   续行", "<blockquote>\n<ul>\n<li>列表续行</li>\n</ul>\n</blockquote>\n"),
        ("标题第一行\n标题第二行\n===", "<h1>标题第一行标题第二行</h1>\n"),
        ("    代码\n    代码", "<pre><code>代码\n代码\n</code></pre>\n"),
        ("```\n代码\n代码\n```", "<pre><code>代码\n代码\n</code></pre>\n"),
    ],
)
def test_break_in_blocks(source: str, expected: str) -> None:
    assert MD.render(source) == expected


def test_table_cells() -> None:
    # GFM table cells cannot hold a soft break; the cells must be untouched
    # and the wrapped paragraphs around the table still joined.
    md = MarkdownIt("commonmark").enable("table").use(cjk_friendly)
    plain = MarkdownIt("commonmark").enable("table")
    table = "| 地区 | 企业 |\n| --- | --- |\n| 北京 **中关村** | 2.6万家 |\n| 上海 `张江` | 1.2 万家 |"
    assert md.render(table) == plain.render(table)
    html = md.render("上文第一行\n上文第二行\n\n" + table + "\n\n下文第一行\n下文第二行")
    assert "<p>上文第一行上文第二行</p>" in html
    assert "<p>下文第一行下文第二行</p>" in html
    assert "<td>北京 <strong>中关村</strong></td>" in html


@pytest.mark.parametrize("source", ["中文  \n中文", "中文\\\n中文"])
def test_hardbreak_untouched(source: str) -> None:
    assert para(source) == "中文<br />\n中文"


def test_breaks_option_keeps_every_newline() -> None:
    md = MarkdownIt("commonmark", {"breaks": True}).use(cjk_friendly)
    assert md.render("中文\n中文") == "<p>中文<br />\n中文</p>\n"


def test_typographer_output_is_seen() -> None:
    # The rule runs after the typographer, so the ellipsis it makes from
    # "..." is treated like a typed one.
    md = MarkdownIt("commonmark", {"typographer": True}).enable("replacements").use(cjk_friendly)
    assert md.render("中文...\n中文") == "<p>中文…中文</p>\n"


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

HANZI = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
# U+3000 is left out: at the edges of a paragraph it is trimmed as whitespace.
WIDE_PUNCT = st.sampled_from("，。：；！？、（）《》〈〉【】「」『』〔〕～")
NARROW_CHINESE_PUNCT = st.sampled_from("“”‘’—…·")
CJK_TEXT = st.text(
    alphabet=st.one_of(HANZI, HANZI, WIDE_PUNCT, NARROW_CHINESE_PUNCT), min_size=1, max_size=60
).filter(lambda s: any(0x4E00 <= ord(c) <= 0x9FFF for c in s))


def split_at(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % len(text) for c in cuts} - {0})
    return [text[i:j] for i, j in zip([0, *points], [*points, len(text)])]


@settings(max_examples=300, deadline=None)
@given(text=CJK_TEXT, cuts=st.lists(st.integers(min_value=1), max_size=20))
def test_property_cjk_lines_join(text: str, cuts: list[int]) -> None:
    # Every character is wide or Chinese punctuation, and there is at least
    # one ideograph, so every break goes.
    lines = split_at(text, cuts)
    assert para("\n".join(lines)) == text


ASCII_MARKDOWN = st.text(
    alphabet=string.ascii_letters + string.digits + " *_~`[]()!.,;:'-#>\\", max_size=30
)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(ASCII_MARKDOWN, min_size=1, max_size=8))
def test_property_ascii_text_is_plain_commonmark(lines: list[str]) -> None:
    source = "\n".join(lines)
    assert MD.render(source) == PLAIN.render(source)


# Nothing below U+1100 is CJK (or a variation selector), so any such text,
# markup included, must come out exactly as CommonMark has it.
BELOW_CJK = st.text(
    alphabet=st.one_of(
        st.sampled_from("*_~`[]()!<>#\\ \n"),
        st.characters(max_codepoint=0x10FF, exclude_categories=("Cs",)),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(source=BELOW_CJK)
def test_property_non_cjk_text_is_plain_commonmark(source: str) -> None:
    assert MD.render(source) == PLAIN.render(source)


LATIN_WORDS = st.lists(
    st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=8),
    min_size=1,
    max_size=4,
).map(" ".join)
HANZI_RUN = st.text(alphabet=HANZI, min_size=1, max_size=10)


def is_hanzi(ch: str) -> bool:
    return 0x4E00 <= ord(ch) <= 0x9FFF


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.one_of(LATIN_WORDS, HANZI_RUN), min_size=1, max_size=10))
def test_property_breaks_next_to_chinese_go(lines: list[str]) -> None:
    expected = lines[0]
    for prev, line in zip(lines, lines[1:]):
        joiner = "" if is_hanzi(prev[-1]) or is_hanzi(line[0]) else "\n"
        expected += joiner + line
    assert para("\n".join(lines)) == expected


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.one_of(LATIN_WORDS, HANZI_RUN), min_size=1, max_size=10))
def test_property_css3_only_cjk_cjk_breaks_go(lines: list[str]) -> None:
    expected = lines[0]
    for prev, line in zip(lines, lines[1:]):
        joiner = "" if is_hanzi(prev[-1]) and is_hanzi(line[0]) else "\n"
        expected += joiner + line
    assert para("\n".join(lines), CSS3) == expected


@settings(max_examples=200, deadline=None)
@given(
    before=HANZI_RUN,
    inner=HANZI_RUN,
    after=HANZI_RUN,
    quotes=st.sampled_from(["（）", "《》", "“”", "「」", "【】", "‘’"]),
    marker=st.sampled_from(["**", "*"]),
)
def test_property_emphasis_around_cjk_punctuation(
    before: str, inner: str, after: str, quotes: str, marker: str
) -> None:
    tag = "strong" if marker == "**" else "em"
    source = f"{before}{marker}{quotes[0]}{inner}{quotes[1]}{marker}{after}"
    assert para(source) == f"{before}<{tag}>{quotes[0]}{inner}{quotes[1]}</{tag}>{after}"


def _without_source_join(md: MarkdownIt) -> MarkdownIt:
    md.core.ruler.disable("cjk_source_join")
    return md


WITHOUT_SOURCE_JOIN = _without_source_join(make_md())
CSS3_WITHOUT_SOURCE_JOIN = _without_source_join(MarkdownIt("commonmark").use(cjk_friendly, line_join="css3"))
# Chinese text with the Markdown that can sit next to a line end: emphasis, code spans,
# links and references, raw HTML, escapes, entities, hard breaks, indents, variation selectors;
# and digits, signs and Latin letters right next to the Chinese.
MIXED = st.lists(
    st.one_of(
        HANZI_RUN, WIDE_PUNCT, NARROW_CHINESE_PUNCT, LATIN_WORDS,
        st.sampled_from(["\n", "\n", "\n", "\n  ", "\n\t", "  \n", " \n", "\\\n", "**", "*", "_", "~~", "`", "[",
                         "]", "](", ")", "<b>", "</b>", "&#20013;", "&amp;", "\\*", "\u3000", "\ufe0f", "[中\n文]",
                         "\n[中文]: /a\n", "15个", "GDP", "+", "12.5%", "2024", "\"", "'", "(", "😀", "한"]),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(source=MIXED)
def test_property_joining_cjk_lines_in_the_source_changes_no_output(source: str) -> None:
    # Newlines next to ideographs go before inline parsing; the HTML must be what removing
    # their soft breaks afterwards gives.
    assert MD.render(source) == WITHOUT_SOURCE_JOIN.render(source)
    assert MD.render(f"> {source}") == WITHOUT_SOURCE_JOIN.render(f"> {source}")


@settings(max_examples=300, deadline=None)
@given(source=MIXED)
def test_property_css3_joining_in_the_source_changes_no_output(source: str) -> None:
    assert CSS3.render(source) == CSS3_WITHOUT_SOURCE_JOIN.render(source)
    assert CSS3.render(f"> {source}") == CSS3_WITHOUT_SOURCE_JOIN.render(f"> {source}")


def test_joining_cjk_lines_in_the_source_leaves_code_links_and_html_alone() -> None:
    for source in ["`代码\n代码`", "[中\n文]\n\n[中 文]: /a", "<span title=\"中\n文\">中</span>", "中\n文",
                   "`code\n代码`", "<span title=\"A\n文\">中</span>"]:
        assert MD.render(source) == WITHOUT_SOURCE_JOIN.render(source), source
    assert MD.render("`代码\n代码`") == "<p><code>代码 代码</code></p>\n"
    assert MD.render("`GDP\n增长`") == "<p><code>GDP 增长</code></p>\n"
    # And the rule does its work: the hard-wrapped paragraph is one text token.
    for md, source in [(MD, "第一行\n第二行\n第三行"), (MD, "签约项目\n15个，全省\nGDP增长"), (CSS3, "第一行\n第二行")]:
        inline = [t for t in md.parse(source) if t.type == "inline"][0]
        assert [t.type for t in inline.children] == ["text"], source


def test_line_join_is_checked() -> None:
    with pytest.raises(ValueError, match="line_join must be one of cjk, css3"):
        MarkdownIt("commonmark").use(cjk_friendly, line_join="newspaper")


def test_using_again_with_another_line_join_replaces_it() -> None:
    md = make_md().use(cjk_friendly, line_join="css3")
    assert md.core.ruler.get_all_rules().count("cjk_softbreak") == 1
    assert md.render("项目\n15个") == "<p>项目\n15个</p>\n"
