"""Quoted documents: the letters and journals inside a narrative.

An epistolary chapter opens with a document title (``JONATHAN HARKER'S JOURNAL``,
``_Letter, Lucy Westenra to Mina Murray._``); what follows it is the document, quoted.
A letter set in the running text (a salutation, the body, a signature, a P.S.) is quoted
too, and so is a document a paragraph announces with a colon (``…he wrote the following
letter to Murat:``).  Only the block-quote flag changes; the words never do.
"""
from __future__ import annotations

import re

from . import headings as H
from .blocks import Block
from .quotations import CLOSING, closes_at_end, unclosed

DOCUMENT = re.compile(r"\b(journal|diary|letter|telegram|memorandum|cutting|log|report|"
                      r"record|memo|note ?book|phonograph)\b", re.I)


def _is_document_title(b: Block, markers) -> bool:
    if b.kind != "para":
        return False
    vis = markers.strip(b.text).strip()
    if len(vis) > 100 or not DOCUMENT.search(vis):
        return False
    italic = re.fullmatch(r"(\S+)[^\n]*\1[.:]?", b.text.strip()) is not None and \
        markers.split(b.text.strip())[0][0]
    return italic or H.mostly_caps(vis)


def quote_documents(blocks: list[Block], draft) -> None:
    """Epistolary chapters: the letters and journals after a document title are quoted."""
    markers = draft.markers
    inside = False
    for k, b in enumerate(blocks):
        if b.kind == "heading":
            inside = False
            continue
        if _is_document_title(b, markers):
            inside = True
            draft.explain(b.line, "document", markers.strip(b.text)[:50])
            continue
        if not inside:
            continue
        vis = markers.strip(b.text).strip()
        prev = blocks[k - 1]
        if vis.startswith("(") and vis.endswith(")") and _is_document_title(prev, markers):
            continue
        if b.kind in ("para", "lines"):
            b.quote = True


SALUTATION = re.compile(r"^(?:My\s+)?(?:Dear|Dearest|Beloved|Honou?red|Sir|Madam|Gentlemen)\b"
                        r"(?!\s+me\b)[^.!?“”\"]{0,50}[,:—]")
SIGNATURE_STOP = {"Yes", "No", "Well", "Oh", "Ah", "Nothing", "Nobody", "Never", "Silence",
                  "Good", "Why", "What", "Adieu", "Farewell", "Amen", "Thanks", "Enough"}


def _is_signature(text: str) -> bool:
    words = text.rstrip(".,").split()
    return 1 <= len(words) <= 4 and all(w[:1].isupper() for w in words) and \
        words[0].strip(".,") not in SIGNATURE_STOP and not re.search(r"[!?“”\"‘]", text)


def _read_out_salutation(vis: str) -> bool:
    """A letter read out in quotation marks opens with its salutation alone on a line
    (``“MY DEAR FRIEND,--``, ``“Dear Sir,--``): not dialogue that starts ``“Dear Jane, I…``."""
    t = vis[1:].lstrip() if vis[:1] in "“\"‘" else ""
    return bool(t) and len(t.split()) <= 6 and t[0].isupper() and \
        re.search(r"[,:](?:--|—)?$", t) is not None and SALUTATION.match(t.title()) is not None


def quote_letters(blocks: list[Block], draft) -> None:
    """A letter (a salutation, then the body, then a signature) is quoted; so is one read
    out in quotation marks, its salutation and signature each a paragraph of its own
    (``“Dear Sir,--`` … ``“WILLIAM COLLINS”``)."""
    markers = draft.markers
    k = 0
    while k < len(blocks):
        b = blocks[k]
        vis = markers.strip(b.text).strip()
        read_out = b.kind == "para" and _read_out_salutation(vis)
        if b.kind != "para" or b.quote or not (SALUTATION.match(vis) or read_out):
            k += 1
            continue
        end = None
        for j in range(k + 1, min(len(blocks), k + (MAX_DOCUMENT if read_out else 16))):
            c = blocks[j]
            if c.kind in ("heading", "break"):
                break
            v = markers.strip(c.text).strip()
            if c.kind == "para" and (_is_signature(v) or read_out and v[:1] in "“\"‘" and
                                     _is_signature(_bare_line(v))):
                end = j
                break
            if read_out and c.kind == "para" and v[:1] == vis[:1] and not unclosed(v) and \
                    closes_at_end(v):
                # Read out, the paragraph that closes the quotation (``…Yours sincerely,
                # &c.”``) ends the letter when no signature does.
                end = j
                break
        if end is None:
            k += 1
            continue
        while end + 1 < len(blocks) and blocks[end + 1].kind == "para" and \
                re.match(r"P\.\s?S\.", markers.strip(blocks[end + 1].text)):
            end += 1
        above = markers.strip(blocks[k - 1].text).strip() if k and blocks[k - 1].kind == "para" \
            else ""
        if read_out and above[:1] == vis[:1] and len(above.split()) <= 10 and \
                re.search(rf"\b{MONTH}", above, re.I):
            k -= 1                  # the place and date above the salutation
        for c in blocks[k:end + 1]:
            if c.kind == "para" and _announces(markers.strip(c.text).strip()):
                # The narrative between two parts of the letter (``She went on reading:``).
                draft.explain(c.line, "letter", "narrative inside the letter, not quoted")
            elif c.kind in ("para", "lines"):
                c.quote = True
        draft.explain(b.line, "letter", f"letter quoted up to line {blocks[end].line}")
        k = end + 1


# A salutation run into the letter's first sentence after a dash (``"MY DEAR MR. SHERLOCK
# HOLMES,--You really…``, ``"'DEAR MISS HUNTER:--Miss Stoper…``), perhaps under a place line.
RUN_IN_SALUTATION = re.compile(r"^(?P<open>[“\"‘']+)(?:[^“\"‘']{3,60}?\.\s+[“\"‘']+)?"
                               r"(?P<sal>[^.!?“”\"‘’]{3,50}?)\s*[,:]?\s*(?:--|—)\s*[A-Z]")
QUOTE_CLOSE = {"“": "”", "\"": "\"", "‘": "’", "'": "'"}


def _run_in_salutation(vis: str) -> str | None:
    """The quotation marks a letter read out opens with, when its salutation runs into
    its first sentence after a dash; else None."""
    head = vis[:140]
    if vis[:1] not in "“\"‘'" or ("--" not in head and "—" not in head):
        return None
    m = RUN_IN_SALUTATION.match(re.sub(r"\b(Mrs?|Dr|St|Messrs)\.", r"\1", head, flags=re.I))
    if not m or SALUTATION.match(m.group("sal").strip().title() + ",") is None:
        return None
    return m.group("open")


def _closing_marks(vis: str, close: str) -> list[int]:
    """Where quotation marks ``close`` end a quotation: a straight ``"`` not at a word's
    start, a ``'`` or ``’`` after punctuation (not an apostrophe)."""
    if close in "'’":
        return [m.end() - 1 for m in re.finditer(rf"[.!?,—-]{close}", vis)]
    if close == '"':
        return [m.start() for m in re.finditer(r'(?<![\s(\[—-])"(?!\w)', vis) if m.start()]
    return [m.start() for m in re.finditer(re.escape(close), vis)]


def quote_run_in_letters(blocks: list[Block], draft) -> None:
    """A letter read out whose salutation runs into its first sentence is quoted, to the
    paragraph that closes the quotation it opened (every paragraph between opening with
    the same marks); left as written when no such paragraph comes."""
    markers = draft.markers
    vis = _para_text(markers)
    k = 0
    while k < len(blocks):
        b = blocks[k]
        opening = _run_in_salutation(vis(b)) if b.kind == "para" and not b.quote else None
        if not opening:
            k += 1
            continue
        close = QUOTE_CLOSE[opening[-1]]
        end = None
        for j in range(k, min(len(blocks), k + 16)):
            v = vis(blocks[j])
            if blocks[j].kind != "para" or not v.startswith(opening):
                break
            closes = _closing_marks(v, close)
            if len(closes) == 1 and closes[0] >= len(v.rstrip("”\"’'")):
                end = j         # closed at its end and nowhere before (no ``…," said he``)
            if closes:
                break
        if end is None:
            k += 1
            continue
        for c in blocks[k:end + 1]:
            c.quote = True
        draft.explain(b.line, "letter", f"salutation run into the text: letter quoted to line "
                      f"{blocks[end].line}, where its quotation closes; confidence 0.8")
        k = end + 1


# A paragraph that announces a document and hands over to it with a colon
# (``…and wrote the following letter to Murat:``, ``This is what he noted in his diary:``).
ANNOUNCES = re.compile(r"\b(?:wr(?:ote|itten|ites?|iting)|read(?:s|ing)?|letter|note|message|"
                       r"telegram|dispatch|despatch|memorandum|report|diary|journal|notebook|"
                       r"proclamation|announcement|communication|orders?|decree|notice|"
                       r"placard(?:ed)?|inscription)\b", re.I)
MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|" \
        r"December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.)"
# A date line: ``24th November``, ``Moscow, 17th November``, ``September, 6, 1812.``
DATELINE = re.compile(rf"^(?:[A-Z][\w’'.-]*(?: [\w’'.-]+){{0,4}}, )?(?:\d{{1,2}}(?:st|nd|rd|th)? "
                      rf"{MONTH}|{MONTH},? \d{{1,2}}(?:st|nd|rd|th)?)(?:,? \d{{4}})?\.?$", re.I)
# A paragraph opening with a date and a full stop, alone or before the entry
# (``May 4.``, ``Archangel, 28th March, 17—.``, ``October 16th. A dull and foggy day``).
DATED = re.compile(rf"^(?:[A-Z][\w’'.-]*(?: [\w’'.-]+){{0,4}}, )?(?:\d{{1,2}}(?:st|nd|rd|th)? "
                   rf"{MONTH}|{MONTH},? \d{{1,2}}(?:st|nd|rd|th)?)(?:,? (?:\d{{4}}|\d{{2}}—+))?"
                   rf"(?:\.?$|\.(?=\s|—|--))", re.I)
MIN_DATED = 3               # dated entries that make a section a run of letters or a diary
MIN_READ_OUT = 40           # words: a shorter quotation after the colon may be speech
MAX_DOCUMENT = 24           # blocks searched for the signature or date that ends a document
MAX_READ_OUT = 72           # paragraphs a quotation read out may run on, each continuing it


def _para_text(markers):
    """The visible text of a paragraph block, "" for any other block."""
    return lambda b: markers.strip(b.text).strip() if b.kind == "para" else ""


def _announces(vis: str) -> bool:
    return re.search(r":(?:--|—)?$", vis) is not None and ANNOUNCES.search(vis) is not None


def _quote_read_out(blocks: list[Block], k: int, vis, draft) -> int:
    """A document read out in quotation marks, each paragraph opening one and the last
    closing it (``…an extract from it:`` / ``“In the common walks of life…``): quoted
    when it runs over at least two paragraphs."""
    for j in range(k + 2, min(len(blocks), k + 1 + MAX_READ_OUT)):
        c, v = blocks[j], vis(blocks[j])
        if c.kind != "para" or c.quote or not v or v[0] != vis(blocks[k + 1])[0]:
            break
        if _closing_and_signature(v):
            # The closing and signature in one paragraph (``"Very truly yours,
            # "IRENE NORTON."``) end the document whatever its quotation marks say.
            unclosed_v, closes = False, True
        else:
            unclosed_v, closes = unclosed(v), closes_at_end(v)
        if not unclosed_v:
            if not closes:
                break
            for b in blocks[k + 1:j + 1]:
                b.quote = True
            draft.explain(blocks[k + 1].line, "document", f"read out in quotation marks after "
                          f"the colon on line {blocks[k].line}: quoted to line {c.line}")
            return j + 1
    return k + 1


def _one_quotation(vis: str) -> bool:
    """A long paragraph that is one quotation, opened at its start and closed at its end
    and nowhere between (no ``…,” he said, “…``)."""
    close = CLOSING.get(vis[:1])
    if close is None or len(vis.split()) < MIN_READ_OUT or not closes_at_end(vis):
        return False
    return vis.count(close) == (2 if close == vis[0] else 1)


def _closes(vis: str) -> bool:
    """A signature in capitals (``NAPOLEON``), ``(signed) Alexander``, or a date line."""
    return (_is_signature(vis) and H.is_all_caps(vis)) or bool(DATELINE.match(vis)) or \
        bool(re.match(r"\(?signed\)?\s+[A-Z]", vis, re.I) and len(vis.split()) <= 5)


def _dialogue(vis: str) -> bool:
    return vis[:1] in "“\"‘'«»„"


def quote_announced_documents(blocks: list[Block], draft) -> None:
    """The document a paragraph announces with a colon is quoted.

    It runs to its signature (``NAPOLEON``) or closing date line, when one comes before the
    narrative resumes; a diary whose entries open with date lines runs to the next heading;
    otherwise the document is the one paragraph after the colon.  The narrative resumes at
    a heading, a break, dialogue, or another announcement.
    """
    vis = _para_text(draft.markers)

    k = 0
    while k + 1 < len(blocks):
        intro, first = blocks[k], blocks[k + 1]
        t = vis(intro)
        if intro.kind != "para" or intro.quote or not _announces(t) or unclosed(t) or \
                first.kind != "para" or first.quote or not vis(first):
            k += 1                  # (an announcement inside a quotation is someone's speech)
            continue
        if unclosed(vis(first)):
            k = _quote_read_out(blocks, k, vis, draft)
            continue
        if _one_quotation(vis(first)):
            first.quote = True
            draft.explain(first.line, "document", f"read out in quotation marks after the "
                          f"colon on line {intro.line}: one paragraph")
            k += 2
            continue
        if _dialogue(vis(first)) or _announces(vis(first)):
            k += 1
            continue
        run = []                    # blocks up to where the narrative resumes
        for b in blocks[k + 1:k + 1 + MAX_DOCUMENT]:
            v = vis(b)
            if b.kind not in ("para", "lines") or b.quote or \
                    (b.kind == "para" and (not v or _dialogue(v) or _announces(v))):
                break
            run.append(b)
        ends = [j for j, b in enumerate(run) if j and b.kind == "para" and _closes(vis(b))]
        dated = any(b.kind == "para" and DATELINE.match(vis(b)) for b in run[:2])
        if dated:
            how, n = "a diary with dated entries", len(run)
        elif ends:
            how, n = "up to its signature or date", ends[-1] + 1
        else:
            # A title or salutation line first (``PROCLAMATION``, ``Monsieur mon frère,``):
            # the paragraph under it is the document.
            n = 2 if len(run) > 1 and len(vis(first).split()) <= 6 and \
                (H.is_all_caps(vis(first)) or vis(first).endswith((",", "!"))) else 1
            how = "one paragraph" + (" under its title" if n == 2 else "")
        while ends and n < len(run) and re.match(r"P\.\s?S\.", vis(run[n])):
            n += 1
        for b in run[:n]:
            b.quote = True
        draft.explain(first.line, "document", f"announced on line {intro.line}, "
                      f"{how}: quoted to line {run[n - 1].line}")
        k += 1 + n


# A letter's closing: ``Yours faithfully,`` / ``Believe me,`` / ``Your loving`` …
VALEDICTION = re.compile(r"^(?:(?:Ever|Always|Very|Most|Believe me|I am|I remain|We are|We remain)"
                         r"\b.{0,30}|Yours\b.{0,40}|Your\b.{0,40}|(?:Faithfully|Sincerely|"
                         r"Truly|Affectionately|Respectfully|Cordially|Lovingly)\b.{0,30})$")
NAME_LINKS = {"&", "and", "of", "de", "du", "van", "von", "der", "la", "le", "y"}


def _bare_line(vis: str) -> str:
    """A closing's line without its quotation marks (each paragraph of a quoted letter
    opens one: ``“Your friend,`` ``“DRACULA.”``)."""
    return vis.strip().lstrip("“\"‘'«„").rstrip("”\"’'»").strip()


def _valediction(vis: str) -> bool:
    """``Yours faithfully,``, ``Believe me,``, ``Your loving``, ``Yours respectfully.``; not
    speech (``“Yours,” said the clerk``) nor a sentence."""
    t = _bare_line(vis)
    if len(t.split()) > 8 or re.search(r"[!?;:“”\"]", t) or not VALEDICTION.match(t):
        return False
    return t.endswith(",") or t[-1:].isalpha() or (t.startswith("Yours") and t.endswith(".")
                                                   and not re.search(r"[.,]\s", t))


def _closing_and_signature(vis: str) -> bool:
    """A letter's closing and its signature run into one paragraph, each opening a
    quotation (``"Very truly yours, "IRENE NORTON, née ADLER."``)."""
    parts = re.split(r"(?<=,)\s+(?=[“\"‘'])", vis, maxsplit=1)
    if len(parts) != 2 or not _valediction(parts[0]):
        return False
    name = _bare_line(parts[1])
    return 1 <= len(name.rstrip(".,").split()) <= 6 and name[:1].isupper() and \
        not re.search(r"[!?;:“”\"]", name)


def _signed(vis: str) -> bool:
    """A signature: a name or a firm (``Quincey P. Morris.``, ``Pro CARTER, PATERSON & CO.``)."""
    t = _bare_line(vis)
    words = t.rstrip(".,").split()
    return 1 <= len(words) <= 6 and not re.search(r"[!?;:“”\"]", t) and \
        words[0][:1].isupper() and words[0].strip(".,") not in SIGNATURE_STOP and \
        all(w[:1].isupper() or w.strip(",") in NAME_LINKS for w in words)


def set_closings(blocks: list[Block], draft) -> list[Block]:
    """A letter's closing and signature, set as short paragraphs one under the other
    (``Believe me,`` / ``Yours faithfully,`` / ``Patrick Hennessey.``), become one block
    of lines after the letter's last paragraph."""
    vis = _para_text(draft.markers)

    out: list[Block] = []
    k = 0
    while k < len(blocks):
        b = blocks[k]
        end = None
        if out and out[-1].kind == "para" and len(vis(out[-1])) > 60 and \
                _valediction(vis(b)) and len(vis(b)) <= 60:
            j = k + 1
            while j < len(blocks) and j - k < 4 and blocks[j].quote == b.quote and \
                    len(vis(blocks[j])) <= 60:
                v = vis(blocks[j])
                if _signed(v):
                    end = j
                    break
                if not (_valediction(v) or _bare_line(v).endswith(",")):
                    break
                j += 1
        if end is None:
            out.append(b)
            k += 1
            continue
        rows = [(0, c.text) for c in blocks[k:end + 1]]
        out.append(Block("lines", rows=rows, line=b.line, quote=b.quote))
        draft.explain(b.line, "letter", f"closing and signature, {len(rows)} lines, kept as "
                      "lines")
        k = end + 1
    return out


def quote_dated_sections(blocks: list[Block], draft) -> None:
    """Letters and diaries set out as a section of their own are quoted from their first
    dated entry (and the address lines just above it) to the end of the section.

    A section is one when its entries open with dates (``May 4.``, ``August 26th, 17—.``)
    at least MIN_DATED times, or when its heading names a document (``Letter 1``,
    ``Extract from the Diary of …``) and a dated entry or salutation comes among its first
    paragraphs.  The narrative before the first entry, and a line of it announcing the next
    entry with a colon, stay as they are.
    """
    markers = draft.markers
    vis = _para_text(markers)
    bounds = [k for k, b in enumerate(blocks) if b.kind == "heading"]
    for start, end in zip([-1] + bounds, bounds + [len(blocks)]):
        head = markers.strip(blocks[start].text) if start >= 0 else ""
        paras = [k for k in range(start + 1, end) if vis(blocks[k])]
        if any(_is_document_title(blocks[k], markers) for k in paras):
            continue                # quote_documents' kind of section
        dated = [k for k in paras if DATED.match(vis(blocks[k]))]
        opening = [k for k in paras[:3] if DATED.match(vis(blocks[k])) or
                   SALUTATION.match(vis(blocks[k]))]
        # Dates that open entries have an entry under the last; dates that end the section
        # sign the paragraphs above them (a preface's ``Bentinck Street, March 1, 1782.``).
        if len(dated) >= MIN_DATED and dated[-1] != paras[-1]:
            first, why = dated[0], f"{len(dated)} dated entries"
        elif opening and DOCUMENT.search(head):
            first, why = opening[0], "the heading names a document"
        else:
            continue
        while first - 1 > start and 0 < len(vis(blocks[first - 1]).split()) <= 8 and \
                not vis(blocks[first - 1]).endswith(":"):
            first -= 1              # the address above the date (``To Mrs. Saville, England.``)
        for b in blocks[first:end]:
            if b.kind == "lines" or b.kind == "para" and not _announces(vis(b)):
                b.quote = True      # (not the narrator's ``…the following was written:``)
        confidence = min(0.95, 0.5 + 0.1 * len(dated) + (0.2 if DOCUMENT.search(head) else 0))
        draft.explain(blocks[first].line, "document", f"{why}: quoted to the end of the "
                      f"section (line {blocks[end - 1].line}), confidence {confidence:.2f}")
