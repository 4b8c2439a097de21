"""Writers: pure functions from a Document (and options) to the bytes of one edition.

Adding a format is one module and one entry here.  Writers never touch the file system
apart from reading package data; the build writes what they return.
"""
from __future__ import annotations

from importlib import import_module

# format -> [(module, function, output name)].  A writer returns bytes for one file, a
# dict {relative path: bytes} for a folder, or None when it has nothing to write for
# this document (e.g. a multi-page site for a text without chapters).
WRITERS = {
    "html": [("pipeline.writers.html", "write_html", "{slug}.html"),
             ("pipeline.writers.html", "write_html_pages", "html")],
    "epub": [("pipeline.writers.epub", "write_epub", "{slug}.epub")],
    "pdf": [("pipeline.writers.pdf", "write_pdf", "{slug}.pdf")],
}
FORMATS = tuple(WRITERS)


def writers_for(fmt: str):
    return [(getattr(import_module(m), f), name) for m, f, name in WRITERS[fmt]]


def get_writer(fmt: str):
    """The main writer of a format (the one producing <slug>.<fmt>)."""
    return writers_for(fmt)[0][0]
