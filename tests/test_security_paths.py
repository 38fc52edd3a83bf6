"""Only the site's own files are published: every file that reaches the output resolves (links
followed, `.` and `..` taken) to a place inside the site folder and outside .git/,
.bulletin-cache/, node_modules/ and other hidden files and folders; `check` and `build` report
the same errors, with file and line. Attachments that would run as code on the site (web
pages, scripts) are refused, SVG images published only without their scripts."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from xml.parsers import expat

import pytest

from bulletin.build import build
from bulletin.cli import main
from tests.conftest import snapshot

SECRET = "ghp_SECRETTOKEN0123456789"


def _report(title: str = "报道", body: str = "正文。", extra: str = "") -> str:
    """A report whose body starts on line 7 (line 5 is the first of `extra`)."""
    return f"---\ntitle: {title}\ndate: 2021-03-10\nzone: guiyang\n{extra}---\n\n{body}\n"


def _problems(text: str) -> list[str]:
    """The error lines of a command's output (no hints, warnings or summary)."""
    return [line for line in text.splitlines()
            if line and not line.startswith(("  hint:", "bulletin:", "checked ")) and ": warning: " not in line]


def _refused(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Run `check`, then `build`: both fail with the same errors, and nothing is written.
    Returns the errors."""
    out = tmp_path / "out"
    assert main(["check", str(site)]) == 1
    checked = capsys.readouterr().err
    assert main(["build", str(site), "-o", str(out)]) == 1
    built = capsys.readouterr().err
    assert "Traceback" not in checked + built
    assert _problems(checked) == _problems(built) != []
    assert not out.exists()
    return _problems(built)


def _published(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, bytes]:
    """Run `check` and `build`: both succeed; returns the output's files."""
    out = tmp_path / "out"
    assert main(["check", str(site)]) == 0, capsys.readouterr().err
    assert main(["build", str(site), "-o", str(out)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    return snapshot(out)


def _git(site: Path) -> None:
    """A checkout's .git/config, holding a token as CI checkouts often do."""
    (site / ".git").mkdir()
    (site / ".git/config").write_text(f'[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic {SECRET}\n')


def _nowhere_in(files: dict[str, bytes], *secrets: bytes) -> None:
    for rel, data in files.items():
        for secret in secrets:
            assert secret not in data, rel


# Reports, their attachments and images --------------------------------------------------------

def test_a_link_to_the_root_folder_publishes_nothing_from_outside(site_copy: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    earlier = tmp_path / "earlier"
    build(site_copy, earlier)  # an output folder from before: the failed build leaves it as it was
    (site_copy / "content/2021/_r").symlink_to("/")
    (site_copy / "content/2021/leak.md").write_text(_report("泄露", "[a](_r/etc/passwd/.) [b](_r/proc/self/environ/.)"))
    assert _refused(site_copy, tmp_path, capsys) == [
        # The link itself is named too, though folders starting with "_" hold no reports.
        "content/2021/_r: this is a symbolic link to something outside the site",
        "content/2021/leak.md:7: linked file '_r/etc/passwd/.' leads outside the site: content/2021/_r is a symbolic link to '/'",
        "content/2021/leak.md:7: linked file '_r/proc/self/environ/.' leads outside the site: content/2021/_r is a symbolic link to '/'",
    ]
    assert main(["build", str(site_copy), "-o", str(earlier)]) == 1
    secrets = [data[:64] for data in (Path("/etc/passwd").read_bytes(), Path("/proc/self/environ").read_bytes()) if data]
    _nowhere_in(snapshot(earlier), *secrets)


def test_a_link_out_of_the_site_anywhere_on_the_way_is_refused(site_copy: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "outside"
    (outside / "docs").mkdir(parents=True)
    (outside / "docs/secret.pdf").write_bytes(b"%PDF-1.4 " + SECRET.encode())
    (site_copy / "content/2021/files").mkdir()
    (site_copy / "content/2021/files/shared").symlink_to(outside)  # the last component is no link
    (site_copy / "content/2021/leak.md").write_text(_report("泄露", "\n\n[文件](files/shared/docs/secret.pdf)"))
    errors = _refused(site_copy, tmp_path, capsys)
    assert ("content/2021/leak.md:9: linked file 'files/shared/docs/secret.pdf' leads outside the site: "
            f"content/2021/files/shared is a symbolic link to '{outside}'") in errors


def test_a_symlinked_content_folder_is_refused(site_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "elsewhere"
    shutil.move(site_copy / "content", outside)
    (outside / "2021/secret.md").write_text(_report("机密", SECRET))
    (site_copy / "content").symlink_to(outside)
    assert _refused(site_copy, tmp_path, capsys) == ["content: this is a symbolic link to something outside the site"]


def test_a_report_replaced_by_a_link_out_of_the_site_is_refused_on_rebuild(site_copy: Path, tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    build(site_copy, out)
    report = site_copy / "content/2021/qingdao.md"
    outside = tmp_path / "qingdao.md"
    outside.write_text(report.read_text() + f"\n{SECRET}\n")  # the same front-matter: only the body changed
    report.unlink()
    report.symlink_to(outside)
    assert main(["build", str(site_copy), "-o", str(out)]) == 1
    assert "content/2021/qingdao.md: this is a symbolic link to something outside the site" in capsys.readouterr().err
    _nowhere_in(snapshot(out), SECRET.encode())


@pytest.mark.parametrize(("target", "private"), [
    (".git/config", "inside .git/"),
    ("node_modules/some-package/.npmrc", "inside node_modules/"),
    (".bulletin-cache/inputs.pickle", "inside .bulletin-cache/"),
    (".env", "the hidden file .env"),
])
def test_an_attachment_linked_to_a_private_file_is_refused(site_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           target: str, private: str) -> None:
    _git(site_copy)
    (site_copy / target).parent.mkdir(parents=True, exist_ok=True)
    (site_copy / target).write_text(SECRET)
    (site_copy / "content/2021/cfg.txt").symlink_to(Path("../..", target))
    (site_copy / "content/2021/leak.md").write_text(_report("泄露", "[配置](cfg.txt)"))
    assert _refused(site_copy, tmp_path, capsys) == [
        f"content/2021/leak.md:7: linked file 'cfg.txt' is a symbolic link to '../../{target}', {private}, which is never published"]


def test_a_hidden_folder_beside_the_report_is_not_published(site_copy: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    (site_copy / "content/2021/.private").mkdir()
    (site_copy / "content/2021/.private/notes.txt").write_text(SECRET)
    (site_copy / "content/2021/leak.md").write_text(_report("泄露", "[笔记](.private/notes.txt)"))
    assert _refused(site_copy, tmp_path, capsys) == [
        "content/2021/leak.md:7: linked file '.private/notes.txt' is inside .private/, which is never published"]


def test_a_link_inside_the_report_folder_leading_into_git_is_refused(site_copy: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _git(site_copy)
    (site_copy / "content/2021/up").symlink_to("../..")  # the site folder: inside the site
    (site_copy / "content/2021/leak.md").write_text(_report("泄露", "[配置](up/.git/config.txt)\n\n[配置](up/.git/config)"))
    (site_copy / ".git/config.txt").write_text(SECRET)
    assert _refused(site_copy, tmp_path, capsys) == [
        "content/2021/leak.md:7: linked file 'up/.git/config.txt' is inside .git/, which is never published",
    ]  # up/.git/config has no file extension: a link to a folder, left as it is


@pytest.mark.parametrize("target", ["../../../secret.txt", "..%2F..%2F..%2Fsecret.txt", "sub/../../../../secret.txt"])
def test_a_dotdot_escape_is_refused(site_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str) -> None:
    (tmp_path / "secret.txt").write_text(SECRET)
    (site_copy / "content/2021/leak.md").write_text(_report("泄露", f"[a]({target})"))
    assert _refused(site_copy, tmp_path, capsys) == [f"content/2021/leak.md:7: linked file '{target}' is outside the report's folder"]


def test_a_lead_image_linked_out_of_the_site_is_refused_at_its_line(site_copy: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    (pictures / "lead.png").write_bytes((site_copy / "content/2021/chart.png").read_bytes())
    (site_copy / "content/2021/_pics").symlink_to(pictures)
    (site_copy / "content/2021/leak.md").write_text(_report("泄露", extra="image: _pics/lead.png\n"))
    assert _refused(site_copy, tmp_path, capsys) == [
        "content/2021/_pics: this is a symbolic link to something outside the site",
        f"content/2021/leak.md:5: image '_pics/lead.png' leads outside the site: content/2021/_pics is a symbolic link to '{pictures}'"]


def test_images_are_read_only_from_the_site(site_copy: Path, tmp_path: Path) -> None:
    from bulletin.images import Images

    (tmp_path / "secret.png").write_bytes((site_copy / "content/2021/chart.png").read_bytes())
    (site_copy / "content/2021/secret.png").symlink_to(tmp_path / "secret.png")
    images = Images(site_copy.resolve(), tmp_path / "cache")
    problem = images.picture("content/2021/secret.png", "2021/03/x/secret.png", "content/2021/x.md", 9)
    assert problem.format() == ("content/2021/x.md:9: image 'content/2021/secret.png' is a symbolic link to something "
                                "outside the site\n  hint: copy the file into the site instead of linking to it")
    assert not (tmp_path / "cache").exists()


def test_links_within_the_site_and_ordinary_attachments_are_published(site_copy: Path, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    folder = site_copy / "content/2021"
    jpeg = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(jpeg, "JPEG")
    (folder / "photo.jpg").write_bytes(jpeg.getvalue())
    (folder / "plan.pdf").write_bytes(b"%PDF-1.4 plan\n")
    (site_copy / "shared").mkdir()
    (site_copy / "shared/budget.pdf").write_bytes(b"%PDF-1.4 budget\n")
    (folder / "budget.pdf").symlink_to("../../shared/budget.pdf")  # a link, but inside the site
    (folder / "same-chart.png").symlink_to("chart.png")
    (folder / "files.md").write_text(_report("附件", "[规划](plan.pdf) [预算](budget.pdf)\n\n![照片](photo.jpg)\n\n![图](same-chart.png)"))
    files = _published(site_copy, tmp_path, capsys)
    page = "2021/03/fu-jian/"
    assert files[page + "plan.pdf"] == b"%PDF-1.4 plan\n"
    assert files[page + "budget.pdf"] == b"%PDF-1.4 budget\n"
    assert files[page + "photo.jpg"] == jpeg.getvalue() and page + "photo-40w.webp" in files
    assert files[page + "same-chart.png"] == (folder / "chart.png").read_bytes()


# static/, templates/ and themes/ --------------------------------------------------------------

def test_a_symlinked_static_folder_is_refused(site_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "home"
    outside.mkdir()
    (outside / "id_rsa").write_text(SECRET)
    (site_copy / "static").symlink_to(outside)
    assert _refused(site_copy, tmp_path, capsys) == ["static: this is a symbolic link to something outside the site"]


def test_symlinked_templates_and_themes_are_refused(site_copy: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "secret.html"
    secret.write_text(SECRET)
    (site_copy / "templates/partials").mkdir(parents=True)
    (site_copy / "templates/partials/footer.html").symlink_to(secret)
    (site_copy / "themes").symlink_to(tmp_path)
    assert _refused(site_copy, tmp_path, capsys) == [
        "templates/partials/footer.html: this is a symbolic link to something outside the site",
        "themes: this is a symbolic link to something outside the site",
    ]


def test_a_static_file_linked_to_the_git_config_is_refused(site_copy: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    _git(site_copy)
    (site_copy / "static").mkdir()
    (site_copy / "static/gitconfig.txt").symlink_to("../.git/config")
    assert _refused(site_copy, tmp_path, capsys) == [
        "static/gitconfig.txt: this is a symbolic link to '../.git/config', inside .git/, which is never published"]


def test_a_static_link_to_nothing_is_an_error_not_a_crash(site_copy: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    (site_copy / "static").mkdir()
    (site_copy / "static/gone.css").symlink_to("missing.css")
    assert _refused(site_copy, tmp_path, capsys) == ["static/gone.css: this is a symbolic link to nothing (its file is gone)"]


def test_static_files_linked_within_the_site_are_published(site_copy: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    (site_copy / "static/.well-known").mkdir(parents=True)
    (site_copy / "static/.well-known/security.txt").write_text("Contact: mailto:security@example.com\n")
    (site_copy / "static/logo.png").symlink_to("../content/2021/chart.png")
    files = _published(site_copy, tmp_path, capsys)
    assert files["logo.png"] == (site_copy / "content/2021/chart.png").read_bytes()
    assert files[".well-known/security.txt"].startswith(b"Contact:")


def test_a_linked_folder_in_static_is_published_when_it_is_inside_the_site(site_copy: Path, tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    (site_copy / "static").mkdir()
    (site_copy / "static/img").symlink_to("../content/2021/photos")
    (site_copy / "static/img/again").symlink_to(".")  # round in circles: read once
    files = _published(site_copy, tmp_path, capsys)
    assert files["img/kaigong.png"] == (site_copy / "content/2021/photos/kaigong.png").read_bytes()
    assert not any(rel.startswith("img/again") for rel in files)


def test_the_builtin_theme_is_published_wherever_bulletin_is_installed(site_copy: Path, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import bulletin.build
    import bulletin.config

    # bulletin installed in a virtual environment inside the site: a hidden folder, but bulletin's own.
    installed = site_copy / ".venv/lib/python3.11/site-packages/bulletin/themes"
    shutil.copytree(bulletin.config.BUILTIN_THEMES, installed)
    monkeypatch.setattr(bulletin.config, "BUILTIN_THEMES", installed)
    monkeypatch.setattr(bulletin.build, "BUILTIN_THEMES", installed)
    files = _published(site_copy, tmp_path, capsys)
    assert files["assets/style.css"] == (installed / "default/static/assets/style.css").read_bytes()


def test_hidden_static_files_are_left_out_with_a_warning(site_copy: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    (site_copy / "static").mkdir()
    (site_copy / "static/.env").write_text(SECRET)
    (site_copy / "static/site.css").write_text("body{}")
    out = tmp_path / "out"
    assert main(["build", str(site_copy), "-o", str(out)]) == 0
    assert "static/.env: warning: hidden files and folders in static/ are not published" in capsys.readouterr().err
    assert main(["check", str(site_copy)]) == 0
    assert "static/.env: warning: hidden files and folders in static/ are not published" in capsys.readouterr().err
    files = snapshot(out)
    assert "site.css" in files and ".env" not in files
    _nowhere_in(files, SECRET.encode())


# Active content -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["page.html", "page.HTM", "page.xhtml", "data.xml", "app.js", "chart.svgz"])
def test_attachments_that_would_run_on_the_site_are_refused(site_copy: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str], name: str) -> None:
    (site_copy / "content/2021" / name).write_text("<html><script>alert(document.cookie)</script></html>")
    (site_copy / "content/2021/page.md").write_text(_report("网页", f"[下载]({name})"))
    suffix = Path(name).suffix.lower()
    assert _refused(site_copy, tmp_path, capsys) == [
        f"content/2021/page.md:7: linked file '{name}' is a web page or script ({suffix}): published on the site it "
        "could run scripts in the name of the site, so bulletin does not publish it"]


HOSTILE_SVG = """<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="evil.xsl"?>
<!DOCTYPE svg SYSTEM "file:///etc/passwd">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 50" onload="alert(1)">
  <script>alert(2)</script>
  <script xlink:href="https://evil.example/x.js"/>
  <style>@import url(https://evil.example/x.css);</style>
  <style>.bar { fill: #c00; }</style>
  <foreignObject width="100" height="50"><body xmlns="http://www.w3.org/1999/xhtml"><script>alert(3)</script></body></foreignObject>
  <x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(4)</x:script>
  <a xlink:href="javascript:alert(5)"><rect class="bar" width="40" height="20" onclick="alert(6)"/></a>
  <a href="https://example.com/data"><text x="5" y="45">产值增长</text></a>
  <set attributeName="href" to="javascript:alert(7)"/>
  <animate attributeName="href" values="javascript:alert(8)"/>
  <image href="https://evil.example/pixel.png" width="1" height="1"/>
  <use href="https://evil.example/sprite.svg#icon"/>
  <rect width="10" height="10" style="fill: url(https://evil.example/track)"/>
  <rect width="10" height="10" style="background: image-set('https://evil.example/a.png' 1x)"/>
  <rect width="10" height="10" fill="url(#gradient)"/>
  <text>&passwd;</text>
  <image xlink:href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>
</svg>
"""


class _Svg:
    """What a browser would see in an SVG: elements, attributes, instructions."""

    def __init__(self, data: bytes):
        self.elements: list[str] = []
        self.attributes: dict[str, str] = {}
        self.instructions: list[str] = []
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartElementHandler = lambda name, attrs: (self.elements.append(name), self.attributes.update(attrs))
        parser.ProcessingInstructionHandler = lambda target, data: self.instructions.append(target)
        parser.Parse(data, True)


def test_an_svg_attachment_is_published_without_its_scripts(site_copy: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    (site_copy / "content/2021/chart.svg").write_text(HOSTILE_SVG)
    (site_copy / "content/2021/chart-report.md").write_text(_report("图表", "![产值](chart.svg)\n\n[下载](chart.svg)"))
    files = _published(site_copy, tmp_path, capsys)
    svg = files["2021/03/tu-biao/chart.svg"]
    seen = _Svg(svg)
    svg_ns = "http://www.w3.org/2000/svg "
    assert set(seen.elements) == {svg_ns + n for n in ("svg", "style", "a", "rect", "text", "image", "use")}
    assert not any(name.split()[-1].startswith("on") for name in seen.attributes)
    assert seen.instructions == []
    lowered = svg.lower()
    for banned in (b"alert", b"script", b"javascript", b"evil.example", b"foreignobject", b"@import", b"root:"):
        assert banned not in lowered
    # What a chart needs stays: shapes, text, styles, links to the web, references within the file.
    assert b".bar { fill: #c00; }" in svg and "产值增长".encode() in svg
    assert b'href="https://example.com/data"' in svg and b'fill="url(#gradient)"' in svg
    assert b'xlink:href="data:image/png;base64,iVBORw0KGgo="' in svg


@pytest.mark.parametrize(("svg", "error"), [
    ('<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n<svg xmlns="http://www.w3.org/2000/svg">&b;</svg>',
     "the SVG declares entities (<!ENTITY …>); save it again without them (line 1 of the SVG)"),
    ('<svg xmlns="http://www.w3.org/2000/svg">\n<rect>\n</svg>',
     "the SVG is not well-formed XML (mismatched tag) (line 3 of the SVG)"),
    ('<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>',
     "this is not an SVG image: its outermost element is not <svg> (line 1 of the SVG)"),
])
def test_an_svg_that_cannot_be_made_safe_is_refused(site_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    svg: str, error: str) -> None:
    (site_copy / "content/2021/chart.svg").write_text(svg)
    (site_copy / "content/2021/chart-report.md").write_text(_report("图表", "![产值](chart.svg)"))
    assert _refused(site_copy, tmp_path, capsys) == [f"content/2021/chart-report.md:7: image 'chart.svg' cannot be published: {error}"]
