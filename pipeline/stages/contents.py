"""Contents lists inside the text: recognised, used as a map of the headings, set aside.

After a ``CONTENTS`` line come entries (labelled or numbered lines, short titles, page
numbers) until the text itself starts: the first entry repeated as a heading, or a heading
followed by running text.  The list becomes an HTML comment (the generated table of
contents replaces it), so no word is lost.  Its entries are kept (``ContentsMap``): a line
of the body standing alone that repeats the next entries is a heading, even when nothing
else about it says so (mixed-case story titles).
"""
from __future__ import annotations

import re

from . import headings as H
from .blocks import Raw

def _signature(line: str):
    m = H.label_match(line)
    if m:
        return (H.rank_of(m.group("label")), (m.group("num") or "").upper(),
                (m.group("ord") or "").lower())
    m = re.match(rf"^({H.ROMAN}|\d+)\.?(?:\s|$)", line)
    if m:
        return ("bare", m.group(1))
    return ("text", entry_key(PAGE.sub("", line) if len(line) > 4 else line))


PAGE = re.compile(r"(?:\s*\.){0,}\s*(?:\d+|[ivxlc]+)\s*$")
COLUMN_HEAD = re.compile(r"^(?:page|pages|p\.|seite|chapter)\.?$", re.I)


def entry_key(text: str) -> str:
    """An entry or a heading without its page number, label words and final stop."""
    words = H.key(text).split()
    return " ".join(w for w in words if w not in H.RANKS)


class ContentsMap:
    """The entries of the text's contents lists, matched in order to lines of the body."""

    def __init__(self):
        self.entries: list[str] = []
        self.next = 0

    def add(self, lines: list[str]) -> None:
        for s in lines:
            s = s.strip()
            if COLUMN_HEAD.match(s):
                continue
            bare = PAGE.sub("", s) if len(s) > 4 else s
            key = entry_key(bare)
            if key:
                self.entries.append(key)

    def match(self, text: str, reach: int = 6):
        """The entry number a standing line repeats (searching a few entries ahead), or
        None; a match moves the map past that entry."""
        key = entry_key(text)
        if not key:
            return None
        for k in range(self.next, min(len(self.entries), self.next + reach)):
            if self.entries[k] == key:
                self.next = k + 1
                return k
        return None


def remove_contents(raw: list[Raw], ctx) -> list[Raw]:
    """ctx: the structure stage's Context (measure, markers, report); the entries go to
    ctx.contents (a ContentsMap)."""
    ctx.contents = ContentsMap()
    out, i = [], 0
    while i < len(raw):
        r = raw[i]
        if not (len(r.lines) == 1 and H.CONTENTS.match(ctx.visible(r.joined).strip())):
            out.append(r)
            i += 1
            continue
        j, first = i + 1, None
        while j < len(raw):
            b = raw[j]
            lines = [ctx.visible(ln.text) for ln in b.lines]
            if any(len(s) > 100 or s.endswith(":") for s in lines):
                break
            # (A column head, ``Page``, may stand over the page numbers.)
            if len(lines) > 4 and not all(_signature(s)[0] != "text" or re.search(r"\d+$", s)
                                          or (k == 0 and COLUMN_HEAD.match(s))
                                          for k, s in enumerate(lines)):
                break
            sig = _signature(lines[1] if len(lines) > 1 and COLUMN_HEAD.match(lines[0])
                             else lines[0])
            if first is None:
                first = sig
            elif sig == first:
                break
            if j + 1 < len(raw) and ctx.is_running_text(raw[j + 1]) and len(lines) == 1 and (
                    H.NAMED.match(lines[0]) or H.label_match(lines[0]) or
                    H.is_all_caps(lines[0]) or H.BARE.match(lines[0])):
                break
            j += 1
        if j - i < 2 or (j - i == 2 and len(raw[i + 1].lines) < 2):
            out.append(r)
            i += 1
            continue
        words = " ".join(ctx.visible(x.joined) for x in raw[i:j])
        ctx.contents.add([ctx.visible(ln.text) for x in raw[i + 1:j] for ln in x.lines])
        ctx.draft.report.info(r.no, "I-CONTENTS", f"removed the contents list (lines {r.no}-"
                              f"{raw[j - 1].lines[-1].no}); the table of contents is generated")
        ctx.draft.explain(r.no, "contents", f"contents list removed ({j - i - 1} entries)")
        out.append(Raw(r.lines, r.gap))
        out[-1].contents = words
        i = j
    return out
