"""Quoted passages in expository texts: paragraphs of someone else's words, set as quotes.

An essay or a history that quotes a passage of several paragraphs puts a quotation mark
at the start of each one (``"This form of government is a convention by which…``), the
passage running to the end of each paragraph.  In a novel the same shape is a character
speaking, so the rule applies only to texts with almost no dialogue, where paragraphs
opening with a quotation mark are rare.  Only the block-quote flag changes.
"""
from __future__ import annotations

import re

from .blocks import Block

OPENING = "“\"‘«„"
# The quotation closes at the paragraph's end (a note reference or punctuation may follow).
CLOSES_AT_END = re.compile(r"[”\"’»][.,;:!?—-]*$")
MAX_DIALOGUE_SHARE = 0.05      # paragraphs opening with a quotation mark, in the whole text
MIN_WORDS = 20


def _quoted_to_end(text: str) -> bool:
    """Opens with a quotation mark, and the quotation runs to the end of the paragraph
    (closed there, or left open because the next paragraph continues it)."""
    if not text or text[0] not in OPENING or len(text.split()) < MIN_WORDS:
        return False
    if CLOSES_AT_END.search(text):
        return True
    return text.count("“") > text.count("”") or (text.count('"') % 2 == 1)


def quote_passages(blocks: list[Block], draft) -> None:
    markers = draft.markers
    paras = [b for b in blocks if b.kind == "para" and markers.strip(b.text).strip()]
    if not paras:
        return
    opening = sum(1 for b in paras if markers.strip(b.text).lstrip()[:1] in OPENING)
    if opening > MAX_DIALOGUE_SHARE * len(paras):
        return
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
