"""Writing Pandoc Markdown safely: escape text so it reads back exactly as written."""
from __future__ import annotations

import re

# Characters that can start inline markup anywhere in a line.
INLINE = re.compile(r"([\\`*_<>\[\]$^~|{}])")
ENTITY = re.compile(r"&(?=#?\w+;)")
CITE = re.compile(r"(?<![\w\\])@(?=[\w{])")
# Line starts that pandoc would read as a block construct.
BLOCK_START = re.compile(
    r"^(\s*)(#|>|[-+*](?=\s|$)|\d+[.)](?=\s|$)|\(\d+\)(?=\s|$)|[A-Za-z][.)](?=\s|$)"
    r"|\([A-Za-z]\)(?=\s|$)|[ivxlcdm]+[.)](?=\s|$)|\([ivxlcdm]+\)(?=\s|$)|#\.(?=\s)"
    r"|:(?=\s|$)|:{3,}|~(?=~~)|%|=+\s*$|-+\s*$|\||\+(?=\s|$))", re.I)


def escape_inline(text: str) -> str:
    text = INLINE.sub(r"\\\1", text)
    text = ENTITY.sub(r"\\&", text)
    return CITE.sub(r"\\@", text)


def escape_line_start(line: str) -> str:
    m = BLOCK_START.match(line)
    if not m:
        return line
    indent = m.group(1)
    rest = line[m.end(1):]
    if rest.startswith("\\"):
        return line
    # Escaping the first punctuation character is enough to make it literal text.
    for i, ch in enumerate(rest):
        if not ch.isalnum():
            return indent + rest[:i] + "\\" + rest[i:]
    return line


def escape_heading(text: str) -> str:
    return escape_inline(text).replace("#", "\\#")
