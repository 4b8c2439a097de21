"""Writers: pure functions from a Document (and options) to the bytes of one edition.

Adding a format is one module and one entry here.  Writers never touch the file system
apart from reading package data; the build writes what they return.
"""
from __future__ import annotations

from importlib import import_module

# format -> (module, function, file suffix)
WRITERS = {
    "html": ("pipeline.writers.html", "write_html", ".html"),
    "epub": ("pipeline.writers.epub", "write_epub", ".epub"),
    "pdf": ("pipeline.writers.pdf", "write_pdf", ".pdf"),
}
FORMATS = tuple(WRITERS)


def get_writer(fmt: str):
    module, func, _ = WRITERS[fmt]
    return getattr(import_module(module), func)
