"""Typed blocks to canonical Pandoc Markdown, with typography in the text's language.

Text is typeset, then escaped piece by piece around the markers that hold markup, so
what pandoc reads back is exactly the text and the structure that were decided.
"""
from __future__ import annotations

from .markdown import escape_heading, escape_inline, escape_line_start
from .preformatted import fence
from .typography import typeset


def inline_md(text: str, markers, lang, heading=False) -> str:
    text = typeset(text, lang, markers)
    out = []
    for is_marker, piece in markers.split(text):
        if is_marker:
            out.append(piece)
        else:
            out.append(escape_heading(piece) if heading else escape_inline(piece))
    md = "".join(out).strip()
    return md if heading else escape_line_start(md)


def render_block(b, markers, lang) -> str:
    if b.kind == "code":                # preformatted: as written, no typography
        return fence(b.text)
    if b.kind == "para":
        md = inline_md(b.text, markers, lang)
        if not md:
            return ""
        return "> " + md if b.quote else md
    if b.kind == "heading":
        md = "#" * b.level + " " + inline_md(b.text, markers, lang, heading=True)
        if b.synopsis:      # an attribute: plain text, typeset, quoted for pandoc
            text = typeset(b.synopsis, lang, markers).replace("\\", "\\\\").replace('"', '\\"')
            md += f' {{synopsis="{text}"}}'
        return md
    if b.kind == "lines":
        rows = []
        for indent, text in b.rows:
            md = inline_md(text, markers, lang)
            rows.append("| " + "\u00a0" * 0 + " " * indent + md if md else "|")
        body = "\n".join(rows)
        return "\n".join("> " + r for r in body.split("\n")) if b.quote else body
    if b.kind == "break":
        return "* * *"
    if b.kind == "note":
        first = inline_md(b.text, markers, lang)
        rest = [inline_md(t, markers, lang) for t in getattr(b, "children", [])]
        parts = [f"[^{b.label}]: {first}"] + ["    " + t for t in rest if t]
        return "\n\n".join(parts)
    if b.kind == "comment":
        text = markers.strip(b.text).replace("--", "- -").replace("\n", " ")
        return f"<!-- {text} -->"
    if b.kind == "list":
        return "\n".join("- " + inline_md(c.text, markers, lang) for c in b.children)
    if b.kind == "div":
        inner = [render_block(c, markers, lang) for c in b.children]
        return "\n\n".join([f"::: {b.cls}", *[x for x in inner if x], ":::"])
    raise ValueError(f"unknown block kind {b.kind}")


def render_blocks(blocks, markers, lang) -> str:
    parts = [render_block(b, markers, lang) for b in blocks]
    return "\n\n".join(p for p in parts if p) + "\n"
