"""Pinyin slugs: 重庆高新区 → chong-qing-gao-xin-qu.

pypinyin segments phrases before choosing readings, so polyphonic characters take the reading
of the word they are in (重庆 → chong-qing, 银行 → yin-hang).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_LENGTH = 80
_SEPARATORS = re.compile(r"[^a-z0-9]+")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


_known: dict[str, str] = {}  # text → slug (at MAX_LENGTH), known without asking pypinyin
_KNOWN_LIMIT = 100_000


def seed(slugs: dict[str, str]) -> None:
    """Slugs already known (from an earlier build), so that a rebuild need not load pypinyin's
    dictionary for text it has seen before."""
    _known.update(slugs)


_learned: dict[str, str] = {}  # made by this process since the last take_learned()


def known() -> dict[str, str]:
    """The slugs this process has made or been given, for a later build to seed."""
    return dict(_known)


def take_learned() -> dict[str, str]:
    """The slugs made since the last call (a worker process sends them to the main one)."""
    learned = dict(_learned)
    _learned.clear()
    return learned


def slugify(text: str, max_length: int = MAX_LENGTH) -> str:
    """Lower-case ASCII words joined by hyphens; empty when the text has no letters or digits."""
    if max_length != MAX_LENGTH:
        return _slugify(text, max_length)
    slug = _known.get(text)
    if slug is None:
        slug = _slugify(text, max_length)
        if len(_known) < _KNOWN_LIMIT:
            _known[text] = _learned[text] = slug
    return slug


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


def _slugify(text: str, max_length: int) -> str:
    parts = pinyin(unicodedata.normalize("NFKC", text))
    words: list[str] = []
    for part in parts:
        # Accents fold away (é → e); any other non-ASCII character separates words.
        ascii_text = "".join(
            ch if ch.isascii() else ("" if unicodedata.combining(ch) else " ")
            for ch in unicodedata.normalize("NFKD", part)
        )
        words.extend(w for w in _SEPARATORS.split(ascii_text.lower()) if w)
    slug = "-".join(words)
    if len(slug) > max_length:
        cut = slug.rfind("-", 0, max_length + 1)
        slug = slug[: cut if cut > 0 else max_length]
    return slug


def is_valid_slug(text: str) -> bool:
    return bool(SLUG_PATTERN.match(text))
