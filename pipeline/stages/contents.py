"""Contents lists inside the text: recognised, reported and set aside.

After a ``CONTENTS`` line come entries (labelled or numbered lines, short titles, page
numbers) until the text itself starts: the first entry repeated as a heading, or a heading
followed by running text.  The list becomes an HTML comment (the generated table of
contents replaces it), so no word is lost.
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
    return ("text", H.key(line))


def remove_contents(raw: list[Raw], ctx) -> list[Raw]:
    """ctx: the structure stage's Context (measure, markers, report)."""
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
            if len(lines) > 4 and not all(_signature(s)[0] != "text" or re.search(r"\d+$", s)
                                          for s in lines):
                break
            sig = _signature(lines[0])
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
        ctx.draft.report.info(r.no, "I-CONTENTS", f"removed the contents list (lines {r.no}-"
                              f"{raw[j - 1].lines[-1].no}); the table of contents is generated")
        ctx.draft.explain(r.no, "contents", f"contents list removed ({j - i - 1} entries)")
        out.append(Raw(r.lines, r.gap))
        out[-1].contents = words
        i = j
    return out
