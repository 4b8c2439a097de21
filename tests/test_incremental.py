"""Issue 7: a change rebuilds exactly the editions that depend on it."""
from __future__ import annotations

import shutil

import pytest

from pipeline import build


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    copy = tmp_path / "pipeline"
    shutil.copytree(build.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(build, "PACKAGE", copy)
    return copy


@pytest.mark.parametrize("changed, rebuilt", [
    ("data/css/print.css", {"pdf"}),
    ("data/css/epub.css", {"epub"}),
    ("data/css/web.css", {"html"}),
    ("data/templates/pdf.html", {"pdf"}),
    ("data/css/base.css", {"html", "epub", "pdf"}),
    ("writers/epub.py", {"epub"}),
    ("writers/pdf.py", {"pdf"}),
    ("fonts.py", {"html", "epub", "pdf"}),
    ("document.py", {"html", "epub", "pdf"}),
    ("stages/typography.py", {"md", "html", "epub", "pdf"}),
])
def test_change_rebuilds_exactly_its_dependents(package_copy, changed, rebuilt):
    before = build.code_keys()
    with open(package_copy / changed, "a") as f:
        f.write("\n/* changed */\n" if changed.endswith((".css", ".html")) else "\n# changed\n")
    after = build.code_keys()
    assert {fmt for fmt in before if before[fmt] != after[fmt]} == rebuilt


def test_metadata_file_rebuilds_that_text_only(tmp_path):
    src = tmp_path / "source"
    src.mkdir()
    for name in ("a", "b"):
        (src / f"{name}.txt").write_text(f"Title {name}\n\nSome words.\n")
    sources, _ = build.discover([], src)
    code = build.code_keys()
    before = {s.slug: build.edition_keys(s, code, {}) for s in sources}
    (src / "a.yaml").write_text("author: Someone\n")
    after = {s.slug: build.edition_keys(s, code, {}) for s in sources}
    assert before["b"] == after["b"]
    assert all(before["a"][f] != after["a"][f] for f in before["a"])


def test_changed_image_rebuilds_the_text_naming_it(tmp_path):
    src = tmp_path / "source"
    (src / "images").mkdir(parents=True)
    (src / "a.md").write_text("# A\n\n![A view](images/view.png)\n")
    (src / "b.md").write_text("# B\n\nNo pictures.\n")
    (src / "images" / "view.png").write_bytes(b"\x89PNG one")
    sources, _ = build.discover([], src)
    code = build.code_keys()
    before = {s.slug: build.edition_keys(s, code, {}) for s in sources}
    (src / "images" / "view.png").write_bytes(b"\x89PNG two")
    after = {s.slug: build.edition_keys(s, code, {}) for s in sources}
    assert before["b"] == after["b"] and before["a"]["pdf"] != after["a"]["pdf"]


def test_every_build_checks_that_no_word_was_lost(tmp_path, monkeypatch):
    """The lossless check runs on every build (while pandoc parses) and names the line."""
    from pipeline import stages

    src = tmp_path / "source"
    src.mkdir()
    (src / "a.txt").write_text("A Title\n\nThe first paragraph.\n\nA purple cow here.\n")
    render = stages.render_markdown
    monkeypatch.setattr(stages, "render_markdown",       # a normalizer bug that drops a word
                        lambda meta, body: render(meta, body.replace("purple ", "")))
    sources, _ = build.discover([], src)
    keys = build.edition_keys(sources[0], build.code_keys(), {})
    result = build.build_text(sources[0], ["html"], tmp_path / "out", keys, {})
    lost = [d for d in result.diagnostics if d.code == "W-LOST-TEXT"]
    assert [(d.path, d.line) for d in lost] == [(str(sources[0].path), 5)]
    assert not result.failed and (tmp_path / "out" / "a" / "a.html").exists()
