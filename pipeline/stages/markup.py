"""Inline markup kept out of the way of typography and escaping.

Stages that add Markdown syntax inside a paragraph (emphasis, footnote references, speaker
names) put a *marker* in the text instead: a private-use character not otherwise in the
document, an index, and the same character again.  Typography sees through markers, the
renderer escapes the text around them and then swaps each marker for its Markdown.

``caps_emphasis`` marks words a text sets in capitals for emphasis (its only way to).
"""
from __future__ import annotations

import re
from dataclasses import replace

EMPHASIS = re.compile(r"(?<![\w\\])_(?=[^\s_])(.+?)(?<=[^\s_])_(?!\w)", re.S)
# Emphasis on part of a word (``_any_body``, ``misch_ee_vous``): letters only, the word
# going on after it; never after a digit (``1_st_``) nor around braces (``C_{2}``).
WORD_EMPHASIS = re.compile(r"(?<![\d\\_])_([^\W\d_]+)_(?=[^\W\d_])")


class Markers:
    """A table of Markdown snippets, referenced from text by ``F<n>F`` markers."""

    def __init__(self, text: str = ""):
        used = set(text)
        self.char = next(chr(c) for c in range(0xE000, 0xF8FF) if chr(c) not in used)
        self.items: list[str] = []
        self.pattern = re.compile(re.escape(self.char) + r"(\d+)" + re.escape(self.char))

    def add(self, markdown: str) -> str:
        self.items.append(markdown)
        return f"{self.char}{len(self.items) - 1}{self.char}"

    def strip(self, text: str) -> str:
        """The visible text: markers removed."""
        return self.pattern.sub("", text)

    def split(self, text: str) -> list[tuple[bool, str]]:
        """Pieces of text as (is_marker, content); a marker's content is its Markdown."""
        out, pos = [], 0
        for m in self.pattern.finditer(text):
            if m.start() > pos:
                out.append((False, text[pos:m.start()]))
            out.append((True, self.items[int(m.group(1))]))
            pos = m.end()
        if pos < len(text):
            out.append((False, text[pos:]))
        return out

    def restore(self, text: str) -> str:
        return self.pattern.sub(lambda m: self.items[int(m.group(1))], text)

    def raw_offset(self, text: str, visible: int) -> int:
        """Index in ``text`` of its ``visible``-th visible character (markers skipped)."""
        seen = pos = 0
        for m in self.pattern.finditer(text):
            if seen + m.start() - pos >= visible:
                break
            seen += m.start() - pos
            pos = m.end()
        return pos + visible - seen

    def map_visible(self, text: str, fn) -> str:
        """Apply a length-preserving ``str -> str`` to the visible text only."""
        pieces = list(self.pattern.finditer(text))
        if not pieces:
            return fn(text)
        visible = self.pattern.sub("", text)
        new = fn(visible)
        if len(new) != len(visible):
            raise ValueError("map_visible needs a length-preserving function")
        out, vpos, pos = [], 0, 0
        for m in pieces:
            n = m.start() - pos
            out.append(new[vpos:vpos + n])
            out.append(m.group(0))
            vpos += n
            pos = m.end()
        out.append(new[vpos:])
        return "".join(out)


# A run of words in capitals (``NOT EXPRESSLY``, ``A FIRM NATIONAL GOVERNMENT``).
_CAPS_WORD = r"[A-Z][A-Z’'\-]*[A-Z]"
CAPS_RUN = re.compile(rf"(?<![\w’'.])(?:A )?{_CAPS_WORD}(?:[ ,]+(?:A )?{_CAPS_WORD})*(?![\w’'])")
ROMAN = re.compile(r"[IVXLCDM]+")


def caps_emphasis(blocks: list, markers, explain=None) -> list:
    """Words set in capitals for emphasis, in texts that mark emphasis no other way.

    Some plain texts (the Federalist's ``not EXPRESSLY delegated``) put emphasised words
    in capitals.  When a text has no ``_emphasis_`` and is not a play, and many of its
    paragraphs of lower-case prose hold such words, each run of them becomes emphasis;
    the letters are kept as they are.  The words that open a paragraph are a lead-in,
    not emphasis; roman numerals are numbers and words with no vowel abbreviations.
    """
    paras = [b for b in blocks if b.kind in ("para", "note") and b.text]
    if any(is_marker and md in ("*", "**") for b in paras
           for is_marker, md in markers.split(b.text)):
        return blocks                       # emphasis marked otherwise, or a play
    runs = {id(b): list(_caps_runs(markers.strip(b.text))) for b in paras}
    if sum(map(len, runs.values())) < max(20, 0.1 * len(paras)):
        return blocks
    out = []
    for b in blocks:
        spans = runs.get(id(b))
        out.append(replace(b, text=_emphasise(b.text, spans, markers)) if spans else b)
        if spans and explain:
            text = markers.strip(b.text)
            words = ", ".join(text[x:y] for x, y in spans)
            explain(b.line, "emphasis", f"capitals: {words[:60]}")
    return out


def _caps_runs(text: str):
    """(start, end) of the emphasised capitals in one paragraph of running text."""
    runs = list(CAPS_RUN.finditer(text))
    if not runs or sum(map(str.islower, text)) < sum(map(str.isupper, text)):
        return
    opening = re.match(r"[\W\d]*", text)       # always matches, perhaps empty
    lead = opening.end() if opening else 0
    for m in runs:
        words = re.split(r"[ ,]+", m.group(0).strip(" ,"))
        if m.start() <= lead or all(ROMAN.fullmatch(w) or not re.search("[AEIOUY]", w)
                                    for w in words):
            continue                        # a lead-in, XIV, MSS
        yield m.start(), m.start() + len(m.group(0).rstrip(" ,"))


def _emphasise(text: str, spans, markers) -> str:
    """Wrap spans of the visible text in emphasis markers."""
    for start, end in reversed(spans):
        a, b = markers.raw_offset(text, start), markers.raw_offset(text, end)
        text = text[:a] + markers.add("*") + text[a:b] + markers.add("*") + text[b:]
    return text


def inline(text: str, markers: Markers) -> str:
    """``_x_`` to emphasis (as markers)."""
    text = WORD_EMPHASIS.sub(lambda m: markers.add("*") + m.group(1) + markers.add("*"), text)
    return EMPHASIS.sub(lambda m: markers.add("*") + m.group(1) + markers.add("*"), text)


def emph_all(text: str, markers: Markers) -> str:
    return markers.add("*") + text + markers.add("*")
