"""Project Gutenberg: strip the header and licence, keep what they state as metadata."""
from __future__ import annotations

import re

START = re.compile(r"^\*\*\*\s*START OF (THE|THIS) PROJECT GUTENBERG.*$", re.M | re.I)
END = re.compile(r"^\*\*\*\s*END OF (THE|THIS) PROJECT GUTENBERG.*$", re.M | re.I)
FIELDS = {
    "title": "title", "author": "author", "translator": "translator",
    "language": "language", "release date": "date",
}


def run(draft):
    text = draft.text
    start, end = START.search(text), END.search(text)
    if not start:
        return draft
    header = text[: start.start()]
    for line in header.split("\n"):
        key, _, value = line.partition(":")
        field = FIELDS.get(key.strip().lower())
        if field and value.strip():
            draft.meta.setdefault(field, value.strip())
    number = re.search(r"\[E(?:Book|text) #(\d+)\]", header, re.I)
    if number:
        draft.meta["identifier"] = f"https://www.gutenberg.org/ebooks/{number.group(1)}"
    draft.first_line = header.count("\n") + 2
    draft.text = text[start.end(): end.start() if end else len(text)]
    draft.report.info(1, "I-GUTENBERG", "removed the Project Gutenberg header and licence")
    return draft
