"""The print edition: paged-media HTML laid out by WeasyPrint into a tagged PDF."""
from __future__ import annotations

import os
from dataclasses import dataclass

from lxml import etree

from .. import fonts
from .base import css, note_id, note_refs, render, to_html

# Trim sizes (width, height) and margins (top, outside, bottom, inside) in millimetres.
TRIMS = {
    "a5": (148, 210), "a4": (210, 297), "letter": (215.9, 279.4),
    "6x9": (152.4, 228.6), "5.5x8.5": (139.7, 215.9),
}


@dataclass(frozen=True)
class PdfOptions:
    trim: str = "a5"
    variant: str | None = "pdf/ua-1"


def page_css(options: PdfOptions) -> str:
    width, height = TRIMS[options.trim]
    scale = width / 148
    top, outside, bottom, inside = (m * scale for m in (18, 16, 20, 20))
    return (f"@page {{ size: {width}mm {height}mm; margin: {top:.1f}mm {outside:.1f}mm "
            f"{bottom:.1f}mm {inside:.1f}mm; }}\n"
            f"@page :left {{ margin-left: {outside:.1f}mm; margin-right: {inside:.1f}mm; }}\n"
            f"@page :right {{ margin-left: {inside:.1f}mm; margin-right: {outside:.1f}mm; }}\n")


def font_css() -> str:
    rules = []
    for face in fonts.faces():
        rules.append(f'@font-face {{ font-family: "{fonts.FAMILY}"; src: url("{face.path.as_uri()}"); '
                     f"font-weight: {face.weight}; font-style: {face.style}; }}")
    return "\n".join(rules)


def inline_footnotes(body, notes) -> None:
    """Put each note's text where it is referenced, as a span WeasyPrint floats."""
    for ref in note_refs(body):
        li = notes.get(note_id(ref))
        span = etree.Element("span", {"class": "footnote"})
        if li is not None:
            paragraphs = [p for p in li if p.tag == "p"] or [li]
            for i, p in enumerate(paragraphs):
                if i:
                    etree.SubElement(span, "br")
                for child in list(etree.fromstring(etree.tostring(p))):
                    span.append(child)
                if span.text is None and p.text and i == 0:
                    span.text = p.text
                elif p.text:
                    last = span[-1] if len(span) else None
                    if last is not None:
                        last.tail = (last.tail or "") + p.text
                    else:
                        span.text = (span.text or "") + p.text
        span.tail = ref.tail
        ref.getparent().replace(ref, span)


def local_fetcher():
    """A URL fetcher that loads our own font files and nothing else, never the network."""
    from weasyprint.urls import URLFetcher

    allowed = fonts.cache_dir().resolve().as_uri() + "/"

    class LocalFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith(allowed) or ".." in url:
                raise ValueError(f"refusing to load {url!r} while building a PDF")
            return super().fetch(url, headers)

    return LocalFetcher(allowed_protocols={"file"}, allow_redirects=False)


def write_pdf(doc, options: PdfOptions | None = None) -> bytes:
    import weasyprint

    options = options or PdfOptions(trim=str(doc.meta.get("trim", "a5")).lower())
    body = doc.body_copy()
    inline_footnotes(body, doc.notes)
    subjects = doc.meta.get("subjects") or []
    html = render("pdf.html", doc=doc, body=to_html(body),
                  keywords=", ".join(map(str, subjects)) if isinstance(subjects, list) else subjects,
                  date=doc.date.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  stylesheet=font_css() + "\n" + page_css(options) + css("base.css", "print.css"))
    # fontTools stamps subset fonts with the clock unless SOURCE_DATE_EPOCH is set.
    os.environ["SOURCE_DATE_EPOCH"] = str(int(doc.date.timestamp()))
    document = weasyprint.HTML(string=html, base_url=fonts.cache_dir().resolve().as_uri() + "/",
                               url_fetcher=local_fetcher()).render()
    return document.write_pdf(pdf_variant=options.variant, pdf_identifier=doc.identifier.encode(),
                              pdf_tags=True)
