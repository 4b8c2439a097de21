"""Every corpus text's editions, as a reader gets them: built once per test session (the
shared ``built`` fixture of conftest.py, all three formats), then opened and read.

- the print edition wastes no pages: at most 3% of its pages are blank;
- no edition carries Project Gutenberg's production matter: not in the text of the PDF
  (pdftotext), of the e-book's XHTML or of the web page, and no "Complete" in the book's
  title (the PDF's, the e-book package's, the web page's; a poem may be called "Who Learns
  My Lesson Complete?").
"""
from __future__ import annotations

import re
import subprocess
import zipfile

import pytest
from lxml import etree, html as lxml_html

from conftest import CORPUS

TEXTS = sorted(p.stem for p in CORPUS.glob("*.txt")) if CORPUS.is_dir() else []
pytestmark = [pytest.mark.corpus, pytest.mark.slow]

# What a Project Gutenberg file adds to a book: its name, its "EBook of" title, the credits.
RESIDUE = re.compile(r"Project\s+Gutenberg|\bE-?Book\s+of\b|(?-i:^\s*Produced\s+by\b)", re.I | re.M)
COMPLETE = re.compile(r"\bComplete\b", re.I)


@pytest.fixture(scope="module")
def editions(built):
    """slug -> its output folder, each text built once for the whole session."""
    if not TEXTS:
        pytest.skip("../shared/corpus is not present in this clone")
    return lambda slug: built(CORPUS / f"{slug}.txt")


def pdf_pages(path) -> list[str]:
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text.split("\f")[:-1]        # pdftotext ends every page with a form feed


def pdf_title(path) -> str:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    m = re.search(r"^Title:\s*(.*)$", info, re.M)
    return m.group(1) if m else ""


def epub_texts(path) -> tuple[list[str], list[str]]:
    """(the text of every XHTML file, the book's titles in the package)."""
    texts, titles = [], []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            data = z.read(name)
            if name.endswith(".opf"):
                titles += etree.fromstring(data).xpath("//*[local-name()='title']/text()")
            elif name.endswith((".xhtml", ".html")):
                root = etree.fromstring(data)
                texts.append(" ".join(root.xpath("//*[local-name()='body']//text()")))
    return texts, titles


@pytest.mark.parametrize("slug", TEXTS)
def test_print_edition_has_few_blank_pages(editions, slug):
    pages = pdf_pages(editions(slug) / f"{slug}.pdf")
    blank = [n for n, page in enumerate(pages, 1) if not page.strip()]
    assert pages and len(blank) <= 0.03 * len(pages), \
        f"{len(blank)} of {len(pages)} pages blank: {blank[:20]}"


@pytest.mark.parametrize("slug", TEXTS)
def test_no_gutenberg_residue_in_any_edition(editions, slug):
    out = editions(slug)
    found = []
    pdf = out / f"{slug}.pdf"
    for n, page in enumerate(pdf_pages(pdf), 1):
        found += [f"PDF page {n}: {m.group(0)!r}" for m in RESIDUE.finditer(page)]
    texts, titles = epub_texts(out / f"{slug}.epub")
    for text in texts:
        found += [f"EPUB: {m.group(0)!r}" for m in RESIDUE.finditer(text)]
    web = lxml_html.fromstring((out / f"{slug}.html").read_bytes())
    found += [f"HTML: {m.group(0)!r}" for m in RESIDUE.finditer(" ".join(web.xpath("//body//text()")))]
    titles += [pdf_title(pdf), *web.xpath("//head/title/text()")]
    assert titles
    found += [f"title: {t!r}" for t in titles if COMPLETE.search(t) or RESIDUE.search(t)]
    assert found == [], "\n".join(found[:20])
