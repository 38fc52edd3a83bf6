"""Messages in the editor's language: Chinese (zh) or English (en), from one gettext catalogue.

The code writes every message in English, marked for translation:

    _("unknown zone {zone}").format(zone=name)
    ngettext("{n} report", "{n} reports", n).format(n=n)

These return a `Text`: a str whose value is the English message (so it compares, sorts and
searches as before), which also remembers its msgid and parameters. It is translated when it
is shown: `str(text)`, `f"{text}"` and `print(text)` give it in the current language. So a
message made early (before the site's language is known) or in a worker process (it travels
back pickled, msgid and all) still comes out in the language chosen when it is printed.

The language, first that applies: `--lang`, the environment variable BULLETIN_LANG, the site's
`language` in bulletin.yaml (when it can be read), the locale (LC_ALL, LC_MESSAGES, LANG; on
Windows the user's locale), else English. The catalogue is bulletin/locale/zh_CN/LC_MESSAGES/
bulletin.po, compiled to bulletin.mo (see bulletin/locale/README.md).
"""

from __future__ import annotations

import gettext
import locale
import os
import sys
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

LANGUAGES = ("zh", "en")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "bulletin"

_current: str | None = None


def normalise(tag: str | None) -> str | None:
    """'zh', 'zh-CN', 'zh_CN.UTF-8', 'Chinese (Simplified)_China' → 'zh'; other tags → 'en'; '' → None."""
    if not tag or not str(tag).strip():
        return None
    tag = str(tag).strip().lower()
    return "zh" if tag.startswith("zh") or tag.startswith("chinese") else "en"


def locale_language() -> str | None:
    """The language of the user's locale, or None when it names none."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return None if value in ("C", "POSIX") or value.startswith("C.") else normalise(value)
    if sys.platform == "win32":
        try:
            return normalise(locale.getlocale()[0])
        except (ValueError, TypeError):
            return None
    return None


def choose(option: str | None = None, site: str | None = None) -> str:
    """The language to speak: --lang, then BULLETIN_LANG, then the site's, then the locale's, then English."""
    for candidate in (option, os.environ.get("BULLETIN_LANG"), site, locale_language()):
        chosen = normalise(candidate)
        if chosen:
            return chosen
    return "en"


def set_language(language: str) -> None:
    global _current
    _current = normalise(language) or "en"


def language() -> str:
    """The current language; until one is set, what the environment says."""
    return _current or choose()


@lru_cache(maxsize=None)
def _catalogue(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=["zh_CN"], fallback=True)


class Text(str):
    """A message: its value is the English text; shown (str, format, print) in the current language."""

    _msgid: str
    _plural: str | None
    _n: int | None
    _params: Mapping[str, Any]
    _parts: tuple[Any, ...] | None

    def __new__(cls, english: str, msgid: str = "", plural: str | None = None, n: int | None = None,
                params: Mapping[str, Any] | None = None, parts: tuple[Any, ...] | None = None) -> "Text":
        text = super().__new__(cls, english)
        text._msgid, text._plural, text._n = msgid, plural, n
        text._params, text._parts = dict(params or {}), parts
        return text

    @property
    def msgid(self) -> str:
        """The English message before its parameters were filled in: a stable key for tools."""
        if self._parts is not None:
            return "".join(part.msgid if isinstance(part, Text) else str.__str__(part) for part in self._parts)
        return self._msgid

    def format(self, *args: Any, **params: Any) -> "Text":  # type: ignore[override]
        if args:
            raise TypeError("messages take named placeholders only, so a translation may reorder them")
        merged = {**self._params, **params}
        return Text(_render(self._english_template(), merged, "en"), self._msgid, self._plural, self._n, merged)

    def translate(self, language: str | None = None) -> str:
        language = language or globals()["language"]()
        if self._parts is not None:
            return "".join(translate(part, language) for part in self._parts)
        catalogue = _catalogue(language)
        if self._plural is not None:
            template = catalogue.ngettext(self._msgid, self._plural, self._n or 0)
        else:
            template = catalogue.gettext(self._msgid) if self._msgid else ""
        if not self._params:
            return template
        return _render(template, self._params, language)

    def _english_template(self) -> str:
        if self._plural is not None:
            return self._msgid if self._n == 1 else self._plural
        return self._msgid

    def __str__(self) -> str:
        return self.translate()

    def __format__(self, spec: str) -> str:
        return format(self.translate(), spec)

    def __add__(self, other: Any) -> "Text":  # type: ignore[override]
        if not isinstance(other, str):
            return NotImplemented
        return join([self, other])

    def __radd__(self, other: Any) -> "Text":
        if not isinstance(other, str):
            return NotImplemented
        return join([other, self])

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (_restore, (str.__str__(self), self._msgid, self._plural, self._n, dict(self._params), self._parts))

    def __repr__(self) -> str:
        return f"Text({str.__repr__(self)})"


def _restore(english: str, msgid: str, plural: str | None, n: int | None, params: dict[str, Any],
             parts: tuple[Any, ...] | None) -> Text:
    return Text(english, msgid, plural, n, params, parts)


def _render(template: str, params: Mapping[str, Any], language: str) -> str:
    return template.format(**{key: translate(value, language) if isinstance(value, Text) else value
                              for key, value in params.items()})


def english(value: Any) -> str:
    """The English text of a message (its str value)."""
    return str.__str__(value) if isinstance(value, str) else str(value)


def translate(value: Any, language: str | None = None) -> str:
    """A message in `language` (default: the current one); plain strings as they are."""
    if isinstance(value, Text):
        return value.translate(language)
    return "" if value is None else english(value)


def join(parts: Iterable[Any], separator: str = "") -> Text:
    """Messages (and plain strings) joined, each translated when the whole is shown."""
    items: list[Any] = []
    for index, part in enumerate(parts):
        if index and separator:
            items.append(separator)
        items.append(part)
    return Text("".join(english(part) for part in items), parts=tuple(items))


def _(msgid: str) -> Text:
    """Mark an English message for translation; fill its {placeholders} with .format(name=…)."""
    return Text(msgid, msgid)


def ngettext(singular: str, plural: str, n: int) -> Text:
    """A message with a number in it: `ngettext("{n} report", "{n} reports", n).format(n=n)`."""
    return Text(singular if n == 1 else plural, singular, plural, n)


def N_(msgid: str) -> str:
    """Mark a message for the catalogue without translating it here (for argparse's own)."""
    return msgid


def gettext_now(msgid: str) -> str:
    """`msgid` translated into the current language at once (for argparse's help texts)."""
    return _catalogue(language()).gettext(msgid)


def ngettext_now(singular: str, plural: str, n: int) -> str:
    return _catalogue(language()).ngettext(singular, plural, n)


# argparse's own words (usage:, options, error:, …), for its help and errors in Chinese.
ARGPARSE_MESSAGES = (
    N_("usage: "), N_("positional arguments"), N_("options"), N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"), N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"), N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("argument %(argument_name)s: %(message)s"), N_("expected one argument"),
    N_("invalid %(type)s value: %(value)r"), N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"), N_("ambiguous option: %(option)s could match %(matches)s"),
)


@contextmanager
def argparse_in_language() -> Iterator[None]:
    """argparse's own words in the current language while parsing (and printing --help)."""
    import argparse

    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = gettext_now, ngettext_now  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]

