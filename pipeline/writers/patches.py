"""Where WeasyPrint, pydyf and fontTools are patched, each with the reason and the upstream
issue it works around; nothing else in the pipeline changes a library's behaviour.

Each patch holds only while it is used (a context manager, or one document's metadata):
importing this module changes nothing.
"""
from __future__ import annotations

import os
from contextlib import contextmanager


@contextmanager
def source_date(doc):
    """fontTools stamps the fonts WeasyPrint subsets with the clock unless SOURCE_DATE_EPOCH
    is set (Kozea/WeasyPrint#1553; fontTools reads only the variable): set it to the
    document's date while the PDF is written."""
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(doc.date.timestamp()))
    try:
        yield
    finally:
        if saved is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


@contextmanager
def cached_page_references():
    """pydyf rebuilds the list of every page's reference each time WeasyPrint's tagger asks
    for one page's: quadratic in the book (a quarter of War and Peace's PDF time, see
    BENCHMARKS.md).  While writing, keep the list until a page is added.  (No upstream issue
    was found for it: pydyf 0.13.0.)"""
    import pydyf

    original = pydyf.PDF.page_references

    def page_references(pdf):
        count = len(pdf.pages["Kids"])
        if getattr(pdf, "_page_references", (None,))[0] != count:
            pdf._page_references = (count, original.fget(pdf))
        return pdf._page_references[1]

    pydyf.PDF.page_references = property(page_references)
    try:
        yield
    finally:
        pydyf.PDF.page_references = original


def declare_ua(document) -> None:
    """PDF/A-3u output is tagged too: say in its XMP that it also follows PDF/UA-1 (WeasyPrint
    takes one variant at a time: Kozea/WeasyPrint#2783, #2467)."""
    metadata = document.metadata
    generate = metadata.generate_rdf_metadata

    def with_ua(*args, **kwargs):
        rdf = generate(*args, **kwargs)
        ua = (b'<rdf:Description xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" '
              b'rdf:about="" pdfuaid:part="1" />')
        return rdf.replace(b"</rdf:RDF>", ua + b"</rdf:RDF>")

    metadata.generate_rdf_metadata = with_ua
