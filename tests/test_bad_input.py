"""Issue 8: bad input gets `path:line: error[CODE]: …`, a non-zero exit, no partial or stale
edition, and the other texts still build; no source file is ever modified."""
from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, SPEECH, run_pipeline

MESSAGE = re.compile(r"^(?P<path>.+?):(?P<line>\d+): error\[(?P<code>[A-Z0-9-]+)\]: .+$", re.M)
GOOD = "A Good Text\n\nThis text is fine and must still be built whatever its neighbours do.\n"


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


def build_with(tmp_path: Path, name: str, content: bytes | str, *extra, sidecar: str | None = None,
               formats="html,epub"):
    """Build a folder holding `name` and a good text; return (process, errors by code, out)."""
    src = tmp_path / "source"
    src.mkdir(exist_ok=True)
    (src / "good.txt").write_text(GOOD)
    bad = src / name
    bad.write_bytes(content.encode() if isinstance(content, str) else content)
    if sidecar is not None:
        (src / (Path(name).stem + ".yaml")).write_text(sidecar)
    before = digest(src)
    out = tmp_path / "out"
    # A stale edition from an earlier, good build must not survive a failing one.
    stale = out / re.sub(r"[^a-z0-9]+", "-", Path(name).stem.lower()).strip("-")
    stale.mkdir(parents=True, exist_ok=True)
    (stale / f"{stale.name}.html").write_text("<p>old</p>")
    proc = run_pipeline("build", "--source-dir", src, "-o", out, "--formats", formats, *extra,
                        check=False)
    assert digest(src) == before, "a source file was modified"
    errors = {m["code"]: m for m in MESSAGE.finditer(proc.stderr)}
    assert (out / "good" / "good.html").is_file(), proc.stderr
    assert not list(out.rglob("*.tmp")), "a temporary file was left behind"
    return proc, errors, out, stale


def expect_error(tmp_path, name, content, code, line=None, where=None, **kw):
    proc, errors, out, stale = build_with(tmp_path, name, content, **kw)
    assert proc.returncode == 1, proc.stderr
    assert code in errors, proc.stderr
    assert errors[code]["path"].endswith(where or name), proc.stderr
    if line is not None:
        assert int(errors[code]["line"]) == line, proc.stderr
    assert not stale.exists() or not any(stale.iterdir()), "a stale edition survived"
    return proc


def test_empty_file(tmp_path):
    expect_error(tmp_path, "empty.txt", "", "E-EMPTY", 1)


def test_whitespace_only_file(tmp_path):
    expect_error(tmp_path, "blank.md", "  \n\n\t\n", "E-EMPTY", 1)


def test_pdf_named_txt(tmp_path):
    expect_error(tmp_path, "report.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
                 "E-BINARY", 1)


def test_png_named_txt(tmp_path):
    expect_error(tmp_path, "picture.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64),
                 "E-BINARY", 1)


def test_nul_bytes_are_removed_with_a_warning_at_their_line(tmp_path):
    proc, errors, out, _ = build_with(tmp_path, "nul.txt", b"Title\n\nline two\nbad \x00 byte\x00\n")
    assert proc.returncode == 0, proc.stderr
    assert "nul.txt:4: warning[W-CONTROL]" in proc.stderr
    assert "bad byte" in (out / "nul" / "nul.html").read_text()


def test_mostly_binary_file(tmp_path):
    import random

    rng = random.Random(2)
    junk = b"Title\n" + bytes(rng.randrange(0, 32) for _ in range(3000))
    expect_error(tmp_path, "junk.txt", junk, "E-BINARY", 1)


def test_undecodable_bytes(tmp_path):
    import random

    rng = random.Random(1)
    junk = bytes(rng.randrange(128, 256) for _ in range(3000))
    expect_error(tmp_path, "junk.txt", junk, "E-DECODE", 1)


def test_twenty_megabytes_without_newline(tmp_path):
    expect_error(tmp_path, "oneline.txt", "word " * (4 * 2**20), "E-LINE-TOO-LONG", 1)


@pytest.mark.slow
def test_hundred_thousand_lines_build(tmp_path):
    text = "A Long Text\n\n" + "".join(f"Paragraph {i} has a few words in it.\n\n" for i in range(50_000))
    assert text.count("\n") >= 100_000
    proc, errors, out, _ = build_with(tmp_path, "long.txt", text)
    assert proc.returncode == 0, proc.stderr
    html = (out / "long" / "long.html").read_text()
    assert "Paragraph 49999 has a few words" in html


def test_deeply_nested_markdown(tmp_path):
    deep = "Nested\n\n" + "".join("> " * 200 + "quoted\n") + "\n" + \
        "".join("  " * i + "- item\n" for i in range(200))
    expect_error(tmp_path, "nested.md", deep, "E-NESTING")


@pytest.mark.parametrize("sidecar, code, line, words", [
    ("title: A\nauthor: [unclosed\n", "E-YAML", 3, "not valid YAML"),
    ("title: A\nsubjects: 42\n", "E-META-TYPE", 2, "`subjects` must be"),
    ("title: A\n\npublsher: Me\n", "E-META-KEY", 3, "did you mean `publisher`?"),
])
def test_bad_metadata(tmp_path, sidecar, code, line, words):
    proc = expect_error(tmp_path, "meta.txt", GOOD, code, line, sidecar=sidecar, where="meta.yaml")
    assert words in proc.stderr


def test_missing_image(tmp_path):
    md = "---\ntitle: Pictures\n---\n\nText before.\n\n![A view](images/view.png)\n"
    proc = expect_error(tmp_path, "pics.md", md, "E-IMAGE", 7)
    assert "images/view.png" in proc.stderr


def test_two_sources_one_slug(tmp_path):
    src = tmp_path / "source"
    src.mkdir()
    (src / "My Book.txt").write_text(GOOD)
    (src / "my-book.md").write_text("# Other\n\nAnother text.\n")
    proc = run_pipeline("build", "--source-dir", src, "-o", tmp_path / "out", "--formats", "html",
                        check=False)
    assert proc.returncode == 1
    assert re.search(r"my-book\.md:1: error\[E-SLUG\]: maps to the same output name `my-book`", proc.stderr)


def test_awkward_file_names(tmp_path):
    src = tmp_path / "source"
    src.mkdir()
    names = ["with spaces.txt", "Bücher über Ärger.txt", "semi;colon $(rm -rf ~) `x` & 'q'.txt"]
    for n in names:
        (src / n).write_text(GOOD)
    out = tmp_path / "out"
    run_pipeline("build", "--source-dir", src, "-o", out, "--formats", "html")
    built = sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert built == ["bucher-uber-arger", "semi-colon-rm-rf-x-q", "with-spaces"]
    assert (tmp_path / "source" / names[2]).exists()


def test_source_removed_during_build(tmp_path):
    from pipeline import build

    src = tmp_path / "source"
    src.mkdir()
    (src / "stays.txt").write_text(GOOD)
    (src / "goes.txt").write_text(GOOD)
    sources, _ = build.discover([], src)
    (src / "goes.txt").unlink()
    results = build.run(sources, build.BuildOptions(formats=("html",), out_dir=tmp_path / "out",
                                                    source_dir=src, jobs=1))
    by_slug = {r.source.slug: r for r in results}
    assert by_slug["goes"].failed and not by_slug["stays"].failed
    assert [d.code for d in by_slug["goes"].diagnostics] == ["E-MISSING"]
    assert not (tmp_path / "out" / "goes").exists()


@pytest.mark.slow
def test_interrupted_build_leaves_nothing_half_written(tmp_path):
    src = tmp_path / "source"
    src.mkdir()
    body = "".join(f"Paragraph {i} of a text long enough to take a while to set.\n\n" for i in range(12000))
    for n in range(3):
        (src / f"text{n}.txt").write_text(f"Text {n}\n\n{body}")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "pipeline", "build", "--source-dir", str(src), "-o", str(out), "-j", "2"]
    # Ctrl-C as at a terminal: SIGINT to the whole process group, with its default action
    # (test runners start their workers with SIGINT ignored, which children would inherit).
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(5)
    assert proc.poll() is None, "the build ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert not list(out.rglob("*.tmp")) and not list(out.rglob(".*.old"))
    for pdf in out.rglob("*.pdf"):
        assert pdf.read_bytes().rstrip().endswith(b"%%EOF"), f"{pdf} is half-written"
    for epub in out.rglob("*.epub"):
        assert zipfile.ZipFile(epub).testzip() is None
    # The next build recovers: every edition of every text.
    run_pipeline("build", "--source-dir", src, "-o", out, "-j", "2")
    for n in range(3):
        for fmt in ("md", "html", "epub", "pdf"):
            assert (out / f"text{n}" / f"text{n}.{fmt}").stat().st_size > 0


LONG = "".join(f"Paragraph {i} of a text that takes a while to set in pages.\n\n" for i in range(20000))


@pytest.mark.slow
def test_time_limit(tmp_path):
    # One text at a time: the slow one is stopped after 20 s, then the good one builds.
    proc, errors, out, stale = build_with(tmp_path, "slow.txt", "Slow\n\n" + LONG, "--timeout", "20",
                                          "-j", "1", formats="html,pdf")
    assert proc.returncode == 1 and "E-TIMEOUT" in errors, proc.stderr
    assert not stale.exists()


@pytest.mark.slow
def test_memory_limit(tmp_path):
    proc, errors, out, stale = build_with(tmp_path, "big.txt", "Big\n\n" + LONG,
                                          "--memory-limit", "400", "-j", "1", formats="html,pdf")
    # The neighbour built in its own process, untouched by big.txt's exhaustion (checked above).
    assert proc.returncode == 1 and "E-MEMORY" in errors, proc.stderr
    assert errors["E-MEMORY"]["path"].endswith("big.txt")
    assert not stale.exists()


@pytest.mark.slow
def test_pandoc_heap_limit(tmp_path):
    proc, errors, out, stale = build_with(tmp_path, "heap.txt", "Heap\n\n" + LONG, formats="html")
    assert proc.returncode == 0
    env_proc = run_pipeline("build", "--source-dir", tmp_path / "source", "-o", tmp_path / "out2",
                            "--formats", "html", env={"PIPELINE_PANDOC_HEAP": "8m"}, check=False)
    assert env_proc.returncode == 1
    assert re.search(r"heap\.txt:1: error\[E-PANDOC\]: pandoc ran out of its 8m memory limit",
                     env_proc.stderr), \
        env_proc.stderr
