"""Writing Pandoc Markdown safely: escape text so it reads back exactly as written."""
from __future__ import annotations

import re

# Characters that can start inline markup anywhere in a line.
INLINE = re.compile(r"([\\`*_<>\[\]$^~|])")
# Line starts that pandoc would read as a block construct.
BLOCK_START = re.compile(
    r"^(\s*)(#|>|[-+*](?=\s|$)|\d+[.)](?=\s|$)|\(\d+\)(?=\s)|[A-Za-z][.)](?=\s)|[ivxlcdm]+[.)](?=\s)"
    r"|:(?=\s)|~(?=~~)|%|=+\s*$|-+\s*$|\|)", re.I)


def escape_inline(text: str) -> str:
    return INLINE.sub(r"\\\1", text)


def escape_line_start(line: str) -> str:
    m = BLOCK_START.match(line)
    if not m:
        return line
    indent, marker = m.group(1), m.group(2)
    if marker.startswith("\\"):
        return line
    rest = line[m.end(1):]
    # Escaping the first punctuation character is enough to make it literal text.
    for i, ch in enumerate(rest):
        if not ch.isalnum():
            return indent + rest[:i] + "\\" + rest[i:]
    return line


def escape(text: str) -> str:
    """Escape one paragraph of plain text (lines joined by spaces) for Markdown."""
    return escape_line_start(escape_inline(text))
