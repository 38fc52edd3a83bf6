"""What `pip install` gives: a wheel built from the repository, installed into a fresh virtual
environment and run from a folder far from any checkout, with no Node on the PATH.

The wheel is built from a copy of the files a wheel is made of, so the build writes nothing into
the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.browser import free_port, wait_for_http

pytestmark = pytest.mark.slow


def _version() -> str:
    namespace: dict[str, str] = {}
    exec((REPO / "bulletin/__init__.py").read_text(encoding="utf-8"), namespace)
    return namespace["__version__"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    for folder in ("bulletin", "themes"):
        shutil.copytree(REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)],
                   check=True, capture_output=True, timeout=300)
    (built,) = out.glob("bulletin-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; returns its bin folder."""
    venv = tmp_path_factory.mktemp("venv")
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120, env=clean)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)],
                   check=True, capture_output=True, timeout=600, env=clean)
    return bin_dir


def _env(bin_dir: Path, home: Path) -> dict[str, str]:
    """Only the venv on PATH: no node, no npm, no pagefind of the machine's; no checkout on
    PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BULLETIN_PAGEFIND", "VIRTUAL_ENV")}
    env.update(PATH=str(bin_dir), HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    return env


def _run(bin_dir: Path, cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / "bulletin"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_wheel_holds_the_theme_and_the_type_marker(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    theme = sorted(p.relative_to(REPO / "themes").as_posix() for p in (REPO / "themes").rglob("*") if p.is_file())
    assert theme, "the repository has a built-in theme"
    missing = [name for name in theme if f"bulletin/themes/{name}" not in names]
    assert not missing
    assert "bulletin/py.typed" in names
    assert "bulletin/locale/zh_CN/LC_MESSAGES/bulletin.mo" in names, "the Chinese messages travel in the wheel"
    assert wheel.name.startswith(f"bulletin-{_version()}-")
    assert not any(name.startswith(("tests/", "content/", "bench/")) for name in names)


def test_an_installed_bulletin_initialises_checks_builds_and_serves_far_from_the_checkout(
        installed: Path, tmp_path: Path) -> None:
    work = tmp_path / "far" / "away"
    work.mkdir(parents=True)
    env = _env(installed, tmp_path / "home")
    assert shutil.which("node", path=env["PATH"]) is None and shutil.which("npm", path=env["PATH"]) is None

    version = _run(installed, work, "--version", env=env)
    assert version.returncode == 0 and version.stdout.strip() == f"bulletin {_version()}"

    init = _run(installed, work, "init", "site", env=env)
    assert init.returncode == 0, init.stderr
    site = work / "site"
    new = _run(installed, site, "new", "成都高新区发布首批机会清单", "--zone", "贵阳高新区", "--tags", "营商环境",
               "--date", "2021-03-20", env=env)
    assert new.returncode == 0, new.stderr
    report = Path(new.stdout.strip())
    assert report.is_file() and report.resolve().is_relative_to(site.resolve())

    check = _run(installed, site, "check", "--drafts", "--format", "json", env=env)  # `new` writes a draft
    assert check.returncode == 0, check.stdout + check.stderr
    assert json.loads(check.stdout)["reports"] == 2

    # Messages in Chinese from the installed catalogue, for a report with a mistake in it.
    broken = site / "content" / "2021" / "broken.md"
    broken.write_text("---\ntitle: 标题\ndate: 2021-03-21\nzone: 贵阳高薪区\n---\n\n正文。\n", encoding="utf-8")
    chinese = _run(installed, site, "--lang", "zh", "check", env=env)
    assert chinese.returncode == 1
    assert chinese.stderr == ("content/2021/broken.md:4: 未知的高新区“贵阳高薪区”\n  提示：是否是“贵阳高新区”？\n"
                              "bulletin：1个错误，0个警告\n")
    broken.unlink()

    build = _run(installed, site, "build", env=env)
    assert build.returncode == 0, build.stderr
    assert "Traceback" not in build.stderr
    output = site / "build"
    assert (output / "index.html").is_file()
    assert (output / "assets/style.css").is_file(), "the built-in theme's static files are published"
    # Search is on by default: a Chinese index was written, with no Node anywhere on the PATH.
    assert (output / "pagefind/pagefind.js").is_file()
    assert list((output / "pagefind").glob("pagefind.*.pf_meta")) or list((output / "pagefind").rglob("*.pf_meta"))
    # Nothing was written outside the site but the user's cache.
    assert sorted(p.name for p in work.iterdir()) == ["site"]

    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as sink:
        server = subprocess.Popen([str(installed / "bulletin"), "serve", "--drafts", "--port", str(port)], cwd=site, env=env,
                                  stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", 60)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
            assert "成都高新区发布首批机会清单" in answer.read().decode("utf-8")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    assert "Traceback" not in log.read_text(encoding="utf-8")


def test_an_installed_bulletin_builds_the_sample_bulletin_copied_out_of_the_repository(
        installed: Path, tmp_path: Path) -> None:
    site = tmp_path / "sample"
    site.mkdir()
    shutil.copy(REPO / "bulletin.yaml", site / "bulletin.yaml")
    shutil.copytree(REPO / "content", site / "content")
    env = _env(installed, tmp_path / "home")
    build = _run(installed, tmp_path, "build", str(site), env=env)
    assert build.returncode == 0, build.stderr
    reports = list((REPO / "content").rglob("*.md"))
    assert f"built {len(reports)} reports" in build.stdout
    assert (site / "build/pagefind/pagefind.js").is_file()
    check = _run(installed, tmp_path, "check", str(site), env=env)
    assert check.returncode == 0, check.stderr
