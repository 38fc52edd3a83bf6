"""A site's `.bulletin-cache/` may come from anyone (`git add -f` gets it past .gitignore):
nothing in it runs, is published, or leads bulletin outside the site. A cache that fails its
check is not used, and the build gives exactly what a cold build gives."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bulletin.config import BUILTIN_THEMES
from bulletin.state import Signer, Store
from tests.browser import free_port, wait_for_http
from tests.conftest import GOLDEN_SITE, snapshot

REPORT = "content/2021/qingdao.md"


class Evil:
    """A pickle that, once loaded, leaves a file behind."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return eval, (f"open({str(self.marker)!r}, 'w').write('ran')",)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of a user whose cache folder is in tmp_path."""
    values = {k: v for k, v in os.environ.items() if k != "BULLETIN_CACHE_KEY"}
    values["XDG_CACHE_HOME"] = str(tmp_path / "user-cache")
    return values


@pytest.fixture
def site(tmp_path: Path) -> Path:
    target = tmp_path / "site"
    shutil.copytree(GOLDEN_SITE, target, ignore=shutil.ignore_patterns(".bulletin-cache"))
    return target.resolve()


def _bulletin(env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "bulletin", *map(str, args)], capture_output=True, text=True,
                            timeout=120, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def _cold(site: Path, tmp_path: Path, env: dict[str, str]) -> dict[str, bytes]:
    """What a cold build of the site as it is now gives: a clean copy, no cache."""
    clean = tmp_path / f"clean-{time.monotonic_ns()}"
    shutil.copytree(site, clean, ignore=shutil.ignore_patterns(".bulletin-cache", "build"))
    assert _bulletin(env, "build", "-q", clean).returncode == 0
    return snapshot(clean / "build")


def _store(site: Path) -> Store:
    return Store(site, site / "build", None)


def _pickles(site: Path) -> list[Path]:
    store = _store(site)
    return [store.inputs_path, store.state_path, store.reports_path, store.folders_path, store.slugs_path, store.journal_path]


def _template_bytecode(folder: Path, payload: bytes) -> dict[str, Path]:
    """A compiled-template file, as Jinja names it, for every template of the default theme."""
    from jinja2.bccache import bc_magic

    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for path in sorted((BUILTIN_THEMES / "default/templates").rglob("*.html")):
        name = path.relative_to(BUILTIN_THEMES / "default/templates").as_posix()
        key = hashlib.sha1(f"{name}|{path}".encode()).hexdigest()
        target = folder / f"__jinja2_{key}.cache"
        target.write_bytes(bc_magic + payload)
        written[name] = target
    return written


def _commit_hostile_cache(site: Path, marker: Path) -> None:
    """A cache as a hostile commit would hold it: code in every file bulletin unpickles, and in
    the compiled templates where bulletin kept them."""
    evil = pickle.dumps(Evil(marker))
    (site / ".bulletin-cache").mkdir()
    for path in _pickles(site):
        path.write_bytes(evil)
    _store(site).manifest_path.write_text("../../outside.txt\nindex.html\n", encoding="utf-8")
    _template_bytecode(site / ".bulletin-cache/templates", evil)


def test_a_committed_cache_runs_nothing_on_build_or_check(site: Path, tmp_path: Path, env: dict[str, str]) -> None:
    marker = tmp_path / "ran"
    _commit_hostile_cache(site, marker)
    expected = _cold(site, tmp_path, env)
    assert _bulletin(env, "check", site).returncode == 0
    result = _bulletin(env, "build", "-v", site)
    assert result.returncode == 0, result.stderr
    assert not marker.exists(), "a pickle or compiled template from the site's cache was run"
    assert f"not using {_store(site).inputs_path.name} from the build cache: it is not signed" in result.stderr
    assert snapshot(site / "build") == expected
    _edit(site)  # a rebuild reads the cache it wrote itself
    assert _bulletin(env, "build", site).returncode == 0
    assert not marker.exists()
    assert snapshot(site / "build") == _cold(site, tmp_path, env)


def test_the_preview_server_runs_nothing_from_a_committed_cache(site: Path, tmp_path: Path, env: dict[str, str]) -> None:
    marker = tmp_path / "ran"
    _commit_hostile_cache(site, marker)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bulletin", "serve", str(site), "--port", str(port), "--drafts"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/gaoxin/", timeout=20) as response:
            assert response.status == 200 and "测试公报" in response.read().decode("utf-8")
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert not marker.exists(), "the preview ran code from the site's cache"


def test_compiled_templates_are_kept_outside_the_site_and_loaded_only_when_signed(site: Path, tmp_path: Path,
                                                                                 env: dict[str, str]) -> None:
    marker = tmp_path / "ran"
    kept = Path(env["XDG_CACHE_HOME"]) / "bulletin/templates"
    planted = _template_bytecode(kept, pickle.dumps(Evil(marker)))
    assert _bulletin(env, "build", "-q", site).returncode == 0
    assert not marker.exists(), "an unsigned compiled template was loaded"
    assert not (site / ".bulletin-cache/templates").exists()
    assert planted["base.html"].read_bytes().startswith(Signer.MAGIC), "the template was not compiled again"


def _edit(site: Path, old: str = "16个重点项目", new: str = "18个重点项目") -> None:
    path = site / REPORT
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-20] ^= 1
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["flip a byte of the state", "cut the state short", "flip a byte of the reports",
                                    "flip a byte of the journal", "cut the journal short",
                                    "flip a byte of the manifest", "sign the state with another key"])
def test_a_damaged_cache_is_not_used_and_the_build_equals_a_cold_one(site: Path, tmp_path: Path, env: dict[str, str],
                                                                      damage: str) -> None:
    store = _store(site)
    assert _bulletin(env, "build", "-q", site).returncode == 0
    _edit(site)
    assert _bulletin(env, "build", "-q", site).returncode == 0  # a patch: the journal has a record
    assert store.journal_path.stat().st_size > 0
    target = next(path for word, path in (("state", store.state_path), ("reports", store.reports_path),
                                          ("inputs", store.inputs_path), ("journal", store.journal_path),
                                          ("manifest", store.manifest_path)) if f" {word}" in damage)
    if damage.startswith("flip"):
        _flip(target)
    elif damage.startswith("cut"):
        target.write_bytes(target.read_bytes()[:-100])
    else:
        target.write_bytes(Signer(b"someone else's key").seal(target.name, pickle.dumps(Evil(tmp_path / "ran"))))
    _edit(site, "title: \"拿地即开工", "title: \"拿地就开工")  # a full build: it reads every file of the cache
    result = _bulletin(env, "build", "-v", site)
    assert result.returncode == 0
    assert f"from the build cache: " in result.stderr, result.stderr
    assert not (tmp_path / "ran").exists()
    assert snapshot(site / "build") == _cold(site, tmp_path, env)


def test_a_changed_file_of_report_bodies_is_not_used(site: Path, tmp_path: Path, env: dict[str, str]) -> None:
    assert _bulletin(env, "build", "-q", site).returncode == 0
    packs = list(_store(site).bodies.iterdir())
    for pack in packs:  # the same size and time, other bytes
        data, times = pack.read_bytes(), pack.stat()
        pack.write_bytes(data.replace("青岛高新区".encode(), b"<script>x</script>"[:15]))
        os.utime(pack, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert any(b"<script>" in p.read_bytes() for p in packs)
    _edit(site)
    result = _bulletin(env, "build", "-v", site)
    assert "a file of report bodies changed since it was saved" in result.stderr
    output = snapshot(site / "build")
    assert not any(b"<script>x" in data for data in output.values())
    assert output == _cold(site, tmp_path, env)


def test_the_key_is_made_once_outside_the_site_for_this_user_only(site: Path, tmp_path: Path, env: dict[str, str]) -> None:
    key = Path(env["XDG_CACHE_HOME"]) / "bulletin/key"
    assert _bulletin(env, "build", "-q", site).returncode == 0
    assert oct(key.stat().st_mode & 0o777) == oct(0o600) and oct(key.parent.stat().st_mode & 0o777) == oct(0o700)
    made = key.read_bytes()
    assert len(made.strip()) == 64
    assert "nothing changed" in _bulletin(env, "build", "-v", site).stdout, "the second build did not trust the first"
    assert key.read_bytes() == made
    key.chmod(0o644)  # readable by others: anyone could sign a cache with it
    assert "nothing changed" not in _bulletin(env, "build", "-v", site).stdout
    assert key.read_bytes() != made and oct(key.stat().st_mode & 0o777) == oct(0o600)
    known = tmp_path / "known-key"  # a link to a key someone else knows
    known.write_bytes(key.read_bytes())
    known.chmod(0o600)
    key.unlink()
    key.symlink_to(known)
    assert "nothing changed" not in _bulletin(env, "build", "-v", site).stdout
    assert not key.is_symlink() and key.read_bytes() != known.read_bytes()


def test_a_key_inside_the_site_is_not_trusted(site: Path, tmp_path: Path, env: dict[str, str]) -> None:
    # A CI job whose home (and so its cache folder) is the checkout: the key would be the
    # repository's to give.
    env["XDG_CACHE_HOME"] = str(site / ".cache")
    key = site / ".cache/bulletin/key"
    key.parent.mkdir(parents=True)
    key.write_bytes(b"k" * 64)
    key.chmod(0o600)
    marker = tmp_path / "ran"
    (site / ".bulletin-cache").mkdir()
    signer = Signer(b"k" * 64)
    for path in _pickles(site):
        path.write_bytes(signer.seal(path.name, pickle.dumps(Evil(marker))))
    result = _bulletin(env, "build", "-v", site)
    assert result.returncode == 0
    assert not marker.exists()
    assert "is inside the site): every build starts from scratch; set BULLETIN_CACHE_KEY" in result.stderr


def test_the_key_may_be_given_in_the_environment(site: Path, tmp_path: Path, env: dict[str, str]) -> None:
    env["BULLETIN_CACHE_KEY"] = "a secret of the CI's own"
    assert _bulletin(env, "build", "-q", site).returncode == 0
    assert not (Path(env["XDG_CACHE_HOME"]) / "bulletin/key").exists()
    assert "nothing changed" in _bulletin(env, "build", "-v", site).stdout
    env["BULLETIN_CACHE_KEY"] = "another secret"
    assert "nothing changed" not in _bulletin(env, "build", "-v", site).stdout


def _cached_images(site: Path) -> list[Path]:
    """The names the golden site's resized images have in the cache."""
    from bulletin.images import VERSION, WIDTHS

    names = []
    for source, width in (("content/2021/chart.png", 4), ("content/2021/photos/kaigong.png", 1200)):
        digest = hashlib.sha256((site / source).read_bytes() + VERSION.encode()).hexdigest()[:20]
        for target in [w for w in WIDTHS if w < width] + [width]:
            names += [f"{digest}-{target}.png", f"{digest}-{target}.webp"]
    return [site / ".bulletin-cache/images" / name for name in names]


def test_a_link_in_the_image_cache_is_not_published(site: Path, tmp_path: Path, env: dict[str, str]) -> None:
    secret = tmp_path / "environ"
    secret.write_text("CI_TOKEN=secret-token\n")
    images = _cached_images(site)
    images[0].parent.mkdir(parents=True)
    for path in images:
        path.symlink_to(secret)
    result = _bulletin(env, "build", "-q", site)
    assert result.returncode == 0, result.stderr
    output = snapshot(site / "build")
    assert not any(b"secret-token" in data for data in output.values()), "a linked file was published as an image"
    assert output == _cold(site, tmp_path, env)
    assert secret.read_text() == "CI_TOKEN=secret-token\n"


def test_a_cached_image_with_other_bytes_is_made_again(site: Path, tmp_path: Path, env: dict[str, str]) -> None:
    assert _bulletin(env, "build", "-q", site).returncode == 0
    swapped = _cached_images(site)[0]
    swapped.write_bytes(b"not the resized image")
    shutil.rmtree(site / "build")
    assert _bulletin(env, "build", "-q", site).returncode == 0
    output = snapshot(site / "build")
    assert not any(data == b"not the resized image" for data in output.values())
    assert output == _cold(site, tmp_path, env)


@pytest.mark.parametrize("where", ["in the cache folder", "the cache folder itself"])
def test_links_in_the_cache_folder_do_not_lead_bulletin_outside_the_site(site: Path, tmp_path: Path, env: dict[str, str],
                                                                        where: str) -> None:
    precious = tmp_path / "documents"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    outside = tmp_path / "bashrc"
    outside.write_text("export PATH\n")
    store = _store(site)
    if where == "the cache folder itself":
        store.folder.symlink_to(precious)
    else:
        store.folder.mkdir()
        store.bodies.symlink_to(precious)  # a full build deletes the files of bodies it no longer uses
        store.manifest_path.symlink_to(outside)  # written after every build
        store.journal_path.symlink_to(outside)  # written after a rebuild that patches
        (site / ".bulletin-cache/images").symlink_to(precious)
    assert _bulletin(env, "build", "-q", site).returncode == 0
    _edit(site)
    assert _bulletin(env, "build", "-q", site).returncode == 0
    assert sorted(p.name for p in precious.iterdir()) == ["thesis.txt"] and (precious / "thesis.txt").read_text() == "years of work"
    assert outside.read_text() == "export PATH\n"
    assert not store.folder.is_symlink()
    assert snapshot(site / "build") == _cold(site, tmp_path, env)
