"""The format registry: a new output format is one new module, and the build, the catalog,
`pipeline check`, the CLI and `pipeline formats` take it up without another line changed."""
from __future__ import annotations

import contextlib
import io
import shutil
import sys
from pathlib import Path

import pytest
from lxml import html as lxml_html

import pipeline.writers
from conftest import SPEECH, SPEECH_SLUG
from pipeline import build
from pipeline.__main__ import main
from pipeline.catalog import write_catalog
from pipeline.check import check_tree
from pipeline.writers import formats

# The whole of a fourth format: a plain-text edition with its own check.
TOY = '''
"""A plain-text edition: the document's words, one block a paragraph."""
from pipeline.diagnostics import ERROR, Diagnostic
from pipeline.writers.base import Format, Output


def write_text(doc, options=None) -> bytes:
    blocks = (" ".join("".join(el.itertext()).split()) for el in doc.body.iter("p", "h1", "h2"))
    return "\\n\\n".join(b for b in blocks if b).encode("utf-8") + b"\\n"


def check_text(files, browser_checks=True):
    return [Diagnostic(str(f), 1, "TXT-NOT-UTF8", ERROR, "not UTF-8")
            for f in files if not _utf8(f.read_bytes())]


def _utf8(data):
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


FORMAT = Format("txt", rank=4, about="a plain-text edition",
                outputs=(Output("{slug}.txt", write_text, "Plain text", "text/plain", rank=5),),
                validators=("pipeline.writers.toy_txt:check_text",))
'''


@pytest.fixture
def toy_format(tmp_path, monkeypatch):
    """The toy module, found where the registry looks: on the writers package's path."""
    folder = tmp_path / "writers"
    folder.mkdir()
    (folder / "toy_txt.py").write_text(TOY)
    monkeypatch.setattr(pipeline.writers, "__path__", [*pipeline.writers.__path__, str(folder)])
    formats.cache_clear()
    yield
    formats.cache_clear()
    sys.modules.pop("pipeline.writers.toy_txt", None)


def test_make_has_a_target_per_format(tmp_path):
    """`make pdf`, `make epub` … come from the FORMAT records, so the toy module, dropped
    beside the writers, is `make txt` with nothing else edited."""
    import subprocess

    root = Path(pipeline.__file__).parent.parent
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy(root / name, tmp_path / name)
    (tmp_path / "installed").touch()            # as if installed: the recipes alone
    shutil.copytree(root / "mk", tmp_path / "mk")
    shutil.copytree(root / "pipeline" / "writers", tmp_path / "pipeline" / "writers",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "pipeline" / "writers" / "toy_txt.py").write_text(TOY)
    names = [*formats(), "txt"]
    made = subprocess.run(["make", "-n", "--no-print-directory", *names, "STAMP=installed"],
                          cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert [line.split("--formats ")[1].strip() for line in made.splitlines()] == names


def test_the_three_formats_and_their_records():
    assert list(formats()) == ["html", "epub", "pdf"]
    for record in formats().values():
        assert record.outputs and record.validators and record.about
        assert record.module == f"pipeline.writers.{record.name}"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["formats"]) == 0
    assert "  option trim (default: a5)\n" in out.getvalue()       # the parser's own default


def test_a_new_format_is_one_module(toy_format, tmp_path):
    assert list(formats()) == ["html", "epub", "pdf", "txt"]
    # The CLI offers it and `pipeline formats` describes it.
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["formats"]) == 0
    assert "txt: a plain-text edition" in out.getvalue()
    assert "output/<slug>/<slug>.txt  Plain text" in out.getvalue()
    # The build keys it (its module's code) and builds it.
    assert "txt" in build.code_keys()
    src = tmp_path / "source"
    src.mkdir()
    shutil.copy(SPEECH, src)
    target = tmp_path / "out"
    sources, problems = build.discover([], src)
    results = build.run(sources, build.BuildOptions(formats=("txt",), out_dir=target, source_dir=src))
    assert not problems and [r.failed for r in results] == [False]
    text = (target / SPEECH_SLUG / f"{SPEECH_SLUG}.txt").read_text("utf-8")
    assert "Free, Free, Palestine." in text and "<" not in text
    # Up to date: a second build does nothing.
    assert build.run(sources, build.BuildOptions(formats=("txt",), out_dir=target, source_dir=src)) == []
    # `pipeline check` runs its validator on its files, and only there.
    assert check_tree(target, browser_checks=False) == []
    (target / SPEECH_SLUG / f"{SPEECH_SLUG}.txt").write_bytes(b"\xff\xfe")
    assert [d.code for d in check_tree(target, browser_checks=False)] == ["TXT-NOT-UTF8"]
    # The catalog lists it.
    write_catalog(target, [SPEECH_SLUG])
    page = lxml_html.fromstring((target / "index.html").read_bytes())
    assert f"{SPEECH_SLUG}/{SPEECH_SLUG}.txt" in page.xpath("//a/@href")
    assert "Plain text" in page.text_content()


# -- options, checked when they are read -------------------------------------------------
def test_a_bad_print_option_is_reported_at_its_line(tmp_path):
    from pipeline.diagnostics import PipelineError
    from pipeline.metadata import load_sidecar
    from pipeline.writers import option_checks

    sidecar = tmp_path / "book.yaml"
    sidecar.write_text("title: A Book\ntrim: b5\nbleed: 3mm\n")
    with pytest.raises(PipelineError) as caught:
        load_sidecar(sidecar, option_checks())
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{sidecar}:2: error[E-PDF-TRIM]: unknown trim `b5`; use one of a5, a4, letter, 6x9, 5.5x8.5"]
    sidecar.write_text("title: A Book\n\nbleed: lots\n")
    with pytest.raises(PipelineError) as caught:
        load_sidecar(sidecar, option_checks())
    assert [(d.line, d.code) for d in caught.value.diagnostics] == [(3, "E-PDF-BLEED")]
    sidecar.write_text("trim: 6x9\nbleed: 0.125in\nchapter-start: any\npdf-parts: 2\n")
    assert load_sidecar(sidecar, option_checks())["trim"] == "6x9"


def test_a_bad_option_on_the_command_line_names_the_flag(tmp_path, capsys):
    assert main(["build", str(SPEECH), "-o", str(tmp_path), "--set", "title=Fine",
                 "--set", "chapter-start=left"]) == 1
    err = capsys.readouterr().err
    assert "--set chapter-start=left:1: error[E-PDF-START]: chapter-start must be" in err
    assert not list(tmp_path.iterdir()), "nothing is built with a bad option"


def test_the_readme_describes_every_format():
    """The README's table of outputs and its list of print options follow the records."""
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for record in formats().values():
        for output in record.outputs:
            shown = output.path.replace("{slug}", "<slug>") + ("/" if output.listed else "")
            assert f"| `{shown}` |" in readme, f"README's table of outputs lacks {shown}"
        for key in record.options:
            assert f"\n    {key}: " in readme, f"README's metadata example lacks the option {key}"
