"""The e-book edition: EPUB 3.3 built with ebooklib, then repacked reproducibly.

One XHTML file per reading unit of ``doc.chapters`` (parts and chapters), a cover page
showing the cover image (the source's own or one drawn by ``pipeline.cover``), a title
page, a contents page that is also the nav document (table of contents nested by heading
level, landmarks), a colophon, and an NCX for older readers.  Footnotes become EPUB 3
pop-up notes at the end of the unit that refers to them.  ebooklib writes the package;
``finish_package`` then does what its public API cannot (our own nav, the package's
language) and fixes what it leaves to chance (zip order, timestamps).
"""
from __future__ import annotations

import base64
import copy
import hashlib
import io
import re
import uuid
import zipfile

from lxml import etree

from .. import cache
from .. import cover as covers
from ..document import HEADINGS, UUID_NAMESPACE, contents_title, synopsis, text_of
from .base import Format, Output, css, note_id, note_refs, page_key, render, verse_lines

OPS = "http://www.idpf.org/2007/ops"
EPUB_TYPE = f"{{{OPS}}}type"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
BLOCKS = {"p", "div", "blockquote", "ul", "ol", "dl", "table", "pre", "figure", "hr", *HEADINGS}
ROLES = {"part": "doc-part", "chapter": "doc-chapter"}
CONFORMS_TO = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"
SUMMARY = ("Reflowable text: the reading system's and the reader's choices of typeface, size, "
           "spacing and colours are respected. Every heading is in the table of contents, in "
           "reading order.{notes} {described} No audio, video, "
           "flashing content or sound.")


class Unit:
    """A reading unit as it goes into the book: file name, title, content element."""

    def __init__(self, chapter, file_name):
        self.chapter, self.file_name = chapter, file_name
        # A copy declaring the epub: prefix, so epub:type serializes as such.
        self.element = etree.Element("section", nsmap={"epub": OPS})
        source = copy.deepcopy(chapter.element)
        for key, value in source.attrib.items():
            self.element.set(key, value)
        self.element.text = source.text
        self.element.extend(list(source))
        self.heading = next((c for c in self.element if c.tag in HEADINGS), None)


def write_epub(doc, options=None) -> bytes:
    from ebooklib import epub

    options = options or {}
    units = [Unit(ch, f"chapter-{ch.number:04d}.xhtml") for ch in doc.chapters]
    if len(units) == 1 and units[0].heading is None:
        # A text without headings (a speech, a letter): its title heads the text.
        h = etree.Element("h1")
        h.text = doc.title
        units[0].element.insert(0, h)
        units[0].heading = h
    _close_heading_gaps(units)
    where = {el.get("id"): u.file_name for u in units for el in u.element.iter() if el.get("id")}

    store = cache.active()
    image, suffix = doc.cover or (_drawn_cover(doc, store), ".png")
    cover_file = f"images/cover{suffix}"

    book = epub.EpubBook()
    book.FOLDER_NAME = "EPUB"
    images = [img for u in units for img in u.element.iter("img")]
    _metadata(book, doc, len(images), all((img.get("alt") or "").strip() for img in images))
    book.set_cover(cover_file, image, create_page=False)
    book.add_item(epub.EpubItem(uid="css", file_name="css/book.css", media_type="text/css",
                                content=css("base.css", "epub.css").encode()))
    Page = _raw_page_class()

    def page(uid, file_name, title, content, template="epub-page.xhtml", **extra):
        item = Page(uid=uid, file_name=file_name, title=title)
        item.content = render(template, doc=doc, title=title, content=content, en=_en(doc),
                              **extra).encode("utf-8")
        book.add_item(item)
        return item

    cover_page = page("cover", "cover.xhtml", doc.title, "", "epub-cover.xhtml",
                      image=cover_file, alt=_cover_alt(doc))
    titlepage = page("titlepage", "titlepage.xhtml", doc.title, "", "epub-titlepage.xhtml",
                     translators=_list(doc.meta.get("translator")))
    toc = _toc(doc, units)   # before the pages are written: it reads the note refs as pandoc made them
    for data, name, mime in _images(units):
        book.add_item(epub.EpubImage(uid="img-" + name[7:23], file_name=name,
                                     media_type=mime, content=data))
    def chapter(u):
        """A chapter's page; from the build's cache if its inputs are unchanged: its
        section, where its links lead, its notes."""
        links = [(a.get("href"), where.get((a.get("href") or "")[1:])) for a in u.element.iter("a")]
        notes = [etree.tostring(doc.notes[note_id(ref)]) for ref in note_refs(u.element)
                 if note_id(ref) in doc.notes]
        name = page_key("epub", doc, u.file_name, u.chapter.title, u.chapter.kind, u.chapter.id,
                        u.heading is None, etree.tostring(u.element), links, notes)
        uid = f"c{u.chapter.number:04d}"
        data = store.get(name)
        if data is None:
            item = page(uid, u.file_name, u.chapter.title, _unit_content(doc, u, where))
            store.put(name, item.content)
            return item
        item = Page(uid=uid, file_name=u.file_name, title=u.chapter.title)
        item.content = data
        book.add_item(item)
        return item

    chapters = [chapter(u) for u in units]
    colophon = page("colophon", "colophon.xhtml", "Colophon", "", "epub-colophon.xhtml",
                    translators=_list(doc.meta.get("translator")), identifier=identifier(doc),
                    source=_source(doc), cover_generated=doc.cover is None)
    landmarks = [("cover", cover_page.file_name, "Cover"),
                 ("titlepage", titlepage.file_name, "Title page"),
                 ("toc", "nav.xhtml#toc", "Contents"),
                 ("bodymatter", chapters[start_of_text(units)].file_name, "Start of the text"),
                 ("colophon", colophon.file_name, "Colophon")]
    toc += [(1, "Colophon", colophon.file_name, _en(doc))]
    nav = epub.EpubNav(uid="nav", file_name="nav.xhtml", title="Contents")
    nav.content = render("epub-nav.xhtml", doc=doc, title="Contents", en=_en(doc),
                         toc=_nest(toc), landmarks=landmarks).encode("utf-8")
    book.add_item(nav)
    book.add_item(epub.EpubNcx())
    book.toc = _ncx_toc(epub, _nest(toc))
    book.spine = [cover_page, titlepage, nav, *chapters, colophon]
    if doc.direction == "rtl":
        book.set_direction("rtl")

    raw = io.BytesIO()
    epub.write_epub(raw, book, {"mtime": doc.date, "epub3_pages": False, "epub2_guide": False,
                                "epub3_landmark": False, "compresslevel": 0, "raise_exceptions": True})
    return finish_package(raw.getvalue(), f"{book.FOLDER_NAME}/{nav.file_name}", nav.content,
                          book.language, book.direction)


def _drawn_cover(doc, store) -> bytes:
    name = page_key("epub", doc, "drawn cover")
    image = store.get(name)
    if image is None:
        image = covers.render_cover(doc)
        store.put(name, image)
    return image


NUMBERED = re.compile(r"^\W*(\w+\W+)?([IVXLCDM]+|\d+)\b")


def start_of_text(units) -> int:
    """The index of the unit where the text proper starts: the first numbered division
    (CHAPTER I, ACT I, 1.), after any preface, note or cast list; else the first division
    after a text's opening lines (a byline, a title page)."""
    divisions = [i for i, u in enumerate(units) if u.chapter.kind in {"part", "chapter"}]
    numbered = [i for i in divisions if NUMBERED.match(units[i].chapter.title)]
    return (numbered or divisions or [0])[0]


# -- metadata --------------------------------------------------------------------------
def _list(value) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value] if value else [])]


def file_as(name: str) -> str:
    """'Leo Tolstoy' -> 'Tolstoy, Leo'; a name already inverted, or of one word, as given.
    A name in brackets after the name (the real name behind a pen name) is not sorted on."""
    name = re.sub(r"\s*\([^)]*\)", "", name).strip() or name
    parts = name.split()
    if "," in name or len(parts) < 2:
        return name
    suffix = [parts.pop()] if parts[-1].rstrip(".").lower() in {"jr", "sr", "ii", "iii"} else []
    return f"{parts[-1]}, {' '.join(parts[:-1] + suffix)}" if len(parts) > 1 else name


def identifier(doc) -> str:
    """An ISBN or URN as given; otherwise a UUID: derived from the metadata by the document,
    or from the given identifier when that is an address (a web page names the source, not
    this edition; it goes to dc:source)."""
    given = doc.identifier
    digits = re.sub(r"[\s-]", "", given)
    if re.fullmatch(r"(97[89])?\d{9}[\dXx]", digits):
        return f"urn:isbn:{digits}"
    if given.lower().startswith("urn:"):
        return given
    return f"urn:uuid:{uuid.uuid5(UUID_NAMESPACE, given)}"


def _source(doc) -> str:
    given = str(doc.meta.get("source") or "")
    identifier = str(doc.meta.get("identifier") or "")
    return given or (identifier if re.match(r"https?://", identifier) else "")


ROLE_IDS = {"aut": "author", "trl": "translator", "edt": "editor", "ill": "illustrator"}


def creators(doc) -> list[tuple[str, str, list[str]]]:
    """(MARC relator, DC element, names) of everyone the metadata credits."""
    meta = doc.meta
    return [("aut", "creator", doc.authors), ("trl", "contributor", _list(meta.get("translator"))),
            ("edt", "contributor", _list(meta.get("editor"))),
            ("ill", "contributor", _list(meta.get("illustrator")))]


def _metadata(book, doc, images: int, described: bool) -> None:
    """Package metadata; `images` in the text, `described`: all have a text alternative."""
    meta = doc.meta
    book.set_unique_metadata("DC", "identifier", identifier(doc), {"id": "id"})
    book.uid = identifier(doc)
    book.title = doc.title
    book.add_metadata("DC", "title", doc.title, {"id": "title"})
    _refine(book, "title", "title-type", "main")
    if meta.get("subtitle"):
        book.add_metadata("DC", "title", str(meta["subtitle"]), {"id": "subtitle"})
        _refine(book, "subtitle", "title-type", "subtitle")
    book.language = doc.language
    book.add_metadata("DC", "language", doc.language)
    for role, element, names in creators(doc):
        for n, name in enumerate(names, 1):
            uid = f"{ROLE_IDS[role]}-{n}"
            book.add_metadata("DC", element, name, {"id": uid})
            _refine(book, uid, "file-as", file_as(name))
            _refine(book, uid, "role", role, scheme="marc:relators")
    if meta.get("date"):
        value = meta["date"]
        text = value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)
        if re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text):
            book.add_metadata("DC", "date", text)
    for key in ("publisher", "rights", "description"):
        if meta.get(key):
            book.add_metadata("DC", key, str(meta[key]))
    if _source(doc):
        book.add_metadata("DC", "source", _source(doc))
    for subject in _list(meta.get("subjects")):
        book.add_metadata("DC", "subject", subject)
    accessibility = [("dcterms:conformsTo", CONFORMS_TO),
                     ("schema:accessMode", "textual"), ("schema:accessMode", "visual"),
                     ("schema:accessModeSufficient", "textual"),
                     *(("schema:accessibilityFeature", f) for f in (
                         *(["alternativeText"] if described else []), "displayTransformability",
                         "readingOrder", "structuralNavigation", "tableOfContents")),
                     ("schema:accessibilityHazard", "none"),
                     ]
    for prop, value in accessibility:
        book.add_metadata(None, "meta", value, {"property": prop})
    summary = SUMMARY.format(
        notes=" Footnotes are linked from the text and back." if doc.notes else "",
        described="The cover and every image in the text have a text alternative."
        if described and images else "The cover has a text alternative.")
    attrs = {"property": "schema:accessibilitySummary"}
    if _en(doc):
        attrs["{http://www.w3.org/XML/1998/namespace}lang"] = "en"
    book.add_metadata(None, "meta", summary, attrs)


def _refine(book, uid, prop, value, scheme=None):
    attrs = {"refines": f"#{uid}", "property": prop}
    if scheme:
        attrs["scheme"] = scheme
    book.add_metadata(None, "meta", value, attrs)


def _en(doc):
    """Attributes marking our own English words inside a book in another language."""
    if doc.language.split("-")[0].lower() == "en":
        return ""
    return ' lang="en" xml:lang="en"'


def _cover_alt(doc) -> str:
    return " — ".join([doc.title, *([", ".join(doc.authors)] if doc.authors else [])])


# -- content ---------------------------------------------------------------------------
def _unit_content(doc, unit, where) -> str:
    """The unit's <section> as XHTML: typed, links resolved across files, notes appended."""
    section = unit.element
    kind = unit.chapter.kind
    if kind in ROLES:
        section.set(EPUB_TYPE, kind)
        section.set("role", ROLES[kind])
        section.set("class", " ".join(filter(None, [section.get("class"), kind])))
    section.set("id", section.get("id") or unit.chapter.id)
    if unit.heading is None:  # text before the first heading: name it for assistive tech
        section.set("aria-label", unit.chapter.title)

    refs = note_refs(section)
    ref_ids = {id(r) for r in refs}
    for a in section.iter("a"):
        href = a.get("href", "")
        if href.startswith("#") and id(a) not in ref_ids:
            target = where.get(href[1:])
            if target and target != unit.file_name:
                a.set("href", target + href)
    for ref in refs:
        nid = note_id(ref)
        li = doc.notes.get(nid)
        ref.set(EPUB_TYPE, "noteref")
        ref.set("role", "doc-noteref")
        ref.set("class", "noteref")
        ref.set("href", f"#{nid}")
        if li is None:
            continue
        aside = etree.SubElement(section, "aside", {"id": nid, "class": "footnote",
                                                    "role": "doc-footnote", EPUB_TYPE: "footnote"})
        aside.text = "\n"
        aside.extend(_note_blocks(li))
        last = aside[-1]
        if last.tag != "p":
            last = etree.SubElement(aside, "p")
        _backlink(last, ref.get("id"), "".join(ref.itertext()).strip(), doc)
        aside.tail = "\n"
    # As Standard Ebooks marks them: the speaker of a speech, a part in the cast list.
    for speaker in section.xpath('.//strong[@class="speaker"] | .//span[@class="persona"]'):
        speaker.set(EPUB_TYPE, "z3998:persona")
    for block in list(section.iter("div")):   # verse, in the text and in its notes
        if "line-block" in (block.get("class") or "").split():
            _split_lines(block)
    xml = etree.tostring(section, encoding=str, method="xml")
    return xml.replace(f' xmlns:epub="{OPS}"', "", 1)


def _note_blocks(li) -> list:
    """A note's content as blocks: runs of text and inline elements become paragraphs."""
    blocks, run = [], None
    if (li.text or "").strip():
        run = etree.Element("p")
        run.text = li.text
        blocks.append(run)
    for child in li:
        child = copy.deepcopy(child)
        if child.tag in BLOCKS:
            blocks.append(child)
            run = None
            continue
        if run is None:
            run = etree.Element("p")
            blocks.append(run)
        run.append(child)
    return blocks or [etree.Element("p")]


def _backlink(paragraph, ref_id, number, doc) -> None:
    if len(paragraph):
        paragraph[-1].tail = (paragraph[-1].tail or "") + " "
    else:
        paragraph.text = (paragraph.text or "") + " "
    back = etree.SubElement(paragraph, "a", {"href": f"#{ref_id}", "role": "doc-backlink",
                                             "class": "backlink"})
    if not _en(doc):   # an English label only in an English book; the role speaks otherwise
        back.set("aria-label", f"Back to note reference {number}")
    back.text = "\u21a9\ufe0e"   # ↩ as text, not as a colour emoji


def _split_lines(block) -> None:
    """Verse: one span per line (it can hang-indent), with <br/> kept for readers without CSS."""
    lines = verse_lines(block)
    block.text = "\n"
    for n, line in enumerate(lines):
        block.append(line)
        if n < len(lines) - 1:
            br = etree.SubElement(block, "br")
            br.tail = "\n"


def _close_heading_gaps(units) -> None:
    """No heading deeper than one below the one before it (h1 then h3 becomes h1, h2), so
    assistive technology and the nested contents see an outline without holes."""
    previous = 0
    for u in units:
        for h in list(u.element.iter(*HEADINGS)):
            level = min(int(h.tag[1]), previous + 1)
            h.tag = f"h{level}"
            previous = level


def _images(units):
    """The document carries its images inline (data: URLs); the book gets them as files,
    one per distinct image, named by content so rebuilds give the same names."""
    seen = {}
    for u in units:
        for img in u.element.iter("img"):
            m = re.match(r"data:(image/[\w+.-]+);base64,(.*)", img.get("src") or "", re.S)
            if not m:
                continue
            data = base64.b64decode(m.group(2))
            ext = {"image/jpeg": ".jpg", "image/svg+xml": ".svg"}.get(m.group(1),
                                                                      "." + m.group(1)[6:])
            name = f"images/{hashlib.sha256(data).hexdigest()[:16]}{ext}"
            img.set("src", name)
            if name not in seen:
                seen[name] = (data, name, m.group(1))
    return list(seen.values())


# -- navigation ------------------------------------------------------------------------
def _toc(doc, units) -> list[tuple]:
    """(level, title, href, attributes, synopsis) for every heading, in reading order."""
    entries = []
    for u in units:   # a unit without a heading (an epigraph, say) is reached by reading on
        for h in u.element.iter(*HEADINGS):
            parent = h.getparent()
            hid = parent.get("id") if parent.tag == "section" else h.get("id")
            href = u.file_name if h is u.heading or not hid else f"{u.file_name}#{hid}"
            section = parent if parent.tag == "section" else None
            entries.append((int(h.tag[1]), contents_title(text_of(h), section), href, "",
                            synopsis(section)))
    return entries


def _nest(entries) -> list[dict]:
    """Flat (level, …) entries -> a tree: each entry's children are the deeper ones after it."""
    root: dict = {"level": 0, "children": []}
    stack = [root]
    for level, title, href, attrs, *more in entries:
        node = {"level": level, "title": title, "href": href, "attrs": attrs,
                "synopsis": more[0] if more else "", "children": []}
        while stack[-1]["level"] >= level:
            stack.pop()
        stack[-1]["children"].append(node)
        stack.append(node)
    return root["children"]


def _ncx_toc(epub, nodes, counter=None):
    counter = counter if counter is not None else [0]
    out = []
    for node in nodes:
        counter[0] += 1
        link = epub.Link(node["href"], node["title"], f"np-{counter[0]}")
        out.append((link, _ncx_toc(epub, node["children"], counter)) if node["children"] else link)
    return out


def _raw_page_class():
    from ebooklib import epub

    class XhtmlPage(epub.EpubHtml):
        """A page whose XHTML we wrote ourselves: ebooklib stores it unchanged."""

        def get_content(self, default=None):
            return self.content

    return XhtmlPage


def finish_package(data: bytes, nav_name: str, nav: bytes, language: str,
                   direction: str | None) -> bytes:
    """The one step after ebooklib's public API, for what it cannot do: our own navigation
    document in place of the one it generates, xml:lang (and dir) on the package element,
    and a reproducible zip (repack)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    opf_name = next(n for n in src.namelist() if n.endswith(".opf"))
    opf = src.read(opf_name)
    # Into the <package> start tag, as text: parsing and writing the file again would
    # change how ebooklib wrote the rest of it.
    attrs = [("xml:lang", language), *([("dir", direction)] if direction else [])]
    added = "".join(f' {k}="{_attr(v)}"' for k, v in attrs).encode("utf-8")
    end = opf.index(b">", opf.index(b"<package"))
    return repack(data, {nav_name: nav, opf_name: opf[:end] + added + opf[end:]})


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def repack(data: bytes, replaced: dict[str, bytes] | None = None) -> bytes:
    """Rewrite the zip: mimetype first and stored, fixed timestamps, stable order; the files
    in ``replaced`` with the given content."""
    replaced = replaced or {}
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        ordered = ["mimetype"] + sorted(n for n in names if n != "mimetype")
        for name in ordered:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, replaced[name] if name in replaced else src.read(name))
    return out.getvalue()


FORMAT = Format(
    "epub", rank=2,
    about="the e-book edition: EPUB 3, a file per chapter, pop-up notes, a cover",
    outputs=(Output("{slug}.epub", write_epub, "EPUB e-book", "application/epub+zip", rank=1),),
    depends=("cover.py", "fonts.py", "data/css/epub.css", "data/templates/epub*"),
    tools=("ebooklib", "pillow", "fontpkg-literata"),
    validators=("pipeline.check:check_epubs",))
