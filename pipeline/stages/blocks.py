"""The block model and the first cut of plain text into blocks.

A *raw block* is a run of non-blank source lines.  Structure detection turns raw blocks
into typed ``Block``s (paragraph, heading, line block, note, break, ...) that the renderer
writes as Markdown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
                 r"\U00020000-\U0002fa1f]")


@dataclass
class Line:
    no: int          # source line number
    text: str        # without leading and trailing white space
    indent: int      # leading white space, in columns (U+3000 counts two)
    ideographic: bool = False   # indented with U+3000 (a CJK paragraph indent)
    width: int = 0   # length of the source line before notes were cut out of it


@dataclass
class Raw:
    lines: list[Line]
    gap: int = 1     # blank lines before this block
    contents: str | None = None   # the words of a contents list this block stands in for

    @property
    def no(self) -> int:
        return self.lines[0].no

    @property
    def joined(self) -> str:
        return " ".join(ln.text for ln in self.lines)


@dataclass
class Block:
    kind: str                   # para, heading, lines, break, note, comment, div
    text: str = ""              # inline text (may hold markers) for para/heading/note
    line: int = 0               # source line
    level: int = 0              # heading level
    quote: bool = False         # inside a block quote
    rows: list = field(default_factory=list)        # line block: (indent, text)
    children: list = field(default_factory=list)    # div contents / note paragraphs
    cls: str = ""               # div class
    label: str = ""             # note label (unique) once bound
    ident: str = ""             # heading identifier, when given
    synopsis: str = ""          # heading: what its contents entry says of it (plain text)


def measure_indent(s: str) -> int:
    n = 0
    for ch in s:
        if ch == " " or ch == "\u00a0":
            n += 1
        elif ch == "\t":
            n += 4
        elif ch == "\u3000":
            n += 2
        else:
            break
    return n


def to_lines(text: str, first_line: int) -> list[tuple[int, str]]:
    return [(first_line + i, s.rstrip()) for i, s in enumerate(text.split("\n"))]


def raw_blocks(numbered: list[tuple[int, str]]) -> list[Raw]:
    blocks, current, gap = [], [], 0
    for no, s in numbered:
        if s.strip():
            stripped = s.lstrip(" \t\u00a0\u3000")
            current.append(Line(no, stripped.rstrip(), measure_indent(s),
                                s.startswith("\u3000")))
        else:
            if current:
                blocks.append(Raw(current, gap))
                current, gap = [], 0
            gap += 1
    if current:
        blocks.append(Raw(current, gap))
    return blocks


def is_cjk(ch: str) -> bool:
    return bool(CJK.match(ch))


def join_lines(texts: list[str], vocabulary: set | None = None) -> str:
    """Unwrap hard-wrapped lines: spaces between words, none between CJK characters, and
    a line-end hyphen kept unless the text elsewhere spells the word without it."""
    out = ""
    for t in texts:
        if not out:
            out = t
            continue
        if is_cjk(out[-1]) or is_cjk(t[0]):
            out += t
        elif out.endswith("-") and not out.endswith("--") and vocabulary is not None:
            m1 = re.search(r"(\w+)-$", out)
            m2 = re.match(r"\w+", t)
            if m1 and m2 and (m1.group(1) + m2.group(0)).lower() in vocabulary \
                    and (m1.group(1) + "-" + m2.group(0)).lower() not in vocabulary:
                out = out[:-1] + t
            else:
                out += t
        elif out.endswith("-") and not out.endswith("--") and re.search(r"\w-$", out):
            out += t
        else:
            out += " " + t
    return out


WORD = re.compile(r"\w+(?:-\w+)*")


def vocabulary(numbered: list[tuple[int, str]]) -> set:
    """Words (lowercase) written inside lines, hyphenated compounds included."""
    vocab = set()
    for _, s in numbered:
        for w in WORD.findall(s[:-1] if s.endswith("-") else s):
            vocab.add(w.lower())
    return vocab
