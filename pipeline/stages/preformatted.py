"""Plain text that is not prose: grammars, code listings, ASCII tables and drawings, kept
as code blocks with every space and line break as written.

A block of lines is preformatted when its layout says so, measured on the block itself:
most of its lines draw boxes or rules, end like code, define grammar rules, or line up
in columns after runs of spaces (three columns on most lines, or two on every line).
Joining such lines into a paragraph (and curling their quotes) destroys them.  Each decision is listed by ``--explain``.
"""
from __future__ import annotations

import re

from .blocks import Block, Line, Raw

BOX = re.compile(r"^[\s+|=_*#/\\<>^~.:o-]*[+|][\s+|=_*#/\\<>^~.:o-]*$|[+|]-{3,}|-{3,}[+|]")
CODE_END = re.compile(r"[;{}]\s*$|^\s*(?://|/\*|\*/|#include\b|#define\b)")
GRAMMAR = re.compile(r"^\s*<?[A-Za-z][\w-]*>?\s*(?:::=|=/?)\s*\S")
GRAMMAR_SIGNS = re.compile(r"[/|*\[\]()\"%<>]")
# Verse ends lines with semicolons too: code also shows braces, a call or an assignment.
CODE_SIGNS = re.compile(r"[{}]|\w\(|\s=\s|^\s*(?://|/\*|#include\b|#define\b)")
GAP = re.compile(r"\S( {3,})(?=\S)")
GAP2 = re.compile(r"\S( {2,})(?=\S)")
# _italics_ or *emphasis*: lines an author marked up to be set, not kept as typed.
EMPHASIS = re.compile(r"(?<![\w*_])([_*])\S(?:.*?\S)?\1(?![\w*_])")


def why_preformatted(lines: list[str]) -> str | None:
    """The layout that makes these lines (a block, as written) preformatted, or None."""
    if len(lines) < 2:
        return None
    half = len(lines) / 2
    for what, pattern in (("box drawing or table rules", BOX), ("code", CODE_END),
                          ("grammar rules", GRAMMAR)):
        signs = {GRAMMAR: GRAMMAR_SIGNS, CODE_END: CODE_SIGNS}.get(pattern)
        if sum(bool(pattern.search(ln)) for ln in lines) > half and (
                signs is None or any(signs.search(ln) for ln in lines)):
            return what
    # A table: three columns or more, their words starting at the same places after runs
    # of spaces on most lines (two columns are as often a list set out in a book).
    starts = [{m.end(1) for m in GAP.finditer(ln)} for ln in lines]
    if len(lines) >= 3:
        shared = [c for c in set().union(*starts) if sum(c in s for s in starts) > half]
        if len(shared) >= 2:
            return "columns lined up with spaces"
    if two_columns(lines):
        return "two columns lined up with spaces"
    return None


def two_columns(lines: list[str]) -> bool:
    """Three lines or more, each two cells: the second starting at the same place on every
    line, after two spaces or more.  Prose (wrapped, sentences after two spaces) does
    not line up so on every line; a list an author marked up for italics is set text."""
    if len(lines) < 3 or any(EMPHASIS.search(ln) for ln in lines):
        return False
    starts = [[m.end(1) for m in GAP2.finditer(ln)] for ln in lines]
    return all(len(s) == 1 for s in starts) and len({s[0] for s in starts}) == 1


def set_apart(raw: list[Raw], source: dict[int, str], draft) -> tuple[list[Raw], dict]:
    """Stand each preformatted block (neighbours joined, with the blank lines between them)
    in for a one-line placeholder, so the blocks around keep their places and separation;
    return the blocks and {placeholder: code block}.  A placeholder restores to the fenced
    code itself, so even one that structure merged elsewhere loses nothing."""
    kept: list[Raw] = []
    code: dict[str, str] = {}
    run: list[Raw] = []

    def close():
        if run:
            first, last = run[0].lines[0].no, run[-1].lines[-1].no
            text = "\n".join(source.get(n, "") for n in range(first, last + 1))
            mark = draft.markers.add(fence(text))
            code[mark] = Block("code", text=text, line=first)
            kept.append(Raw([Line(first, mark, 0)], run[0].gap))
            run.clear()

    for r in raw:
        why = why_preformatted([source.get(ln.no, ln.text) for ln in r.lines])
        if why:
            draft.explain(r.lines[0].no, "preformatted", f"{why}: kept as written "
                          f"({len(r.lines)} lines)")
            run.append(r)
            continue
        close()
        kept.append(r)
    close()
    return kept, code


def put_back(blocks: list[Block], code: dict) -> list[Block]:
    """Each placeholder paragraph becomes its code block again."""
    return [code.get(b.text, b) if b.kind == "para" and not b.quote else b for b in blocks]


def fence(text: str) -> str:
    ticks = max([len(m) for m in re.findall(r"`{3,}", text)] + [2]) + 1
    return f"{'`' * ticks}\n{text}\n{'`' * ticks}"
