"""`pipeline check`: the industry's validators over everything a build left in output/.

EPUBCheck and Ace for EPUBs, the Nu HTML Checker and axe (in Chromium, phone and desktop,
light and dark) for HTML pages, and poppler's pdffonts plus the document catalog for PDFs.
Each tool's report is parsed (see validate.py); exit codes are not trusted.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

from . import validate
from .diagnostics import ERROR, Diagnostic


def check_pdf(pdf: Path) -> list[Diagnostic]:
    from pypdf import PdfReader

    problems = []

    def fail(code, message):
        problems.append(Diagnostic(str(pdf), None, code, ERROR, message))

    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True)
    if fonts.returncode != 0:
        fail("PDF-UNREADABLE", fonts.stderr.strip() or "pdffonts could not read the file")
        return problems
    for row in fonts.stdout.splitlines()[2:]:
        if not re.search(r"\byes\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", row):
            fail("PDF-FONT-NOT-EMBEDDED", f"font not embedded: {row.split()[0]}")
    reader = PdfReader(pdf)
    root: Any = reader.trailer["/Root"]
    if not root.get("/Lang"):
        fail("PDF-NO-LANG", "the document catalog has no /Lang")
    if "/StructTreeRoot" not in root:
        fail("PDF-UNTAGGED", "the PDF has no structure tree (not tagged)")
    if not (reader.metadata and reader.metadata.title):
        fail("PDF-NO-TITLE", "the document information has no title")
    return problems


def check_tree(out_dir: Path, browser_checks: bool = True) -> list[Diagnostic]:
    out_dir = Path(out_dir)
    epubs = sorted(out_dir.glob("*/*.epub"))
    pages = sorted(p for p in out_dir.rglob("*.html") if not any(
        part.startswith(".") for part in p.relative_to(out_dir).parts))
    pdfs = sorted(out_dir.glob("*/*.pdf"))
    results: list[Diagnostic] = []
    if epubs:
        results += validate.epubcheck(epubs)
        for epub in epubs:
            results += validate.ace(epub)
    if pages:
        results += validate.nu_html_check(pages, warnings=False)
        if browser_checks:
            with validate.chromium() as browser:
                results += validate.axe(pages, browser=browser)
                for page in pages:
                    results += validate.overflow(page, browser=browser)
    for pdf in pdfs:
        results += check_pdf(pdf)
    return results
