"""The print edition: paged-media HTML laid out by WeasyPrint into a tagged PDF.

The book is front matter (half-title, title page, imprint, contents), then the text with
parts and chapters on their own pages.  Page geometry and the print-shop options (trim,
bleed, crop marks, even page count, chapter start, PDF/A) come from the document's
metadata; everything typographic lives in print.css.
"""
from __future__ import annotations

import copy
import datetime as _dt
import os
import re
from dataclasses import dataclass

from lxml import etree

from .. import fonts
from ..document import HEADINGS, contents_title, date_text, synopsis
from ..diagnostics import error
from . import pdf_parts as parts
from .pdf_parts import lay_out, pad_to_even, placed_notes
from .base import Format, Output, css, note_id, note_refs, render, to_html, verse_lines
from .patches import cached_page_references, declare_ua, source_date

# Trim sizes: (width, height) in mm, body font size in pt.
TRIMS = {
    "a5": (148, 210, 10), "a4": (210, 297, 11.5), "letter": (215.9, 279.4, 11.5),
    "6x9": (152.4, 228.6, 10.5), "5.5x8.5": (139.7, 215.9, 10),
}
# Gutter added to the inside margin by page count, the way printers ask for it: thicker
# books open less flat.  (pages up to, extra mm)
GUTTER = ((150, 0), (300, 2), (500, 4), (700, 6), (10**9, 8))
CHARS_PER_PAGE = 2300     # at A5/10 pt with notes and headings; scaled by text area
LINE_CHARS = 66           # in a line at A5/10 pt (a stanza's space after counts as a line)
STARTS = ("auto", "right", "any", "run")    # where a chapter opens: see openings()
PART_PAGES = 40           # a part this long on average may cost a blank page to open right
TOC_ENTRIES = 80          # about three pages of contents; past that, parts alone are listed
SHORT_LINES = 8           # a poem of this many lines or fewer is never split across pages


@dataclass(frozen=True)
class PdfOptions:
    trim: str = "a5"
    bleed_mm: float = 0
    crop_marks: bool = False
    even_pages: bool = False
    chapter_start: str = "auto"       # "right", "any", "run", or "auto": from the book's shape
    pdf_a: bool = False
    parts: int = 0                    # laid out in this many parts at once; 0: by length

    @classmethod
    def from_meta(cls, meta: dict) -> PdfOptions:
        return cls(trim=parse_trim(meta.get("trim")), bleed_mm=parse_bleed(meta.get("bleed")),
                   crop_marks=truthy(meta.get("crop-marks")),
                   even_pages=truthy(meta.get("even-pages")),
                   chapter_start=parse_start(meta.get("chapter-start")),
                   pdf_a=truthy(meta.get("pdf-a")), parts=parse_parts(meta.get("pdf-parts")))


def parse_trim(value) -> str:
    trim = str(value or "a5").lower().replace("×", "x").replace(" ", "")
    if trim not in TRIMS:
        raise error("<metadata>", None, "E-PDF-TRIM", f"unknown trim `{value}`; use one of {', '.join(TRIMS)}")
    return trim


def parse_start(value) -> str:
    start = str(value or "auto").lower()
    if start not in STARTS:
        raise error("<metadata>", None, "E-PDF-START",
                    f"chapter-start must be one of {', '.join(STARTS)}, not `{start}`")
    return start


def truthy(value) -> bool:
    return value is True or str(value).lower() in {"true", "yes", "1", "on"}


def parse_parts(value) -> int:
    if value in (None, "", "auto"):
        return 0
    if isinstance(value, bool) or not str(value).isdigit() or int(value) < 1:
        raise error("<metadata>", None, "E-PDF-PARTS",
                    f"pdf-parts must be a whole number of parts (1 or more), not `{value}`")
    return int(value)


def parse_bleed(value) -> float:
    """`true` means the usual 3 mm; a number is millimetres; `0.125in`, `9pt` work too."""
    if value in (None, False, "", "false", "no", "0"):
        return 0.0
    if value is True or str(value).lower() in {"true", "yes", "on"}:
        return 3.0
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(mm|cm|in|pt)?\s*", str(value))
    if not m:
        raise error("<metadata>", None, "E-PDF-BLEED",
                    f"bleed must be a length such as `3mm` or `0.125in`, not `{value}`")
    return float(m.group(1)) * {"mm": 1, "cm": 10, "in": 25.4, "pt": 25.4 / 72}[m.group(2) or "mm"]


# -- the page ---------------------------------------------------------------------------
def css_string(text: str) -> str:
    return '"' + re.sub(r'["\\\n]', lambda m: "\\" + format(ord(m.group()), "x") + " ", text) + '"'


def text_pages(doc, options: PdfOptions) -> float:
    """About how many pages the text and its notes fill, openings left out.  A line of
    verse fills a line, however short."""
    chars = len("".join(doc.body.itertext())) + sum(len("".join(li.itertext()))
                                                    for li in doc.notes.values())
    for block in doc.body.xpath('.//div[contains(concat(" ", @class, " "), " line-block ")]'):
        chars += (len(block.findall("br")) + 2) * LINE_CHARS - len("".join(block.itertext()))
    return chars / page_chars(options)


def estimate_pages(doc, options: PdfOptions) -> int:
    """About how many pages the book makes: front matter, text, and what the openings
    cost (half a page on average for a new page, one and a half for a right-hand one)."""
    cost = {"right": 1.5, "any": 0.5, "run": 0}
    part, chapter = openings(doc, options)
    return int(text_pages(doc, options) + 6 + sum(cost[part if c.kind == "part" else chapter]
                                                  for c in doc.chapters))


def page_chars(options: PdfOptions) -> float:
    """About how many characters of running text fill a page."""
    width, height, size = TRIMS[options.trim]
    return CHARS_PER_PAGE * (width * height) / (148 * 210) * (10 / size) ** 2


def longest_note(options: PdfOptions) -> int:
    """Characters beyond which a note cannot be trusted to fit at the foot of a page."""
    return int(page_chars(options) * 0.5)


def openings(doc, options: PdfOptions) -> tuple[str, str]:
    """Where parts and chapters open: "right" (a right-hand page), "any" (the next page)
    or "run" (on the same page, below the text before).

    A blank left-hand page is paid only for a top-level division long enough to carry it:
    parts open on the right when they average PART_PAGES pages or more.  Chapters open on
    the next page, or run on when most are shorter than a page (poems, short sections),
    unless chapter-start says otherwise (`right` puts parts and chapters on the right).
    """
    start = options.chapter_start
    if start == "right":
        return "right", "right"
    parts = sum(c.kind == "part" for c in doc.chapters)
    long_parts = parts and text_pages(doc, options) / parts >= PART_PAGES
    part = "right" if long_parts else "any"
    if start != "auto":
        return part, start
    lengths = sorted(len("".join(c.element.itertext())) for c in doc.chapters
                     if c.kind == "chapter")
    short = lengths and lengths[len(lengths) // 2] < 0.75 * page_chars(options)
    return part, "run" if short else "any"


def chapter_start(doc, options: PdfOptions) -> str:
    """Where chapters open ("right", "any" or "run")."""
    return openings(doc, options)[1]


def page_css(doc, options: PdfOptions) -> str:
    width, height, size = TRIMS[options.trim]
    scale = width / 148
    pages = estimate_pages(doc, options)
    gutter = next(extra for limit, extra in GUTTER if pages <= limit)
    top, outside, bottom, inside = 17 * scale, 15 * scale, 20 * scale, 18 * scale + gutter
    bleed = f"bleed: {options.bleed_mm:g}mm;" if options.bleed_mm else ""
    marks = "marks: crop;" if options.crop_marks else ""
    part, chapter = openings(doc, options)
    # A right-to-left book is bound on the right: its gutter is on the other side.
    left, right = (inside, outside) if doc.direction == "rtl" else (outside, inside)
    digits = FOLIO_DIGITS.get(doc.language.split("-")[0].lower())
    folios = f"@page {{ @bottom-center {{ content: counter(page, {digits}); }} }}" if digits else ""
    return folios + f"""
html {{ font-size: {size}pt; font-family: {fonts.FAMILY}, {fallback_family(doc)}serif; }}
@page {{ size: {width}mm {height}mm; margin: {top:.1f}mm {outside:.1f}mm {bottom:.1f}mm {inside:.1f}mm;
        {bleed} {marks} }}
@page :left {{ margin-left: {left:.1f}mm; margin-right: {right:.1f}mm;
        @top-center {{ content: {css_string(running_head(doc.title, options))}; }} }}
@page :right {{ margin-left: {right:.1f}mm; margin-right: {left:.1f}mm; }}
.part {{ break-before: {"right" if part == "right" else "page"}; }}
main {{ break-before: {"right" if "right" in (part, chapter) else "page"}; }}
.part-title {{ padding-top: {height * 0.25:.0f}mm; }}
.title-page {{ padding-top: {height * 0.14:.0f}mm; }}
""" + ("""
.chapter { page: body; }
.chapter-title { font-size: 1.1em; margin: 2em 0 1em; margin-break: discard; string-set: none; }
.part-title { string-set: chapter attr(data-running); }
""" if chapter == "run" else f"""
.chapter {{ break-before: {"right" if chapter == "right" else "page"}; }}
.chapter-title {{ padding-top: {height * 0.16:.0f}mm; }}
""")


# Folios in the digits a language's books use (Persian ۱۲۳, Arabic ١٢٣).
FOLIO_DIGITS = {"fa": "persian", "ar": "arabic-indic", "ur": "persian"}


def running_head(title: str, options: PdfOptions) -> str:
    """A title short enough for one line of the running head, cut at a word with '…'."""
    room = int(58 * TRIMS[options.trim][0] / 148)
    if len(title) <= room:
        return title
    return title[:room - 1].rsplit(" ", 1)[0].rstrip(" ,;:.—–-") + "…"


def fallback_family(doc) -> str:
    """A serif for scripts Literata lacks (Debian's Noto CJK, or a typeface from PyPI for
    Arabic and Hebrew scripts), in the text's own variant."""
    lang = doc.language.lower()
    script = doc.fonts.script
    if script:
        return f'"{script[0]}", '
    if lang.startswith("zh"):
        simplified = any(t in lang for t in ("hans", "-cn", "-sg"))
        return '"Noto Serif CJK SC", ' if simplified else '"Noto Serif CJK TC", '
    return {"ja": '"Noto Serif CJK JP", ', "ko": '"Noto Serif CJK KR", '}.get(lang[:2], "")


def font_css(typefaces: fonts.Typefaces) -> str:
    script = typefaces.script
    families = [(fonts.FAMILY, typefaces.faces), *([script[0::2]] if script else [])]
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; src: url("{face.path.as_uri()}"); '
        f"font-weight: {face.weight}; font-style: {face.style}; }}"
        for family, faces in families for face in faces)


# -- the body -------------------------------------------------------------------------
BLOCKS = {"p", "div", "blockquote", "li", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "table",
          "figure", "pre"}


def place_notes(body, notes, longest: int, as_blocks: frozenset = frozenset()) -> set[str]:
    """Put each note where it is referenced, numbered afresh in each chapter.

    A note becomes a span WeasyPrint floats to the foot of the page.  WeasyPrint floats
    only inline content well, so its paragraphs become runs separated by line breaks; and
    it cannot split a note across pages (an overlong one overflows the page and is lost),
    so a note longer than ``longest`` characters is set instead as a block of small type
    after the paragraph that calls it (so is any note in ``as_blocks``).  Returns the ids
    of the notes left to float.
    """
    number, unit, floating = 0, None, set()
    for ref in note_refs(body):
        section = next((a for a in ref.iterancestors("section")
                        if {"chapter", "part"} & set((a.get("class") or "").split())), None)
        if section is not unit:
            number, unit = 0, section
        number += 1
        li = notes.get(note_id(ref))
        blocks = ([b for b in li if b.tag in BLOCKS] or [li]) if li is not None else []
        if len("".join(li.itertext()) if li is not None else "") <= longest \
                and note_id(ref) not in as_blocks:
            floating.add(note_id(ref))
            note = etree.Element("span", {"class": "footnote", "data-n": str(number),
                                          "data-note": note_id(ref)})
            for i, block in enumerate(blocks):
                block = copy.deepcopy(block)
                if i:
                    etree.SubElement(note, "br").tail = block.text
                else:
                    note.text = block.text
                note.extend(list(block))
            note.tail = ref.tail
            ref.getparent().replace(ref, note)
            continue
        anchor = f"note-{note_id(ref)}"
        call = etree.Element("a", {"class": "note-call", "href": f"#{anchor}"})
        call.text, call.tail = str(number), ref.tail
        ref.getparent().replace(ref, call)
        aside = etree.Element("aside", {"class": "long-note", "id": anchor})
        for i, block in enumerate(blocks):
            block = copy.deepcopy(block)
            if block.tag != "p":
                block.tag, block.attrib["class"] = "p", ""
            if i == 0:
                mark = etree.Element("span", {"class": "note-number"})
                mark.text, mark.tail = str(number), block.text
                block.text = None
                block.insert(0, mark)
            aside.append(block)
        paragraph = next(a for a in call.iterancestors() if a.tag in BLOCKS or a.tag == "section")
        while paragraph.getparent().tag in {"blockquote", "li", "ol", "ul", "dd", "dl", "table"}:
            paragraph = paragraph.getparent()
        paragraph.addnext(aside)
    return floating


def split_verse(body) -> None:
    """One block per verse line, so a line too long for the measure gets a hanging indent.

    A stanza of up to twelve lines is kept on one page, and so is a chapter of at most
    SHORT_LINES lines of verse (a short poem); longer ones break between stanzas first.
    """
    for block in body.xpath('.//div[contains(concat(" ", @class, " "), " line-block ")]'):
        lines = [line for line in verse_lines(block) if line.text or len(line)]
        for line in lines:
            line.tail = "\n"
            block.append(line)
        if len(lines) <= 12:
            block.set("class", block.get("class") + " keep")
    for section in body.xpath('.//section[contains(concat(" ", @class, " "), " chapter ")]'):
        lines = section.xpath('.//span[@class="verse-line"]')
        if lines and len(lines) <= SHORT_LINES and not section.xpath(".//p"):
            section.set("class", section.get("class") + " keep")


def mark_structure(doc, body, options: PdfOptions) -> list[dict]:
    """Class the sections (part/chapter) and headings; return the contents entries."""
    kinds = {c.id: c.kind for c in doc.chapters}
    titles = [" ".join(c.title.split()) for c in doc.chapters if c.kind == "chapter"]
    levels = [int(h.tag[1]) for h in body.iter(*HEADINGS)]
    top = min(levels, default=1)
    entries = []
    for h in body.iter(*HEADINGS):
        section = h.getparent()
        title = heading_text(h)
        h.set("data-title", title)
        # A title several chapters share (SCENE II. in each act) is named with its part.
        part = next((a for a in section.iterancestors("section")
                     if kinds.get(a.get("id")) == "part"), None)
        running = title
        if part is not None and titles.count(title) > 1:
            running = f"{heading_text(next(part.iter(*HEADINGS)))} · {title}"
        h.set("data-running", running_head(running, options))
        classes = [f"bookmark{int(h.tag[1]) - top + 1}"]
        kind = kinds.get(section.get("id")) if section.tag == "section" else None
        if kind in {"part", "chapter"} and h is next(section.iter(*HEADINGS)):
            section.set("class", f"{section.get('class', '')} {kind}".strip())
            classes.append(f"{kind}-title")
            entries.append({"id": section.get("id"), "title": contents_title(title, section),
                            "kind": kind, "synopsis": synopsis(section)})
        h.set("class", " ".join([h.get("class", ""), *classes]).strip())
    return entries


def heading_text(h) -> str:
    parts = [h.text or ""]
    for child in h:
        if "footnote-ref" not in (child.get("class") or ""):
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


# -- the PDF --------------------------------------------------------------------------


def imprint(doc, options: PdfOptions) -> list[tuple[str, str]]:
    meta = doc.meta
    rows = [("Title", doc.title + (f": {meta['subtitle']}" if meta.get("subtitle") else ""))]
    for label, key in (("Author", "author"), ("Translator", "translator"),
                       ("Editor", "editor"), ("Illustrator", "illustrator")):
        names = meta.get(key)
        if names:
            rows.append((label, ", ".join(map(str, names)) if isinstance(names, list)
                         else str(names)))
    if doc.published:
        rows.append(("First published", doc.published))
    if meta.get("publisher"):
        rows.append(("Publisher", str(meta["publisher"])))
    # An identifier that is a web address names the source this edition was made from;
    # its date is then the source's (a Project Gutenberg release), not this edition's.
    address = str(meta.get("identifier") or "")
    address = address if re.match(r"https?://", address) else ""
    source = str(meta.get("source") or address)
    dated = bool(meta.get("date") and address)
    if source:
        rows.append(("Source", source + (f" ({date_text(meta['date'])})" if dated else "")))
    if meta.get("rights"):
        rows.append(("Rights", str(meta["rights"])))
    if not address:
        rows.append(("Identifier", doc.identifier))
    if dated:       # the date is the source's: the edition's own is the build's, if given
        if doc.epoch is not None:
            rows.append(("This edition",
                         date_text(_dt.datetime.fromtimestamp(doc.epoch, _dt.UTC).date())))
    elif doc.date_given:                  # given, or the build's SOURCE_DATE_EPOCH
        rows.append(("This edition", date_text(meta.get("date") or doc.date.date())))
    size = TRIMS[options.trim][2]
    script = doc.fonts.script
    also = f", and in {script[0]}, designed by {script[1]}" if script else ""
    rows.append(("Typeface", f"Set in {fonts.FAMILY}, designed by TypeTogether, at {size:g} pt"
                 + also))
    return rows


def prepare(doc, options: PdfOptions, as_blocks: frozenset = frozenset()):
    """The book's body made ready for paged media, its contents entries, and the ids of
    its notes set as page-foot floats."""
    body = doc.body_copy()
    for p in title_page_lines(body, doc):      # set on the title page instead
        body.remove(p)
    entries = mark_structure(doc, body, options)
    split_verse(body)
    number_lists(body)
    floating = place_notes(body, doc.notes, longest_note(options), as_blocks)
    return body, entries, floating


LIST_TYPES = {"a": "lower-alpha", "A": "upper-alpha", "i": "lower-roman", "I": "upper-roman",
              "1": "decimal"}


def number_lists(body) -> None:
    """WeasyPrint ignores ``type`` and ``start`` on <ol>: a list numbered a., iv., or from
    7 says so in its own style (the web and e-book editions read the attributes)."""
    for ol in body.iter("ol"):
        style = []
        if ol.get("type") in LIST_TYPES:
            style.append(f"list-style-type: {LIST_TYPES[ol.get('type')]}")
        start = ol.get("start") or ""
        if start.lstrip("-").isdigit() and int(start) != 1:
            style.append(f"counter-reset: list-item {int(start) - 1}")
        if style:
            ol.set("style", "; ".join(style))


TITLE_LINE_CHARS = 60     # a text's own title-page lines are a few short lines


def title_page_lines(body, doc) -> list:
    """The lines a book's text opens with before its first heading when they are a
    title page's (THE TRAGEDY OF HAMLET, PRINCE OF DENMARK; By Mark Twain): a few short
    lines, none a sentence, and nothing else.  The print edition sets them on its title
    page, below the title, rather than alone on a page of their own; an opening note or
    a dedication (a sentence) stays in the text."""
    lead = []
    for el in body:
        if el.tag == "section":
            break
        lead.append(el)
    chapters = sum(c.kind == "chapter" for c in doc.chapters)
    lines = [" ".join("".join(p.itertext()).split()) for p in lead]
    if chapters < 2 or not lead or len(lead) > 6 \
            or any(p.tag != "p" or p.xpath(".//a | .//img") for p in lead) \
            or any(not line or len(line) > TITLE_LINE_CHARS or line[-1] in ".!?:;"
                   for line in lines):
        return []
    return lead


def page_html(doc, options: PdfOptions, entries, body: str | None, front: bool = True,
              running: bool = True) -> str:
    """The paged-media HTML: front matter (when ``front``) and the body (unless None);
    ``running``: the running head starts as the book's title."""
    chapters = [e for e in entries if e["kind"] == "chapter"]
    subjects = doc.meta.get("subjects") or []
    lines = [to_html(p) for p in title_page_lines(doc.body, doc)]
    toc = contents(entries) if len(chapters) > 1 else []
    return render("pdf.html", doc=doc, body=body, front=front, title_lines=lines,
                  toc=toc, toc_columns=len(toc) > TOC_ENTRIES, book=len(chapters) > 1,
                  imprint=imprint(doc, options),
                  running=running and running_head(doc.title, options),
                  keywords=", ".join(map(str, subjects)) if isinstance(subjects, list) else subjects,
                  date=doc.date.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  stylesheet="\n".join([font_css(doc.fonts), css("base.css", "print.css"),
                                        page_css(doc, options)]))


def contents(entries: list[dict]) -> list[dict]:
    """The print contents: every part and chapter, or only the parts when listing every
    chapter would run past a few pages (the e-book's navigation lists them all); a long
    list without parts to fold it to is set in two columns (``toc_columns``: Moby-Dick's
    138 chapters, 6 pages in one column, take 3)."""
    parts = [e for e in entries if e["kind"] == "part"]
    return parts if len(entries) > TOC_ENTRIES and len(parts) > 1 else entries


def book_html(doc, options: PdfOptions, as_blocks: frozenset = frozenset()) -> tuple[str, set]:
    """The paged-media HTML of the book, and the ids of its notes set as page-foot floats."""
    body, entries, floating = prepare(doc, options, as_blocks)
    return page_html(doc, options, entries, to_html(body)), floating


def variant(doc, options: PdfOptions) -> str | None:
    # WeasyPrint claims PDF/UA-1 even without a language; claim it only when it holds.
    accessible = doc.language not in ("", "und")
    return "pdf/a-3u" if options.pdf_a else "pdf/ua-1" if accessible else None


def part_starts(doc, options: PdfOptions) -> list[str] | None:
    """The ids of the top-level divisions that open the second and later parts, or None
    when the book is set in one piece (short, asked for, or no place to cut)."""
    kids = list(doc.body)
    sizes = [len("".join(kid.itertext())) for kid in kids]
    total = sum(sizes)
    count = options.parts or (max(2, round(total / parts.PART_CHARS))
                             if total >= parts.SPLIT_FROM else 1)
    if count < 2 or not hasattr(os, "fork"):
        return None
    kinds = {c.id: c.kind for c in doc.chapters}
    # Each part of the layout opens on a right-hand page (the one before is padded): cut
    # at the book's parts if it has any, else at chapters that open a page of their own.
    kind = "part" if any(kinds.get(kid.get("id")) == "part" for kid in kids) else \
        "chapter" if chapter_start(doc, options) != "run" else None

    def opens_right(kid) -> bool:
        return kid.tag == "section" and kinds.get(kid.get("id")) == kind

    starts: list[str] = []
    before = 0
    for kid, size in zip(kids, sizes):
        if before and opens_right(kid) and before + size / 2 >= (len(starts) + 1) * total / count:
            starts.append(kid.get("id"))
        before += size
    return starts or None


def write_pdf(doc, options: PdfOptions | None = None) -> bytes:
    options = options or PdfOptions.from_meta(doc.meta)
    with source_date(doc):
        starts = part_starts(doc, options)
        bound = parts.write(doc, options, starts, SETTER) if starts else None
        if bound:
            return bound
        html, floating = book_html(doc, options)
        document = lay_out(html, doc.fonts.directory)
        lost = floating - placed_notes(document)
        if lost:   # WeasyPrint drops a deferred note now and then: set those in the text
            html, _ = book_html(doc, options, frozenset(lost))
            document = lay_out(html, doc.fonts.directory)
        if options.even_pages and len(document.pages) % 2:
            document = pad_to_even(document, html, doc.fonts.directory)
        return to_pdf(doc, options, document)


def to_pdf(doc, options: PdfOptions, document) -> bytes:
    if options.pdf_a and doc.language not in ("", "und"):
        declare_ua(document)
    with cached_page_references():
        return document.write_pdf(pdf_variant=variant(doc, options), pdf_tags=True,
                                  pdf_identifier=doc.identifier.encode(),
                                  finisher=bound_on_the_right if doc.direction == "rtl" else None)


def bound_on_the_right(document, pdf) -> None:
    """A right-to-left book: viewers show its spreads right to left (/Direction /R2L)."""
    import pydyf

    prefs = pdf.catalog.get("ViewerPreferences") or pydyf.Dictionary()
    prefs["Direction"] = "/R2L"
    pdf.catalog["ViewerPreferences"] = prefs


def page_count(pdf: bytes) -> int | None:
    import io

    from pypdf import PdfReader

    try:
        return len(PdfReader(io.BytesIO(pdf)).pages)
    except Exception:           # the count is for the build's summary only
        return None


# What the parts of a long book need of this writer (pdf_parts never imports it).
SETTER = parts.Setter(prepare=prepare, page_html=page_html, estimate_pages=estimate_pages,
                      to_pdf=to_pdf)


FORMAT = Format(
    "pdf", rank=3,
    about="the print edition: a tagged PDF laid out by WeasyPrint (trim, bleed, crop marks…)",
    outputs=(Output("{slug}.pdf", write_pdf, "PDF for print", "application/pdf", rank=2),),
    depends=("writers/pdf_parts.py", "fonts.py", "data/css/print.css", "data/templates/pdf*"),
    tools=("weasyprint", "pikepdf", "fontpkg-literata", "fontpkg-amiri", "fontpkg-frank-ruhl-libre"),
    validators=("pipeline.check:check_pdfs",),
    # Checked when the metadata is read, so a bad value is reported at its line.
    options={"trim": parse_trim, "chapter-start": parse_start, "bleed": parse_bleed,
             "pdf-parts": parse_parts},
    pages=page_count, warm=fonts.faces)
