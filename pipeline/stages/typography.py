"""Typographic rules in the language of the text: small pure ``str -> str`` functions.

Curly quotes and apostrophes (’tis, the ’90s), em dashes for ``--`` and spaced hyphens,
en dashes in number ranges, the ellipsis, no-break spaces after Mr./Mrs./Dr./St. and in
``5 p.m.``; French « » and narrow no-break spaces before ; : ! ?; German „ “ (or the
» « the text already uses).  Correct typography already present is left as it is, and
every rule is idempotent: applying it to its own output changes nothing.
"""
from __future__ import annotations

import re

NBSP, NNBSP = "\u00a0", "\u202f"
OPENERS = " \t\n([{—–-‘“«»„‚/" + NBSP + NNBSP + "\u3000"
ELISIONS = re.compile(r"(?:tis|twas|twere|twill|twould|twixt|em|n|cause|neath|gainst|"
                      r"\d0s|\d\d)(?!\w)", re.I)


def ellipses(text: str) -> str:
    text = re.sub(r"(?<!\.)\.\.\.\.(?!\.)", "….", text)
    return re.sub(r"(?<!\.)\.\.\.(?!\.)", "…", text)


def dashes(text: str, lang: str = "en") -> str:
    spaced = "–" if lang == "de" else "—"
    text = re.sub(r"(?<!-)---(?!-)", "—", text)
    # Number ranges: 1813 - 20, 10-12 (not phone numbers or ISBNs).
    text = re.sub(r"(?<![\d\-–])(\d+) ?-(?:-)? ?(\d+)(?![\d\-–])",
                  lambda m: f"{m.group(1)}–{m.group(2)}", text)
    text = re.sub(r"(?<=\S) -- (?=\S)", f" {spaced} ", text)
    text = re.sub(r"(?<!-)--(?!-)", "—", text)
    text = re.sub(r"(?<=\S) - (?=\S)", f" {spaced} ", text)
    text = re.sub(r"(?<=\S) -$", f" {spaced}", text)
    return text


def no_break_spaces(text: str) -> str:
    text = re.sub(r"\b(Mr|Mrs|Ms|Messrs|Dr|St|Mme|Mlle|Prof|Rev|Capt|Col|Gen|Lt|Hon)\. +(?=\w)",
                  lambda m: m.group(1) + "." + NBSP, text)
    return re.sub(r"(?<=\d) +(?=(?:[ap]\.? ?m\.|[AP]\. ?M\.))", NBSP, text)


def _quotes(text: str, lang: str) -> str:
    """Length-preserving: straight quotes to curly (or the language's) quotes."""
    if '"' not in text and "'" not in text:
        return text
    d_open, d_close = {"de": ("„", "“"), "fr": ("«", "»")}.get(lang, ("“", "”"))
    s_open, s_close = {"de": ("‚", "‘"), "fr": ("‹", "›")}.get(lang, ("‘", "’"))
    out = list(text)
    n = len(text)
    for i, ch in enumerate(text):
        if ch not in "\"'":
            continue
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < n else " "
        opening = prev in OPENERS or prev == "\u2009"
        if ch == '"':
            if opening and not nxt.isspace():
                out[i] = d_open
            elif opening and i == 0:
                out[i] = d_open
            else:
                out[i] = d_close
            continue
        if prev.isalnum() or prev in ".,;:!?…)]’”_*":
            out[i] = "’"                        # apostrophe or closing quote
        elif opening and ELISIONS.match(text, i + 1):
            out[i] = "’"                        # ’tis, ’em, the ’90s
        elif opening:
            out[i] = s_open if not nxt.isspace() else "’"
        else:
            out[i] = s_close
    return "".join(out)


def french_spacing(text: str) -> str:
    text = re.sub(r"«[ \u00a0\u202f]*", "«" + NNBSP, text)
    text = re.sub(r"[ \u00a0\u202f]*»", NNBSP + "»", text)
    text = re.sub(r"(?<=[^\s\u202f«(\[])[ \u00a0]?([;:!?])(?!\d|//)",
                  lambda m: NNBSP + m.group(1), text)
    return text


def typeset(text: str, lang: str | None, markers=None) -> str:
    """All rules for one paragraph.  Markers (if any) are left in place."""
    lang = (lang or "en").split("-")[0].lower()
    if lang in ("zh", "ja", "ko"):
        return ellipses(text)
    text = ellipses(text)
    text = dashes(text, lang)
    if lang == "en":
        text = no_break_spaces(text)
    if markers is not None:
        text = markers.map_visible(text, lambda v: _quotes(v, lang))
    else:
        text = _quotes(text, lang)
    if lang == "fr":
        text = french_spacing(text)
    return text


def run(draft):
    """Typography is applied by the renderer, block by block; nothing to do here."""
    return draft
