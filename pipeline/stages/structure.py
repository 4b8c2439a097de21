"""Plain text to Markdown blocks: title, paragraphs, display lines.

Markdown sources already carry their structure and pass through unchanged.
"""
from __future__ import annotations

import re

from .markdown import escape

SENTENCE_END = re.compile(r"[.!?:;…\"”’)\]]$")


def _blocks(text: str) -> list[list[str]]:
    blocks, current = [], []
    for line in text.split("\n"):
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _one_paragraph_per_line(blocks: list[list[str]]) -> bool:
    """True when lines are whole paragraphs (not hard-wrapped to a measure)."""
    lines = [ln for b in blocks for ln in b]
    long = sum(1 for ln in lines if len(ln) > 100)
    return long >= max(1, len(lines) // 3)


def _is_display_line(line: str) -> bool:
    return len(line) <= 80 and not SENTENCE_END.search(line)


def run(draft):
    if draft.kind != "text":
        return draft
    blocks = _blocks(draft.text)
    if not blocks:
        raise draft.report.fail(1, "E-EMPTY", "the file has no text; add some, or remove the file")
    # A short first line standing alone is the title.
    first = blocks[0]
    if len(first) == 1 and _is_display_line(first[0].strip()) and len(blocks) > 1:
        draft.meta.setdefault("title", first[0].strip())
        blocks = blocks[1:]
    if _one_paragraph_per_line(blocks):
        paragraphs = [ln.strip() for b in blocks for ln in b]
    else:
        paragraphs = [" ".join(ln.strip() for ln in b) for b in blocks]
    draft.text = "\n\n".join(_set_apart(paragraphs)) + "\n"
    return draft


def _set_apart(paragraphs: list[str]) -> list[str]:
    """Mark the framing of a speech or address: preamble, opening line, closing lines.

    A short unpunctuated line near the start, followed by the body, is an opening
    (an invocation, a salutation); the paragraphs before it introduce the text.  A run
    of short lines at the very end closes it.  Everything is kept, in order.
    """
    out = [escape(p) for p in paragraphs]
    n = len(paragraphs)
    opening = next((i for i, p in enumerate(paragraphs[:4]) if _is_display_line(p)), None)
    if opening is None or n - opening < 4:
        return out
    closing = n
    while closing - 1 > opening + 2 and len(paragraphs[closing - 1]) <= 60:
        closing -= 1
    if closing == n or n - closing > 3:
        closing = n
    result = []
    if opening:
        result += ["::: preamble", *out[:opening], ":::"]
    result += ["::: opening", out[opening], ":::"]
    result += out[opening + 1:closing]
    if closing < n:
        result += ["::: closing", *out[closing:], ":::"]
    return result
