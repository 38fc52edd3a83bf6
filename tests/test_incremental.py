"""Rebuilds that reuse the last build give exactly what a cold build of the same input gives."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import pytest

from bulletin.build import Builder, build
from tests.conftest import snapshot



def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


EDITS: dict[str, Callable[[Path], None]] = {
    "edit a body": lambda s: _edit(s / "content/2021/qingdao.md", "16个重点项目", "17个重点项目"),
    "edit a title": lambda s: _edit(s / "content/2021/qingdao.md", "拿地即开工", "拿地就开工"),
    "retitle it again (two old addresses)": lambda s: _edit(s / "content/2021/qingdao.md", "拿地就开工", "拿地便开工"),
    "give a report a slug": lambda s: _edit(s / "content/2021/chongqing.md", "zone: 重庆高新区\n",
                                            "zone: 重庆高新区\nslug: chongqing-kaigong\naliases: [/news/101.html]\n"),
    "move to another zone": lambda s: _edit(s / "content/2021/qingdao.md", "zone: qingdao", "zone: guiyang"),
    "change the date": lambda s: _edit(s / "content/2021/guiyang.md", "date: 2021-03-19", "date: 2020-11-30"),
    "change the tags": lambda s: _edit(s / "content/2021/guiyang.md", "tags: [产业招商, 营商环境]", "tags: [营商环境, 新标签]"),
    "print a web-only report": lambda s: _edit(s / "content/2021/qingdao.md", "tags: [重大项目, 营商环境]\n",
                                               "tags: [重大项目, 营商环境]\nedition: 2021-03-22\npage: 2\nposition: 2\n"),
    "reorder a printed page": lambda s: _edit(s / "content/2021/guiyang.md", "position: 1", "position: 3"),
    "rename a page in the config": lambda s: _edit(s / "bulletin.yaml", "1: 要闻", "1: 头版要闻"),
    "take a report out of print": lambda s: _edit(s / "content/2020/guiyang-2020.md", "edition: 2020-12-30\npage: 第1版\n", ""),
    "delete a report": lambda s: (s / "content/2021/chongqing.md").unlink(),
    "add a report": lambda s: (s / "content/2021/new.md").write_text(
        "---\ntitle: 新的报道\ndate: 2021-03-21\nzone: qingdao\ntags: [重大项目]\n---\n\n新内容。\n", encoding="utf-8"),
    "edit a template": lambda s: (s / "templates").mkdir() or (s / "templates/partials").mkdir() or (
        s / "templates/partials/meta.html").write_text('<p class="meta">{{ article.zone.name }}</p>\n'),
    "edit the config": lambda s: _edit(s / "bulletin.yaml", "title: 测试公报", "title: 测试公报（新）"),
    "edit the stylesheet": lambda s: (s / "static/assets").mkdir(parents=True) or (s / "static/assets/style.css").write_text("body{}"),
    "print nothing": lambda s: [_unprint(p) for p in (s / "content").rglob("*.md")],
}


def _unprint(path: Path) -> None:
    """Make a report web-only."""
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^(?:edition|page|position): .*\n", "", text, flags=re.M), encoding="utf-8")


@pytest.mark.parametrize("mode", ["disk", "memory", "cache"])
def test_every_kind_of_edit_rebuilds_to_exactly_a_cold_build(site_copy: Path, tmp_path: Path, mode: str) -> None:
    """disk: one Builder rebuilding; memory: the preview's builder; cache: a new Builder each
    time, as separate `bulletin build` runs, reusing the site's .bulletin-cache."""
    output = tmp_path / "incremental"
    in_memory = mode == "memory"
    builder = Builder(site_copy, output, in_memory=in_memory)
    builder.build()
    for name, edit in EDITS.items():
        edit(site_copy)
        if mode == "cache":
            builder = Builder(site_copy, output)
        builder.build()
        if mode == "cache":
            assert builder.memo.pages, "the cache was not used"
        cold = tmp_path / f"cold-{len(name)}-{abs(hash(name))}"
        build(site_copy, cold)
        expected = snapshot(cold)
        actual = builder.files if in_memory else snapshot(output)
        assert sorted(actual) == sorted(expected), f"after '{name}': the set of files differs"
        for path, data in expected.items():
            assert actual[path] == data, f"after '{name}': {path} differs from a cold build"


def test_unchanged_pages_are_not_rewritten(site_copy: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    builder = Builder(site_copy, output)
    builder.build()
    before = {p: p.stat().st_mtime_ns for p in output.rglob("*.html")}
    _edit(site_copy / "content/2021/qingdao.md", "16个重点项目", "17个重点项目")
    builder.build()
    after = {p: p.stat().st_mtime_ns for p in output.rglob("*.html")}
    changed = sorted(p.relative_to(output).as_posix() for p in after if after[p] != before.get(p))
    assert "2021/03/na-di-ji-kai-gong-qing-dao-gao-xin-qu-xiang-mu-luo-di-shi/index.html" in changed
    assert "zones/guiyang/index.html" not in changed and "2020/12/guiyang-2020-zhao-shang/index.html" not in changed
    assert len(changed) < len(after) / 2


def test_a_later_run_reuses_the_cache_and_rewrites_only_what_changed(site_copy: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    Builder(site_copy, output).build()
    assert (site_copy / ".bulletin-cache").is_dir()
    before = {p: p.stat().st_mtime_ns for p in output.rglob("*") if p.is_file()}
    builder = Builder(site_copy, output)
    builder._load_state(builder.store.saved(), reports=True)
    assert len(builder.memo.pages) > 40, "the fingerprints of the last build were not kept"
    builder.build()  # nothing changed
    after = {p: p.stat().st_mtime_ns for p in output.rglob("*") if p.is_file()}
    assert after == before
    assert all(r is not None and r.body.html_text is None for _, (r, _) in builder.cache.values()), \
        "a rebuild with nothing to render read report bodies"


@pytest.mark.slow
def test_search_index_is_rebuilt_after_an_edit_and_matches_a_cold_build(tmp_path: Path) -> None:
    import shutil

    from tests.conftest import REPO, snapshot

    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(REPO / "bulletin.yaml", site / "bulletin.yaml")
    shutil.copytree(REPO / "content", site / "content")
    output = tmp_path / "out"
    Builder(site, output).build()
    _edit(site / "content/2021/qingdao-na-di-ji-kai-gong.md", "诗玮雅天然药物", "诗玮雅天然新药")
    Builder(site, output).build()  # a patch build: pages in place, then a new index swapped in
    build(site, tmp_path / "cold")
    assert snapshot(output) == snapshot(tmp_path / "cold")
    assert any(p.startswith("pagefind/") for p in snapshot(output))


def test_a_no_op_rebuild_does_nothing_but_notices_any_change(site_copy: Path, tmp_path: Path) -> None:
    from datetime import datetime, timedelta, timezone

    output = tmp_path / "out"
    build(site_copy, output)
    before = snapshot(output)
    again = Builder(site_copy, output)
    again.build()
    assert again.config is None, "a build with nothing changed still read the site"
    assert snapshot(output) == before
    # A file of the output gone, an edit, a report becoming due: each makes a real build.
    (output / "404.html").unlink()
    Builder(site_copy, output).build()
    assert snapshot(output) == before
    _edit(site_copy / "content/2021/qingdao.md", "16个重点项目", "18个重点项目")
    edited = Builder(site_copy, output)
    edited.build()
    assert edited.config is not None and "18个重点项目" in (output / "index.html").read_text() + (output / "feed.xml").read_text()
    soon = (datetime.now(timezone.utc) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    (site_copy / "content/2021/soon.md").write_text(f"---\ntitle: 即将发布\ndate: {soon}\nzone: qingdao\n---\n\n马上。\n", encoding="utf-8")
    Builder(site_copy, output).build()
    assert "即将发布" not in (output / "index.html").read_text()
    import time

    time.sleep(2.5)
    Builder(site_copy, output).build()
    assert "即将发布" in (output / "index.html").read_text()


@pytest.mark.slow
def test_pages_rendered_by_worker_processes_are_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bulletin.build as pipeline
    from tests.test_safety import _large_site

    site = _large_site(tmp_path, 450)
    workers = Builder(site, tmp_path / "workers")
    workers.build()  # 450 reports: report pages go to worker processes
    monkeypatch.setattr(pipeline, "PARALLEL_PAGES", 10**9)
    alone = Builder(site, tmp_path / "one-process")
    alone.build()
    assert snapshot(tmp_path / "workers") == snapshot(tmp_path / "one-process")
    # And what the workers say of each page is what this process would have said.
    assert workers.memo.pages == alone.memo.pages and workers.memo.deps == alone.memo.deps
    assert len(workers.memo.pages) > 450
    # The state the parallel build saved (articles packed while the workers finished) serves
    # the next build as well as any.
    _append(site / "content/7.md", "\n新增的一句话。\n")
    (site / "content/8.md").write_text((site / "content/8.md").read_text(encoding="utf-8").replace("title: 第8篇", "title: 第八篇"),
                                       encoding="utf-8")
    Builder(site, tmp_path / "workers").build()
    assert snapshot(tmp_path / "workers") == _cold(site, tmp_path / "cold")


def _append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


# Edits of a report's text alone, one after another: each takes the short path that looks
# only at the pages showing the report, and leaves what a cold build of the same input gives.
TEXT_EDITS: list[tuple[str, Callable[[Path], None], int]] = [
    ("a sentence added", lambda s: _append(s / "content/2021/qingdao.md", "\n又一段新的文字。\n"), 1),
    ("a printed report's text", lambda s: _edit(s / "content/2021/guiyang.md", "179.65亿元", "180亿元"), 1),
    ("two reports at once", lambda s: (_append(s / "content/2021/qingdao.md", "\n第二段。\n"),
                                       _append(s / "content/2021/chongqing.md", "\n补充。\n")), 2),
    ("a new heading", lambda s: _append(s / "content/2021/chongqing.md", "\n## 重庆新的小标题\n\n内容。\n"), 1),
    ("the same heading twice", lambda s: _append(s / "content/2021/qingdao.md", "\n## 附件\n\n一。\n\n## 附件\n\n二。\n"), 1),
    ("the summary's sentence", lambda s: _edit(s / "content/2021/qingdao.md", "16个重点项目", "20个重点项目"), 1),
]


def _cold(site: Path, output: Path) -> dict[str, bytes]:
    """A cold build in a process of its own, so nothing this process learnt can leak into it."""
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "bulletin", "build", str(site), "-o", str(output), "-q"], check=True)
    return snapshot(output)


def test_text_edits_patch_the_output_exactly_as_a_cold_build_would(site_copy: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    build(site_copy, output)
    for number, (name, edit, count) in enumerate(TEXT_EDITS):
        edit(site_copy)
        report = Builder(site_copy, output).build()
        assert report.patched == count, f"{name}: took the full path"
        assert snapshot(output) == _cold(site_copy, tmp_path / f"cold-{number}"), name
    # Anything but the text takes the full path, which must start from what the patches left.
    _edit(site_copy / "content/2021/qingdao.md", "zone: qingdao", "zone: guiyang")
    assert Builder(site_copy, output).build().patched == 0
    assert snapshot(output) == _cold(site_copy, tmp_path / "cold-moved")
    _append(site_copy / "content/2021/qingdao.md", "\n搬家之后。\n")
    assert Builder(site_copy, output).build().patched == 1
    assert snapshot(output) == _cold(site_copy, tmp_path / "cold-last")


def test_a_text_edit_that_breaks_a_report_is_reported_and_changes_nothing(site_copy: Path, tmp_path: Path) -> None:
    from bulletin.errors import BuildError

    output = tmp_path / "out"
    build(site_copy, output)
    before = snapshot(output)
    _append(site_copy / "content/2021/qingdao.md", "\n见[附件](missing.pdf)。\n")
    with pytest.raises(BuildError) as raised:
        Builder(site_copy, output).build()
    assert any("missing.pdf" in p.message and p.path == "content/2021/qingdao.md" and p.line for p in raised.value.problems)
    assert snapshot(output) == before


def test_pages_that_do_not_show_an_edited_report_are_not_looked_at(tmp_path: Path) -> None:
    from tests.test_safety import _large_site

    site = _large_site(tmp_path, 60)
    output = tmp_path / "out"
    build(site, output)
    before = {p: p.stat().st_mtime_ns for p in output.rglob("*") if p.is_file() and p.suffix in (".html", ".xml")}
    _append(site / "content/7.md", "\n新增的一句话。\n")
    report = Builder(site, output).build()
    assert report.patched == 1
    assert 0 < report.rendered < (report.pages + report.feeds) / 4
    after = {p: p.stat().st_mtime_ns for p in output.rglob("*") if p.is_file() and p.suffix in (".html", ".xml")}
    rewritten = sorted(p.relative_to(output).as_posix() for p in after if after[p] != before.get(p))
    assert rewritten and all("新增的一句话" in (output / p).read_text(encoding="utf-8") for p in rewritten), rewritten
    build(site, tmp_path / "cold")
    assert snapshot(output) == snapshot(tmp_path / "cold")


def test_rebuilds_by_the_command_after_edits_and_additions_equal_cold_builds(site_copy: Path, tmp_path: Path) -> None:
    """The command parses changed reports in a process of its own while it loads the last
    build's state; what it builds must not differ from a cold build."""
    output = tmp_path / "out"
    _cold(site_copy, output)
    steps: list[Callable[[Path], None]] = [
        lambda s: _append(s / "content/2021/qingdao.md", "\n## 又一个新的小标题\n\n新段落。\n"),
        EDITS["add a report"],
        lambda s: (_append(s / "content/2021/new.md", "\n补充。\n"), _edit(s / "content/2021/guiyang.md", "179.65亿元", "179.66亿元")),
        EDITS["change the tags"],
    ]
    for number, step in enumerate(steps):
        step(site_copy)
        assert _cold(site_copy, output) == _cold(site_copy, tmp_path / f"cold-{number}"), number


def test_bodies_kept_by_many_rebuilds_are_gathered_into_one_file(tmp_path: Path) -> None:
    from tests.test_safety import _large_site

    site = _large_site(tmp_path, 40)
    (site / "bulletin.yaml").write_text((site / "bulletin.yaml").read_text(encoding="utf-8") + "search: false\n", encoding="utf-8")
    output = tmp_path / "out"
    build(site, output)
    packs = Builder(site, output).store.bodies
    for n in range(20):  # each text edit keeps the new body in a file of its own
        _append(site / f"content/{n}.md", f"\n第{n}次补充。\n")
        assert Builder(site, output).build().patched == 1
    assert len(list(packs.iterdir())) == 21
    _append(site / "content/0.md", "\n再次补充。\n")
    (site / "content/39.md").unlink()  # a full build
    Builder(site, output).build()
    assert len(list(packs.iterdir())) == 1
    _append(site / "content/1.md", "\n最后一次。\n")
    assert Builder(site, output).build().patched == 1
    assert len(list(packs.iterdir())) == 2
    assert snapshot(output) == _cold(site, tmp_path / "cold")


def test_a_rebuild_parses_itself_when_the_early_parse_fails(site_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bulletin.content as content

    output = tmp_path / "out"
    build(site_copy, output)

    def broken(*args: object) -> None:
        raise RuntimeError("the forked parse fails")

    monkeypatch.setattr(content, "parse_report", broken)  # the forked process inherits it
    _append(site_copy / "content/2021/qingdao.md", "\n## 新的小标题\n\n补充。\n")
    report = Builder(site_copy, output).build()
    assert report.patched == 1
    monkeypatch.undo()
    assert snapshot(output) == _cold(site_copy, tmp_path / "cold")


def test_related_reports_kept_from_the_last_build_are_those_a_cold_build_ranks(tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild takes the last build's related reports where they cannot have changed (the
    site only gained newer reports); every page must still be what a cold build makes."""
    import bulletin.taxonomy as taxonomy
    from tests.test_safety import _large_site

    site = _large_site(tmp_path, 240)
    output = tmp_path / "out"
    kept: list[int] = []
    choose = taxonomy._unchanged_related
    monkeypatch.setattr(taxonomy, "_unchanged_related", lambda *a: kept.append(len(r := choose(*a))) or r)
    Builder(site, output).build()
    def report(name: str, date: str, zone: str, tags: str) -> Callable[[Path], None]:
        return lambda s: (s / f"content/{name}.md").write_text(
            f"---\ntitle: 报道{name}\ndate: {date}\nzone: {zone}\ntags: [{tags}]\n---\n\n新内容。\n", encoding="utf-8")

    steps: list[tuple[str, Callable[[Path], None], Callable[[int], bool]]] = [
        # Kept: the related reports of every old report not near the top of a list that grew.
        ("the newest report", report("n1", "2021-12-30", "qingdao", "重大项目, 营商环境"), lambda n: 150 < n < 240),
        ("two newer still", lambda s: (report("n2", "2021-12-31", "guiyang", "营商环境")(s),
                                       report("n3", "2021-12-31", "chengdu", "产业招商")(s)), lambda n: 150 < n < 241),
        # Ranked again: the order or the lists of the old reports changed.
        ("a title", lambda s: _edit(s / "content/7.md", "title: 第7篇", "title: 第七篇"), lambda n: n == 0),
        ("a report dated among the others", report("old", "2021-03-20", "qingdao", "重大项目"), lambda n: n == 0),
        ("a report's tags", lambda s: _edit(s / "content/n1.md", "tags: [重大项目, 营商环境]", "tags: [营商环境]"),
         lambda n: n == 0),
        ("a report deleted", lambda s: (s / "content/n2.md").unlink(), lambda n: n == 0),
    ]
    for name, step, expected in steps:
        step(site)
        kept.clear()
        Builder(site, output).build()
        assert len(kept) == 1 and expected(kept[0]), (name, kept)
        build(site, tmp_path / "cold")
        assert snapshot(output) == snapshot(tmp_path / "cold"), name
