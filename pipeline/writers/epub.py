"""The e-book edition: EPUB 3 built with ebooklib, then repacked reproducibly."""
from __future__ import annotations

import io
import zipfile

from lxml import etree

from .base import css, note_id, note_refs, render, to_xhtml

ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _page(doc, title, content, matter="bodymatter") -> str:
    return render("epub-page.xhtml", doc=doc, title=title, content=content, matter=matter)


def _chapter_content(doc, chapter) -> str:
    section = chapter.element
    section.set("{http://www.idpf.org/2007/ops}type", chapter.kind if chapter.kind != "section" else "chapter")
    asides = []
    for n, ref in enumerate(note_refs(section), 1):
        nid = note_id(ref)
        ref.set("{http://www.idpf.org/2007/ops}type", "noteref")
        ref.set("role", "doc-noteref")
        ref.set("class", "noteref")
        ref.set("href", f"#{nid}")
        li = doc.notes.get(nid)
        if li is None:
            continue
        aside = etree.Element("aside", {"id": nid, "class": "footnote", "role": "doc-footnote",
                                        "{http://www.idpf.org/2007/ops}type": "footnote"})
        for child in li:
            aside.append(etree.fromstring(etree.tostring(child)))
        if not len(aside):
            etree.SubElement(aside, "p").text = li.text or ""
        back = etree.SubElement(aside[-1], "a", {"href": f"#{ref.get('id')}", "role": "doc-backlink"})
        back.text = "↩"
        asides.append(aside)
    for aside in asides:
        section.append(aside)
    return etree.tostring(section, encoding=str, method="xml")


def _raw_page_class():
    from ebooklib import epub

    class XhtmlPage(epub.EpubHtml):
        """A page whose XHTML we wrote ourselves: ebooklib stores it unchanged."""

        def get_content(self, default=None):
            return self.content

    return XhtmlPage


def write_epub(doc, options=None) -> bytes:
    from ebooklib import epub

    Page = _raw_page_class()

    book = epub.EpubBook()
    book.set_identifier(doc.identifier)
    book.set_title(doc.title)
    book.set_language(doc.language)
    for author in doc.authors:
        book.add_author(author)
    for key in ("publisher", "rights", "description"):
        if doc.meta.get(key):
            book.add_metadata("DC", key, str(doc.meta[key]))
    if doc.meta.get("date"):
        book.add_metadata("DC", "date", doc.date.strftime("%Y-%m-%d"))
    subjects = doc.meta.get("subjects") or []
    for subject in subjects if isinstance(subjects, list) else [subjects]:
        book.add_metadata("DC", "subject", str(subject))

    style = epub.EpubItem(uid="css", file_name="css/book.css", media_type="text/css",
                          content=css("base.css", "epub.css").encode())
    book.add_item(style)

    title_html = f'<section class="titlepage" epub:type="titlepage"><h1>{_esc(doc.title)}</h1>'
    if doc.authors:
        title_html += f'<p class="author">{_esc(", ".join(doc.authors))}</p>'
    title_html += "</section>"
    titlepage = Page(uid="titlepage", file_name="titlepage.xhtml", title="Title page",
                              lang=doc.language)
    titlepage.content = _page(doc, doc.title, title_html, "frontmatter").encode()
    spine, toc = [titlepage], []
    book.add_item(titlepage)

    for chapter in doc.chapters:
        item = Page(uid=f"c{chapter.number:04d}", file_name=f"chapter-{chapter.number:04d}.xhtml",
                             title=chapter.title, lang=doc.language)
        item.content = _page(doc, chapter.title, _chapter_content(doc, chapter)).encode()
        book.add_item(item)
        spine.append(item)
        toc.append(epub.Link(item.file_name, chapter.title, item.id))

    book.toc = toc
    book.spine = ["nav", *spine]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    raw = io.BytesIO()
    epub.write_epub(raw, book, {"mtime": doc.date, "epub3_pages": False})
    return repack(raw.getvalue())


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def repack(data: bytes) -> bytes:
    """Rewrite the zip: mimetype first and stored, fixed timestamps, stable order."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        ordered = ["mimetype"] + sorted(n for n in names if n != "mimetype")
        for name in ordered:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name))
    return out.getvalue()
