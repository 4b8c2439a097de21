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
CREDITS = re.compile(r"Project Gutenberg|Produced by|prepared by|Distributed Proofread|"
                     r"pgdp\.net|Transcribed (from|by)|^\s*\*{3}\s*$|gutenberg\.(org|net)|"
                     # thanks for the scans a text was made from
                     r"\bOCR\b|image files|page images|scanned|Internet Archive|gallica\.|"
                     r"We thank|Nous remercions|Wir danken", re.I)
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


def split(text: str) -> Parts:
    start = START.search(text)
    if not start:
        return Parts("", text, "", 1, [])
    end = END.search(text, start.end())
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
    credits, i, blocks_seen = [], 0, 0
    while i < len(lines) and blocks_seen < 6:
        if not lines[i].strip():
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j].strip():
            j += 1
        block = lines[i:j]
        blocks_seen += 1
        joined = " ".join(x.strip() for x in block)
        what = ("production credits" if any(CREDITS.search(ln) for ln in block) else
                "title page repeating the header"
                if len(joined) > 20 and joined.casefold() in boilerplate else None)
        if what:
            credits.append((first_line + i, what, joined))
            lines[i:j] = [""] * (j - i)
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
