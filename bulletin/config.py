"""bulletin.yaml → a frozen, typed SiteConfig; every problem reported at once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bulletin.errors import BuildError, Problem, did_you_mean, shown
from bulletin.slugs import MAX_LENGTH, is_valid_slug, zone_slug
from bulletin.yamlmap import Entry, load_mapping
from bulletin.i18n import _

CONFIG_NAME = "bulletin.yaml"


def _builtin_themes() -> Path:
    """Themes that ship with bulletin, used when the site has no themes/NAME folder of its own:
    inside the installed package (bulletin/themes/), or at the top of a source checkout."""
    package = Path(__file__).resolve().parent
    installed = package / "themes"
    return installed if installed.is_dir() else package.parent / "themes"


BUILTIN_THEMES = _builtin_themes()


@dataclass(frozen=True)
class Zone:
    """A high-tech zone of the registry."""

    name: str
    slug: str
    province: str = ""
    city: str = ""
    description: str = ""


@dataclass(frozen=True)
class SiteConfig:
    """Everything bulletin.yaml says, validated. Paths are absolute."""

    root: Path
    title: str
    base_url: str
    language: str
    timezone: str
    per_page: int
    feed_limit: int
    summary_length: int
    description: str
    publisher: str
    copyright: str
    theme: str
    trusted_html: bool
    search: bool
    zones: tuple[Zone, ...]
    pages: tuple[tuple[int, str], ...] = ()  # the paper's page (版) names: (number, name), by number
    line_join: str = "cjk"  # how a line break inside a paragraph is read: "cjk" or "css3"
    slug_length: int = MAX_LENGTH  # the longest a report's pinyin slug may be

    def page_name(self, number: int) -> str:
        """The standing name of page `number` of every issue, or ''."""
        return dict(self.pages).get(number, "")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def path_prefix(self) -> str:
        """The URL path the site lives under, with both slashes: '/' or '/bulletin/'."""
        return urlsplit(self.base_url).path

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def static_dir(self) -> Path:
        return self.root / "static"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def theme_dir(self) -> Path:
        own = self.root / "themes" / self.theme
        return own if own.is_dir() else BUILTIN_THEMES / self.theme


# One normaliser per key: (value, problems sink) → normalised value.
def _text(required: bool = False) -> Callable[[Any, Callable[[str, str | None], None]], Any]:
    def check(value: Any, fail: Callable[[str, str | None], None]) -> Any:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            fail(_("must be a non-empty text") if required else _("must be a text"), None)
            return ""
        return value.strip()

    return check


def _integer(low: int, high: int) -> Callable[[Any, Callable[[str, str | None], None]], Any]:
    def check(value: Any, fail: Callable[[str, str | None], None]) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            fail(_("must be a whole number from {low} to {high}, not {value}").format(low=low, high=high, value=shown(value)), None)
            return low
        return value

    return check


def _boolean(value: Any, fail: Callable[[str, str | None], None]) -> Any:
    if not isinstance(value, bool):
        fail(_("must be true or false, not {value}").format(value=shown(value)), None)
        return False
    return value


# Characters a base URL may not hold: whitespace (Unicode's too), controls, and those that are
# never written unescaped in a URL.
_URL_UNSAFE = re.compile(r'[\s\x00-\x1f\x7f-\x9f"<>\\^`{|}\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]')
_URL_UNSAFE_SHOWN = '" < > \\ ^ ` { | }'


_BASE_URL_HINT = _("e.g. base_url: https://example.org/bulletin/")


def _base_url(value: Any, fail: Callable[[str, str | None], None]) -> Any:
    if not isinstance(value, str):
        fail(_("must be a URL"), _BASE_URL_HINT)
        return "http://localhost/"
    odd = _URL_UNSAFE.search(value)
    if odd:  # urlsplit drops tabs and line breaks, which would then reach robots.txt and every page
        fail(_("must not contain spaces, control characters or {characters} (found U+{code:04X} at character {at})").format(
             characters=_URL_UNSAFE_SHOWN, code=ord(odd.group()), at=odd.start() + 1),
             _("e.g. base_url: https://example.org/bulletin/ (percent-encode anything else: a space is %20)"))
        return "http://localhost/"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        fail(_("must be an absolute http(s) URL, not {value}").format(value=shown(value)), _BASE_URL_HINT)
        return "http://localhost/"
    if parts.username is not None or parts.password is not None:
        fail(_("must not contain a user name or password: it would be published on every page"), _BASE_URL_HINT)
        return "http://localhost/"
    return value if value.endswith("/") else value + "/"


def _language(value: Any, fail: Callable[[str, str | None], None]) -> Any:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", value):
        fail(_("must be a language tag such as zh-CN, not {value}").format(value=shown(value)), None)
        return "zh-CN"
    return value


def _timezone(value: Any, fail: Callable[[str, str | None], None]) -> Any:
    try:
        ZoneInfo(str(value))
        return str(value)
    except (ZoneInfoNotFoundError, ValueError):
        fail(_("is not a known time zone: {value}").format(value=shown(value)), did_you_mean(str(value), available_timezones()) or _("e.g. Asia/Shanghai"))
        return "Asia/Shanghai"


def _theme(value: Any, fail: Callable[[str, str | None], None]) -> Any:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", value):
        fail(_("must be the name of a folder in themes/, not {value}").format(value=shown(value)), _("e.g. theme: default"))
        return "default"
    return value


LINE_JOIN_MODES = ("cjk", "css3")  # bulletin.cjk.LINE_JOIN_MODES, without loading markdown-it here


def _line_join(value: Any, fail: Callable[[str, str | None], None]) -> Any:
    if value not in LINE_JOIN_MODES:
        fail(_("must be cjk or css3, not {value}").format(value=shown(value)),
             _("cjk (the default): a line break next to Chinese disappears; "
               "css3: only one between two Chinese characters does (CSS Text 3)"))
        return "cjk"
    return value


PAGE_NAMES_HINT = _("e.g. pages: {1: 要闻, 6: 高新区}")


def page_number(value: Any) -> int | None:
    """A page (版) number written as 6, "6", "06" or "第6版"; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str):
        match = re.fullmatch(r"\s*第?\s*(\d+)\s*版?\s*", value)
        if match and int(match.group(1)) > 0:
            return int(match.group(1))
    return None


_FIELDS: dict[str, tuple[Callable[..., Any], Any]] = {
    "title": (_text(required=True), None),
    "base_url": (_base_url, None),
    "language": (_language, "zh-CN"),
    "timezone": (_timezone, "Asia/Shanghai"),
    "per_page": (_integer(1, 1000), 20),
    "feed_limit": (_integer(1, 10000), 20),
    "summary_length": (_integer(20, 2000), 120),
    "description": (_text(), ""),
    "publisher": (_text(), ""),
    "copyright": (_text(), ""),
    "theme": (_theme, "default"),
    "trusted_html": (_boolean, False),
    "search": (_boolean, True),
    "zones": (lambda v, fail: v, None),
    "pages": (lambda v, fail: v, ()),
    "line_join": (_line_join, "cjk"),
    "slug_length": (_integer(20, 200), MAX_LENGTH),
}
_REQUIRED = ("title", "base_url", "zones")
_ZONE_KEYS = ("name", "slug", "province", "city", "description")


def load_config(root: Path, found: list[Problem] | None = None) -> SiteConfig:
    """Read and validate ROOT/bulletin.yaml; raise BuildError with every problem.

    With `found`, problems that leave a usable config (a misspelt key, a value out of range:
    the default stands for it) are added to `found` instead, so that the reports can be
    checked against the rest of the config in the same run. Without zones there is nothing
    to check reports against: that still raises."""
    path = root / CONFIG_NAME
    rel = CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BuildError(
            [Problem(_("no {config} in {folder}").format(config=CONFIG_NAME, folder=root), hint=_("run bulletin in a site folder, or `bulletin init DIR` to make one"))]
        ) from None
    except (UnicodeDecodeError, OSError) as exc:
        raise BuildError([Problem(_("cannot read {config}: {error}").format(config=CONFIG_NAME, error=exc), rel, hint=_("save it as UTF-8"))]) from None
    entries, problems = load_mapping(text, rel, 1, what=CONFIG_NAME)
    if entries is None:
        raise BuildError(problems)
    values: dict[str, Any] = {}
    for key, entry in entries.items():
        if key not in _FIELDS:
            problems.append(
                Problem(_("unknown key {key}").format(key=shown(key)), rel, entry.line, hint=did_you_mean(key, _FIELDS) or _("known keys: {keys}").format(keys=", ".join(_FIELDS)))
            )
            continue
        check, _default = _FIELDS[key]

        def fail(message: str, hint: str | None, key: str = key, line: int = entry.line) -> None:
            problems.append(Problem(_("'{key}' {message}").format(key=key, message=message), rel, line, hint=hint))

        values[key] = check(entry.value, fail)
    for key in _REQUIRED:
        if key not in entries:
            problems.append(Problem(_("missing required key '{key}'").format(key=key), rel, None, hint=_REQUIRED_HINTS[key]))
    zones = _zones(entries.get("zones"), rel, problems)
    pages = _page_names(entries.get("pages"), rel, problems)
    if problems and (found is None or not zones):
        raise BuildError(problems)
    for key, (_check, default) in _FIELDS.items():
        values.setdefault(key, default)
    if problems:  # a required key is missing (or invalid) but zones are there: stand-ins for the rest
        values["title"] = values["title"] or ""
        values["base_url"] = values["base_url"] or "http://localhost/"
        assert found is not None
        found.extend(problems)
    values["zones"] = zones
    values["pages"] = pages
    config = SiteConfig(root=root.resolve(), **values)
    if not config.theme_dir.is_dir():
        if "theme" not in entries:  # the built-in theme is missing: the installation is broken, not the config
            raise BuildError([*(found or ()), Problem(_("the built-in theme '{theme}' is missing from this installation of bulletin "
                                        "(looked in {folder})").format(theme=config.theme, folder=BUILTIN_THEMES.as_posix()),
                                      hint=_("install bulletin again (e.g. pip install --force-reinstall bulletin), "
                                             "or give the site a theme of its own in themes/{theme}/").format(theme=config.theme))])
        raise BuildError([*(found or ()), Problem(_("theme {theme} not found in themes/").format(theme=shown(config.theme)), rel, entries["theme"].line, hint=_("themes live in themes/NAME/ (leave 'theme' out for the built-in default theme)"))])
    return config


_REQUIRED_HINTS = {
    "title": _("e.g. title: 高新区新闻公报"),
    "base_url": _("the address the site is published at, e.g. base_url: https://example.org/bulletin/"),
    "zones": _("list the zones reports may name, e.g. zones: [{name: 贵阳高新区, slug: guiyang}]"),
}


def _page_names(entry: Entry | None, rel: str, problems: list[Problem]) -> tuple[tuple[int, str], ...]:
    """The paper's standing page names, so that reports need give only a page's number."""
    if entry is None or entry.value is None:
        return ()
    if not isinstance(entry.value, dict):
        problems.append(Problem(_("'pages' must be a mapping of page numbers to names"), rel, entry.line, hint=PAGE_NAMES_HINT))
        return ()
    names: dict[int, str] = {}
    for (key, name), line in zip(entry.value.items(), entry.key_lines()):
        number = page_number(key)
        if number is None:
            problems.append(Problem(_("'pages': {key} is not a page number").format(key=shown(key)), rel, line,
                                    hint=_("page numbers are whole numbers from 1, {example}").format(example=PAGE_NAMES_HINT)))
        elif not isinstance(name, str) or not name.strip():
            problems.append(Problem(_("'pages': page {number} has no name").format(number=number), rel, line, hint=_("e.g. {number}: 高新区").format(number=number)))
        elif number in names:
            problems.append(Problem(_("'pages': page {number} is named twice").format(number=number), rel, line, hint=_("keep one of them")))
        else:
            names[number] = name.strip()
    return tuple(sorted(names.items()))


def _zones(entry: Entry | None, rel: str, problems: list[Problem]) -> tuple[Zone, ...]:
    if entry is None:
        return ()
    if not isinstance(entry.value, list) or not entry.value:
        problems.append(Problem(_("'zones' must be a non-empty list of zones"), rel, entry.line, hint=_REQUIRED_HINTS["zones"]))
        return ()
    zones: list[Zone] = []
    seen: dict[str, str] = {}
    key_lines = entry.item_key_lines() or [{} for _ in entry.value]
    for index, (item, line, keys) in enumerate(zip(entry.value, entry.item_lines(), key_lines), start=1):
        where = _("zone #{number}").format(number=index)
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict):
            problems.append(Problem(_("{zone} must be a name or a mapping with 'name'").format(zone=where), rel, line))
            continue
        for key in item:
            if key not in _ZONE_KEYS:
                problems.append(
                    Problem(_("{zone}: unknown key {key}").format(zone=where, key=shown(key)), rel, keys.get(str(key), line), hint=did_you_mean(str(key), _ZONE_KEYS) or _("zone keys: {keys}").format(keys=", ".join(_ZONE_KEYS)))
                )
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(_("{zone} has no 'name'").format(zone=where), rel, line, hint=_("e.g. - name: 贵阳高新区")))
            continue
        name = name.strip()
        slug = item.get("slug") or zone_slug(name)
        if not isinstance(slug, str) or not is_valid_slug(slug):
            problems.append(
                Problem(_("zone {zone}: slug {slug} is not valid").format(zone=shown(name), slug=shown(slug)), rel, keys.get("slug", line), hint=_("use lower-case letters, digits and hyphens, e.g. guiyang"))
            )
            slug = zone_slug(name)  # the zone is there all the same: reports may name it
            if not is_valid_slug(slug):
                continue
        for label, key in ((name, "name"), (slug, "slug")):
            if label in seen:
                problems.append(Problem((_("zone {zone}: name {name} is already used by zone {other}") if key == "name" else
                                         _("zone {zone}: slug {name} is already used by zone {other}")).format(
                                             zone=shown(name), name=shown(label), other=shown(seen[label])), rel, line))
            seen[label] = name
        extra = {k: str(item.get(k) or "").strip() for k in ("province", "city", "description")}
        zones.append(Zone(name=name, slug=slug, **extra))
    return tuple(zones)
