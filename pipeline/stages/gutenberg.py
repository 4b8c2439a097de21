"""Project Gutenberg: strip the header, licence and production credits; keep what they
state (title, author, translator, language, release date, ebook number) as metadata.

``split`` is shared with the lossless check, so both agree on what was boilerplate.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

START = re.compile(r"^\s*\*{3}\s*START OF (THE|THIS) PROJECT GUTENBERG.*$", re.M | re.I)
END = re.compile(r"^\s*\*{3}\s*END OF (THE|THIS) PROJECT GUTENBERG.*$", re.M | re.I)
# "End of the Project Gutenberg EBook of X" just before the END marker.
END_LINE = re.compile(r"^\s*(\**\s*)?End of (the |this )?Project Gutenberg", re.I)
# Files from before about 2000 have no START/END markers: their header ends with the
# "Small Print!" licence (*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*)
# and their footer starts at "End of (the) Project Gutenberg Etext of …" (the licence may
# follow it there instead).
SMALL_PRINT_END = re.compile(r"^[ \t]*\*+[ \t]*END[ \t]*\*?[ \t]*THE SMALL PRINT.*$", re.M | re.I)
OLD_END = re.compile(r"^[ \t]*(\*+[ \t]*)?End of (the |this )?Project Gutenberg.*$", re.M | re.I)
OLD_FIELDS = re.compile(r"^\s*(Title|Author|Release Date|Edition):|\[E-?text #\d+\]", re.M | re.I)
OLD_HEADER = re.compile(r"Project Gutenberg|\bE-?texts?\b|\bE-?books?\b|^\s*(Title|Author|Release Date|"
                        r"Edition|Language|Character set encoding):|donation|Copyright laws|"
                        r"\*\*[A-Za-z]", re.M | re.I)
CREDITS = re.compile(r"Project Gutenberg|Produced by|prepared by|Distributed Proofread|"
                     r"pgdp\.net|Transcribed (from|by)|^\s*\*{3}\s*$|gutenberg\.(org|net)|"
                     # thanks for the scans a text was made from
                     r"\bOCR\b|image files|page images|scanned|Internet Archive|gallica\.|"
                     r"We thank|Nous remercions|Wir danken", re.I)
FRONT_LINES = 600         # how far into the text front matter is looked for
PG_NAMED = re.compile(r"\bProject Gutenberg\b", re.I)
FIELDS = {
    "title": "title", "author": "author", "translator": "translator",
    "translators": "translator", "translated by": "translator",
    "language": "language", "release date": "date", "editor": "editor",
    "illustrator": "illustrator", "illustrated by": "illustrator",
}
# What Project Gutenberg adds to a title: "The Project Gutenberg EBook of …", "…, Complete".
TITLE_RESIDUE = re.compile(r"^(the\s+)?project\s+gutenberg(['’]s)?\s+(e-?book|etext)\s+of\s+|"
                           r"\s*(?:[,;:—–-]\s*|\()complete\)?\.?\s*$", re.I)
MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november "
    "december".split(), 1)}


@dataclass
class Parts:
    header: str          # text before the body (empty when not a PG text)
    body: str
    footer: str
    first_line: int      # source line of the body's first line
    credits: list        # (line, what, text) of credits and title-page lines removed


def _old_style(text: str):
    """(start, end) matches bounding the body of a pre-2000 file (no START/END markers),
    or None when the text is not one."""
    head = text[:20000]
    if not re.search(r"Project Gutenberg", head, re.I):
        return None
    small, end = SMALL_PRINT_END.search(text), OLD_END.search(text)
    if small and (end is None or small.start() < end.start()):
        return small, OLD_END.search(text, small.end())
    if end is None:
        return None
    # The licence after the text: the header is the run of boilerplate paragraphs at the
    # top (the title, the Etext number, the "Welcome to …" and donation notices).
    # Notices and fields (Title:, Release Date: … [Etext #]) may alternate with other
    # notices; the header ends after its last such paragraph, and once its fields were
    # given, at the first paragraph that is no notice.
    last = fields = None
    for m in re.finditer(r"^[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*", head[:8000], re.M):
        if OLD_HEADER.search(m.group(0)):
            last = m
            fields = fields or OLD_FIELDS.search(m.group(0))
        elif fields:
            break
    return (last, end) if last else None


def split(text: str) -> Parts:
    start, end = START.search(text), None
    if start:
        end = END.search(text, start.end())
    else:
        old = _old_style(text)
        if not old:
            return Parts("", text, "", 1, [])
        start, end = old
    header = text[: start.end()]
    body = text[start.end(): end.start() if end else len(text)]
    footer = text[end.start():] if end else ""
    first_line = header.count("\n") + 1
    body = body[1:] if body.startswith("\n") else body
    first_line += 1
    # The footer's own lead-in line.
    lines = body.split("\n")
    for k in range(len(lines) - 1, max(-1, len(lines) - 12), -1):
        if END_LINE.match(lines[k]):
            del lines[k:]
            break
    # Production credits and title-page lines the header repeats, in the first few
    # blocks after START.
    boilerplate = " ".join((header + "\n" + footer).split()).casefold()
    # Further into the front matter (a contents list may come first), a paragraph about
    # the etext itself names Project Gutenberg: "…one from Project Gutenberg's archives".
    credits, i, blocks_seen = [], 0, 0
    while i < min(len(lines), FRONT_LINES):
        if not lines[i].strip():
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j].strip():
            j += 1
        block = lines[i:j]
        blocks_seen += 1
        joined = " ".join(x.strip() for x in block)
        what = ("production credits" if blocks_seen <= 6 and any(CREDITS.search(ln) for ln in block)
                or PG_NAMED.search(joined) else
                "title page repeating the header"
                if blocks_seen <= 6 and len(joined) > 20 and joined.casefold() in boilerplate
                else None)
        if what:
            credits.append((first_line + i, what, joined))
            lines[i:j] = [""] * (j - i)
            # and the label introducing them, a short line ending in a colon just before
            k = i - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            label = lines[k].strip() if k >= 0 else ""
            if label.endswith(":") and len(label) <= 40 and (k == 0 or not lines[k - 1].strip()):
                credits.append((first_line + k, what, label))
                lines[k] = ""
        i = j
    return Parts(header, "\n".join(lines), footer, first_line, credits)


def header_fields(header: str) -> dict:
    meta: dict = {}
    for line in header.split("\n"):
        key, sep, value = line.partition(":")
        field = FIELDS.get(key.strip().lower())
        value = re.sub(r"\s*\[E(?:Book|text) #\d+\].*$", "", value.strip(), flags=re.I)
        if sep and field and value and field not in meta:
            meta[field] = iso_date(value) if field == "date" else value
    number = re.search(r"\[E(?:Book|text) #(\d+)\]", header, re.I)
    if number:
        meta["identifier"] = f"https://www.gutenberg.org/ebooks/{number.group(1)}"
    return meta


def iso_date(value: str) -> str:
    """'August 16, 2013' -> '2013-08-16', 'March, 2001' -> '2001-03'; else as written."""
    m = re.fullmatch(r"([A-Za-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})", value.strip())
    if m and m.group(1).lower() in MONTHS:
        month = MONTHS[m.group(1).lower()]
        day = f"-{int(m.group(2)):02d}" if m.group(2) else ""
        return f"{m.group(3)}-{month:02d}{day}"
    m = re.fullmatch(r"([A-Za-z]+),\s*(\d{4})", value.strip())
    if m and m.group(1).lower() in MONTHS:
        return f"{m.group(2)}-{MONTHS[m.group(1).lower()]:02d}"
    return value


def run(draft):
    if draft.kind != "text":
        return draft
    parts = split(draft.text)
    if not parts.header:
        return draft
    for key, value in header_fields(parts.header).items():
        if key == "title" and TITLE_RESIDUE.search(value):
            value, given = TITLE_RESIDUE.sub("", value).strip() or value, value
            draft.report.info(1, "I-CREDITS", f"title {given!r} given as {value!r}")
        draft.meta.setdefault(key, value)
    draft.gutenberg = True
    draft.first_line = parts.first_line
    draft.text = parts.body
    draft.report.info(1, "I-GUTENBERG", "removed the Project Gutenberg header "
                      f"(lines 1-{parts.first_line - 1}) and licence")
    draft.explain(1, "boilerplate", "Project Gutenberg header and licence removed")
    for line, what, text in parts.credits:
        draft.report.info(line, "I-CREDITS", f"removed {what}: {text[:60]}")
        draft.explain(line, "boilerplate", f"{what} removed: {text[:60]}")
    return draft
