"""Pinyin slugs: 重庆高新区 → chong-qing-gao-xin-qu; a zone's own: 重庆高新区 → chongqing.

pypinyin segments phrases before choosing readings, so polyphonic characters take the reading
of the word they are in (重庆 → chong-qing, 银行 → yin-hang). A slug longer than its limit is
cut at the last hyphen that keeps it within the limit, so an address holds whole syllables.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_LENGTH = 60  # the default limit (bulletin.yaml's slug_length, for reports)
_SEPARATORS = re.compile(r"[^a-z0-9]+")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


_known: dict[str, str] = {}  # text → its whole slug, uncut, known without asking pypinyin
_KNOWN_LIMIT = 100_000
# Marks what known() and take_learned() hand out: slugs of this kind (uncut). A store written
# when they were cut at a fixed length lacks it and is not taken.
_FORMAT_KEY, _FORMAT = "\x00format", "whole-1"


def seed(slugs: dict[str, str]) -> None:
    """Slugs already known (from an earlier build), so that a rebuild need not load pypinyin's
    dictionary for text it has seen before."""
    if slugs.get(_FORMAT_KEY) != _FORMAT:
        return
    _known.update(slugs)
    del _known[_FORMAT_KEY]


_learned: dict[str, str] = {}  # made by this process since the last take_learned()


def known() -> dict[str, str]:
    """The slugs this process has made or been given, for a later build to seed."""
    return {**_known, _FORMAT_KEY: _FORMAT}


def take_learned() -> dict[str, str]:
    """The slugs made since the last call (a worker process sends them to the main one)."""
    learned = {**_learned, _FORMAT_KEY: _FORMAT}
    _learned.clear()
    return learned


def slugify(text: str, max_length: int = MAX_LENGTH) -> str:
    """Lower-case ASCII words joined by hyphens, at most `max_length` characters; empty when
    the text has no letters or digits."""
    slug = _known.get(text)
    if slug is None:
        slug = _slugify(text)
        if len(_known) < _KNOWN_LIMIT:
            _known[text] = _learned[text] = slug
    return cut(slug, max_length)


def cut(slug: str, max_length: int) -> str:
    """`slug` at most `max_length` long: cut after its last whole word that fits, or, when its
    first word alone is longer, within that word."""
    if len(slug) <= max_length:
        return slug
    end = slug.rfind("-", 0, max_length + 1)
    return slug[:end] if end > 0 else slug[:max_length]


@lru_cache(maxsize=1)
def _segmenter():  # type: ignore[no-untyped-def]
    from pypinyin.core import Pinyin  # a large dictionary: loaded only when a slug is needed

    return Pinyin().seg


@lru_cache(maxsize=65536)
def _word_pinyin(word: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(word))


def pinyin(text: str) -> list[str]:
    """`pypinyin.lazy_pinyin(text)`, remembered word by word: headlines share most of their
    words, and turning a word's readings into plain letters is most of pypinyin's time."""
    return [syllable for word in _segmenter()(text) for syllable in _word_pinyin(word)]


def _words(parts: list[str]) -> list[str]:
    words: list[str] = []
    for part in parts:
        # Accents fold away (é → e); any other non-ASCII character separates words.
        ascii_text = "".join(
            ch if ch.isascii() else ("" if unicodedata.combining(ch) else " ")
            for ch in unicodedata.normalize("NFKD", part)
        )
        words.extend(w for w in _SEPARATORS.split(ascii_text.lower()) if w)
    return words


def _slugify(text: str) -> str:
    return "-".join(_words(pinyin(unicodedata.normalize("NFKC", text))))


# What a zone's name ends with that is not its place name, longest first: 成都高新区 → 成都,
# 中关村朝阳园 (the Chaoyang park of Zhongguancun) → 中关村朝阳.
ZONE_SUFFIXES = ("国家高新技术产业开发区", "高新技术产业开发区", "国家高新区", "高新区", "科技园区", "科技园", "园区", "园")
# Place names that are words of their own inside a zone's name, with the reading they have as
# places where pypinyin reads them as ordinary words (朝阳, the morning sun, is zhao-yang).
# Anything else between them is one word: 成都 → chengdu, 中关村朝阳 → zhongguancun-chaoyang.
_PLACES = {
    "中关村": "zhongguancun",
    "张江": "zhangjiang",
    "朝阳": "chaoyang",
    "长治": "changzhi",
}
_PLACE_SPLIT = re.compile("(" + "|".join(sorted(_PLACES, key=len, reverse=True)) + ")")
_HAN_RUN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+)")


def zone_place(name: str) -> str:
    """A zone's place name: its name without the suffix that says what kind of zone it is."""
    text = unicodedata.normalize("NFKC", name).strip()
    for suffix in ZONE_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)].strip()
    return text


@lru_cache(maxsize=1024)
def zone_slug(name: str) -> str:
    """A zone's slug when bulletin.yaml gives none: the pinyin of its place name, each place
    one word (成都高新区 → chengdu, 中关村朝阳园 → zhongguancun-chaoyang, 贵阳高新区 → guiyang)."""
    words: list[str] = []
    for piece in _PLACE_SPLIT.split(zone_place(name)):
        if piece in _PLACES:
            words.append(_PLACES[piece])
            continue
        for run in _HAN_RUN.split(piece):
            if _HAN_RUN.fullmatch(run):
                words.append("".join(_words(pinyin(run))))  # the syllables of one place: one word
            elif run:
                words.extend(_words([run]))  # Latin words and digits stay words of their own
    return cut("-".join(w for w in words if w), MAX_LENGTH)


def is_valid_slug(text: str) -> bool:
    return bool(SLUG_PATTERN.match(text))
