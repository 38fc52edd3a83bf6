"""Shared fixtures: the repository's paths and built copies of the sample and fixture sites."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bulletin.build import BuildOptions, build

REPO = Path(__file__).resolve().parent.parent
# Subprocesses (`python -m bulletin …`) run the code under test, wherever they start.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
# Messages in English unless a test asks for Chinese (the sites under test are Chinese sites).
os.environ["BULLETIN_LANG"] = "en"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN_SITE = FIXTURES / "golden-site"


@pytest.fixture(autouse=True)
def english_messages():  # type: ignore[no-untyped-def]
    """Each test starts in English, whatever language the one before it chose (see bulletin.i18n)."""
    from bulletin import i18n

    i18n.set_language("en")
    yield
    i18n.set_language("en")


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample bulletin (the repository root) built once for the session."""
    site = sample_copy(tmp_path_factory.mktemp("sample"))
    output = site / "build"
    build(site, output)
    return output


@pytest.fixture(scope="session")
def golden_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = fixture_copy(GOLDEN_SITE, tmp_path_factory.mktemp("golden"))
    output = site / "build"
    build(site, output)
    return output


def fixture_copy(site: Path, folder: Path) -> Path:
    """A copy of the fixture site `site` in `folder`, to build without writing into
    tests/fixtures (a build keeps its cache in the site)."""
    target = folder / site.name
    shutil.copytree(site, target, ignore=shutil.ignore_patterns(".bulletin-cache"))
    return target


def sample_copy(folder: Path) -> Path:
    """The sample bulletin (bulletin.yaml and content/ of the repository) copied into `folder`."""
    target = folder / "sample"
    target.mkdir()
    shutil.copy(REPO / "bulletin.yaml", target / "bulletin.yaml")
    shutil.copytree(REPO / "content", target / "content")
    return target


@pytest.fixture
def site_copy(tmp_path: Path) -> Path:
    """A private copy of the golden fixture site, free to edit."""
    target = tmp_path / "site"
    shutil.copytree(GOLDEN_SITE, target, ignore=shutil.ignore_patterns(".bulletin-cache"))
    return target


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` (relative path → bytes): what a reader of the folder sees."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def html_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


__all__ = ["REPO", "FIXTURES", "GOLDEN_SITE", "BuildOptions", "fixture_copy", "html_files", "sample_copy", "snapshot"]
