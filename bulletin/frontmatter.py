"""Split a report into its YAML front-matter and body, and normalise each field."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping

from bulletin.config import SiteConfig, Zone
from bulletin.errors import Problem, did_you_mean
from bulletin.model import Meta
from bulletin.slugs import is_valid_slug
from bulletin.yamlmap import Entry, load_mapping

FIELDS = (
    "title", "date", "zone", "reporter", "tags", "slug", "summary", "draft",
    "image", "image_caption", "image_credit",
)
REQUIRED = ("title", "date", "zone")
_FENCE = re.compile(r"^---[ \t]*$")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$")
_DATE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?[ ]*(Z|[+-]\d{2}(?::?\d{2})?)?)?$"
)
_TAG_SEPARATORS = re.compile(r"[,，、;；]")
DATE_HINT = "write the date as YYYY-MM-DD or YYYY-MM-DD HH:MM, optionally with an offset such as +08:00"


class Split:
    """A report's text cut in two: YAML (starting on line 2) and body (starting on body_line)."""

    __slots__ = ("yaml", "body", "body_line")

    def __init__(self, yaml: str, body: str, body_line: int):
        self.yaml, self.body, self.body_line = yaml, body, body_line


def split(text: str, path: str) -> Split | Problem:
    if not text.strip():
        return Problem("the file is empty", path, None, hint="a report starts with front-matter: a '---' line, 'title: …', 'date: …', 'zone: …', and a closing '---'")
    lines = text.split("\n")
    if not _FENCE.match(lines[0]):
        return Problem(
            "the file does not start with front-matter",
            path, 1,
            hint="put a line '---' first, then 'title:', 'date:' and 'zone:', then a closing '---'",
        )
    for index in range(1, len(lines)):
        if _CLOSE.match(lines[index]):
            return Split("\n".join(lines[1:index]), "\n".join(lines[index + 1:]), index + 2)
    return Problem(
        "the front-matter is never closed",
        path, 1,
        hint="add a line '---' after the last front-matter key (did you forget it?)",
    )


def parse_date(value: Any, tz: Any) -> tuple[datetime, bool] | str:
    """(aware datetime, whether a time was given), or the reason it is not a date."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return f"'date' must be a date, not {value!r}"
    text = str(value).strip()
    match = _DATE.match(text)
    if not match:
        return f"'{text}' is not a date"
    year, month, day, hour, minute, second, offset = match.groups()
    try:
        naive = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError as exc:
        return f"'{text}' is not a date: {exc}"
    if offset is None:
        return naive.replace(tzinfo=tz), hour is not None
    if offset == "Z":
        return naive.replace(tzinfo=timezone.utc), True
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    if delta > timedelta(hours=14):
        return f"'{text}' has an impossible UTC offset"
    return naive.replace(tzinfo=timezone(delta if offset[0] == "+" else -delta)), True


class ZoneIndex:
    """Finds a registered zone by name or slug."""

    def __init__(self, zones: tuple[Zone, ...]):
        self._by_key = {z.name: z for z in zones} | {z.slug: z for z in zones}
        self._names = [z.name for z in zones]

    def find(self, key: str) -> Zone | None:
        return self._by_key.get(key)

    def hint(self, key: str) -> str:
        close = did_you_mean(key, self._names) or did_you_mean(key, self._by_key)
        return close or f"registered zones: {', '.join(self._names)}; add new zones to bulletin.yaml"


def parse_meta(split_: Split, path: str, config: SiteConfig, zones: ZoneIndex) -> tuple[Meta | None, list[Problem]]:
    entries, problems = load_mapping(split_.yaml, path, 2)
    if entries is None:
        return None, problems
    for key, entry in entries.items():
        if key not in FIELDS:
            problems.append(
                Problem(f"unknown front-matter key '{key}'", path, entry.line,
                        hint=did_you_mean(key, FIELDS) or f"known keys: {', '.join(FIELDS)}")
            )
    for key in REQUIRED:
        if key not in entries or entries[key].value in (None, ""):
            line = entries[key].line if key in entries else 1
            problems.append(Problem(f"missing required key '{key}'", path, line, hint=_REQUIRED_HINTS[key]))

    def fail(entry: Entry, message: str, hint: str | None = None) -> None:
        problems.append(Problem(message, path, entry.line, hint=hint))

    get: Callable[[str], Entry | None] = entries.get
    title = _text(get("title"), "title", fail) or ""
    date = get("date")
    parsed = parse_date(date.value, config.tz) if date else "missing"
    if isinstance(parsed, str):
        if date and date.value not in (None, ""):
            fail(date, parsed, DATE_HINT)
        parsed = (datetime(1970, 1, 1, tzinfo=config.tz), False)
    zone_entry = get("zone")
    zone = None
    if zone_entry and zone_entry.value not in (None, ""):
        name = str(zone_entry.value).strip()
        zone = zones.find(name)
        if zone is None:
            fail(zone_entry, f"unknown zone '{name}'", zones.hint(name))
    reporters = _names(get("reporter"), "reporter", fail)
    tags = _tags(get("tags"), fail)
    slug = _text(get("slug"), "slug", fail)
    if slug and not is_valid_slug(slug):
        fail(entries["slug"], f"slug '{slug}' may only hold lower-case letters, digits and single hyphens",
             "e.g. slug: guiyang-shuang-di-yi; leave it out to get the pinyin of the title")
    draft_entry = get("draft")
    draft = False
    if draft_entry is not None:
        if not isinstance(draft_entry.value, bool):
            fail(draft_entry, f"'draft' must be true or false, not {draft_entry.value!r}")
        else:
            draft = draft_entry.value
    optional = {k: _text(get(k), k, fail) or None for k in ("summary", "image", "image_caption", "image_credit")}
    if problems or zone is None:
        return None, problems
    return Meta(
        title=title,
        date=parsed[0],
        has_time=parsed[1],
        zone=zone,
        reporters=reporters,
        tags=tags,
        slug=slug or None,
        draft=draft,
        title_line=entries["title"].line,
        slug_line=entries["slug"].line if "slug" in entries else None,
        image_line=entries["image"].line if "image" in entries else None,
        **optional,
    ), problems


_REQUIRED_HINTS: Mapping[str, str] = {
    "title": "add 'title: …' with the report's headline",
    "date": "add 'date: YYYY-MM-DD' with the day the report is published",
    "zone": "add 'zone: …' naming a zone registered in bulletin.yaml",
}


def _text(entry: Entry | None, key: str, fail: Callable[..., None]) -> str | None:
    if entry is None or entry.value is None:
        return None
    value = entry.value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        fail(entry, f"'{key}' must be a text, not {_kind(value)}", f"write it on one line: {key}: …")
        return None
    return value.strip()


def _names(entry: Entry | None, key: str, fail: Callable[..., None]) -> tuple[str, ...]:
    if entry is None or entry.value is None:
        return ()
    value = entry.value
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in items):
        fail(entry, f"'{key}' must be a name or a list of names", f"e.g. {key}: 易颖 or {key}: [张洁, 文铭权]")
        return ()
    names = [str(v).strip() for v in items]
    if any(not n for n in names):
        fail(entry, f"'{key}' has an empty name")
    return tuple(dict.fromkeys(n for n in names if n))


def _tags(entry: Entry | None, fail: Callable[..., None]) -> tuple[str, ...]:
    """A list of tags; a single text is one tag, unless it holds separators (then say how)."""
    if entry is None or entry.value is None:
        return ()
    if isinstance(entry.value, str) and _TAG_SEPARATORS.search(entry.value):
        parts = [p.strip() for p in _TAG_SEPARATORS.split(entry.value) if p.strip()]
        fail(entry, "'tags' is one text with separators in it", f"write a list: tags: [{', '.join(parts)}]")
        return ()
    return _names(entry, "tags", fail)


def _kind(value: Any) -> str:
    return {list: "a list", dict: "a mapping", bool: "true/false"}.get(type(value), type(value).__name__)
