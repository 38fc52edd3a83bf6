"""markdown-it plugin that makes emphasis and line wrapping work in CJK text.

* ``*``, ``_`` and ``~~`` follow the CommonMark CJK-friendly amendments
  (tats-u/markdown-cjk-friendly, specification.md), so ``**“引用”**之后``
  is bold; text without CJK renders exactly as plain CommonMark.
* A soft line break is dropped as a Chinese newspaper sets the text: when a
  Chinese character or Chinese punctuation is on either side of it, so
  ``项目⏎15个`` reads ``项目15个`` and ``全省⏎GDP`` reads ``全省GDP``; between
  two other characters (``Hello⏎world``) it stays a space.  The small gap
  between Han and Latin letters or digits is the style sheet's business
  (``text-autospace``).  ``line_join="css3"`` keeps the segment-break
  transformation of CSS Text 3 instead: only a break between two wide
  characters goes, and one next to a Latin letter or a digit is a space.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
import re
import unicodedata

from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.parser_inline import ParserInline
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline.state_inline import Scanned, StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType

__all__ = ["LINE_JOIN_MODES", "cjk_friendly"]

# How soft line breaks are joined: "cjk", a break next to Chinese goes (the default), or
# "css3", only a break between two wide characters goes.
LINE_JOIN_MODES = ("cjk", "css3")


def _ranges(spec: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Parse ``"1F300-1F320 1F3F4 ..."`` into sorted start and end tuples."""
    starts: list[int] = []
    ends: list[int] = []
    for item in spec.split():
        first, _, last = item.partition("-")
        starts.append(int(first, 16))
        ends.append(int(last or first, 16))
    return tuple(starts), tuple(ends)


def _in(cp: int, table: tuple[tuple[int, ...], tuple[int, ...]]) -> bool:
    starts, ends = table
    i = bisect_right(starts, cp) - 1
    return i >= 0 and cp <= ends[i]


# Emoji_Presentation=Yes (emoji-data.txt, Unicode 17).  These are wide but the
# spec does not count them as CJK: an emoji is read like a word, not like an
# ideograph.  Python's unicodedata has no emoji properties, hence the table.
_EMOJI_PRESENTATION = _ranges(
    "231A-231B 23E9-23EC 23F0 23F3 25FD-25FE 2614-2615 2648-2653 267F 2693"
    " 26A1 26AA-26AB 26BD-26BE 26C4-26C5 26CE 26D4 26EA 26F2-26F3 26F5 26FA"
    " 26FD 2705 270A-270B 2728 274C 274E 2753-2755 2757 2795-2797 27B0 27BF"
    " 2B1B-2B1C 2B50 2B55 1F004 1F0CF 1F18E 1F191-1F19A 1F1E6-1F1FF 1F201"
    " 1F21A 1F22F 1F232-1F236 1F238-1F23A 1F250-1F251 1F300-1F320 1F32D-1F335"
    " 1F337-1F37C 1F37E-1F393 1F3A0-1F3CA 1F3CF-1F3D3 1F3E0-1F3F0 1F3F4"
    " 1F3F8-1F43E 1F440 1F442-1F4FC 1F4FF-1F53D 1F54B-1F54E 1F550-1F567 1F57A"
    " 1F595-1F596 1F5A4 1F5FB-1F64F 1F680-1F6C5 1F6CC 1F6D0-1F6D2 1F6D5-1F6D8"
    " 1F6DC-1F6DF 1F6EB-1F6EC 1F6F4-1F6FC 1F7E0-1F7EB 1F7F0 1F90C-1F93A"
    " 1F93C-1F945 1F947-1F9FF 1FA70-1FA7C 1FA80-1FA8A 1FA8E-1FAC6 1FAC8"
    " 1FACD-1FADC 1FADF-1FAEA 1FAEF-1FAF8"
)

# Script=Hangul.  Korean separates words with spaces, so a line break between
# Hangul syllables is a word break and must stay; and Hangul counts as CJK
# for emphasis even where its East Asian Width is N (the conjoining jamo).
_HANGUL = _ranges(
    "1100-11FF 302E-302F 3131-318E 3200-321E 3260-327E A960-A97C AC00-D7A3"
    " D7B0-D7C6 D7CB-D7FB FFA0-FFBE FFC2-FFC7 FFCA-FFCF FFD2-FFD7 FFDA-FFDC"
)

# Wide (W) in Unicode 16 but unassigned or N in older databases, such as the
# Unicode 14 one of Python 3.11: newer strokes, ideographic description
# characters, Tangut and Khitan additions, and symbols widened in Unicode 16.
# Listing them keeps the result independent of the Python version.
_NEWLY_WIDE = _ranges(
    "2630-2637 268A-268F 2FFC-2FFF 31E4-31E5 31EF 4DC0-4DFF 16FF2-16FF6"
    " 187F8-187FF 18CFF 18D09-18D1E 18D80-18DF2 1B132 1B155 1D300-1D356"
    " 1D360-1D376"
)

# UAX #11 gives unassigned code points in these blocks the width W, so that
# ideographs added later are wide before the local database knows them.
_WIDE_BY_DEFAULT = _ranges("3400-4DBF 4E00-9FFF F900-FAFF 20000-2FFFD 30000-3FFFD")


def _is_wide(cp: int) -> bool:
    """East Asian Width F, W or H."""
    ch = chr(cp)
    if unicodedata.category(ch) == "Cn":
        # unicodedata.east_asian_width() answers "F" for unassigned code
        # points (seen on CPython 3.11), so apply the UAX #11 defaults here.
        return _in(cp, _WIDE_BY_DEFAULT) or _in(cp, _NEWLY_WIDE)
    return unicodedata.east_asian_width(ch) in ("F", "W", "H") or _in(cp, _NEWLY_WIDE)


# ---------------------------------------------------------------------------
# Emphasis: the amended left-/right-flanking rules
# ---------------------------------------------------------------------------

_WS = 1  # Unicode whitespace (or the start/end of the text)
_PUNCT = 2  # Unicode punctuation character (P* or S*)
_CJK = 4  # CJK character in the sense of the amendment

# A delimiter next to an ordinary letter has no flag at all.
_NON_CJK_PUNCT = _PUNCT


@lru_cache(maxsize=None)
def _flank_class(ch: str) -> int:
    """Flags of one character for the flanking rules; cached per character."""
    cp = ord(ch)
    if isWhiteSpace(cp):
        return _WS
    flags = _PUNCT if isMdAsciiPunct(cp) or isPunctChar(ch) else 0
    # Nothing below U+1100 is CJK; skip the table look-ups for Latin text.
    if cp >= 0x1100 and (
        (_is_wide(cp) and not _in(cp, _EMOJI_PRESENTATION)) or _in(cp, _HANGUL)
    ):
        flags |= _CJK
    return flags


# Quotation marks that U+FE01 turns into their full-width (CJK) form:
# a "CJK ambiguous punctuation sequence" in the amendment.
_FULLWIDTH_WITH_FE01 = frozenset("\u2018\u2019\u201c\u201d")


def _class_before(src: str, start: int) -> int:
    """Flags of what precedes the delimiter run starting at ``start``."""
    if start == 0:
        return _WS
    last = src[start - 1]
    cp = ord(last)
    if 0xFE00 <= cp <= 0xFE0E and start > 1:
        # A general-use variation selector only picks a glyph: the rule looks
        # at the character it modifies.  (U+FE0F asks for emoji, which is not
        # CJK, so it is left to read as an ordinary letter.)  After
        # whitespace the spec leaves the result open; keep the selector then.
        base = src[start - 2]
        flags = _flank_class(base)
        if flags & _WS:
            return _flank_class(last)
        if cp == 0xFE01 and base in _FULLWIDTH_WITH_FE01:
            flags |= _CJK
        return flags
    if 0xE0100 <= cp <= 0xE01EF:
        # An ideographic variation selector only ever follows an ideograph.
        return _CJK
    return _flank_class(last)


class _CjkStateInline(StateInline):
    """Inline state whose delimiter scan follows the CJK-friendly amendment."""

    def scanDelims(self, start: int, canSplitWord: bool) -> Scanned:
        src = self.src
        maximum = self.posMax
        marker = src[start]
        pos = start
        while pos < maximum and src[pos] == marker:
            pos += 1

        before = _class_before(src, start)
        after = _flank_class(src[pos]) if pos < maximum else _WS

        # (1) not next to whitespace on the inner side, and (2a) no non-CJK
        # punctuation on the inner side, or (2b) the outer side is anything
        # but an ordinary letter: whitespace, punctuation or CJK.  With no CJK
        # around this is exactly the CommonMark definition.
        left_flanking = not (after & _WS) and (
            (after & (_PUNCT | _CJK)) != _NON_CJK_PUNCT or before != 0
        )
        right_flanking = not (before & _WS) and (
            (before & (_PUNCT | _CJK)) != _NON_CJK_PUNCT or after != 0
        )

        if canSplitWord:
            return Scanned(left_flanking, right_flanking, pos - start)
        # `_` must not split words: the CommonMark rules 2, 3, 6 and 7, with
        # "punctuation" on the opening side seen through a variation selector.
        can_open = left_flanking and (not right_flanking or bool(before & _PUNCT))
        can_close = right_flanking and (not left_flanking or bool(after & _PUNCT))
        return Scanned(can_open, can_close, pos - start)


class _CjkParserInline(ParserInline):
    """Inline parser that runs on :class:`_CjkStateInline`."""

    def parse(
        self, src: str, md: MarkdownIt, env: EnvType, tokens: list[Token]
    ) -> list[Token]:
        # ParserInline.parse names StateInline directly, so the state class
        # can only be swapped by restating its three steps here.
        state = _CjkStateInline(src, md, env, tokens)
        self.tokenize(state)
        for rule in self.ruler2.getRules(""):
            rule(state)
        return state.tokens


# ---------------------------------------------------------------------------
# Soft line breaks next to CJK characters
# ---------------------------------------------------------------------------

_OTHER = 0  # Latin, digits, Hangul, ASCII punctuation...
_WIDE = 1  # F/W/H and neither Hangul nor emoji: Chinese characters, kana, full-width forms
_AMBIGUOUS = 2  # Chinese quotes, dashes, ellipsis, middle dot (width A)
_ZWSP = 3  # U+200B, an explicit "break here, no space"
_SELECTOR = 4  # variation selector: read the character it modifies
_SYMBOL = 5  # a wide emoji: wide, but read like a word, not like Chinese

# Punctuation of width A that Chinese text uses as full-width punctuation; it
# is narrow in Western text, so it only counts as CJK next to CJK.
_AMBIGUOUS_PUNCT = frozenset("\u2018\u2019\u201c\u201d\u2014\u2026\u00b7")

# Tokens whose content is the text shown; markup tokens with a nesting (em,
# strong, s, link open/close) are looked through.  Every other token (image,
# html_inline, a break, anything from a plugin) shows something that is not a
# CJK character: it decides nothing, the character on the other side does.
_TEXT_TOKENS = frozenset(("text", "text_special", "code_inline"))


@lru_cache(maxsize=None)
def _break_class(ch: str) -> int:
    cp = ord(ch)
    if cp < 0x1100:
        return _AMBIGUOUS if ch == "\u00b7" else _OTHER
    if cp == 0x200B:
        return _ZWSP
    if ch in _AMBIGUOUS_PUNCT:
        return _AMBIGUOUS
    if 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:
        return _SELECTOR
    if _in(cp, _HANGUL):
        return _OTHER
    if not _is_wide(cp):
        return _OTHER
    return _SYMBOL if _in(cp, _EMOJI_PRESENTATION) else _WIDE


def _chars(children: Sequence[Token], i: int, step: int) -> Iterator[str]:
    """Characters shown before (``step`` -1) or after (+1) ``children[i]``,
    nearest first, up to the first token that is not text or markup."""
    j = i + step
    n = len(children)
    while 0 <= j < n:
        tok = children[j]
        if tok.type in _TEXT_TOKENS:
            yield from (reversed(tok.content) if step < 0 else tok.content)
        elif tok.nesting == 0 and tok.type != "softbreak":
            return
        j += step


# How far an ambiguous character is looked through to find its context; real
# runs ("……”") are short, and the cap keeps a pathological input linear.
_RESOLVE_LIMIT = 64


def _side(children: Sequence[Token], i: int, step: int) -> tuple[int, int]:
    """Class of the character touching the break at ``i``, and what it
    resolves to.

    An ambiguous character resolves to the nearest character beyond it that
    is not ambiguous (``_OTHER`` when there is none); any other character
    resolves to its own class.
    """
    chars = _chars(children, i, step)
    first = next(chars, None)
    if first is None:
        return _OTHER, _OTHER
    cls = _break_class(first)
    if cls == _SELECTOR:
        base = next(chars, None) if step < 0 else None
        cls = _OTHER if base is None else _break_class(base)
        if cls == _SELECTOR:
            cls = _OTHER  # a run of selectors: nothing sensible to read
    if cls != _AMBIGUOUS:
        return cls, cls
    for _, ch in zip(range(_RESOLVE_LIMIT), chars):
        resolved = _break_class(ch)
        if resolved != _AMBIGUOUS:
            return cls, resolved
    return cls, _OTHER


def _css3_class(cls: int) -> int:
    """CSS Text 3 asks for East Asian Width only: a wide emoji is as wide as an ideograph."""
    return _WIDE if cls == _SYMBOL else cls


def _removes_break(children: Sequence[Token], i: int, css3: bool = False) -> bool:
    before, before_resolved = _side(children, i, -1)
    after, after_resolved = _side(children, i, 1)
    if before == _ZWSP or after == _ZWSP:
        return True
    if not css3:
        # Chinese (or Chinese punctuation, read in its context) on either side.
        return before_resolved == _WIDE or after_resolved == _WIDE
    before, before_resolved, after, after_resolved = map(
        _css3_class, (before, before_resolved, after, after_resolved)
    )
    if before == _OTHER:
        return False
    if before == _WIDE:
        return after in (_WIDE, _AMBIGUOUS)
    # before is ambiguous punctuation
    if after == _WIDE:
        return True
    # Punctuation on both sides, as in ”\n“: decide by the text behind it.
    return after == _AMBIGUOUS and _WIDE in (before_resolved, after_resolved)


def _decided(a: int, b: int, css3: bool) -> bool | None:
    """Whether a break between characters of classes ``a`` and ``b`` goes,
    when those two alone decide it; None when it takes a closer look."""
    if css3:
        a, b = _css3_class(a), _css3_class(b)
        if a == _WIDE and b == _WIDE:
            return True
        return False if a == _OTHER and b == _OTHER else None
    if a == _WIDE or b == _WIDE:
        return True
    return False if a in (_OTHER, _SYMBOL) and b in (_OTHER, _SYMBOL) else None


def _join_children(children: list[Token], css3: bool = False) -> list[Token] | None:
    """``children`` without the removable soft breaks, or None if none go."""
    drop: list[int] = []
    last = len(children) - 1
    for i, tok in enumerate(children):
        if tok.type == "softbreak":
            if 0 < i < last:
                # Fast path for the usual text-break-text, decided by two
                # cached look-ups; everything else takes the general route.
                before = children[i - 1]
                after = children[i + 1]
                if (
                    before.type == "text"
                    and after.type == "text"
                    and before.content
                    and after.content
                ):
                    decided = _decided(
                        _break_class(before.content[-1]), _break_class(after.content[0]), css3
                    )
                    if decided is not None:
                        if decided:
                            drop.append(i)
                        continue
            if _removes_break(children, i, css3):
                drop.append(i)
        elif tok.type == "image" and tok.children:
            # The alt text is its own token list.
            joined = _join_children(tok.children, css3)
            if joined is not None:
                tok.children = joined
    if not drop:
        return None
    kept: list[Token] = []
    start = 0
    for i in drop:
        kept.extend(children[start:i])
        start = i + 1
    kept.extend(children[start:])
    return kept


def _line_joiner(css3: bool) -> Callable[[StateCore], None]:
    def join_cjk_lines(state: StateCore) -> None:
        if state.md.options.get("breaks"):
            # With `breaks` every newline is meant to become <br>: leave them.
            return
        for block in state.tokens:
            # A soft break comes from a newline in the source, so a cheap
            # substring test skips every single-line paragraph and heading.
            if block.type == "inline" and block.children and "\n" in block.content:
                joined = _join_children(block.children, css3)
                if joined is not None:
                    block.children = joined

    return join_cjk_lines


# A newline next to an ideograph (or a full-width punctuation mark) is a soft break that
# _join_children would remove. Removed from the source before inline parsing, the parser never
# makes it: a hard-wrapped paragraph becomes one text token instead of a text, a break and
# a text for every line. Only in text with no code span, raw HTML or link, where a newline is
# more than a break between words; with linkify, never (a web address can hold ideographs).
# The character on the other side must be one that means the same whatever stands next to it:
# another of these, or (for "cjk") an ASCII letter or digit. Next to anything else (an emphasis
# delimiter, a backslash, a quote the typographer would curl) the token path decides.
_JOINED = "[\u3001-\u302d\u3030-\u303e\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60]"
_SOURCE_JOINABLE = {
    # the newline first: found by a fast scan
    False: re.compile(
        rf"\n(?:(?<={_JOINED}\n)[ \t]*(?={_JOINED}|[A-Za-z0-9])|(?<=[A-Za-z0-9]\n)[ \t]*(?={_JOINED}))"
    ),
    True: re.compile(rf"\n(?<={_JOINED}\n)[ \t]*(?={_JOINED})"),
}
_NOT_JOINABLE = re.compile(r"[`<\[\]]")


def _source_joiner(css3: bool) -> Callable[[StateCore], None]:
    joinable = _SOURCE_JOINABLE[css3]

    def join_cjk_source(state: StateCore) -> None:
        if state.md.options.get("breaks") or state.md.options.get("linkify"):
            return
        for block in state.tokens:
            if block.type == "inline" and "\n" in block.content and not _NOT_JOINABLE.search(block.content):
                block.content = joinable.sub("", block.content)

    return join_cjk_source


_JOINERS = {css3: (_line_joiner(css3), _source_joiner(css3)) for css3 in (False, True)}


# ---------------------------------------------------------------------------


def cjk_friendly(md: MarkdownIt, line_join: str = "cjk") -> None:
    """Enable CJK-friendly emphasis and CJK line joining on ``md`` only.

    ``line_join`` is one of LINE_JOIN_MODES (see the module's doc).
    """
    if line_join not in LINE_JOIN_MODES:
        raise ValueError(f"line_join must be one of {', '.join(LINE_JOIN_MODES)}, not {line_join!r}")
    join_lines, join_source = _JOINERS[line_join == "css3"]
    inline = md.inline
    if type(inline) is ParserInline:
        # Changing this one object's class leaves other MarkdownIt instances,
        # and the rules already registered on this one, untouched.
        inline.__class__ = _CjkParserInline
    elif not isinstance(inline, _CjkParserInline):
        raise TypeError(
            f"cjk_friendly needs markdown-it's own inline parser, not {type(inline)!r}"
        )
    if "cjk_softbreak" in md.core.ruler.get_all_rules():
        # Used again: the last line_join counts.
        md.core.ruler.at("cjk_softbreak", join_lines)
        md.core.ruler.at("cjk_source_join", join_source)
    else:
        # At the end of the core chain, so the rule sees the characters that
        # are output: typographer quotes, and links found by linkify.
        md.core.ruler.push("cjk_softbreak", join_lines)
        md.core.ruler.before("inline", "cjk_source_join", join_source)
