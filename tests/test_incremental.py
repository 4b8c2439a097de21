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


# -- issue 18: a step's result is reused from the cache ---------------------------------
def test_a_damaged_cache_entry_is_never_used(tmp_path):
    from pipeline import cache

    store = cache.Cache(tmp_path)
    store.put("ab" + "0" * 62, b"the layout of a part")
    path = tmp_path / "ab" / ("ab" + "0" * 62)
    assert store.get(path.name) == b"the layout of a part"
    path.write_bytes(path.read_bytes()[:-3])            # truncated
    assert store.get(path.name) is None and not path.exists()
    store.put(path.name, b"x" * 100)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1                                       # one bit flipped
    path.write_bytes(bytes(data))
    assert store.get(path.name) is None and not path.exists()


def test_the_cache_stays_within_its_bound(tmp_path):
    import os

    from pipeline import cache

    store = cache.Cache(tmp_path, limit_mb=1)
    for i in range(5):
        name = f"{i:02d}" + "0" * 62
        store.put(name, bytes(400_000))
        os.utime(tmp_path / name[:2] / name, (1000 + i, 1000 + i))
    store.get("00" + "0" * 62)                          # used last: kept
    store.prune()
    left = sorted(p.name[:2] for p in tmp_path.glob("*/*"))
    assert left == ["00", "04"]


def _edit(path, seed: int, how: str) -> None:
    """Change one word, add a paragraph or remove one, in the second half of the text."""
    import random

    paragraphs = path.read_text(encoding="utf-8").split("\n\n")
    rng = random.Random(seed)
    i = rng.randrange(len(paragraphs) // 2, len(paragraphs) - 1)
    while len(paragraphs[i].split()) < 12:
        i += 1
    if how == "word":
        words = paragraphs[i].split(" ")
        words[rng.randrange(1, len(words) - 1)] = "zebra"
        paragraphs[i] = " ".join(words)
    elif how == "add":
        paragraphs.insert(i, "A paragraph the test added, of a few plain words.")
    else:
        del paragraphs[i]
    path.write_text("\n\n".join(paragraphs), encoding="utf-8")


def _editions(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.relative_to(out).parts[0].startswith(".")}


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.parametrize("name, edits", [
    ("the-time-machine.txt", [(1, "word"), (2, "add"), (3, "remove")]),
    ("a-dolls-house.txt", [(4, "word")]),
])
def test_an_edited_text_rebuilds_as_a_clean_build_would(tmp_path, name, edits):
    """Each edition built from the cache after an edit is byte for byte the clean build's
    (the PDF in three parts, so untouched parts come from the cache)."""
    from conftest import corpus_file, run_pipeline

    src, clean_src = tmp_path / "source", tmp_path / "clean-source"
    src.mkdir(), clean_src.mkdir()
    text = src / name
    text.write_bytes(corpus_file(name).read_bytes())
    out = tmp_path / "out"
    options = ["--set", "pdf-parts=3"]
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    run_pipeline("build", "--source-dir", src, "-o", out, *options, env=env)
    cache = out / ".cache"
    first = set(cache.glob("*/*"))
    for n, (seed, how) in enumerate(edits):
        _edit(text, seed, how)
        if n == len(edits) - 1:         # a damaged entry is rebuilt, never used
            for entry in cache.glob("*/*"):
                entry.write_bytes(entry.read_bytes()[:-1])
        run_pipeline("build", "--source-dir", src, "-o", out, *options, env=env)
        if n == 0:
            # The Markdown, pandoc's HTML, and the one part holding the edit (its layout,
            # its PDF; the front matter if its page numbers moved): not all three parts.
            new = set(cache.glob("*/*")) - first
            assert len(new) < len(first) - 2, sorted(p.name for p in new)
        (clean_src / name).write_bytes(text.read_bytes())
        clean = tmp_path / f"clean-{n}"
        run_pipeline("build", "--source-dir", clean_src, "-o", clean, *options, env=env)
        assert _editions(out) == _editions(clean), f"after edit {n} ({how})"
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = run_pipeline("build", "--source-dir", src, "-o", out, *options, env=env)
    assert "built" not in again.stderr              # an untouched rebuild is a no-op
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before
