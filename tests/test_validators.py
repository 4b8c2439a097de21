"""The validator wrappers themselves: each must pass a known-good file and fail a known-bad one,
with the tool's own code, path and line, so a silent wrapper cannot look like a clean book."""
from __future__ import annotations

import struct
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipeline import validate
from pipeline.diagnostics import ERROR, WARNING, PipelineError

# --- tiny books and pages ------------------------------------------------------------------

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"""

A11Y = """<meta property="schema:accessMode">textual</meta>
    <meta property="schema:accessModeSufficient">textual</meta>
    <meta property="schema:accessibilityFeature">structuralNavigation</meta>
    <meta property="schema:accessibilityFeature">tableOfContents</meta>
    <meta property="schema:accessibilityHazard">none</meta>
    <meta property="schema:accessibilitySummary">Text only, with headings and a table of contents.</meta>"""

OPF = """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid" xml:lang="en">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="uid">urn:uuid:12345678-1234-4234-8234-123456789abc</dc:identifier>
    <dc:title>Test</dc:title>
    <dc:language>en</dc:language>
    <meta property="dcterms:modified">2024-01-01T00:00:00Z</meta>
    {a11y}
  </metadata>
  <manifest>
    <item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
    <item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/>
  </manifest>
  <spine><itemref idref="c1"/></spine>
</package>"""

NAV = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="en" lang="en">
<head><title>Contents</title></head>
<body><nav epub:type="toc" role="doc-toc"><h1>Contents</h1><ol><li><a href="c1.xhtml">One</a></li></ol></nav></body>
</html>"""

CHAPTER = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
<head><title>One</title></head>
<body><section><h1>One</h1><p>Hello.</p>{extra}</section></body>
</html>"""

# Line 4 of the chapter: a link to a missing page and an image that is neither there nor described.
BROKEN = '<p><a href="missing.xhtml">x</a></p><img src="nothere.png"/>'


def make_epub(path: Path, *, extra: str = "", a11y: str = A11Y) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")  # first and stored
        z.writestr("META-INF/container.xml", CONTAINER, zipfile.ZIP_DEFLATED)
        z.writestr("EPUB/package.opf", OPF.format(a11y=a11y), zipfile.ZIP_DEFLATED)
        z.writestr("EPUB/nav.xhtml", NAV, zipfile.ZIP_DEFLATED)
        z.writestr("EPUB/c1.xhtml", CHAPTER.format(extra=extra), zipfile.ZIP_DEFLATED)
    return path


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body><main><h1>{title}</h1>
{body}
</main></body>
</html>
"""
GOOD_STYLE = ("body { margin: 0 auto; padding: 0 1rem; max-width: 40rem; color: #111; background: #fff; }"
              " @media (prefers-color-scheme: dark) { body { color: #eee; background: #111; } }")
GOOD_CSS = "p { overflow-wrap: break-word; hyphens: auto; }\n"


def page(path: Path, title: str, body: str = "<p>Hello, world.</p>", style: str = GOOD_STYLE) -> Path:
    path.write_text(PAGE.format(title=title, style=style, body=body), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("validators")
    return {
        "good.epub": make_epub(d / "good.epub"),
        "bad.epub": make_epub(d / "bad.epub", extra=BROKEN),
        "not-a-zip.epub": _write(d / "not-a-zip.epub", "this is not a zip file"),
        "good.html": page(d / "good.html", "Good"),
        "good.css": _write(d / "good.css", GOOD_CSS),
        # Line 9: an image without alt and an <li> outside a list.
        "bad.html": page(d / "bad.html", "Bad", '<p>One <img src="x.png"></p><div><li>stray</li></div>'),
        "bad.css": _write(d / "bad.css", "p { color: notacolor; }\n"),
        # Line 9: a section without a heading is a warning, not an error. The folder's name
        # has a space and the file's a non-ASCII letter: paths must come back as given.
        "warn.html": page(_folder(d / "with space") / "wärn.html", "Warn",
                          "<section><p>No heading.</p></section>"),
        # Text that is dark on dark only when the reader asks for a dark scheme,
        # and pale on white only on a phone: each must fail in those variants alone.
        "dark.html": page(d / "dark.html", "Dark", style=(
            "body { color: #111; background: #fff; }"
            " @media (prefers-color-scheme: dark) { body { color: #222; background: #000; } }")),
        "narrow.html": page(d / "narrow.html", "Narrow", style=(
            "body { color: #111; background: #fff; }"
            " @media (max-width: 600px) { p { color: #ccc; } }")),
        "wide.html": page(d / "wide.html", "Wide", '<pre class="code">' + "x" * 120 + "</pre>"),
    }


def _folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def lines(diagnostics) -> list[str]:
    """Every field, spelled out here rather than by Diagnostic.__str__, so these tests pin what
    the wrappers extract (path, line or none, code, severity, text), not how it is printed."""
    return [f"{d.path}:{d.line or '-'}: {d.severity}[{d.code}]: {d.message}" for d in diagnostics]


# --- EPUBCheck -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def epubcheck_results(files) -> dict[str, list]:
    """One JVM for all three books, as `make check` runs it."""
    books = [files["good.epub"], files["bad.epub"], files["not-a-zip.epub"]]
    found = validate.epubcheck(books)
    return {book.name: [d for d in found if d.path.startswith(str(book))] for book in books}


@pytest.mark.validator
def test_epubcheck_passes_a_good_book(epubcheck_results):
    assert lines(epubcheck_results["good.epub"]) == []


@pytest.mark.validator
def test_epubcheck_reports_code_path_and_line(epubcheck_results, files):
    where = f"{files['bad.epub']}/EPUB/c1.xhtml:4"
    assert lines(epubcheck_results["bad.epub"]) == [
        f'{where}: error[EPUBCHECK-RSC-007]: Referenced resource "EPUB/missing.xhtml" could not be found in the EPUB.',
        f'{where}: error[EPUBCHECK-RSC-007]: Referenced resource "EPUB/nothere.png" could not be found in the EPUB.',
    ]


@pytest.mark.validator
def test_epubcheck_fails_what_is_not_an_epub(epubcheck_results):
    found = epubcheck_results["not-a-zip.epub"]
    assert found and all(d.severity == ERROR for d in found), lines(found)
    assert any(d.code.startswith("EPUBCHECK-PKG-") for d in found), lines(found)


@pytest.mark.validator
def test_epubcheck_without_a_report_is_an_error(files, monkeypatch):
    monkeypatch.setattr(validate, "JAVA", "false")  # runs, exits 1, writes nothing
    [d] = validate.epubcheck([files["good.epub"]])
    assert (d.code, d.severity) == ("EPUBCHECK-NO-REPORT", ERROR)


def test_parse_epubcheck_maps_severities_and_locations():
    report = {"checker": {"nFatal": 1, "nError": 0, "nWarning": 1},
              "messages": [
                  {"ID": "PKG-008", "severity": "FATAL", "message": "Unable to read file.", "suggestion": None,
                   "locations": [{"path": "EPUB/a.xhtml", "line": -1}]},
                  {"ID": "CSS-028", "severity": "WARNING", "message": "Use of Font-face declaration.",
                   "suggestion": "Embed it.",
                   "locations": [{"path": "EPUB/a.css", "line": 3}, {"path": "EPUB/b.css", "line": 7}]}]}
    assert lines(validate.parse_epubcheck(report, "b.epub")) == [
        "b.epub/EPUB/a.xhtml:-: error[EPUBCHECK-PKG-008]: fatal: Unable to read file.",
        "b.epub/EPUB/a.css:3: warning[EPUBCHECK-CSS-028]: Use of Font-face declaration. Embed it.",
        "b.epub/EPUB/b.css:7: warning[EPUBCHECK-CSS-028]: Use of Font-face declaration. Embed it.",
    ]


def test_parse_epubcheck_distrusts_counts_without_messages():
    [d] = validate.parse_epubcheck({"checker": {"nFatal": 0, "nError": 2}, "messages": []}, "b.epub")
    assert (d.code, d.severity) == ("EPUBCHECK-UNPARSED", ERROR)


# --- Nu HTML Checker -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def vnu_results(files) -> dict[str, list]:
    """One JVM for every page and stylesheet."""
    names = ["good.html", "good.css", "bad.html", "bad.css", "warn.html"]
    found = validate.nu_html_check([files[n] for n in names])
    return {n: [d for d in found if d.path == str(files[n])] for n in names}


@pytest.mark.validator
def test_vnu_passes_good_html_and_css(vnu_results):
    assert lines(vnu_results["good.html"] + vnu_results["good.css"]) == []


@pytest.mark.validator
def test_vnu_reports_html_errors_with_lines(vnu_results, files):
    got = lines(vnu_results["bad.html"])
    where = f"{files['bad.html']}:9"
    assert f"{where}: error[VNU-HTML]: Element “li” not allowed as child of element “div” in this context. " \
           "(Suppressing further errors from this subtree.)" in got, got
    alt = f"{where}: error[VNU-HTML]: An “img” element must have an “alt” attribute"
    assert any(s.startswith(alt) for s in got), got


@pytest.mark.validator
def test_vnu_checks_stylesheets(vnu_results, files):
    assert lines(vnu_results["bad.css"]) == [
        f"{files['bad.css']}:1: error[VNU-CSS]: “color”: “notacolor” is not a “color” value."]


@pytest.mark.validator
def test_vnu_keeps_warnings_apart_from_errors(vnu_results, files):
    found = vnu_results["warn.html"]
    assert found and {(d.code, d.severity, d.line) for d in found} == {("VNU-HTML", WARNING, 9)}, lines(found)
    assert validate.nu_html_check([files["warn.html"]], warnings=False) == []


@pytest.mark.parametrize("check", [validate.epubcheck, validate.nu_html_check, lambda ps: validate.ace(ps[0]),
                                   validate.axe, lambda ps: validate.overflow(ps[0])],
                         ids=["epubcheck", "vnu", "ace", "axe", "overflow"])
@pytest.mark.validator
def test_a_missing_file_is_an_error(check, tmp_path):
    # EPUBCheck writes a clean report for it and vnu says nothing at all: the wrapper must.
    [d] = check([tmp_path / "nowhere.epub"])
    assert d.code.endswith("-NOT-FOUND") and d.severity == ERROR and d.path == str(tmp_path / "nowhere.epub")


def test_parse_epubcheck_needs_proof_that_the_book_was_read():
    [d] = validate.parse_epubcheck({"checker": {"nFatal": 0, "nError": 0}, "messages": [], "items": []}, "b.epub")
    assert (d.code, d.severity) == ("EPUBCHECK-NOTHING-CHECKED", ERROR)


@pytest.mark.validator
def test_missing_node_tool_is_an_error_that_says_what_to_run(files, monkeypatch, tmp_path):
    monkeypatch.setattr(validate, "VNU_JAR", tmp_path / "vnu.jar")
    with pytest.raises(PipelineError, match="make node_modules/.installed"):
        validate.nu_html_check([files["good.html"]])


# --- Ace by DAISY --------------------------------------------------------------------------

@pytest.mark.validator
def test_ace_passes_an_accessible_book(files):
    assert lines(validate.ace(files["good.epub"])) == []


@pytest.mark.validator
def test_ace_reports_a_missing_alt_and_missing_metadata(tmp_path, files):
    book = make_epub(tmp_path / "bare.epub", extra=BROKEN, a11y="")
    found = validate.ace(book, outdir=tmp_path / "ace")
    got = {(d.path, d.code, d.severity) for d in found}
    assert (f"{book}/EPUB/c1.xhtml", "ACE-image-alt", ERROR) in got, lines(found)
    assert (f"{book}/EPUB/package.opf", "ACE-metadata-accessmode", ERROR) in got, lines(found)
    assert (tmp_path / "ace" / "report.json").is_file()


@pytest.mark.validator
def test_ace_without_a_browser_is_an_error(files, monkeypatch, tmp_path):
    monkeypatch.setattr(validate, "CHROMIUM", "/nonexistent/chromium")
    _write(tmp_path / "report.json", '{"assertions": []}')  # a clean report from an earlier run
    [d] = validate.ace(files["good.epub"], outdir=tmp_path)
    assert (d.code, d.severity) == ("ACE-NO-REPORT", ERROR)
    assert "Failed to launch the browser" in d.message


# --- axe-core and layout in Chromium -------------------------------------------------------

@pytest.mark.validator
def test_axe_passes_a_good_page_everywhere(files, browser):
    assert lines(validate.axe([files["good.html"]], browser=browser)) == []


@pytest.mark.validator
def test_axe_reports_violations(files, browser):
    got = {(d.code, d.severity) for d in validate.axe([files["bad.html"]], browser=browser)}
    assert {("AXE-image-alt", ERROR), ("AXE-listitem", ERROR)} <= got


@pytest.mark.validator
def test_axe_names_the_variants_that_fail(files, browser):
    dark = validate.axe([files["dark.html"]], browser=browser)
    assert {d.code for d in dark} == {"AXE-color-contrast"}
    assert all("in 375px dark, 1280px dark)" in d.message for d in dark), lines(dark)
    narrow = validate.axe([files["narrow.html"]], browser=browser)
    assert {d.code for d in narrow} == {"AXE-color-contrast"}
    assert all("in 375px light, 375px dark)" in d.message for d in narrow), lines(narrow)


@pytest.mark.validator
def test_axe_that_cannot_run_is_an_error(files, browser, tmp_path, monkeypatch):
    fake = _write(tmp_path / "axe.min.js", "/* not axe */")
    monkeypatch.setattr(validate, "AXE_JS", fake)
    [d] = validate.axe([files["good.html"]], browser=browser)
    assert (d.code, d.severity) == ("AXE-FAILED", ERROR) and "axe is not defined" in d.message


@pytest.mark.validator
def test_a_browser_that_does_not_start_says_what_to_do(files, monkeypatch):
    monkeypatch.setattr(validate, "CHROMIUM", "/nonexistent/chromium")
    # Its own thread: Playwright's sync API runs one instance per thread, and the module's
    # browser fixture may already hold this one.
    with ThreadPoolExecutor(1) as pool, pytest.raises(PipelineError, match="make system-deps"):
        pool.submit(validate.axe, [files["good.html"]]).result()


@pytest.mark.validator
def test_overflow_on_a_phone_names_the_culprit(files, browser, tmp_path):
    shot = tmp_path / "shots" / "wide-375.png"
    [d] = validate.overflow(files["wide.html"], width=375, screenshot=shot, browser=browser)
    assert (d.code, d.severity) == ("LAYOUT-OVERFLOW", ERROR)
    assert "in a 375px viewport" in d.message and "`pre.code`" in d.message
    assert png_size(shot) == (375, 800)
    validate.overflow(files["wide.html"], width=375, screenshot=shot, full_page=True, browser=browser)
    assert png_size(shot) == (375, 800)  # the page is no taller than the viewport


@pytest.mark.validator
def test_no_overflow_on_desktop_or_for_a_good_page(files, browser):
    assert validate.overflow(files["wide.html"], width=1280, browser=browser) == []
    assert validate.overflow(files["good.html"], width=375, scheme="dark", browser=browser) == []


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])
