"""Inline markup kept out of the way of typography and escaping.

Stages that add Markdown syntax inside a paragraph (emphasis, footnote references, speaker
names) put a *marker* in the text instead: a private-use character not otherwise in the
document, an index, and the same character again.  Typography sees through markers, the
renderer escapes the text around them and then swaps each marker for its Markdown.
"""
from __future__ import annotations

import re


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
