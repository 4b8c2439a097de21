"""Typographic rules in the language of the text: small pure ``str -> str`` functions.

Curly quotes and apostrophes (’tis, the ’90s; dialect’s ’ere and ’long, told from single
quotation marks by where a quotation would close), em dashes for ``--`` and spaced
hyphens, en dashes in number ranges, the ellipsis, no-break spaces after Mr./Mrs./Dr./St. and in
``5 p.m.``; French « » and narrow no-break spaces before ; : ! ?; German „ “ (or the
» « the text already uses).  Correct typography already present is left as it is, and
every rule is idempotent: applying it to its own output changes nothing.
"""
from __future__ import annotations

import re

NBSP, NNBSP = "\u00a0", "\u202f"
OPENERS = " \t\n([{—–-‘“«»„‚/" + NBSP + NNBSP + "\u3000"
# Words that lose their first letters: ’tis, ’t is, ’em, ’bout, ’nuff, the ’90s.
ELISIONS = re.compile(r"(?:tis|twas|twere|twill|twould|twixt|tisn[’']t|twasn[’']t|twon[’']t|"
                      r"tain[’']t|taint|em|n|cause|cos|neath|gainst|mongst|midst|tween|bout|"
                      r"fore|nuff|cept|deed|stead|pears|pon|t(?=\s(?:is|was|were|will|would)\b)|"
                      r"\d0s|\d\d)(?!\w)", re.I)
CLOSING_PUNCT = ".,;:!?…)]’”"
# Words that lose their last letters mid-sentence: goin', an', o', th'.
DROPPED_END = re.compile(r"(?:\win|\b(?:an|o|th|ol))$", re.I)


def ellipses(text: str) -> str:
    text = re.sub(r"(?<!\.)\.\.\.\.(?!\.)", "….", text)
    return re.sub(r"(?<!\.)\.\.\.(?!\.)", "…", text)


NUMBER_HYPHEN = re.compile(r"\d ?-")


def dashes(text: str, lang: str = "en") -> str:
    if "--" not in text and " -" not in text and not NUMBER_HYPHEN.search(text):
        return text                         # nothing below can match
    spaced = "–" if lang == "de" else "—"
    # A long dash: after a whole word it breaks off speech (“yet to learn—”), elsewhere it
    # stands for missing letters or words (J——, d——d), set as two em dashes.
    text = re.sub(r"(?<=\w\w)----(?![-\w])", "—", text)
    text = re.sub(r"(?<!-)----(?!-)", "——", text)
    text = re.sub(r"(?<!-)---(?!-)", "—", text)
    # Number ranges: 1813 - 20, 10-12 (not phone numbers or ISBNs).
    text = re.sub(r"(?<![\d\-–])(\d+) ?-(?:-)? ?(\d+)(?![\d\-–])",
                  lambda m: f"{m.group(1)}–{m.group(2)}", text)
    # (the space after is looked at, not taken: "a - - b" has two dashes)
    text = re.sub(r"(?<=\S) --(?= \S)", f" {spaced}", text)
    text = re.sub(r"(?<=\S) --(?=[,;.:!?)»«])", f" {spaced}", text)    # dauern --, mache
    text = re.sub(r"(?<!-)--(?!-)", "—", text)
    text = re.sub(r"(?<=\S) -(?= \S)", f" {spaced}", text)
    text = re.sub(r"(?<=\S) -$", f" {spaced}", text)
    return text


def no_break_spaces(text: str) -> str:
    text = re.sub(r"\b(Mr|Mrs|Ms|Messrs|Dr|St|Mme|Mlle|Prof|Rev|Capt|Col|Gen|Lt|Hon)\. +(?=\w)",
                  lambda m: m.group(1) + "." + NBSP, text)
    return re.sub(r"(?<=\d) +(?=(?:[ap]\.? ?m\.|[AP]\. ?M\.))", NBSP, text)


def _elided(text: str, start: int) -> set[int]:
    """Positions of word-initial ``'`` that elide letters rather than open a quotation.

    Single quotations do not nest, so of a run of word-initial ``'`` before the next
    closing ``'`` at most one opens a quotation: the last one that follows punctuation
    (``says he, 'not … I 'ave … several.'``), else the first.  It opens one only if
    that closing ``'`` clearly ends a quotation (after punctuation, or before it:
    ``several.'``, ``'ghost',``); before a ``'`` inside a sentence (``wantin' to``) only
    a lone ``'`` does.  With no closing ``'`` at all, the quotation runs on to the next
    paragraph: it opens at the paragraph's start or after punctuation before a capital
    (``went on: 'But you…``); all others elide (``’ere``, ``’long``, ``’im``).
    """
    def introduced(j):
        return j <= start or re.search(r"[.,:;!?—“‘\"(]\s*$", text[max(0, j - 3):j])

    run, elided, skip = [], set(), set()
    for m in re.finditer("'", text):
        j = m.start()
        if j in skip:
            continue
        before = text[j - 1] if j else " "
        after = text[j + 1] if j + 1 < len(text) else " "
        if before.isalnum() and after.isalnum():
            continue                                    # don't, it's
        if after.isalnum() and (before in OPENERS or before in "\"'"):
            if _have(text, j):
                skip.add(j + 2)                         # the closing ' of 'a'
            elif not ELISIONS.match(text, j + 1):
                run.append(j)
            continue
        if not run or not (before.isalnum() or before in CLOSING_PUNCT + "—–-\""):
            continue
        if after.isspace() and DROPPED_END.search(text, 0, j):
            continue                                    # goin' home, an' then
        strong = not before.isalnum() or not (after.isspace() and text[j + 2:j + 3].isalpha())
        if strong:
            opener = [k for k in run if introduced(k)][-1:] or run[:1]
            run = [k for k in run if k not in opener]
        elif len(run) == 1:
            run = []
        elided.update(run)
        run = []
    elided.update(j for j in run if not (introduced(j) and text[j + 1].isupper()))
    return elided


def _have(text: str, j: int) -> bool:
    """``might 'a' been``: 'a' standing for *have* after a modal verb."""
    return bool(re.match(r"a'(?!\w)", text[j + 1:j + 3] + " ")) and bool(
        re.search(r"(?:would|could|should|might|must|may|will|shall|\w['’]d)"
                  r"(?:\s+(?:never|not|ever|just))?\s$", text[max(0, j - 20):j], re.I))


def _quotes(text: str, lang: str) -> str:
    """Length-preserving: straight quotes to curly (or the language's) quotes."""
    if '"' not in text and "'" not in text:
        return text
    d_open, d_close = {"de": ("„", "“"), "fr": ("«", "»")}.get(lang, ("“", "”"))
    s_open, s_close = {"de": ("‚", "‘"), "fr": ("‹", "›")}.get(lang, ("‘", "’"))
    if lang == "de" and ("»" in text or "«" in text):   # »…« style: ›…‹ inside
        d_open, d_close, s_open, s_close = "»", "«", "›", "‹"
    out = list(text)
    n = len(text)
    # Where the paragraph's words begin: after leading openers and quotes.
    start = len(text) - len(text.lstrip(OPENERS + "\"'_*"))
    elided = _elided(text, start) if lang == "en" and "'" in text else set()
    singles = 0                                     # single quotations open
    for i, ch in enumerate(text):
        if ch not in "\"'":
            continue
        prev = out[i - 1] if i else " "             # a quote already curled counts as one
        before_prev = text[i - 2] if i > 1 else " "
        nxt = text[i + 1] if i + 1 < n else " "
        opening = prev in OPENERS or prev == "\u2009"
        if prev in "—–-" and not (nxt.isalnum() or nxt in "‘“_*([—–" or ch + nxt == "\"'"):
            opening = False                         # “Lord—”; a closing quote after a dash
        if ch == '"':
            if prev in "_*" and before_prev in OPENERS and nxt.isalnum():
                out[i] = d_open                     # _"We are…  (emphasis left as text)
            elif opening and not nxt.isspace():
                out[i] = d_open
            elif opening and i == 0:
                out[i] = d_open
            else:
                out[i] = d_close
            continue
        if prev.isalnum() or prev in ".,;:!?…)]’”_*":
            # Apostrophe, or closing quote: they differ in German (‚nein‘) and French.
            # After a letter it closes unless a later ' could (‚Geh' nach Haus'‘).
            closes = singles > 0 and not nxt.isalnum() and (not prev.isalnum() or not re.search(
                r"(?<=[\w.,;:!?…])'(?!\w)", text[i + 1:]))
            out[i] = s_close if closes else "’"
            singles -= closes
        elif opening and (ELISIONS.match(text, i + 1) or _have(text, i) or i in elided):
            out[i] = "’"                        # ’tis, ’em, the ’90s, ’ere, ’long
        elif opening:
            out[i] = s_open if not nxt.isspace() else "’"
            singles += out[i] == s_open
        else:
            out[i] = s_close
            singles = max(0, singles - 1)
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
