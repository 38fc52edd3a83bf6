"""Pinyin slugs: word-aware readings, ASCII only, stable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bulletin.slugs import MAX_LENGTH, is_valid_slug, pinyin, slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("重庆", "chong-qing"),  # not zhong-qing: the reading of the word, not of the character
        ("重庆高新区", "chong-qing-gao-xin-qu"),
        ("银行行长", "yin-hang-hang-zhang"),
        ("贵阳高新区：“双第一”背后的发展密码", "gui-yang-gao-xin-qu-shuang-di-yi-bei-hou-de-fa-zhan-mi-ma"),
        ("5G基站建设", "5g-ji-zhan-jian-she"),
        ("Ⅰ、Ⅱ期临床", "i-ii-qi-lin-chuang"),
        ("Café 北京", "cafe-bei-jing"),
        ("中关村朝阳园", "zhong-guan-cun-zhao-yang-yuan"),
        ("！！", ""),
    ],
)
def test_slug(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_long_titles_are_cut_at_a_word() -> None:
    slug = slugify("首都科技条件平台百家重点实验室进千家企业集成电路产业对接会在中关村电子城国际电子总部举办")
    assert len(slug) <= MAX_LENGTH and not slug.endswith("-")
    assert slug.startswith("shou-du-ke-ji-tiao-jian-ping-tai")


@given(st.text())
def test_any_text_gives_a_valid_slug_or_nothing(text: str) -> None:
    slug = slugify(text)
    assert slug == "" or is_valid_slug(slug)
    assert len(slug) <= MAX_LENGTH
    assert slugify(text) == slug


# Headlines made of words pypinyin reads differently alone and together, words it has no
# phrase for, and text that is not Chinese.
_HEADLINES = st.lists(
    st.sampled_from(["重庆", "银行", "行长", "很长", "长江", "高新区", "曾经", "的", "5G", "Café", "《", "”",
                     "中关村", "朝阳园", "行", "重", "长", " ", "2025年", "ａｂｃ", "乐", "音乐"]),
    max_size=12,
).map("".join)


@given(st.one_of(_HEADLINES, st.text()))
def test_pinyin_remembered_by_word_reads_as_pypinyin_does(text: str) -> None:
    from pypinyin import lazy_pinyin

    assert pinyin(text) == lazy_pinyin(text)
    assert pinyin(text) == lazy_pinyin(text)  # the second time from what was remembered
