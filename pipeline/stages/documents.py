"""Quoted documents: the letters and journals inside a narrative.

An epistolary chapter opens with a document title (``JONATHAN HARKER'S JOURNAL``,
``_Letter, Lucy Westenra to Mina Murray._``); what follows it is the document, quoted.
A letter set in the running text (a salutation, the body, a signature, a P.S.) is quoted
too.  Only the block-quote flag changes; the words never do.
"""
from __future__ import annotations

import re

from . import headings as H
from .blocks import Block

DOCUMENT = re.compile(r"\b(journal|diary|letter|telegram|memorandum|cutting|log|report|"
                      r"record|memo|note ?book|phonograph)\b", re.I)


def _is_document_title(b: Block, markers) -> bool:
    if b.kind != "para":
        return False
    vis = markers.strip(b.text).strip()
    if len(vis) > 100 or not DOCUMENT.search(vis):
        return False
    italic = re.fullmatch(r"(\S+)[^\n]*\1[.:]?", b.text.strip()) is not None and \
        markers.split(b.text.strip())[0][0]
    return italic or H.mostly_caps(vis)


def quote_documents(blocks: list[Block], draft) -> None:
    """Epistolary chapters: the letters and journals after a document title are quoted."""
    markers = draft.markers
    inside = False
    for k, b in enumerate(blocks):
        if b.kind == "heading":
            inside = False
            continue
        if _is_document_title(b, markers):
            inside = True
            draft.explain(b.line, "document", markers.strip(b.text)[:50])
            continue
        if not inside:
            continue
        vis = markers.strip(b.text).strip()
        prev = blocks[k - 1]
        if vis.startswith("(") and vis.endswith(")") and _is_document_title(prev, markers):
            continue
        if b.kind in ("para", "lines"):
            b.quote = True


SALUTATION = re.compile(r"^(?:My\s+)?(?:Dear|Dearest|Beloved|Honou?red|Sir|Madam|Gentlemen)\b"
                        r"(?!\s+me\b)[^.!?“”\"]{0,50}[,:—]")
SIGNATURE_STOP = {"Yes", "No", "Well", "Oh", "Ah", "Nothing", "Nobody", "Never", "Silence",
                  "Good", "Why", "What", "Adieu", "Farewell", "Amen", "Thanks", "Enough"}


def _is_signature(text: str) -> bool:
    words = text.rstrip(".,").split()
    return 1 <= len(words) <= 4 and all(w[:1].isupper() for w in words) and \
        words[0].strip(".,") not in SIGNATURE_STOP and not re.search(r"[!?“”\"‘]", text)


def quote_letters(blocks: list[Block], draft) -> None:
    """A letter (a salutation, then the body, then a signature) is quoted."""
    markers = draft.markers
    k = 0
    while k < len(blocks):
        b = blocks[k]
        if b.kind != "para" or b.quote or not SALUTATION.match(markers.strip(b.text)):
            k += 1
            continue
        end = None
        for j in range(k + 1, min(len(blocks), k + 16)):
            c = blocks[j]
            if c.kind in ("heading", "break"):
                break
            if c.kind == "para" and _is_signature(markers.strip(c.text).strip()):
                end = j
                break
        if end is None:
            k += 1
            continue
        while end + 1 < len(blocks) and blocks[end + 1].kind == "para" and \
                re.match(r"P\.\s?S\.", markers.strip(blocks[end + 1].text)):
            end += 1
        for c in blocks[k:end + 1]:
            if c.kind in ("para", "lines"):
                c.quote = True
        draft.explain(b.line, "letter", f"letter quoted up to line {blocks[end].line}")
        k = end + 1
