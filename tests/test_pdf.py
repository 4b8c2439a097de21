"""Issue 4: the print edition, checked by reading the PDF back (pypdf and poppler).

Every check is a property of the book (the contents agree with the pages, the running
heads follow the chapters, no word is lost, the outline mirrors the headings), so the
same checks run on the fixtures, the speech and corpus texts whose structure the
normalizer decides.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, SPEECH, corpus_file

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"
MM = 72 / 25.4


# -- building -----------------------------------------------------------------------
def build_pdf(markdown: str, slug: str, **meta) -> tuple[object, bytes]:
    from pipeline.document import Document, split_front_matter
    from pipeline.writers.pdf import write_pdf

    if meta:
        head, body = split_front_matter(markdown)
        markdown = "---\n" + yaml.safe_dump({**head, **meta}) + "---\n" + body
    doc = Document.from_markdown(markdown, slug)
    return doc, write_pdf(doc)


def normalized(path: Path) -> str:
    from pipeline.stages import normalize

    return normalize(path)[0]


@dataclass
class Book:
    """A built PDF and the document it came from, with what poppler reads back."""
    doc: object
    data: bytes
    path: Path

    @cached_property
    def reader(self):
        from pypdf import PdfReader

        return PdfReader(self.path)

    @cached_property
    def trim(self):
        box = self.reader.pages[0].trimbox
        return float(box.left), float(box.bottom), float(box.width), float(box.height)

    def _text(self, *region: str) -> list[str]:
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", *region, str(self.path), "-"],
                             capture_output=True, text=True, check=True).stdout
        return out.split("\f")[:len(self.reader.pages)]

    @cached_property
    def pages(self) -> list[str]:
        """Each page's text in drawing order: body, notes, then running head and folio.
        (The default reading-order mode drops the spaces between single letters.)"""
        return self._text("-raw")

    def _band(self, top: bool) -> list[str]:
        left, bottom, width, height = self.trim
        media = float(self.reader.pages[0].mediabox.height)
        band = 0.075 * height
        y = media - bottom - height if top else media - bottom - band
        return [" ".join(t.split()) for t in self._text(
            "-x", str(int(left)), "-y", str(int(y)), "-W", str(int(width)), "-H", str(int(band)))]

    @cached_property
    def heads(self) -> list[str]:
        return self._band(top=True)

    @cached_property
    def folios(self) -> list[str]:
        return self._band(top=False)

    @cached_property
    def outline(self) -> list[tuple[int, str, int]]:
        """(depth, title, page index) for every bookmark, in order."""
        out = []

        def walk(items, depth):
            for item in items:
                if isinstance(item, list):
                    walk(item, depth + 1)
                else:
                    out.append((depth, item.title, self.reader.get_destination_page_number(item)))
        walk(self.reader.outline, 0)
        return out

    @cached_property
    def toc(self) -> list[tuple[str, int]]:
        """(title, printed page number) for each line of the contents pages."""
        pages = [i for i, t in enumerate(self.pages[:12]) if t.lstrip().startswith("Contents")]
        entries, pending = [], ""
        for i in range(pages[0], len(self.pages)) if pages else []:
            text = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-f", str(i + 1),
                                   "-l", str(i + 1), str(self.path), "-"],
                                  capture_output=True, text=True, check=True).stdout
            if i > pages[0] and not re.search(r"\.\s?\.\s?\.", text):
                break
            for line in text.splitlines():
                line = line.strip()
                if not line or line == "Contents":
                    continue
                m = re.fullmatch(r"(.*?)[\s.]*?[\s.](\d+)", line)
                # Leaders, a wide gap, or (a title filling the line) a full stop and the number.
                if m and re.search(r"\.\s?\.|\s{3}|\.\s?\d+$", line):
                    title = " ".join(join(pending, m.group(1)).split()).rstrip(" .")
                    entries.append((title, int(m.group(2))))
                    pending = ""
                elif not re.fullmatch(r"\d+", line):
                    pending = join(pending, line)
        return entries


def join(first: str, rest: str) -> str:
    """Join a title wrapped over two contents lines; a dash at a line end takes no space."""
    first = first.rstrip()
    return first + ("" if first.endswith("—") or not first else " ") + rest.strip()


def make_book(tmp: Path, markdown: str, slug: str, **meta) -> Book:
    doc, data = build_pdf(markdown, slug, **meta)
    path = tmp / f"{slug}.pdf"
    path.write_bytes(data)
    return Book(doc, data, path)


# -- what a book must satisfy -------------------------------------------------------
def flat(text: str) -> str:
    return " ".join(text.replace("\u00ad", "").split())


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.replace("\u00ad", "").replace("’", "'").lower())


def source_words(doc) -> list[str]:
    """The words of the text and its notes, without pandoc's note numbers (the PDF
    numbers notes per chapter)."""
    from pipeline.document import text_of

    return words(" ".join(text_of(el) for el in [doc.body, *doc.notes.values()]))


def pdf_words(book: Book, vocabulary: set[str],
              compounds: dict[str, tuple[str, str]]) -> Counter:
    """Words of the extracted text.

    A word broken at a line end by a hyphen is joined again when the joined form is a
    word of the source (a real hyphen stays a break); one broken at a page end is joined
    with the first word of the next page."""
    counts, pages = Counter(), []
    for page in book.pages:
        # WeasyPrint's hyphenation hyphen is U+2010; a hyphen of the text is U+002D.
        page = page.replace("’", "'").lower()
        tokens = re.findall(r"\w+[-‐]?\n?", page)
        pages.append([t.rstrip("-‐\n") for t in tokens])
        i, dangling = 0, []
        while i < len(tokens):
            tok = tokens[i].rstrip("\n")
            if tok.endswith("‐") and tokens[i].endswith("\n"):
                joined = tok[:-1] + tokens[i + 1].rstrip("-‐\n") if i + 1 < len(tokens) else ""
                if joined in vocabulary or joined in compounds:
                    counts.update([joined] if joined in vocabulary else compounds[joined])
                    i += 2
                    continue
                dangling.append(tok[:-1])
            tok = tok.rstrip("-‐")
            # pdftotext joins a line ending in a real hyphen: "three-\ndimensional" comes
            # back as "threedimensional".
            split = compounds.get(tok) if tok not in vocabulary else None
            glued = re.fullmatch(r"(\D+)(\d+)", tok)   # "love-" + folio, joined by pdftotext
            if glued and not split and tok not in vocabulary:
                split = glued.groups()
            counts.update(split or [tok])
            i += 1
        pages[-1] = (dangling, pages[-1])
    for (dangling, _), (_, following) in zip(pages, pages[1:]):
        rest = following[:1]
        start = next((d for d in reversed(dangling) if rest and d + rest[0] in vocabulary), None)
        if start:
            counts.subtract([start, rest[0]])
            counts[start + rest[0]] += 1
    return counts


def check_words(book: Book) -> None:
    wanted = Counter(source_words(book.doc))
    compounds = {}
    for el in [book.doc.body, *book.doc.notes.values()]:
        for a, b in re.findall(r"\b(?=(\w+)[-‐]\s*(\w+))", "".join(el.itertext()).lower()):
            compounds[a + b] = (a, b)
    got = pdf_words(book, set(wanted), compounds)
    missing = {w: n - got[w] for w, n in wanted.items() if got[w] < n}
    # What is left is a word broken where the reading order puts something between its
    # halves (a note, a running head): both halves are then words the source lacks.
    surplus = Counter({w: n - wanted[w] for w, n in got.items() if n > wanted[w]})
    for word in list(missing):
        for k in range(1, len(word)):
            while missing[word] and surplus[word[:k]] > 0 and surplus[word[k:]] > 0:
                surplus.subtract([word[:k], word[k:]])
                missing[word] -= 1
        if not missing[word]:
            del missing[word]
    assert not missing, f"{sum(missing.values())} words lost: {list(missing.items())[:15]}"


def squash(text: str) -> str:
    """Letters and digits only: hyphenation, spacing and punctuation do not matter."""
    return re.sub(r"\W+", "", text.lower())


def footnote_placement(book: Book) -> tuple[int, int, list[str]]:
    """(notes, notes on the page of their call, descriptions of the others).

    A note is found by its first words (searching forward, as notes come in order); its
    call by the words just before it in the text."""
    from pipeline.writers.base import note_id, note_refs
    from pipeline.writers.pdf import PdfOptions, longest_note

    longest = longest_note(PdfOptions.from_meta(book.doc.meta))
    pages = [squash(p) for p in book.pages]
    heads = [len(squash(h)) for h in book.heads]
    where, total, same, misplaced = 0, 0, 0, []
    for ref in note_refs(book.doc.body):
        li = book.doc.notes.get(note_id(ref))
        note = squash("".join(li.itertext()))[:30]
        block = len("".join(li.itertext())) > longest   # set after its paragraph
        before = squash(text_before(ref, to_end=block))[-15:]
        if len(note) < 12 or len(before) < 8:
            continue
        # Notes come in order, but a long note set after its paragraph may follow the
        # page-foot notes of later calls in the same paragraph.
        start = where = max(where - 6, 0)
        while where < len(pages) and note not in pages[where]:
            where += 1
        assert where < len(pages), f"note {note!r} lost or out of order (after page {start + 1})"
        total += 1
        if before in pages[where] or before[-6:] in pages[where][:heads[where] + 40]:
            same += 1   # (the second: the call's word starts the page)
        else:
            misplaced.append(f"note {note_id(ref)} on page {where + 1}, call elsewhere")
    return total, same, misplaced


def text_before(ref, to_end: bool = False) -> str:
    """The text of the paragraph between the previous note call (or its start) and ``ref``
    (or, ``to_end``, the paragraph's end: where a long note is set)."""
    block = next(a for a in ref.iterancestors() if a.tag in {"p", "li", "div", "blockquote",
                                                            "h1", "h2", "h3", "h4", "h5", "h6"})
    out: list[str] = []

    def walk(el) -> bool:
        if el is ref and not to_end:
            return True
        if "footnote-ref" in (el.get("class") or ""):
            if not to_end:
                out.clear()
        else:
            out.append(el.text or "")
            if any(walk(child) for child in el):
                return True
        if el is not block:
            out.append(el.tail or "")
        return False
    walk(block)
    return "".join(out)

def check_outline(book: Book) -> None:
    want, open_levels = [], []     # a heading nests under the last one of a higher rank
    for h in book.doc.headings:
        while open_levels and open_levels[-1] >= h.level:
            open_levels.pop()
        want.append((len(open_levels), " ".join(h.title.split())))
        open_levels.append(h.level)
    got = [(depth, " ".join(title.split())) for depth, title, _ in book.outline]
    assert got == want
    for (_, title, page), depth_title in zip(book.outline, want):
        assert squash(title)[:30] in squash(book.pages[page]), f"bookmark {title!r} points elsewhere"


def unit_pages(book: Book) -> list[tuple[str, str, int]]:
    """(kind, title, page index) of every part and chapter, from the outline."""
    kinds = {c.id: c.kind for c in book.doc.chapters if c.kind in {"chapter", "part"}}
    return [(kinds[h.id], " ".join(h.title.split()), page)
            for h, (_, _, page) in zip(book.doc.headings, book.outline) if h.id in kinds]


def check_toc(book: Book) -> None:
    """Every contents line's number is the page where that heading is; a part, and a
    chapter that does not run on, opens its page: no running head, no folio; and on a
    right-hand page where the book asks for it."""
    from pipeline.document import contents_title, synopsis
    from pipeline.writers.pdf import TOC_ENTRIES, PdfOptions, openings

    chapters = [c for c in book.doc.chapters if c.kind in {"chapter", "part"}]
    if sum(c.kind == "chapter" for c in chapters) < 2:
        assert not book.toc, "a text with one chapter has no contents page"
        return
    parts = [c for c in chapters if c.kind == "part"]
    listed = parts if len(chapters) > TOC_ENTRIES and len(parts) > 1 else chapters
    toc = without_synopses(book.toc, [synopsis(c.element) for c in listed])
    # A title's final full stop cannot be told from the leader's dots.
    assert [t for t, _ in toc] == [
        " ".join(contents_title(c.title, c.element).split()).rstrip(" .") for c in listed]
    starts = dict(zip(("part", "chapter"), openings(book.doc, PdfOptions.from_meta(book.doc.meta))))
    for (title, number), unit in zip(toc, listed):
        page = number - 1
        assert squash(title)[:30] in squash(book.pages[page]), f"{title!r} is not on page {number}"
        if starts[unit.kind] != "run":
            assert book.heads[page] == "", f"running head on the opening of {title!r}"
            assert book.folios[page] == "", f"folio on the opening of {title!r}"
        assert page % 2 == 0 or starts[unit.kind] != "right", f"{title!r} opens on a left-hand page"


def without_synopses(toc: list[tuple[str, int]], synopses: list[str]) -> list[tuple[str, int]]:
    """The contents entries with each synopsis taken off the entry read after it (set under
    its own entry without a number, it reads as the start of the next one); every synopsis
    but the last must be there, in full, under its entry."""
    out = []
    for i, (title, number) in enumerate(toc):
        before = synopses[i - 1] if 0 < i <= len(synopses) else ""
        if before:
            want, k, n = squash(before), 0, 0
            while n < len(want) and k < len(title):   # cut after the synopsis' letters
                if re.match(r"\w", title[k]):
                    if title[k].lower() != want[n]:
                        break
                    n += 1
                k += 1
            assert n == len(want), \
                f"synopsis {before[:40]!r} is not under its entry (read {title[:60]!r})"
            title = title[k:].strip()
        out.append((title, number))
    return out


def fits(head: str, title: str) -> bool:
    """The running head is the title, or its start cut at a word and marked with '…'."""
    return head == title or (head.endswith("…") and title.startswith(head[:-1])
                             and len(head) > 20)


def check_running_heads(book: Book) -> None:
    """Left pages carry the book's title, right pages the current chapter (the current
    part when chapters run on); every page with text and a folio shows its own number."""
    from pipeline.writers.pdf import PdfOptions, chapter_start

    run_on = chapter_start(book.doc, PdfOptions.from_meta(book.doc.meta)) == "run"
    title = " ".join(book.doc.title.split())
    units = unit_pages(book)
    openings = {page for kind, _, page in units if kind == "part" or not run_on}
    start = min(openings, default=None)
    heading = "part" if run_on else "chapter"
    checked = 0
    for i, (head, folio) in enumerate(zip(book.heads, book.folios)):
        if folio:
            assert folio == str(i + 1), f"page {i + 1} is numbered {folio!r}"
        if not head:
            continue
        assert i not in openings, f"running head on chapter opening page {i + 1}"
        assert folio, f"page {i + 1} has a running head but no folio"
        if i % 2 == 1:
            assert fits(head, title), f"left page {i + 1} heads {head!r}"
        elif start is not None and i > start:
            current = ([t for kind, t, page in units if page <= i and kind == heading]
                       or [title])[-1]
            part = [t for kind, t, page in units if page <= i and kind == "part"][-1:]
            # a title several chapters share is named with its part: ACT I · SCENE II.
            assert fits(head, current) or part and fits(head, f"{part[0]} · {current}"), \
                f"right page {i + 1} heads {head!r}"
        checked += 1
    assert checked, "no running heads at all"


def check_pdf(book: Book, lang: str | None = None) -> None:
    root = book.reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == (lang or book.doc.language) and root["/Lang"] not in ("", "und")
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    info = book.reader.metadata
    assert info.title == book.doc.title and info.title
    if book.doc.authors:
        assert info.author == ", ".join(book.doc.authors)
    xmp = book.reader.xmp_metadata
    assert xmp.dc_title["x-default"] == book.doc.title
    assert b'pdfuaid:part="1"' in root["/Metadata"].get_data()
    fonts = subprocess.run(["pdffonts", str(book.path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts and all(re.search(r"\byes\s+yes\s+yes\b", f) for f in fonts), fonts
    assert any("Literata" in f for f in fonts), fonts


def check_size(book: Book, width_mm: float, height_mm: float, bleed_mm: float = 0) -> None:
    for page in book.reader.pages:
        media, trim = page.mediabox, page.trimbox
        assert abs(float(trim.width) - width_mm * MM) < 0.5
        assert abs(float(trim.height) - height_mm * MM) < 0.5
        assert abs(float(media.width) - (width_mm + 2 * bleed_mm) * MM) < 0.5
        assert abs(float(media.height) - (height_mm + 2 * bleed_mm) * MM) < 0.5


def check_book(book: Book) -> None:
    check_pdf(book)
    check_words(book)
    check_outline(book)
    check_toc(book)
    check_running_heads(book)


def same_bytes_in_a_fresh_process(book: Book, markdown_path: Path, tmp: Path) -> None:
    """A second build in another interpreter (other hash seed, other clock) is identical."""
    out = tmp / "again.pdf"
    code = ("import sys, pathlib; from pipeline.document import Document; "
            "from pipeline.writers.pdf import write_pdf; "
            "doc = Document.from_markdown(pathlib.Path(sys.argv[1]).read_text(), sys.argv[2]); "
            "pathlib.Path(sys.argv[3]).write_bytes(write_pdf(doc))")
    subprocess.run([sys.executable, "-c", code, str(markdown_path), book.doc.slug, str(out)],
                   check=True, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "random"})
    assert out.read_bytes() == book.data


# -- the fixtures -------------------------------------------------------------------
@pytest.fixture(scope="session")
def fixture_book(tmp_path_factory) -> Book:
    return make_book(tmp_path_factory.mktemp("pdf-book"), (FIXTURES / "book.md").read_text(),
                     "book")


@pytest.fixture(scope="session")
def speech_book(tmp_path_factory) -> Book:
    tmp = tmp_path_factory.mktemp("pdf-speech")
    markdown = normalized(SPEECH)
    (tmp / "speech.md").write_text(markdown)
    return make_book(tmp, markdown, "international-day-of-solidarity-2023")


def test_fixture_book(fixture_book):
    check_book(fixture_book)
    check_size(fixture_book, 148, 210)
    assert [t for t, _ in fixture_book.toc][:2] == ["Part One: Morning", "Chapter 1: The Shadow River"]


def test_fixture_front_matter(fixture_book):
    pages = [flat(p) for p in fixture_book.pages]
    assert pages[0] == "The Lantern and the Orchard"            # half-title
    assert pages[1] == ""                                        # its blank verso
    assert pages[2].startswith("Ada Fixture The Lantern and the Orchard A Test of Print")
    for label in ("Title", "Author", "Publisher", "Source", "Rights", "Identifier",
                  "This edition 1 March 2024", "Typeface Set in Literata"):
        assert label in pages[3], f"imprint lacks {label!r}"
    assert pages[4].startswith("Contents")


def test_fixture_footnotes_at_foot_of_their_page(fixture_book):
    total, same, misplaced = footnote_placement(fixture_book)
    assert total == 13 and same == 13, misplaced


def test_fixture_long_note_set_after_its_paragraph(fixture_book):
    """A note too long for the foot of a page (WeasyPrint cannot split one) follows its
    paragraph in small type, before the next paragraph, numbered like the others."""
    text = squash(" ".join(fixture_book.pages))
    section = fixture_book.doc.body.xpath('//section[h2[starts-with(., "Chapter 6")]]')[0]
    first, second = [squash("".join(p.itertext()))[:40] for p in section.findall("p")[:2]]
    note = squash("This long note runs on for a good while")
    assert text.index(first) < text.index(note) < text.index(second)
    assert squash("all of which the reader may safely pass over") in text


def test_fixture_verse_lines_stay_lines(fixture_book):
    lines = [ln.strip() for p in fixture_book.pages for ln in p.splitlines()]
    for verse in ("The lantern swung above the river,", "and the river kept its counsel;",
                  "with a letter in its hand."):
        assert verse in lines


def test_fixture_print_shop_options(tmp_path):
    """6×9 in with 3 mm bleed and crop marks, chapters on any page, an even page count,
    PDF/A-3u (which stays tagged and declares PDF/UA-1 too)."""
    book = make_book(tmp_path, (FIXTURES / "book.md").read_text(), "book", trim="6x9",
                     bleed="3mm", **{"crop-marks": True, "even-pages": True,
                                     "chapter-start": "any", "pdf-a": True})
    check_size(book, 152.4, 228.6, bleed_mm=3)
    assert len(book.reader.pages) % 2 == 0
    check_book(book)
    opens_left = [n for t, n in book.toc if t.startswith("Chapter") and n % 2 == 0]
    assert opens_left, "with chapter-start: any some chapter should open on a left page"
    xmp = book.reader.trailer["/Root"]["/Metadata"].get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="U"' in xmp
    assert "/OutputIntents" in book.reader.trailer["/Root"]


def test_fixture_rebuild_is_byte_identical(fixture_book, tmp_path):
    same_bytes_in_a_fresh_process(fixture_book, FIXTURES / "book.md", tmp_path)


def test_no_accessibility_claim_without_a_language(tmp_path):
    book = make_book(tmp_path, "---\ntitle: Untold\n---\n\nA text in no known language.\n", "x")
    root = book.reader.trailer["/Root"]
    assert "/StructTreeRoot" in root          # still tagged
    xmp = root["/Metadata"].get_data() if "/Metadata" in root else b""
    assert b"pdfuaid" not in xmp, "claims PDF/UA without a language"


def test_imprint_gives_first_publication_and_the_editions_own_date(monkeypatch, tmp_path):
    """The first publication when known; a Project Gutenberg date is the source's, so the
    edition's own date is the build's (SOURCE_DATE_EPOCH, read when the document is made),
    and none is invented without it: read back from the PDF, whose writer sets
    SOURCE_DATE_EPOCH to the document's date for fontTools while it writes."""
    markdown = ("---\ntitle: T\npublished: 1876\ndate: '2006-08'\nidentifier: "
                "https://www.gutenberg.org/ebooks/74\n---\n\n# One\n\nWords.\n")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    imprint = flat(" ".join(make_book(tmp_path, markdown, "t").pages))
    assert "First published 1876" in imprint and "This edition" not in imprint
    assert "Source https://www.gutenberg.org/ebooks/74 (August 2006)" in imprint
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1709251200")
    assert "This edition 1 March 2024" in flat(" ".join(make_book(tmp_path, markdown, "t").pages))


def test_options_are_checked():
    from pipeline.diagnostics import PipelineError
    from pipeline.writers.pdf import PdfOptions

    assert PdfOptions.from_meta({}).trim == "a5"
    assert PdfOptions.from_meta({"bleed": True}).bleed_mm == 3
    assert PdfOptions.from_meta({"bleed": "0.125in"}).bleed_mm == pytest.approx(3.175)
    for bad in ({"trim": "b5"}, {"bleed": "lots"}, {"chapter-start": "left"}):
        with pytest.raises(PipelineError):
            PdfOptions.from_meta(bad)


# -- the speech ---------------------------------------------------------------------
def test_speech(speech_book):
    check_book(speech_book)
    check_size(speech_book, 148, 210)
    pages = [flat(p) for p in speech_book.pages]
    assert pages[0] == flat(speech_book.doc.title), "page 1 is the title page"
    assert "Identifier" in pages[1] and "Contents" not in " ".join(pages)
    assert pages[2].startswith("We mark the international day"), "the text opens on page 3"
    assert speech_book.heads[2] == "" and speech_book.folios[2] == ""
    assert len(speech_book.outline) == 0 == len(speech_book.doc.headings)


def test_speech_letter_trim(tmp_path):
    book = make_book(tmp_path, normalized(SPEECH), "speech", trim="letter")
    check_size(book, 215.9, 279.4)
    check_words(book)


def test_speech_rebuild_is_byte_identical(speech_book, tmp_path_factory):
    tmp = tmp_path_factory.getbasetemp()
    md = next(tmp.glob("pdf-speech*/speech.md"))
    same_bytes_in_a_fresh_process(speech_book, md, tmp_path_factory.mktemp("again"))


# -- corpus texts ---------------------------------------------------------------------
@pytest.fixture(scope="session")
def corpus_books(tmp_path_factory):
    """Corpus texts built once per session, on demand."""
    built = {}

    def get(name: str) -> Book:
        if name not in built:
            tmp = tmp_path_factory.mktemp(f"pdf-{name}")
            built[name] = make_book(tmp, normalized(corpus_file(f"{name}.txt")), name)
        return built[name]
    return get


def test_title_page_lines_go_to_the_title_page(tmp_path):
    """A text's own title-page lines before its first heading are set on the title page,
    not alone on a page; an opening sentence stays in the text."""
    chapters = "".join(f"# Chapter {n}\n\nWords of chapter {n}.\n\n" for n in (1, 2, 3))
    head = "---\ntitle: The Orchard\nauthor: Ada Fixture\n---\n\n"
    book = make_book(tmp_path, head + "THE ORCHARD\n\nBy Ada Fixture\n\n" + chapters, "orchard")
    pages = [flat(page) for page in book.pages]
    title_page = next(i for i, page in enumerate(pages) if "By Ada Fixture" in page)
    assert "The Orchard" in pages[title_page] and "THE ORCHARD" in pages[title_page]
    assert not any("THE ORCHARD" in page for page in pages[title_page + 1:])
    (tmp_path / "kept").mkdir()
    kept = make_book(tmp_path / "kept", head + "It began in May.\n\n" + chapters, "orchard")
    pages = [flat(page) for page in kept.pages]
    contents = next(i for i, page in enumerate(pages) if page.startswith("Contents"))
    assert any("It began in May." in page for page in pages[contents + 1:])


def test_a_long_contents_without_parts_is_set_in_two_columns(tmp_path):
    """More entries than a few pages hold and no parts to fold them to: two columns, so the
    list takes half the pages, every entry listed with the page its chapter opens on."""
    from pipeline.writers.pdf import TOC_ENTRIES

    n = TOC_ENTRIES + 10
    names = ["Loomings", "The Carpet-Bag", "The Spouter-Inn", "Breakfast", "The Street"]
    chapters = "".join(f"# Chapter {k}. {names[k % 5]}\n\nWords of chapter {k}.\n\n"
                       for k in range(1, n + 1))
    book = make_book(tmp_path, "---\ntitle: Ninety\nlanguage: en\n---\n\n" + chapters, "ninety",
                     **{"chapter-start": "any"})
    pages = [flat(page) for page in book.pages]
    first = next(i for i, page in enumerate(pages) if page.startswith("Contents"))
    last = next(i for i in range(first, len(pages)) if f"Chapter {n}." in pages[i])
    assert last - first + 1 <= 2, f"contents on {last - first + 1} pages"
    listed = " ".join(pages[first:last + 1])
    opens = {k: next(i for i, page in enumerate(pages[last + 1:], last + 2)
                     if page.startswith(f"Chapter {k}. ")) for k in (1, n // 2, n)}
    for k, page in opens.items():
        assert re.search(rf"Chapter {k}\. {names[k % 5]}\s+{page}\b", listed), (k, page)


def check_blank_pages(book: Book) -> None:
    """Blank pages (no text, no folio) are under 3% of the book: only top-level divisions
    open on a right-hand page."""
    blank = [i + 1 for i, page in enumerate(book.pages) if not page.strip()]
    assert len(blank) <= 0.03 * len(book.pages), f"blank pages {blank} of {len(book.pages)}"


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["the-time-machine", "dickinson-poems", "hamlet",
                                  "tom-sawyer", "die-verwandlung-de"])
def test_corpus_text(corpus_books, name):
    check_book(corpus_books(name))
    check_blank_pages(corpus_books(name))


@pytest.mark.corpus
def test_corpus_poems_run_on_and_short_ones_stay_whole(corpus_books):
    """Poems run on, several to a page, and one of eight lines or fewer is never split."""
    book = corpus_books("dickinson-poems")
    poems = [c for c in book.doc.chapters if c.kind == "chapter"
             and c.element.xpath('.//div[contains(@class, "line-block")]')]
    assert len(poems) > 400 and len(book.pages) <= 0.6 * len(poems), len(book.pages)
    pages = {h.id: page for h, (_, _, page) in zip(book.doc.headings, book.outline)}
    short = 0
    for poem in poems:
        lines = [line for block in poem.element.xpath('.//div[contains(@class, "line-block")]')
                 for line in "".join(block.itertext()).splitlines() if line.strip()]
        if len(lines) <= 8 and not poem.element.xpath(".//p"):
            short += 1
            page = book.pages[pages[poem.id]]
            assert squash(lines[-1])[-30:] in squash(page), f"{poem.title!r} is split"
    assert short > 100


@pytest.mark.corpus
def test_corpus_footnotes_gibbon(corpus_books):
    book = corpus_books("decline-and-fall-vol1")
    check_book(book)
    total, same, misplaced = footnote_placement(book)
    assert total > 0.9 * len(book.doc.notes) > 900
    # WeasyPrint moves a call's line to the next page with its note when the note does not
    # fit; a note is never set on a page before its call.
    assert same >= 0.95 * total, misplaced[:10]


@pytest.mark.corpus
@pytest.mark.slow
def test_corpus_war_and_peace(corpus_books):
    check_book(corpus_books("war-and-peace"))


def test_inside_margin_grows_with_page_count():
    """Thicker books get a wider gutter; the estimate needs no layout."""
    from types import SimpleNamespace

    from lxml import etree

    from pipeline.fonts import typefaces
    from pipeline.writers.pdf import PdfOptions, page_css

    def inside_mm(chars: int, direction="ltr") -> float:
        body = etree.fromstring(f"<div><p>{'word ' * (chars // 5)}</p></div>")
        doc = SimpleNamespace(body=body, notes={}, chapters=[], title="T", language="en",
                              direction=direction, fonts=typefaces("en"))
        css = page_css(doc, PdfOptions())
        left, right = re.search(r"@page :right \{ margin-left: ([\d.]+)mm; margin-right: ([\d.]+)mm",
                                css).groups()
        return float(left if direction == "ltr" else right)   # rtl: bound on the right

    margins = [inside_mm(n) for n in (50_000, 500_000, 1_000_000, 3_000_000)]
    assert margins == sorted(margins) and margins[-1] - margins[0] >= 6, margins
    assert [inside_mm(n, "rtl") for n in (50_000, 3_000_000)] == [margins[0], margins[-1]]


def test_lost_notes_are_detected_and_set_in_the_text():
    """WeasyPrint now and then drops a note it deferred to the next page (seen once in War
    and Peace); the writer sees which floated notes reached a footnote area and sets any
    missing one after its paragraph instead."""
    from pipeline.document import Document
    from pipeline.writers.pdf import PdfOptions, book_html, lay_out, placed_notes

    doc = Document.from_markdown((FIXTURES / "book.md").read_text(), "book")
    options = PdfOptions.from_meta(doc.meta)
    html, floating = book_html(doc, options)
    assert len(floating) == 12 and placed_notes(lay_out(html, doc.fonts.directory)) == floating
    html, floating = book_html(doc, options, frozenset({"fn1"}))
    assert "fn1" not in floating and 'id="note-fn1"' in html


# -- long books: laid out in parts at once, bound into one PDF -------------------------
def pdf_structure(path: Path) -> dict:
    """What binding must keep whole: every page's and link's key in the structure tree's
    parent tree, structure elements on pages of this file, links that land, an outline."""
    import pikepdf

    pdf = pikepdf.open(path)
    root, pages = pdf.Root, {page.objgen: i for i, page in enumerate(pdf.pages)}
    tree = root.StructTreeRoot
    keys = {int(k) for k in tree.ParentTree.Nums[::2]}
    names = root.Names.Dests.Names
    dests = dict(zip((str(n) for n in names[::2]), names[1::2]))
    assert list(dests) == sorted(dests), "the name tree must be sorted"
    links = []
    for i, page in enumerate(pdf.pages):
        assert int(page.obj.StructParents) in keys, f"page {i + 1} is not in the parent tree"
        for annot in page.obj.get("/Annots", []):
            assert int(annot.StructParent) in keys, f"a link on page {i + 1} is untagged"
            dest = annot.get("/Dest")
            assert dest is not None, f"a link on page {i + 1} goes nowhere: {annot.get('/A')}"
            target = dests[str(dest)] if isinstance(dest, pikepdf.String) else dest
            links.append((i, pages[target[0].objgen]))
    document = tree.K if isinstance(tree.K, pikepdf.Dictionary) else tree.K[0]
    elements, stack = [], [document]
    while stack:
        element = stack.pop()
        if isinstance(element, pikepdf.Array):
            stack.extend(element)
        elif isinstance(element, pikepdf.Dictionary) and "/S" in element:
            if "/Pg" in element:
                assert element.Pg.objgen in pages, "a structure element on a foreign page"
            elements.append(str(element.S))
            stack.append(element.get("/K", pikepdf.Array()))
    assert all(kid.P.objgen == document.objgen for kid in document.K)
    return {"links": links, "elements": Counter(elements), "outline": int(root.Outlines.Count)}


def rasters(path: Path, tmp: Path) -> list[bytes]:
    subprocess.run(["pdftoppm", "-r", "20", "-gray", str(path), str(tmp / path.stem)], check=True)
    return [p.read_bytes() for p in sorted(tmp.glob(f"{path.stem}-*.pgm"))]


def right_hand_book(tmp: Path, parts: int) -> Book:
    """The fixture book with parts and chapters on right-hand pages, in ``parts`` parts."""
    head, body = (FIXTURES / "book.md").read_text().split("\n---\n", 1)
    markdown = head + f"\npdf-parts: {parts}\nchapter-start: right\n---\n" + body
    (tmp / "book.md").write_text(markdown)
    return make_book(tmp, markdown, "book")


@pytest.fixture(scope="session")
def parts_book(tmp_path_factory) -> Book:
    return right_hand_book(tmp_path_factory.mktemp("pdf-parts"), 3)


def test_parts_are_cut_where_a_right_hand_page_opens():
    from pipeline.document import Document
    from pipeline.writers import pdf_parts
    from pipeline.writers.pdf import PdfOptions, part_starts

    doc = Document.from_markdown((FIXTURES / "book.md").read_text(), "book")
    assert part_starts(doc, PdfOptions()) is None                  # short: one piece
    assert part_starts(doc, PdfOptions(parts=1)) is None
    assert part_starts(doc, PdfOptions(parts=3)) == ["part-two-evening"]
    long_book = "\n\n".join(f"# Chapter {i}\n\n" + "Words of a long chapter. " * 2000
                            for i in range(1, 41))
    doc = Document.from_markdown(long_book, "long")
    starts = part_starts(doc, PdfOptions())
    expected = round(len("".join(doc.body.itertext())) / pdf_parts.PART_CHARS)
    assert len(starts) + 1 == expected > 2 and all(s.startswith("chapter-") for s in starts)
    # A chapter opening the next page is a place to cut (padded to a right-hand page);
    # chapters that run on are not.
    assert part_starts(doc, PdfOptions(chapter_start="any")) == starts
    assert part_starts(doc, PdfOptions(chapter_start="run")) is None


def test_parts_bind_into_the_same_book(parts_book, tmp_path):
    """Laid out in two parts at once, the book is the book laid out in one piece: the
    same pages, pixel for pixel, with folios and contents numbers carried across parts.
    (Each part opens on a right-hand page, so the same holds where the cuts open right.)"""
    (tmp_path / "book").mkdir()
    fixture_book = right_hand_book(tmp_path / "book", 1)
    assert parts_book.pages == fixture_book.pages
    (tmp_path / "one").mkdir(), (tmp_path / "parts").mkdir()
    assert rasters(parts_book.path, tmp_path / "parts") == rasters(fixture_book.path, tmp_path / "one")
    check_book(parts_book)
    one, bound = pdf_structure(fixture_book.path), pdf_structure(parts_book.path)
    assert bound["links"] == one["links"] and len(one["links"]) > 10
    assert bound["outline"] == one["outline"] == len(parts_book.doc.headings)
    # Each part's <main> and the padding page of the first part are the only additions.
    extra = bound["elements"] - one["elements"]
    assert set(extra) <= {"/Part", "/Div"} and sum(extra.values()) <= 3, extra
    assert not one["elements"] - bound["elements"]


def test_parts_rebuild_is_byte_identical(parts_book, tmp_path_factory):
    md = next(tmp_path_factory.getbasetemp().glob("pdf-parts*/book.md"))
    same_bytes_in_a_fresh_process(parts_book, md, tmp_path_factory.mktemp("parts-again"))


def test_a_failing_part_fails_the_build(monkeypatch):
    from pipeline.document import Document
    from pipeline.writers import pdf_parts
    from pipeline.writers.pdf import write_pdf

    laid_out = pdf_parts.lay_out_part

    def failing(html_for, pad, fonts):
        if "Part Two" in html_for(frozenset()) and "Contents" not in html_for(frozenset()):
            raise MemoryError
        return laid_out(html_for, pad, fonts)

    monkeypatch.setattr(pdf_parts, "lay_out_part", failing)
    markdown = (FIXTURES / "book.md").read_text().replace("language: en", "language: en\npdf-parts: 2")
    with pytest.raises(MemoryError):
        write_pdf(Document.from_markdown(markdown, "book"))


@pytest.mark.parametrize("slots, others, most", [(1, 0, 1), (2, 1, 1), (3, 0, 2)])
def test_parts_share_the_builds_pool(monkeypatch, tmp_path, slots, others, most):
    """A book's parts are laid out within the build's one pool: the text's own slot and
    the spare ones (``others``: slots held by other texts), never more at once."""
    import os
    import time

    from pipeline import pool
    from pipeline.document import Document
    from pipeline.writers import pdf_parts
    from pipeline.writers.pdf import write_pdf

    laid_out, log = pdf_parts.lay_out_part, tmp_path / "log"

    here = os.getpid()

    def timed(html_for, pad, *fonts):
        started = time.monotonic()
        result = laid_out(html_for, pad, *fonts)
        if os.getpid() != here:                     # a part (the front matter is set here)
            with open(log, "a") as f:
                f.write(f"{started} {time.monotonic()}\n")
        return result

    monkeypatch.setattr(pdf_parts, "lay_out_part", timed)
    markdown = (FIXTURES / "book.md").read_text().replace("language: en", "language: en\npdf-parts: 2")
    pool.share(slots)
    try:
        assert pool.take()                          # the slot the build gives this text
        for _ in range(others):
            assert pool.take()
        write_pdf(Document.from_markdown(markdown, "book"))
        free = slots - 1 - others                   # every slot lent to a part came back
        assert all(pool.take() for _ in range(free)) and not pool.take()
    finally:
        pool.close()
    spans = [tuple(map(float, line.split())) for line in log.read_text().splitlines()]
    assert len(spans) == 2
    overlap = max(sum(s <= t < e for s, e in spans) for t, _ in spans)
    assert overlap == most
