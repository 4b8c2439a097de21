"""Quoted passages: paragraphs of someone else's words, set as block quotes.

An essay or a history that quotes a passage of several paragraphs puts a quotation mark
at the start of each one (``"This form of government is a convention by which…``), the
passage running to the end of each paragraph.  In a novel the same shape is a character
speaking, so the rule applies only to texts with almost no dialogue, where paragraphs
opening with a quotation mark are rare.  In any text, a document read out under a quoted
title (``…began to read:`` / ``"A VISION`` / ``"Dark and tempestuous was night…``) is
quoted up to the paragraph that closes its quotation.  Only the block-quote flag changes.
"""
from __future__ import annotations

import re

from . import headings as H
from .blocks import Block

# Each opening quotation mark and the mark that closes it, in the conventions in use
# (English, French « », German „ “ and » «).
CLOSING = {"“": "”", "\"": "\"", "‘": "’", "«": "»", "»": "«", "„": "“"}
OPENING = "".join(CLOSING)
MAX_DIALOGUE_SHARE = 0.05      # paragraphs opening with a quotation mark, in the whole text
MIN_WORDS = 20


def closes_at_end(text: str) -> bool:
    """The quotation opened by the first character closes at the paragraph's end (only
    punctuation may follow)."""
    close = CLOSING.get(text[:1])
    return close is not None and re.search(re.escape(close) + r"[.,;:!?—-]*$", text) is not None


def unclosed(text: str) -> bool:
    """The quotation opened by the first character is still open at the end."""
    opening = text[:1]
    close = CLOSING.get(opening)
    if close is None:
        return False
    if close == opening:
        # A straight mark opens where a word starts (after a space, a dash or a bracket)
        # and closes elsewhere: ``"June 21. "MONSIEUR.`` opens twice and closes nowhere.
        opens = len(re.findall(rf"(?:^|(?<=[\s(\[—-])){re.escape(opening)}(?=\S)", text))
        return opens > text.count(opening) - opens
    return text.count(close) < text.count(opening)


def _quoted_to_end(text: str) -> bool:
    """Opens with a quotation mark, and the quotation runs to the end of the paragraph
    (closed there, or left open because the next paragraph continues it)."""
    if not text or text[0] not in OPENING or len(text.split()) < MIN_WORDS:
        return False
    return closes_at_end(text) or unclosed(text)


def quote_passages(blocks: list[Block], draft) -> None:
    markers = draft.markers
    paras = [b for b in blocks if b.kind == "para" and markers.strip(b.text).strip()]
    if not paras:
        return
    opening = sum(1 for b in paras if markers.strip(b.text).lstrip()[:1] in OPENING)
    if opening > MAX_DIALOGUE_SHARE * len(paras):
        return
    _split_run_in_quotations(blocks, draft)
    run: list[Block] = []
    before = None                   # the block before the run
    for b in blocks + [Block("break")]:
        if b.kind == "para" and not b.quote and _quoted_to_end(markers.strip(b.text).strip()):
            run.append(b)
            continue
        introduced = before is not None and before.kind == "para" and \
            markers.strip(before.text).rstrip().rstrip("—-").endswith(":")
        if len(run) >= 2 or (run and introduced):
            for c in run:
                c.quote = True
            draft.explain(run[0].line, "quote", f"{len(run)} paragraph(s) quoted to the end"
                          + (" after a colon" if introduced else " one after another")
                          + ", in a text without dialogue")
        run = []
        before = b


RUN_IN = re.compile(rf"(?<=[:—]) (?=[{re.escape(OPENING)}])")
MIN_RUN_IN_WORDS = 40


def _split_run_in_quotations(blocks: list[Block], draft) -> None:
    """A long quotation run into the paragraph that introduces it (``…amount to this:
    "It is not true, …"`` to the paragraph's end) becomes a paragraph of its own."""
    markers = draft.markers
    k = 0
    while k < len(blocks):
        b = blocks[k]
        k += 1
        if b.kind != "para" or b.quote:
            continue
        for m in RUN_IN.finditer(b.text):
            head, rest = b.text[:m.start()], b.text[m.end():]
            shown = markers.strip(rest).strip()
            if len(markers.strip(head).split()) < 8 or len(shown.split()) < MIN_RUN_IN_WORDS \
                    or not markers.strip(head).rstrip("—-").endswith(":"):
                continue
            close = CLOSING.get(shown[:1], "")
            inner = shown[1:].rstrip(".,;:!?—-")[:-1]
            closed = closes_at_end(shown) and close not in inner
            unclosed = close not in shown[1:]
            emphasis_whole = sum(1 for x in markers.pattern.findall(head)
                                 if markers.items[int(x)] == "*") % 2 == 0
            if (closed or unclosed) and emphasis_whole:
                b.text = head
                blocks.insert(k, Block("para", text=rest, line=b.line, quote=True))
                draft.explain(b.line, "split", "a long quotation run into the paragraph that "
                              "introduces it is a quoted paragraph")
                break


def _introduces(b: Block | None, markers) -> bool:
    return b is not None and b.kind == "para" and \
        markers.strip(b.text).rstrip().rstrip("—-").endswith(":")


def quote_titled_documents(blocks: list[Block], draft) -> None:
    """After a colon, a short capitalized title opening a quotation it does not close,
    then paragraphs that each open one: the title and those paragraphs, up to the one that
    closes the quotation, are quoted."""
    markers = draft.markers
    for k, b in enumerate(blocks[1:], 1):
        title = markers.strip(b.text).strip()
        if b.kind != "para" or not title or title[0] not in OPENING or len(title) > 60 or \
                not H.mostly_caps(title) or not unclosed(title) or \
                not _introduces(blocks[k - 1], markers):
            continue
        end = None
        for j in range(k + 1, min(len(blocks), k + 30)):
            c = blocks[j]
            text = markers.strip(c.text).strip()
            if c.kind == "lines" and c.quote:
                continue
            if c.kind != "para" or not text or text[0] not in OPENING:
                break
            if not unclosed(text) or closes_at_end(text):
                end = j
                break
        if end is None:
            continue
        for c in blocks[k:end + 1]:
            c.quote = True
        draft.explain(b.line, "quote", f"document under a quoted title, up to line "
                      f"{blocks[end].line}")


# ``"…" _Bracton, l. 3._`` or ``"…" —Sir T. Browne``: a source named after the quotation.
ATTRIBUTED = re.compile(r"^[“\"][^”\"]+[”\"]\s*(?:—\s*)?(?:\*[^*“”\"]{2,80}\*|—\s*[A-Z][^“”\"*]{1,60})"
                        r"[.,]?\s*$", re.S)


def quote_epigraphs(blocks: list[Block], draft) -> None:
    """A quotation with its source, first under a heading, is the chapter's epigraph."""
    markers = draft.markers
    for k, b in enumerate(blocks[1:], 1):
        if b.kind == "para" and not b.quote and blocks[k - 1].kind == "heading" and \
                ATTRIBUTED.match(markers.restore(b.text).strip()):
            b.quote = True
            draft.explain(b.line, "quote", "epigraph: a quotation and its source under a heading")


def _quotes_early(text: str) -> bool:
    """A quotation opens within the first words (after a dash, or a date: ``October 13.
    "There she blows"``)."""
    return any(w.lstrip("—–-…")[:1] in OPENING for w in text.split()[:4])


def unquote_indented_sections(blocks: list[Block], draft) -> None:
    """A section (between headings) indented as a whole (a stray running title aside) is
    indented for its layout, not to quote: there only the paragraphs that open a quotation
    in their first words stay quoted."""
    markers = draft.markers
    section: list[Block] = []
    for b in blocks + [Block("heading")]:
        if b.kind != "heading":
            section.append(b)
            continue
        paras = [c for c in section if c.kind == "para" and markers.strip(c.text).strip()]
        indented = [c for c in paras if getattr(c, "indented", False)]
        if len(indented) >= 3 and len(indented) >= 0.9 * len(paras):
            own = [c for c in indented if not _quotes_early(markers.strip(c.text))]
            for c in own:
                c.quote = False
            if own:
                draft.explain(own[0].line, "quote", f"section indented as a whole: "
                              f"{len(own)} paragraph(s) without quotation marks not quoted")
        section = []
