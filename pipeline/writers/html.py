"""The web edition: one self-contained HTML file (CSS inline, no external requests)."""
from __future__ import annotations

from .base import css, note_id, note_refs, render, to_html


def write_html(doc, options=None) -> bytes:
    body = doc.body_copy()
    notes = []
    for ref in note_refs(body):
        nid = note_id(ref)
        if nid in doc.notes:
            notes.append((nid, to_html(doc.notes[nid]), ref.get("id")))
    page = render("html.html", doc=doc, body=to_html(body), notes=notes,
                  stylesheet=css("base.css", "web.css"))
    return page.encode("utf-8")
