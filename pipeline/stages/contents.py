"""Contents lists inside the text: recognised, used as a map of the headings, set aside.

After a ``CONTENTS`` line come entries (labelled or numbered lines, short titles, page
numbers) until the text itself starts: the first entry repeated as a heading, or a heading
followed by running text.  The list becomes an HTML comment (the generated table of
contents replaces it), so no word is lost.  Its entries are kept (``ContentsMap``): a line
of the body standing alone that repeats the next entries is a heading, even when nothing
else about it says so (mixed-case story titles).  An entry that says more than the heading it
stands for (Tom Sawyer's ``CHAPTER I. Y-o-u-u Tom--Aunt Polly Decides…`` over a bare
``CHAPTER I``) gives that heading its synopsis, which the contents of every edition show.
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
        self.whole: list[str] = []      # each entry as written, its lines joined

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
        for x in raw[i + 1:j]:
            ctx.contents.whole += _entries([ctx.visible(ln.text) for ln in x.lines])
        ctx.draft.report.info(r.no, "I-CONTENTS", f"removed the contents list (lines {r.no}-"
                              f"{raw[j - 1].lines[-1].no}); the table of contents is generated")
        ctx.draft.explain(r.no, "contents", f"contents list removed ({j - i - 1} entries)")
        out.append(Raw(r.lines, r.gap))
        out[-1].contents = words
        i = j
    return out


def _entries(lines: list[str]) -> list[str]:
    """The entries of a block of the list: a line opening with a label or a number, or one
    after a page number, starts one (Hamlet's ``ACT I`` over ``Scene I. Elsinore…``); any
    other line goes on the entry before, with no space where a line ends or starts with a
    dash (Tom Sawyer's ``Compare Notes`` / ``--An Expedition``)."""
    out: list[str] = []
    for s in (ln.strip() for ln in lines):
        if COLUMN_HEAD.match(s):
            continue
        if not out or _signature(s)[0] != "text" or re.search(r"\s\d+$", out[-1]):
            out.append(s)
        else:
            out[-1] += s if out[-1].endswith("-") or s.startswith("-") else " " + s
    # Entries run together (ACT I Scene I. Elsinore. … Scene II. …) part at each label.
    return [e for entry in out for e in INNER_LABEL.split(entry) if e]


INNER_LABEL = re.compile(rf"\s+(?=(?i:{H.LABEL})\.?\s+(?:{H.ROMAN}|\d{{1,4}})(?!\w))")


WORD_RE = re.compile(r"\w+")


def _beyond(entry: str, heading: str) -> str | None:
    """What an entry says after the words of the heading it begins with (its page number
    left out), or None when it does not begin with them."""
    words = [w.lower() for w in WORD_RE.findall(heading)]
    found = list(WORD_RE.finditer(entry))
    if not words or len(found) < len(words) or \
            [m.group(0).lower() for m in found[:len(words)]] != words:
        return None
    rest = entry[found[len(words) - 1].end():]
    rest = PAGE.sub("", rest) if re.search(r"\D\s*\d+\s*$", rest) else rest
    return rest.strip(" .:,;-\u2013\u2014")


def attach_synopses(heads: list, contents: ContentsMap, visible, explain) -> None:
    """Give each heading the words its contents entry adds (a synopsis), matching headings
    to entries in order; an entry that only repeats its heading adds nothing."""
    k = 0
    for h in heads:
        text = visible(h.text)
        for n in range(k, min(len(contents.whole), k + 6)):
            rest = _beyond(contents.whole[n], text)
            if rest is None:
                continue
            k = n + 1
            if re.search(r"[^\W\d_]", rest):
                h.synopsis = rest
                explain(h.line, "synopsis", f"from contents entry {n + 1}: {rest[:50]}")
            break
