"""Markdown sources: front matter kept, text typeset, ``_x_`` emphasis made ``*x*``.

Markdown already carries its structure, so only the text runs are touched: code, raw
HTML, link targets, attributes, footnote labels, escapes and syntax lines are masked
first.  Running this on the normalizer's own output changes nothing.
"""
from __future__ import annotations

import re

import yaml

from .markup import Markers
from .typography import typeset

FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
MASK = re.compile(
    r"<!--.*?-->|\\.|`+[^`\n]*`+|\[\^[^\]\s]+\]:?|\]\([^)\n]*\)|<[A-Za-z/!][^>\n]*>"
    r"|https?://\S+|\{[#.][^}\n]*\}|\{=\w+\}")
SYNTAX_LINE = re.compile(r"^\s*(?:([-*_])(?:\s*\1){2,}|:{3,}.*|[-=]{3,}|[\s|:+-]*-{3,}[\s|:+-]*)$")
EMPHASIS = re.compile(r"(?<![\w\\*])_(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?!\w)")


def split_front_matter(text: str):
    m = FRONT.match(text)
    if not m:
        return {}, text
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError:
        return {}, text
    if not isinstance(meta, dict):
        return {}, text
    return meta, text[m.end():]


def typeset_line(line: str, lang, markers: Markers) -> str:
    masked = MASK.sub(lambda m: markers.add(m.group(0)), line)
    masked = EMPHASIS.sub(lambda m: "*" + m.group(1) + "*", masked)
    return markers.restore(typeset(masked, lang, markers))


def normalize_markdown(draft, lang_of) -> None:
    meta, body = split_front_matter(draft.text)
    for k, v in meta.items():
        draft.meta.setdefault(k, v)
    lang = meta.get("language") or draft.sidecar.get("language") or lang_of(body)
    markers = Markers(body)
    out, fence, comment = [], None, False
    for line in body.split("\n"):
        m = FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            out.append(line)
            continue
        if m:
            fence = m.group(1)
            out.append(line)
            continue
        if comment or ("<!--" in line and "-->" not in line.split("<!--", 1)[1]):
            comment = "-->" not in line or line.rfind("<!--") > line.rfind("-->")
            out.append(line)
            continue
        if re.match(r"(?: {4}|\t)", line) or SYNTAX_LINE.match(line):
            out.append(line)
            continue
        out.append(typeset_line(line, lang, markers))
    draft.text = "\n".join(out).strip("\n") + "\n"
