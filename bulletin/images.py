"""Responsive images: each local image of a report resized to a few widths, with WebP beside.

Resized files are kept in the site's cache folder under a name made from the source's bytes,
so an image is resized once, not at every build. Output files sit beside the original in the
report's folder (photo.png → photo-480w.png, photo-480w.webp, …).
"""

from __future__ import annotations

import hashlib
import io
import posixpath
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from bulletin import state
from bulletin.errors import Problem
from bulletin.markup import attributes, srcset, url_path
from bulletin.paths import NotPublishable, site_file
from bulletin.i18n import _

if TYPE_CHECKING:
    from PIL import Image

WIDTHS = (480, 960, 1600)
RASTER = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".gif": "GIF"}
VERSION = "1"  # bump when the resizing changes, so cached files are made again


@dataclass(frozen=True)
class Variant:
    url: str  # site-relative, like the page URLs
    width: int
    cache: str  # the file in the cache folder


@dataclass(frozen=True)
class Picture:
    """An image in several widths; `url` is the original, shown where nothing else fits."""

    url: str
    width: int
    height: int
    fallback: tuple[Variant, ...]  # the original's format
    webp: tuple[Variant, ...]

    @property
    def files(self) -> tuple[Variant, ...]:
        return self.fallback + self.webp

    def srcset(self, href, variants: tuple[Variant, ...]) -> str:  # type: ignore[no-untyped-def]
        return srcset((href(url_path(v.url)), v.width) for v in variants)

    def html(self, href, alt: str, title: str = "", sizes: str = "(min-width: 40em) 40em, 100vw", lazy: bool = True) -> str:  # type: ignore[no-untyped-def]
        """<picture> markup with WebP first, width and height (no layout shift), lazy loading
        unless it is the lead image (shown at once). Every value is escaped here and every
        file's URL percent-encoded (bulletin.markup): a file name is never markup."""
        sized = (("sizes", sizes),)
        webp = f'<source{attributes((("type", "image/webp"), ("srcset", self.srcset(href, self.webp)), *sized))}>' if self.webp else ""
        image = attributes((
            ("src", href(url_path(self.url))),
            *((("srcset", self.srcset(href, self.fallback)), *sized) if self.fallback else ()),
            ("width", self.width), ("height", self.height), ("alt", alt), ("title", title or None),
            ("loading", "lazy" if lazy else "eager"), ("decoding", "async"),
        ))
        return f"<picture>{webp}<img{image}></picture>"


class Images:
    """Makes Pictures for local images, caching the resized files in `cache`."""

    def __init__(self, root: Path, cache: Path, write: bool = True):
        """`write`: False for `check`, which reads and checks every image but writes nothing
        (no resized file is made; a Picture names the files a build would make)."""
        self.root = root
        self.write = write
        self.cache = state.own_folder(cache, root) if write else cache
        self._done: dict[tuple[str, str], Picture | Problem] = {}

    def picture(self, source: str, url: str, report: str, line: int) -> Picture | Problem | None:
        """A Picture for the image file `source` (site-relative) published at `url`; None for
        files that are not raster images (SVG is shown as it is)."""
        suffix = posixpath.splitext(source)[1].lower()
        if suffix not in RASTER:
            return None
        key = (source, url)
        if key not in self._done:
            self._done[key] = self._make(source, url, suffix, report, line)
        return self._done[key]

    def _make(self, source: str, url: str, suffix: str, report: str, line: int) -> Picture | Problem:
        try:
            data = site_file(self.root, source, report=report, line=line, written=source, what="image").read_bytes()
        except NotPublishable as refused:
            return refused.problem
        except OSError as exc:
            return Problem(_("cannot read the image '{image}': {error}").format(image=source, error=exc.strerror or exc), report, line)
        digest = hashlib.sha256(data + VERSION.encode()).hexdigest()[:20]
        from PIL import Image, ImageOps, UnidentifiedImageError  # loaded only for sites with images

        try:
            with Image.open(io.BytesIO(data)) as opened:
                image = ImageOps.exif_transpose(opened)
                image.load()
        except UnidentifiedImageError:
            return Problem(_("'{image}' is not an image bulletin can read").format(image=source), report, line,
                           hint=_("save it again as JPEG, PNG, GIF or WebP"))
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            return Problem(_("cannot read the image '{image}': {error}").format(image=source, error=exc), report, line,
                           hint=_("save it again as JPEG, PNG, GIF or WebP"))
        width, height = image.size
        stem = posixpath.splitext(url)[0]
        fallback: list[Variant] = []
        webp: list[Variant] = []
        for target in [w for w in WIDTHS if w < width] + [width]:
            size = (target, max(1, round(height * target / width)))
            for kind, bucket, ext in ((RASTER[suffix], fallback, suffix), ("WEBP", webp, ".webp")):
                cached = self.cache / f"{digest}-{target}{ext}"
                # Published as it is: only a file this user's bulletin made and signed.
                if self.write and not state.verified_file(cached, state.signer(self.root)):
                    self._write(image, size, kind, cached, state.signer(self.root))
                bucket.append(Variant(f"{stem}-{target}w{ext}", target, str(cached)))
        return Picture(url, width, height, tuple(fallback), tuple(webp))

    @staticmethod
    def _write(image: "Image.Image", size: tuple[int, int], kind: str, path: Path, signer: state.Signer) -> None:
        from PIL import Image

        resized = image if image.size == size else image.resize(size, Image.Resampling.LANCZOS)
        if kind == "JPEG" and resized.mode not in ("RGB", "L"):
            resized = resized.convert("RGB")
        buffer = io.BytesIO()
        options = {"JPEG": {"quality": 82, "optimize": True, "progressive": True}, "WEBP": {"quality": 80, "method": 4},
                   "PNG": {"optimize": True}}.get(kind, {})
        resized.save(buffer, kind, **options)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = state.partial_name(path)  # two builds of one site may make the same file at once
        try:
            partial.write_bytes(buffer.getvalue())
            partial.replace(path)  # a cache file is whole or absent
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        state.seal_file(path, signer, buffer.getvalue())
