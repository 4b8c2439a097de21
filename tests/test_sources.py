"""Sources other than plain text (DOCX, ODT, EPUB, HTML, RST, Markdown), built into all
three editions and checked by opening the editions.

The DOCX, ODT and EPUB sources are made at test time by pandoc from a small Markdown text
and a PNG drawn here, so the fixtures are ours and nothing binary is committed.
"""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pypandoc
import pytest
from lxml import etree, html as lxml_html

from pipeline import validate
from pipeline.diagnostics import ERROR

from conftest import run_pipeline

NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
SOURCE = """\
---
title: The Test Document
author: Ada Writer
date: 2021-03-04
lang: en-GB
---

# First chapter

A paragraph with a [link](https://example.org/page "Example title") and more.

![A red square](red.png)

## A section

Text under the section.

# Second chapter

Text with a footnote.[^1]

```
def f(x):
    return  x  *  2   # "two"  spaces -- kept...

        deeply indented
```

[^1]: The note.
"""
CODE = SOURCE.split("```\n")[1].rstrip("\n")
FORMATS = ["docx", "odt", "epub"]
README = """\
<p align="center"><a href="https://example.org/project" onclick="steal()"><img src="img/logo.png" alt="Project logo" width="100"></a></p>

# Project

See [the docs](https://example.org/docs "Docs") and [usage](#usage) or <mailto:me@example.org>.

![Remote badge](https://img.shields.io/badge/x-y-green)

![Local figure](img/logo.png)

## Usage

Read [CONTRIBUTING](CONTRIBUTING.md) first. <a href="javascript:alert(1)">Not a link</a>
"""


def rezip(path: Path, parts: dict[str, bytes]) -> None:
    """Write an office or EPUB package again with some of its parts changed."""
    with zipfile.ZipFile(path, "w") as out:
        for name, data in parts.items():
            out.writestr(name, data)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, Path]:
    """fmt -> output folder of a source of that format (one build for all of them)."""
    made = tmp_path_factory.mktemp("made")
    (made / "red.png").write_bytes(png(8, 8, (255, 0, 0)))
    (made / "doc.md").write_text(SOURCE)
    src = tmp_path_factory.mktemp("src")
    for fmt in FORMATS:       # only the document goes into source/: its images are inside it
        pypandoc.convert_file(str(made / "doc.md"), fmt, outputfile=str(src / f"doc-{fmt}.{fmt}"),
                              extra_args=[f"--resource-path={made}"])
    (src / "img").mkdir()
    (src / "img" / "logo.png").write_bytes(png(4, 4, (0, 0, 255)))
    (src / "readme.md").write_text(README)
    out = tmp_path_factory.mktemp("out")
    proc = run_pipeline("build", *sorted(src.glob("*.*")), "-o", out)
    return {fmt: out / f"doc-{fmt}" for fmt in FORMATS} | {"readme": out / "readme",
                                                           "stderr": proc.stderr}


def opf(epub: Path):
    z = zipfile.ZipFile(epub)
    container = etree.fromstring(z.read("META-INF/container.xml"))
    path = container.xpath("//*[local-name()='rootfile']/@full-path")[0]
    return z, path, etree.fromstring(z.read(path))


@pytest.mark.parametrize("fmt", FORMATS)
def test_embedded_images_reach_every_edition(editions, fmt):
    folder = editions[fmt]
    z, _, package = opf(folder / f"{folder.name}.epub")
    images = [i.get("href") for i in package.iterfind(".//opf:manifest/opf:item", NS)
              if i.get("media-type") == "image/png" and "cover" not in i.get("href")]
    assert len(images) == 1
    page = lxml_html.fromstring((folder / f"{folder.name}.html").read_bytes())
    [img] = page.xpath("//img[not(ancestor::header)][starts-with(@src, 'data:image/png')]")
    if fmt != "odt":        # pandoc's ODT writer puts the description in a caption, not alt
        assert img.get("alt") == "A red square"
    from pypdf import PdfReader

    pdf = PdfReader(folder / f"{folder.name}.pdf")
    assert sum(len(p.images) for p in pdf.pages) >= 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_metadata_and_links_come_from_the_source(editions, fmt):
    folder = editions[fmt]
    _, _, package = opf(folder / f"{folder.name}.epub")
    assert package.findtext(".//dc:title", namespaces=NS) == "The Test Document"
    assert package.findtext(".//dc:creator", namespaces=NS) == "Ada Writer"
    page = lxml_html.fromstring((folder / f"{folder.name}.html").read_bytes())
    assert page.findtext(".//title").startswith("The Test Document")
    assert "https://example.org/page" in page.xpath("//a/@href")
    headings = [" ".join(h.text_content().split()) for h in page.xpath("//h1|//h2|//h3")]
    assert {"First chapter", "A section", "Second chapter"} <= set(headings)
    # an EPUB's sections nest (pandoc reads them as Divs): the text inside is kept
    assert "Text under the section." in page.text_content()
    notes = page.xpath("//*[@role='doc-endnotes' or @role='doc-footnote' or contains(@class, 'footnote')]")
    assert "The note." in " ".join(n.text_content() for n in notes)


@pytest.mark.parametrize("fmt", FORMATS)
def test_code_blocks_keep_every_space(editions, fmt):
    """ODT stores code as paragraphs in the Preformatted Text style (pandoc reads them as
    paragraphs and shortens their runs of spaces): each edition has the code as written."""
    folder = editions[fmt]
    page = lxml_html.fromstring((folder / f"{folder.name}.html").read_bytes())
    book = zipfile.ZipFile(folder / f"{folder.name}.epub")
    chapters = [etree.fromstring(book.read(n)) for n in book.namelist() if n.startswith("EPUB/chapter-")]
    assert [p.text_content() for p in page.xpath("//pre")] == [CODE]
    assert ["".join(p.itertext()) for x in chapters for p in x.iter("{*}pre")] == [CODE]


def word_code_docx(path: Path) -> tuple[str, str]:
    """A DOCX as Word users set code: paragraphs in "HTML Preformatted", Normal paragraphs
    in Courier New (fixed pitch in the font table), and Courier New runs in a prose
    paragraph; returns the two listings."""
    by_style = "SELECT  name,\n        \"total\" -- sum\n\tFROM t;"
    by_font = "for i in range(3):\n    print(i,  'x')"
    pypandoc.convert_text("# Listings\n\nBefore.\n\nSTYLED\n\nBetween, in prose.\n\nFIXED\n\n"
                          "After, in prose.\n\nINLINE\n", "docx", format="markdown", outputfile=str(path))
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    z = zipfile.ZipFile(path)
    parts = {n: z.read(n) for n in z.namelist()}
    doc = etree.fromstring(parts["word/document.xml"])

    def paragraph(line: str, style: str | None, font: str | None):
        p = etree.Element(f"{{{w}}}p")
        if style:
            etree.SubElement(etree.SubElement(p, f"{{{w}}}pPr"), f"{{{w}}}pStyle").set(f"{{{w}}}val", style)
        for k, piece in enumerate(line.split("\t")):
            r = etree.SubElement(p, f"{{{w}}}r")
            if font:
                etree.SubElement(etree.SubElement(r, f"{{{w}}}rPr"), f"{{{w}}}rFonts").set(
                    f"{{{w}}}ascii", font)
            if k:
                etree.SubElement(r, f"{{{w}}}tab")
            t = etree.SubElement(r, f"{{{w}}}t")
            t.text = piece
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        return p

    for marker, text, style, font in (("STYLED", by_style, "HTMLPreformatted", None),
                                      ("FIXED", by_font, None, "Courier New")):
        old = next(p for p in doc.iter(f"{{{w}}}p") if "".join(p.itertext()) == marker)
        for line in reversed(text.split("\n")):
            old.addnext(paragraph(line, style, font))
        old.getparent().remove(old)
    # Inline: "Set x  =  1 now.", the code in Courier New, split over two runs as Word does.
    old = next(p for p in doc.iter(f"{{{w}}}p") if "".join(p.itertext()) == "INLINE")
    new = paragraph("Set ", None, None)
    for piece, font in (("x  =", "Courier New"), ("  1", "Courier New"), (" now.", None)):
        new.append(paragraph(piece, None, font)[0])
    old.addnext(new)
    old.getparent().remove(old)
    parts["word/document.xml"] = etree.tostring(doc, xml_declaration=True, encoding="UTF-8")
    parts["word/styles.xml"] = parts["word/styles.xml"].replace(b"</w:styles>", (
        '<w:style w:type="paragraph" w:styleId="HTMLPreformatted"><w:name w:val="HTML Preformatted"/>'
        '<w:basedOn w:val="Normal"/></w:style></w:styles>').encode())
    rezip(path, parts)
    return by_style, by_font


def test_word_code_paragraphs_are_code_blocks(tmp_path):
    from pipeline.document import Document
    from pipeline.stages import normalize

    listings = word_code_docx(tmp_path / "code.docx")
    md, _, _ = normalize(tmp_path / "code.docx")
    pres = [p.text for p in Document.from_markdown(md, "code").body.iter("pre")]
    assert ["".join(p.itertext()) for p in Document.from_markdown(md, "code").body.iter("pre")] \
        == list(listings), md
    assert "Between, in prose." in md and "After, in prose." in md and len(pres) == 2
    assert "Set `x  =  1` now." in md


def test_a_manuscript_typed_in_courier_is_prose(tmp_path):
    """When most paragraphs are in a fixed-pitch font the font says nothing: no code."""
    from pipeline.document import Document
    from pipeline.stages import normalize

    path = tmp_path / "typed.docx"
    pypandoc.convert_text("# Chapter\n\nIt was  a dark night.\n\nThe rain fell.\n\nShe waited.\n",
                          "docx", format="markdown", outputfile=str(path))
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    z = zipfile.ZipFile(path)
    parts = {n: z.read(n) for n in z.namelist()}
    doc = etree.fromstring(parts["word/document.xml"])
    for r in doc.iter(f"{{{w}}}r"):
        rpr = r.find(f"{{{w}}}rPr")
        if rpr is None:
            rpr = etree.Element(f"{{{w}}}rPr")
            r.insert(0, rpr)
        etree.SubElement(rpr, f"{{{w}}}rFonts").set(f"{{{w}}}ascii", "Courier New")
    parts["word/document.xml"] = etree.tostring(doc)
    rezip(path, parts)
    md, _, _ = normalize(path)
    body = Document.from_markdown(md, "typed").body
    assert not list(body.iter("pre", "code"))
    assert [p.text for p in body.iter("p")] == ["It was a dark night.", "The rain fell.", "She waited."]


def test_odt_paragraphs_in_a_fixed_pitch_font_are_code(tmp_path):
    """As LibreOffice users set code: Normal paragraphs given Liberation Mono, which the
    document's font declarations call fixed-pitch."""
    from pipeline.document import Document
    from pipeline.stages import normalize

    path = tmp_path / "mono.odt"
    pypandoc.convert_text("Before.\n\nMONO\n\nAfter.\n\nMore prose.\n\nThe end.\n", "odt",
                          format="markdown", outputfile=str(path))
    z = zipfile.ZipFile(path)
    parts = {n: z.read(n) for n in z.namelist()}
    office, style, text = ("urn:oasis:names:tc:opendocument:xmlns:office:1.0",
                           "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
                           "urn:oasis:names:tc:opendocument:xmlns:text:1.0")
    content = etree.fromstring(parts["content.xml"])
    decls = content.find(f"{{{office}}}font-face-decls")
    if decls is None:
        decls = etree.Element(f"{{{office}}}font-face-decls")
        content.insert(0, decls)
    face = etree.SubElement(decls, f"{{{style}}}font-face")
    face.set(f"{{{style}}}name", "Liberation Mono")
    face.set(f"{{{style}}}font-pitch", "fixed")
    auto = content.find(f"{{{office}}}automatic-styles")
    mono = etree.SubElement(auto, f"{{{style}}}style")
    mono.set(f"{{{style}}}name", "Pmono")
    mono.set(f"{{{style}}}family", "paragraph")
    etree.SubElement(mono, f"{{{style}}}text-properties").set(f"{{{style}}}font-name", "Liberation Mono")
    listing = ["if x:", "    y  =  1", "\treturn y"]
    old = next(p for p in content.iter(f"{{{text}}}p") if "".join(p.itertext()) == "MONO")
    for line in reversed(listing):
        p = etree.Element(f"{{{text}}}p")
        p.set(f"{{{text}}}style-name", "Pmono")
        last = None
        for piece in re.split(r"( {2,}|\t)", line):
            if piece.startswith(" ") and len(piece) > 1 or piece == "\t":
                last = etree.SubElement(p, f"{{{text}}}s" if piece != "\t" else f"{{{text}}}tab")
                if piece != "\t":
                    last.set(f"{{{text}}}c", str(len(piece)))
            elif last is None:
                p.text = (p.text or "") + piece
            else:
                last.tail = (last.tail or "") + piece
        old.addnext(p)
    old.getparent().remove(old)
    parts["content.xml"] = etree.tostring(content)
    rezip(path, parts)
    md, _, _ = normalize(path)
    body = Document.from_markdown(md, "mono").body
    assert ["".join(p.itertext()) for p in body.iter("pre")] == ["\n".join(listing)]
    assert [p.text for p in body.iter("p")] == ["Before.", "After.", "More prose.", "The end."]


def test_odt_inline_code_keeps_its_spaces(tmp_path):
    from pipeline.stages import normalize

    pypandoc.convert_text("Call `f(a,  b)` or `x\ty` and `plain` here.\n", "odt", format="markdown",
                          outputfile=str(tmp_path / "inline.odt"), extra_args=["--preserve-tabs"])
    md, _, _ = normalize(tmp_path / "inline.odt")
    assert "Call `f(a,  b)` or `x\ty` and `plain` here." in md


def test_readme_keeps_links_and_local_images_and_loses_only_what_is_unsafe(editions):
    folder = editions["readme"]
    book = zipfile.ZipFile(folder / "readme.epub")
    chapters = [lxml_html.fromstring(book.read(n)) for n in book.namelist()
                if n.startswith("EPUB/chapter-")]
    for pages in ([lxml_html.fromstring((folder / "readme.html").read_bytes())], chapters):
        hrefs = [h for page in pages for h in page.xpath("//a/@href")]
        assert {"https://example.org/project", "https://example.org/docs",
                "mailto:me@example.org"} <= set(hrefs)
        assert not [h for h in hrefs if "javascript" in h or h.endswith(".md")]
        assert not [p for p in pages if p.xpath("//@onclick")]
    page = lxml_html.fromstring((folder / "readme.html").read_bytes())
    alts = [i.get("alt") for i in page.xpath("//img[starts-with(@src, 'data:image/png')]")]
    assert "Project logo" in alts and "Local figure" in alts
    text = page.text_content()
    assert "Remote badge" in text and "CONTRIBUTING" in text and "Not a link" in text
    err = editions["stderr"]
    assert "readme.md:7: warning[W-REMOTE]" in err and "readme.md:13: warning[W-LINK]" in err
    assert "readme.md:1: warning[W-UNSAFE-HTML]" in err


def test_epubs_made_from_sources_pass_epubcheck(editions):
    found = validate.epubcheck([editions[f] / f"{editions[f].name}.epub"
                                for f in [*FORMATS, "readme"]])
    assert [str(d) for d in found if d.severity == ERROR] == []


def test_an_epub_made_by_the_pipeline_is_a_source_too(editions, tmp_path):
    """Its sections come without the ids pandoc's own EPUBs carry (this crashed the EPUB
    writer with a section id of None)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "again.epub").write_bytes((editions["docx"] / "doc-docx.epub").read_bytes())
    run_pipeline("build", src / "again.epub", "-o", tmp_path / "out")
    page = lxml_html.fromstring((tmp_path / "out" / "again" / "again.html").read_bytes())
    assert page.findtext(".//title").startswith("The Test Document")
    assert page.xpath("//img[starts-with(@src, 'data:image/png')][@alt='A red square']")
    _, _, package = opf(tmp_path / "out" / "again" / "again.epub")
    assert package.findtext(".//dc:creator", namespaces=NS) == "Ada Writer"


BOOK = """\
---
title: A Book of Three
author: Ada Writer
date: 2020-01-02
lang: en-GB
---

# Contents

- [One](#one)
- [Two](#two)
- [Three](#three)

# One {#one}

The first chapter's text, with a [link to two](#two).

# Two {#two}

The second chapter's text.

# Three {#three}

The third chapter's text.
"""


@pytest.mark.parametrize("epub_format", ["epub3", "epub2"])
def test_an_epub_source_leaves_out_its_own_cover_title_page_and_contents(tmp_path, epub_format):
    """The editions make these again; the source's metadata and its cover image stay.  The
    contents page the author wrote as a chapter (nothing but links to the next files, in
    order) is found as well as the navigation document pandoc marks; so is the EPUB 2
    title page, which nothing marks, by repeating only the OPF's title, author and date."""
    from pipeline.document import Document
    from pipeline.stages import explain, normalize

    red = png(8, 8, (255, 0, 0))
    (tmp_path / "red.png").write_bytes(red)
    (tmp_path / "book.md").write_text(BOOK)
    epub = tmp_path / "book.epub"
    pypandoc.convert_file(str(tmp_path / "book.md"), epub_format, outputfile=str(epub),
                          extra_args=["--toc", f"--epub-cover-image={tmp_path / 'red.png'}"])
    md, meta, report = normalize(epub)
    assert (meta["title"], meta["author"], meta["language"], str(meta["date"])) == \
        ("A Book of Three", "Ada Writer", "en-GB", "2020-01-02")
    body = md.split("\n---\n", 1)[1]
    assert [line.split(" {")[0] for line in body.splitlines() if line.startswith("#")] == \
        ["# One", "# Two", "# Three"]
    for gone in ("Contents", "Title Page", "Ada Writer", "A Book of Three", "![", "<nav"):
        assert gone not in body
    assert "with a [link to two](#" in body and "The third chapter" in body
    left_out = [d.split(": epub: ")[1].split(":")[0] for d in explain(epub) if ": epub: " in d]
    assert sorted(left_out) == sorted([
        "left out the source's cover page (its image)", "left out the source's cover page (cover.xhtml)",
        "left out the source's title page (title_page.xhtml)",
        "left out the source's table of contents (nav.xhtml)",
        "left out the source's table of contents (ch001.xhtml)"])
    assert Document.from_markdown(md, "book").cover == (red, ".png")


def test_unsupported_embedded_image_keeps_its_description(tmp_path):
    from pipeline.document import Document
    from pipeline.diagnostics import Report

    report = Report("x.docx")
    doc = Document.from_markdown("![A chart](data:image/x-emf;base64,AAAA)\n", slug="x",
                                 report=report)
    assert "A chart" in doc.body.text_content() and not doc.body.xpath("//img")
    assert [d.code for d in report.items] == ["W-IMAGE"]


# -- typography only on prose -----------------------------------------------------------
PROSE = """\
Some "quoted" text -- with _em "x"_ and `code "k"`... it's [l](http://x.y/a "T \\"t\\"").

![An "image"](a.png "A 'title'"){width="6.5in"} and [ref][r] and \\cite[22-23].

[r]: http://x.y/r "Ref 'title'"

> ```
> code "in" -- a quote
> ```

    indented "code" -- kept

From 0 - 5,000,000 at -0800, not --- here.

[URL and title](/url/ "title with "quotes" in it") and "prose".
"""


def test_typography_touches_prose_only():
    from pipeline.stages import normalize

    md, _, _ = normalize(Path("prose.md"), raw=PROSE.encode())
    body = md.split("---\n", 2)[-1] if md.startswith("---") else md
    assert body.strip().split("\n")[0] == ('Some “quoted” text – with *em “x”* and `code "k"`… it’s '
                                   '[l](http://x.y/a "T \\"t\\"").')
    # everything that is not prose is byte for byte as written
    for kept in ['![An “image”](a.png "A \'title\'"){width="6.5in"}', "\\cite[22-23]",
                 '[r]: http://x.y/r "Ref \'title\'"', '> code "in" -- a quote',
                 '    indented "code" -- kept', "From 0 - 5,000,000 at -0800, not — here.",
                 '[URL and title](/url/ "title with "quotes" in it") and “prose”.']:
        assert kept in body


@pytest.mark.parametrize("lang, quoted", [("de", "„Hallo“ und ‚so‘"), ("fr", "«\u202fSalut\u202f» et ‹so›"),
                                          ("en", "“Hi” and ‘so’")])
def test_quotation_marks_follow_the_language(lang, quoted):
    from pipeline.stages import normalize

    word = {"de": "Hallo", "fr": "Salut", "en": "Hi"}[lang]
    md, meta, _ = normalize(Path("q.md"), raw=f"---\nlanguage: {lang}\n---\n\n\"{word}\" and 'so'\n"
                            .replace(" and ", {"de": " und ", "fr": " et ", "en": " and "}[lang])
                            .encode())
    assert quoted in md and meta["language"] == lang


def test_markdown_title_from_its_heading_or_title_block():
    from pipeline.stages import normalize

    md, meta, _ = normalize(Path("r.md"), raw=b"# Project\n\nText.\n\n## Usage\n\nMore.\n\n### Sub\n")
    assert meta["title"] == "Project" and "# Usage\n" in md and "## Sub\n" in md
    assert "Project" not in md.split("---\n", 2)[-1]
    md, meta, _ = normalize(Path("t.md"), raw=b"% The Title\n% A. Author; B. Author\n% 2020\n\nBody.\n")
    assert meta["title"] == "The Title" and meta["author"] == ["A. Author", "B. Author"]
    assert "%" not in md and "Body." in md
    _, meta, _ = normalize(Path("y.md"), raw=b"---\nauthor: X\n---\n\n# Only\n\nText.\n\n## Two\n")
    assert "title" not in meta        # front matter speaks for the document


# -- right-to-left scripts ----------------------------------------------------------------
PERSIAN = """\
# راهنمای پروژه

این پروژه یک ابزار ساده برای تبدیل متن به کتاب است. شما می‌توانید متن خود را در پوشه بگذارید و کتاب را بسازید. هر فصل کتاب یک صفحه جداگانه دارد و فهرست مطالب به صورت خودکار ساخته می‌شود.

## نصب

برای نصب این ابزار کافی است دستور زیر را اجرا کنید و منتظر بمانید تا همه بسته‌ها نصب شوند. سپس می‌توانید کتاب خود را بسازید و آن را "با دوستان" خود به اشتراک بگذارید.
"""
HEBREW = """\
# מדריך הפרויקט

זהו כלי פשוט להמרת טקסט לספר. אפשר לשים את הטקסט בתיקייה ולבנות את הספר. לכל פרק בספר יש עמוד נפרד ותוכן העניינים נבנה באופן אוטומטי בכל פעם שבונים את הספר מחדש.

## התקנה

כדי להתקין את הכלי יש להריץ את הפקודה הבאה ולחכות עד שכל החבילות יותקנו. אחר כך אפשר לבנות את הספר ולשתף אותו עם "חברים" ועם כל מי שרוצה לקרוא אותו.
"""


@pytest.fixture(scope="module")
def rtl(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("rtl-src")
    # long enough for pages with folios
    (src / "fa.md").write_text(PERSIAN + "\n\n".join([PERSIAN.split("\n")[2]] * 30) + "\n")
    (src / "he.md").write_text(HEBREW)
    out = tmp_path_factory.mktemp("rtl-out")
    run_pipeline("build", src / "fa.md", src / "he.md", "-o", out)
    return out


@pytest.mark.parametrize("lang, title, font, skip", [
    ("fa", "راهنمای پروژه", "Amiri", "پرش به متن"),
    ("he", "מדריך הפרויקט", "Frank-Ruhl-Libre", "דילוג לטקסט")])
def test_right_to_left_in_every_edition(rtl, lang, title, font, skip):
    import pikepdf
    import subprocess

    folder = rtl / lang
    page = lxml_html.fromstring((folder / f"{lang}.html").read_bytes())
    assert (page.get("lang"), page.get("dir")) == (lang, "rtl")
    assert page.findtext(".//title").startswith(title) and skip in page.text_content()
    book = zipfile.ZipFile(folder / f"{lang}.epub")
    _, _, package = opf(folder / f"{lang}.epub")
    assert package.find(".//opf:spine", NS).get("page-progression-direction") == "rtl"
    assert package.findtext(".//dc:language", namespaces=NS) == lang
    chapter = etree.fromstring(book.read("EPUB/chapter-0001.xhtml"))
    assert chapter.get("dir") == "rtl"
    pdf = pikepdf.open(folder / f"{lang}.pdf")
    assert str(pdf.Root.ViewerPreferences.Direction) == "/R2L"
    fonts = subprocess.run(["pdffonts", folder / f"{lang}.pdf"], capture_output=True,
                           text=True, check=True).stdout
    assert font in fonts
    text = subprocess.run(["pdftotext", folder / f"{lang}.pdf", "-"], capture_output=True,
                          text=True, check=True).stdout
    assert f"and in {font.replace('-', ' ')}" in " ".join(text.split())
    if lang == "fa":                    # folios in Persian digits
        assert re.search(r"^[\u06f0-\u06f9]+$", re.sub("[\u202a-\u202e]", "", text), re.M)


def test_a_long_right_to_left_book_laid_out_in_parts_is_bound_on_the_right():
    """A book long enough to be laid out in parts at once is bound from them: the bound
    book, not only its front matter, says it reads right to left."""
    import pikepdf

    from pipeline.document import Document
    from pipeline.writers.pdf import PdfOptions, part_starts, write_pdf

    paragraph = HEBREW.split("\n")[2]
    chapters = "\n\n".join(f"# פרק {i}\n\n" + "\n\n".join([paragraph] * 12) for i in range(1, 5))
    doc = Document.from_markdown("---\ntitle: ספר ארוך\nlanguage: he\n---\n\n" + chapters, "long")
    options = PdfOptions(parts=2, chapter_start="right")
    assert doc.direction == "rtl" and part_starts(doc, options) == ["פרק-3"]
    pdf = pikepdf.open(io.BytesIO(write_pdf(doc, options)))
    assert str(pdf.Root.ViewerPreferences.Direction) == "/R2L"
    assert len(pdf.pages) > 8


# -- lists and tables ---------------------------------------------------------------------
LISTS = """\
# Lists

a. alpha
b. beta

7. seven
8. eight

iii. three
iv. four

+---------------+---------------+
| Cell          | Other         |
+===============+===============+
| - item one    | Line one\\     |
| - item two    | line two      |
|               |               |
|               | Para two      |
+---------------+---------------+

Term
:   Definition here.

## Next

More.
"""


@pytest.fixture(scope="module")
def lists(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("lists-src")
    (src / "lists.md").write_text(LISTS)
    pypandoc.convert_text(LISTS, "docx", format="markdown", outputfile=str(src / "listsdocx.docx"))
    out = tmp_path_factory.mktemp("lists-out")
    run_pipeline("build", src / "lists.md", src / "listsdocx.docx", "-o", out)
    return out


@pytest.mark.parametrize("slug", ["lists", "listsdocx"])
def test_list_styles_and_table_cells_in_every_edition(lists, slug):
    import subprocess

    folder = lists / slug
    book = zipfile.ZipFile(folder / f"{slug}.epub")
    pages = [lxml_html.fromstring((folder / f"{slug}.html").read_bytes()),
             *[lxml_html.fromstring(book.read(n)) for n in book.namelist()
               if n.startswith("EPUB/chapter-")]]
    for edition in (pages[:1], pages[1:]):
        ols = [(o.get("type"), o.get("start")) for p in edition for o in p.xpath("//ol")]
        assert ("a", None) in ols and ("1", "7") in ols and ("i", "3") in ols, ols
        cells = [c for p in edition for c in p.xpath("//td")]
        assert [li.text_content().strip() for li in cells[0].xpath(".//li")] == ["item one", "item two"]
        assert cells[1].xpath(".//br") and "Para two" in cells[1].text_content()
        assert [d.text_content().strip() for p in edition for d in p.xpath("//dd")] == ["Definition here."]
    text = subprocess.run(["pdftotext", "-layout", folder / f"{slug}.pdf", "-"],
                          capture_output=True, text=True, check=True).stdout
    lines = [" ".join(line.split()) for line in text.splitlines()]
    for item in ["a. alpha", "b. beta", "7. seven", "8. eight", "iii. three", "iv. four"]:
        assert item in lines, item
    assert "• item one" in lines and "Para two" in lines


# -- plain text that is not prose ---------------------------------------------------------
RFC_TEXT = """\
Network Working Group                                       J. Example
Request for Comments: 9999                                  Example Inc.
Category: Informational                                       May 2025


                    The Example Protocol

1.  Introduction

   This document describes the example protocol. It is used to show how
   a plain text with grammar rules and diagrams should come through the
   conversion without being joined into paragraphs.

2.  Message Format

   The message grammar is as follows:

     message    = start-line *( header-field CRLF ) CRLF [ body ]
     start-line = method SP target SP version CRLF

   A message looks like this on the wire:

      +--------+--------+-----------------+
      | Type   | Length | Value           |
      +--------+--------+-----------------+
      | 0x01   | 4      | "abcd"          |
      +--------+--------+-----------------+

   Status codes:

      Code   Meaning          Retry
      200    OK               no
      503    Unavailable      yes

3.  Example Code

      int main(void) {
          printf("hello -- world\\n");
          return 0;
      }

   That is all.
"""
# (first, last) source lines of each preformatted run
RUNS = [(18, 19), (23, 27), (31, 33), (37, 40)]
PREFORMATTED = [RFC_TEXT.split("\n")[a - 1:b] for a, b in RUNS]


def test_preformatted_plain_text_is_kept_as_written(tmp_path):
    import subprocess

    from pipeline.stages import explain

    src = tmp_path / "src"
    src.mkdir()
    (src / "rfc.txt").write_text(RFC_TEXT)
    decided = [d for d in explain(src / "rfc.txt") if ": preformatted: " in d]
    assert [int(d.split(":")[1]) for d in decided] == [a for a, _ in RUNS]
    run_pipeline("build", src / "rfc.txt", "-o", tmp_path / "out")
    folder = tmp_path / "out" / "rfc"
    page = lxml_html.fromstring((folder / "rfc.html").read_bytes())
    book = zipfile.ZipFile(folder / "rfc.epub")
    xhtml = [etree.fromstring(book.read(n)) for n in book.namelist() if n.startswith("EPUB/chapter-")]
    for pres in ([p.text_content() for p in page.xpath("//pre")],
                 ["".join(p.itertext()) for x in xhtml for p in x.iter("{*}pre")]):
        assert pres == ["\n".join(lines) for lines in PREFORMATTED]      # byte for byte
    text = subprocess.run(["pdftotext", "-layout", folder / "rfc.pdf", "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "+--------+--------+-----------------+" in text
    assert 'printf("hello -- world\\n");' in text
    assert "A message looks like this on the wire:" in text


TWO_COLUMNS = """\
The tool reads its options from the command line.  Each one changes a
single thing, and none of them is needed.  The defaults are chosen so
that a first run does what most people expect.

      -v          print more of what happens
      -q          print less
      --help      show this help and stop

Options may come in any order.  Unknown ones are an error.
"""


def test_two_columns_lined_up_are_kept_as_written(tmp_path):
    """Two columns on every line, the second starting at the same place, are a table: kept
    exactly.  Prose with two spaces between sentences is not (they never line up so)."""
    from pipeline.stages import explain, normalize

    (tmp_path / "opts.txt").write_text(TWO_COLUMNS)
    md, _, _ = normalize(tmp_path / "opts.txt")
    table = "\n".join(TWO_COLUMNS.split("\n")[4:7])
    assert f"```\n{table}\n```" in md
    assert "Each one changes a single thing" in md and "Options may come in any order." in md
    assert [d.split(":", 1)[1] for d in explain(tmp_path / "opts.txt") if "preformatted" in d] == \
        ["5: preformatted: two columns lined up with spaces: kept as written (3 lines)"]


RST = """\
=====================
 The Widget Handbook
=====================

:Author: Jane Roe
:Date: 2024-05-06
:Copyright: CC-BY-4.0

.. contents::

Introduction
============

Widgets are *small* things, see `the site <https://example.org>`_ and the note [#n]_.

.. code-block:: python

   def widget(x):
       return  x   # "spaced" -- kept

Usage
=====

a. first step
b. second step

.. [#n] The footnote text.
"""


def test_rst_title_docinfo_and_directives(tmp_path):
    """The document title is the title (the sections stay level 1), the docinfo fields are
    the metadata, and the contents directive (the editions make their own) leaves no trace."""
    from pipeline.stages import normalize

    (tmp_path / "doc.rst").write_text(RST)
    md, meta, _ = normalize(tmp_path / "doc.rst")
    assert (meta["title"], meta["author"], str(meta["date"]), meta["rights"]) == \
        ("The Widget Handbook", "Jane Roe", "2024-05-06", "CC-BY-4.0")
    body = md.split("\n---\n", 1)[1]
    assert [ln for ln in body.splitlines() if ln.startswith("#")] == ["# Introduction", "# Usage"]
    assert ":::" not in body and "[the site](https://example.org)" in body
    assert 'def widget(x):\n    return  x   # "spaced" -- kept\n```' in body
    assert "a.  first step" in body and "[^1]: The footnote text." in body
    (tmp_path / "two.rst").write_text("Guide\n=====\n\n:Authors: - Ann One\n          - Bob Two\n\n"
                                      "Text.\n")
    assert normalize(tmp_path / "two.rst")[1]["author"] == ["Ann One", "Bob Two"]


def test_html_source_metadata_sections_and_handlers(tmp_path):
    from pipeline.stages import normalize

    page = tmp_path / "page.html"
    page.write_text(
        '<!DOCTYPE html><html lang="ar"><head><meta charset="utf-8"><title>دليل المشروع</title>'
        '<meta name="author" content="كاتب"></head><body>'
        '<section><h1>مقدمة</h1><p onclick="x()">نص <a href="https://example.org" onclick="y()">'
        'رابط</a>.</p></section><section><h1>التثبيت</h1><ol type="a" start="3"><li>ثلاثة</li>'
        '</ol><pre>all:\n\tmake  -C src</pre></section></body></html>', encoding="utf-8")
    md, meta, report = normalize(page)
    assert (meta["title"], meta["author"], meta["language"]) == ("دليل المشروع", "كاتب", "ar")
    assert "# مقدمة" in md and "# التثبيت" in md and "c.  ثلاثة" in md
    assert "[رابط](https://example.org)" in md and "onclick" not in md
    assert "W-UNSAFE-HTML" in [d.code for d in report.items]
    assert "    all:\n    \tmake  -C src\n" in md          # a tab in code stays a tab


def test_chinese_markdown_names_its_language():
    from pipeline.stages import normalize

    text = ("# 项目说明\n\n这是一个把文本转换成书籍的简单工具。你可以把文本放进文件夹，然后构建书籍。"
            "每一章都有单独的页面，目录会自动生成。\n\n## 安装\n\n运行命令。\n")
    _, meta, _ = normalize(Path("zh.md"), raw=text.encode())
    assert meta["language"] == "zh" and meta["title"] == "项目说明"


@pytest.mark.parametrize("text, lang", [
    ("# راهنما\n\nاین یک ابزار ساده برای ساختن کتاب است.\n\n## نصب\n\nدستور را اجرا کنید.\n", "fa"),
    ("# מדריך\n\nזהו כלי פשוט לבניית ספרים מטקסט.\n\n## התקנה\n\nהריצו את הפקודה.\n", "he")])
def test_a_short_right_to_left_readme_names_its_language(text, lang):
    """Eight words of Arabic or Hebrew script are enough: its direction is what matters."""
    from pipeline.stages import normalize

    _, meta, _ = normalize(Path("r.md"), raw=text.encode())
    assert meta["language"] == lang
