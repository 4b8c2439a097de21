"""Texts written one paragraph per line (speeches, exported notes).

The first short line standing alone is the title.  The framing of a speech or address is
set apart in fenced divs: ``preamble`` (lead paragraphs), ``opening`` (the invocation or
salutation) and ``closing`` (the short lines at the very end).
"""
from __future__ import annotations

import re

from .blocks import Block, Raw
from .markup import inline

SENTENCE_END = re.compile(r"[.!?:;…\"”’)\]]$")


def _is_display_line(line: str) -> bool:
    return len(line) <= 80 and not SENTENCE_END.search(line)


def _title_and_rest(raw: list[Raw]):
    first = raw[0]
    if len(first.lines) == 1 and _is_display_line(first.lines[0].text) and len(raw) > 1:
        return first, raw[1:]
    return None, raw


def one_paragraph_per_line(raw: list[Raw]) -> bool:
    """True when lines are whole paragraphs (not hard-wrapped to a measure)."""
    _, rest = _title_and_rest(raw)
    lines = [ln for r in rest for ln in r.lines]
    long = sum(1 for ln in lines if ln.indent + len(ln.text) > 100)
    return long >= max(1, len(lines) // 3)


def speech_blocks(raw: list[Raw], draft) -> list[Block]:
    title, rest = _title_and_rest(raw)
    if title is not None:
        draft.meta.setdefault("title", title.lines[0].text)
        draft.explain(title.no, "title", f"first line is the title: {title.lines[0].text[:60]}")
    lines = [ln for r in rest for ln in r.lines]
    paras = [Block("para", text=inline(ln.text, draft.markers), line=ln.no) for ln in lines]
    texts = [ln.text for ln in lines]
    n = len(paras)
    opening = next((i for i, p in enumerate(texts[:4]) if _is_display_line(p)), None)
    if opening is None or n - opening < 4:
        return paras
    closing = n
    while closing - 1 > opening + 2 and len(texts[closing - 1]) <= 60:
        closing -= 1
    if closing == n or n - closing > 3:
        closing = n
    out = []
    if opening:
        out.append(Block("div", cls="preamble", children=paras[:opening], line=paras[0].line))
        draft.explain(paras[0].line, "div", "preamble: the lead paragraphs")
    out.append(Block("div", cls="opening", children=[paras[opening]], line=paras[opening].line))
    draft.explain(paras[opening].line, "div", "opening: the invocation line")
    out += paras[opening + 1:closing]
    if closing < n:
        out.append(Block("div", cls="closing", children=paras[closing:],
                         line=paras[closing].line))
        draft.explain(paras[closing].line, "div", "closing: the closing lines")
    return out
