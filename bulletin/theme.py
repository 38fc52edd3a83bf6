"""The Jinja environment: a site's templates/ over its theme's, strict, with bulletin's filters.

A template is looked up first in the site's own templates/ folder, then in the theme's, so a
site overrides any single template by giving a file of the same name.
"""

from __future__ import annotations

import hashlib
import json
import re
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from bulletin.config import SiteConfig
from bulletin.errors import BuildError, Problem
from bulletin import state
from bulletin.incremental import theme_fingerprint
from bulletin.urls import Links
from bulletin.i18n import _

WEEKDAYS = "一二三四五六日"


def json_ld(value: Any) -> Markup:
    """JSON for a <script type="application/ld+json"> block: nothing in it can end the script."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def zh_date(value: datetime) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def zh_weekday(value: datetime) -> str:
    """星期三: the day of the week, as a paper's folio line gives it."""
    return f"星期{WEEKDAYS[value.weekday()]}"


def zh_datetime(value: datetime) -> str:
    return f"{zh_date(value)} {value:%H:%M}"


class _BytecodeCache(jinja2.BytecodeCache):
    """Compiled templates, kept so that a rebuild does not compile them again (all of the
    default theme's take 0.25 s to compile, 0.01 s to load; Jinja checks each against its
    template's source). Compiled templates are code: they are kept in the user's cache folder,
    not the site's, each signed like the site's cache (see state.signer) and loaded only if
    its signature holds."""

    def __init__(self, root: Path):
        self.root = root
        self.folder = state.user_cache_folder() / "templates"

    def _path(self, bucket: jinja2.bccache.Bucket) -> Path:
        return self.folder / f"__jinja2_{bucket.key}.cache"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = state.read_signed(self._path(bucket), state.signer(self.root))
        if code is not None:
            bucket.bytecode_from_string(bytes(code))

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            state.write_signed(self._path(bucket), state.signer(self.root), bucket.bytecode_to_string())
        except OSError:
            pass  # a read-only cache folder renders all the same


class Theme:
    def __init__(self, config: SiteConfig, links: Links):
        self.config = config
        self.dirs = [d for d in (config.templates_dir, config.theme_dir / "templates") if d.is_dir()]
        self.static_dirs = [config.theme_dir / "static", config.static_dir]  # later wins
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(d) for d in self.dirs]),
            autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
            bytecode_cache=_BytecodeCache(config.root),
        )
        tz = config.tz
        self.env.filters.update(
            zh_date=lambda d: zh_date(d.astimezone(tz)),
            zh_datetime=lambda d: zh_datetime(d.astimezone(tz)),
            zh_weekday=lambda d: zh_weekday(d.astimezone(tz)),
            iso=lambda d: d.astimezone(tz).isoformat(),
            ymd=lambda d: d.astimezone(tz).strftime("%Y-%m-%d"),
            json_ld=json_ld,
            person=lambda name: {"@type": "Person", "name": name},
            list_item=lambda article, absolute: {"@type": "ListItem", "url": absolute(article.url), "name": article.title},
        )
        self._asset_versions: dict[str, str] = {}
        # Every page depends on the templates, the static files (their versions are in links)
        # and the config; a template that reads `site` depends on every article as well.
        self.fingerprint = theme_fingerprint([*self.dirs, *self.static_dirs], config)
        self.reads_site = any(
            re.search(r"(?<![\w.-])site(?![\w-])", path.read_text(encoding="utf-8", errors="replace"))
            for folder in self.dirs for path in folder.rglob("*") if path.is_file()
        )
        self.env.globals.update(href=links.href, absolute=links.absolute, asset=self.asset)

    def asset(self, name: str) -> str:
        """Link to a static file, versioned by its content so browsers never keep a stale copy."""
        if name not in self._asset_versions:
            digest = ""
            for folder in reversed(self.static_dirs):
                candidate = folder / name
                if candidate.is_file():
                    digest = hashlib.sha256(candidate.read_bytes()).hexdigest()[:10]
                    break
            self._asset_versions[name] = digest
        version = self._asset_versions[name]
        href = self.env.globals["href"](name)
        return f"{href}?v={version}" if version else href

    def render(self, name: str, **context: Any) -> str:
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateSyntaxError as exc:
            raise BuildError([Problem(_("template error: {reason}").format(reason=exc.message), self._rel(exc.filename), exc.lineno, hint=_("fix the template syntax"))]) from None
        except jinja2.TemplateNotFound as exc:
            raise BuildError([Problem(_("template '{name}' not found").format(name=exc.name), hint=_("looked in: {folders}").format(folders=", ".join(self._rel(str(d)) for d in self.dirs)))]) from None
        except Exception as exc:  # an error while rendering: name the template line that raised it
            path, line = self._template_frame(exc)
            message = str(exc) if isinstance(exc, jinja2.UndefinedError) else f"{type(exc).__name__}: {exc}"
            raise BuildError([Problem(_("template error while rendering {name}: {reason}").format(name=name, reason=message), path, line, hint=_("check the names used on this line of the template"))]) from None

    def _template_frame(self, exc: BaseException) -> tuple[str | None, int | None]:
        frames = traceback.extract_tb(exc.__traceback__)
        for frame in reversed(frames):
            if any(frame.filename.startswith(str(d)) for d in self.dirs):
                return self._rel(frame.filename), frame.lineno
        return None, None

    def _rel(self, filename: str | None) -> str | None:
        if filename is None:
            return None
        try:
            return Path(filename).resolve().relative_to(self.config.root).as_posix()  # forward slashes on Windows too
        except ValueError:
            return filename
