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
from .writers.base import Output


def check_pdf(pdf: Path) -> list[Diagnostic]:
    from pypdf import PdfReader

    problems = []

    def fail(code: str, message: str) -> None:
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


def check_pdfs(pdfs: list[Path], browser_checks: bool = True) -> list[Diagnostic]:
    return [d for pdf in pdfs for d in check_pdf(pdf)]


def check_epubs(epubs: list[Path], browser_checks: bool = True) -> list[Diagnostic]:
    results = validate.epubcheck(epubs)
    for epub in epubs:
        results += validate.ace(epub)
    return results


def check_pages(pages: list[Path], browser_checks: bool = True) -> list[Diagnostic]:
    """The Nu HTML Checker; with ``browser_checks``, axe and overflow in Chromium too."""
    results = validate.nu_html_check(pages, warnings=False)
    if browser_checks:
        with validate.chromium() as browser:
            results += validate.axe(pages, browser=browser)
            for page in pages:
                results += validate.overflow(page, browser=browser)
    return results


def format_files(out_dir: Path, output: Output) -> list[Path]:
    """The files one output of a format left in out_dir (for a folder: its pages)."""
    if not output.listed:
        return sorted(out_dir.glob("*/" + output.path.format(slug="*")))
    suffix = Path(output.listed).suffix
    return sorted(p for folder in out_dir.glob("*/" + output.path) if folder.is_dir()
                  for p in folder.rglob("*" + suffix))


def check_tree(out_dir: Path, browser_checks: bool = True) -> list[Diagnostic]:
    """Each format's validators over the files of that format, and the catalog's page."""
    from importlib import import_module

    from .catalog import CATALOG_PAGES
    from .writers import formats

    out_dir = Path(out_dir)
    jobs: dict[str, list[Path]] = {}
    for record in formats().values():
        files = [f for output in record.outputs for f in format_files(out_dir, output)]
        for validator in record.validators:
            jobs.setdefault(validator, []).extend(files)
    catalog = [out_dir / name for name in CATALOG_PAGES if (out_dir / name).is_file()]
    jobs.setdefault("pipeline.check:check_pages", []).extend(catalog)
    results: list[Diagnostic] = []
    for validator, files in jobs.items():
        if files:
            module, _, function = validator.partition(":")
            results += getattr(import_module(module), function)(sorted(files), browser_checks)
    return results
