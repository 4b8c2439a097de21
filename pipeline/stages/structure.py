"""Plain text to typed blocks: paragraphs, headings, line blocks, quotes, notes, breaks.

Every structural decision is recorded with its source line (``draft.explain``), so
``--explain`` can list them.  Markdown sources already carry their structure.
"""
from __future__ import annotations

import collections
import dataclasses
import functools
import re

from . import headings as H
from . import notes as N
from . import plays
from .blocks import Block, Raw, is_cjk, join_lines, raw_blocks, to_lines, vocabulary
from .contents import attach_synopses, remove_contents
from .documents import (DATELINE, DOCUMENT, quote_announced_documents, quote_dated_sections,
                        quote_documents, quote_letters, quote_run_in_letters,
                        set_closings)
from .markup import WORD_EMPHASIS, caps_emphasis, emph_all, inline
from .preformatted import put_back, set_apart
from .speech import one_paragraph_per_line, speech_blocks
from .quotations import (quote_epigraphs, quote_passages, quote_titled_documents,
                         unquote_indented_sections)
from .verse import (balance_emphasis, lines_are_verse, reads_as_verse, split_inscription,
                    split_run_verse, stanza_starts, word_cases)

SENTENCE_END = re.compile(r"[.!?:;…\"”’)\]]$")
ORNAMENT = re.compile(r"^(?:[*·•~#=+_.✱❦⁂§◆◇○●☙❧]\s*){3,}$|^[⁂❦☙❧§]$|^\*\s+\*$")
ILLUSTRATION = re.compile(r"^\[Illustration(?:[:.]\s*(?P<caption>.*?))?\s*\]\.?$", re.S | re.I)
ILLUSTRATION_INLINE = re.compile(r"\s*\[Illustration(?:[:.][^\]]*)?\]", re.I)
NAMED_LINE = re.compile(H.NAMED.pattern + r"(?:\s*[.:]?\s*(?:\(.*\))?\.?)$", re.I)
# A named section with a title-case tail (Preface To The First Volume.).
NAMED_TITLED = re.compile(H.NAMED.pattern +
                          r"(?-i:(?:\s+(?:[A-Z][\w’'-]*|of|to|the|by|and|in|on|for|a|an)){1,10})"
                          r"\.?$", re.I)
NUMBERED_DIVISION = re.compile(rf"^{H.ROMAN}\.\s+[A-Z][A-Z’' ]{{1,40}}\.?$")


class Context:
    """What the classifier knows about the whole text."""

    def __init__(self, raw: list[Raw], draft):
        self.draft = draft
        self.markers = draft.markers
        # The measure the text was wrapped to: nearly the longest line (a few outliers aside).
        # Some files were wrapped counting bytes, so both measures are kept.
        lengths = sorted(ln.indent + len(ln.text) for r in raw for ln in r.lines)
        self.measure = max(20, lengths[int(len(lengths) * 0.995)] if lengths else 72)
        octets = sorted(ln.indent + len(ln.text.encode()) for r in raw for ln in r.lines)
        self.measure_bytes = max(20, octets[int(len(octets) * 0.995)] if octets else 72)
        # Is it wrapped prose at all?  Wrapped lines crowd the measure; in a book of verse
        # the measure is only its longest line, and few lines come near it.
        inner = [ln.indent + len(ln.text) for r in raw for ln in r.lines[:-1]]
        self.wraps = sum(1 for n in inner if n >= self.measure - 8) >= 0.4 * len(inner)
        indents = collections.Counter(ln.indent for r in raw for ln in r.lines[1:])
        if not indents:
            indents = collections.Counter(ln.indent for r in raw for ln in r.lines)
        self.base = indents.most_common(1)[0][0] if indents else 0
        self.speakers: set[str] = set()

    @functools.cached_property
    def word_cases(self) -> collections.Counter:
        """How often each word is written with and without a capital (verse rules)."""
        return word_cases(self.visible(self.draft.text))

    def visible(self, text: str) -> str:
        return self.markers.strip(text)

    def is_prose(self, r: Raw | None) -> bool:
        """A wrapped paragraph (or one long line) of running text."""
        if r is None:
            return False
        text = self.visible(r.joined)
        if N.def_prefix(text) or ORNAMENT.match(text):
            return False
        if len(r.lines) == 1:
            return len(text) >= 0.75 * self.measure and "   " not in text and \
                len(text.split()) > 6
        return self.wrapped(r)

    def is_running_text(self, r: Raw | None) -> bool:
        """Prose that is not itself a contents entry or heading."""
        if not self.is_prose(r):
            return False
        first = self.visible(r.lines[0].text)
        if H.label_match(first) or re.match(rf"^({H.ROMAN}|\d+)\.?\s", first):
            return False
        return len(r.lines) >= 3 or bool(re.search(r"[.!?:;”’\"]$", self.visible(r.joined)))

    def wrapped(self, r: Raw) -> bool:
        """Hard-wrapped prose: lines filled to the measure, no hanging indents."""
        if any(ln.indent > r.lines[0].indent + 1 for ln in r.lines[1:]):
            return False
        # A wrapped line is one the next line's first word would not have fitted on.
        full = 0
        for ln, nxt in zip(r.lines, r.lines[1:]):
            width = max(ln.indent + len(ln.text), self.width.get(ln.no, 0))
            octets = ln.indent + len(ln.text.encode())
            word = nxt.text.split(" ", 1)[0] if not is_cjk(nxt.text[0]) else nxt.text[0]
            if width >= self.measure - 16 or width + 1 + len(word) > self.measure - 6 or \
                    octets + 1 + len(word.encode()) > self.measure_bytes - 6:
                full += 1
        return full >= 0.6 * (len(r.lines) - 1)

    def verse(self, r: Raw) -> bool:
        """Verse kept line for line: a piece of a verse run, or lines that read as verse."""
        return getattr(r, "verse", False) or reads_as_verse(
            [(ln.indent, self.visible(ln.text)) for ln in r.lines],
            self.measure if self.wraps else None)

    def verse_after(self, nxt: Raw, r: Raw) -> bool:
        """``nxt`` is verse under the line ``r``: set in below it, or reading as verse."""
        return len(nxt.lines) >= 2 and (
            min(ln.indent for ln in nxt.lines) > r.lines[0].indent and not self.wrapped(nxt)
            or self.verse(nxt))

    def centred(self, r: Raw) -> bool:
        return all(ln.indent >= 8 and ln.indent + len(ln.text) / 2 >= 0.3 * self.measure
                   and len(ln.text) < 0.8 * self.measure for ln in r.lines) and \
            r.lines[0].indent > self.base + 4


# ----------------------------------------------------------------------------- layout

def split_first_line_indents(raw: list[Raw]) -> tuple[list[Raw], bool]:
    """Print-style paragraphs (indented first line, no blank lines) become blocks.

    An indented line after the short last line of a wrapped paragraph starts a
    paragraph; after a full line it is a hanging-indent continuation, so the layout is
    chosen by which is commoner.  Verse indents lines after short lines too (a stanza's
    alternate lines), but there the line before the short one is short as well.
    """
    lengths = sorted(ln.indent + len(ln.text) for r in raw for ln in r.lines)
    if not lengths:
        return raw, False
    measure = lengths[int(len(lengths) * 0.995)]

    def full(line) -> bool:
        return line.indent + len(line.text) >= measure - 16

    starts = hanging = 0
    for r in raw:
        base = min(x.indent for x in r.lines)
        for i, (a, b) in enumerate(zip(r.lines, r.lines[1:])):
            if b.indent > base and a.indent == base:
                if full(a):
                    hanging += 1
                elif i and full(r.lines[i - 1]):
                    starts += 1
    ideographic = sum(1 for r in raw for ln in r.lines if ln.ideographic)
    if (starts < 3 or starts <= 2 * hanging) and ideographic < 2:
        return raw, False
    out = []
    for r in raw:
        base = min(ln.indent for ln in r.lines)
        current = []
        for ln in r.lines:
            if current and ln.indent > base:
                out.append(Raw(current, r.gap if not out or out[-1].lines[0].no < r.no else 0))
                current = []
            current.append(ln)
        out.append(Raw(current, r.gap))
    return out, True


def split_verse_paragraphs(raw: list[Raw], ctx: Context) -> list[Raw]:
    """A long run of verse with no blank line in it is cut into its verse paragraphs where
    a line is set in, or else where a speech of dialogue verse is taken up
    (``stanza_starts``); each piece stays verse."""
    out = []
    for r in raw:
        if len(r.lines) < 12 or not ctx.verse(r):
            out.append(r)
            continue
        starts = stanza_starts([(ln.indent, ctx.visible(ln.text)) for ln in r.lines], ctx.measure)
        bounds = [0, *starts, len(r.lines)]
        usual = min(ln.indent for ln in r.lines[1:])
        for a, b in zip(bounds, bounds[1:]):
            lines = r.lines[a:b]
            if starts and lines[0].indent <= usual + 4:   # a paragraph indent: the break shows it
                lines = [dataclasses.replace(lines[0], indent=usual), *lines[1:]]
            piece = Raw(lines, r.gap if a == 0 else 0)
            piece.verse = True          # type: ignore[attr-defined]
            out.append(piece)
        if starts:
            ctx.draft.explain(r.no, "verse", f"{len(r.lines)} lines of verse cut into "
                              f"{len(starts) + 1} verse paragraphs where a line is set in "
                              "or a speech is taken up")
    return out


# ----------------------------------------------------------------------------- blocks

def _title_line(r: Raw | None, ctx: Context, after: Raw | None = None, bare=False):
    """The title of a heading on the line(s) after it: short, not all caps, no sentence
    (unless set off by extra blank lines from the text that follows).  Under a bare
    numeral (a numbered poem) a short all-caps title is a title too."""
    if r is None or len(r.lines) > 2:
        return None
    set_off = getattr(ctx, "titles_set_off", False)
    t = ctx.visible(r.joined)
    # Between the heading and a section number (BOOK VI / Salut au Monde! / 1) a line
    # cannot be running text, even when it ends like a sentence.
    before_number = after is not None and \
        bool(H.BARE.match(ctx.visible(after.lines[0].text).strip()))
    # (A date under a heading opens the first entry of a diary or letters: no title.)
    if not t or len(t) > 160 or not (t[0].isupper() or t[0] == "(") or DATELINE.match(t) or \
            t.rstrip("—–-").endswith((":", ",", ";")) or \
            (t.endswith(("?", "!")) and not before_number):
        return None
    # A heading of its own (CHAPTER. I. under Book II) is never the title of the one above.
    if H.label_match(t) or H.BARE.match(t) or N.def_prefix(t) or "   " in t:
        return None
    # ACT II / Enter Chorus.; FIRST ACT / SCENE (the word over the setting): no titles.
    if ctx.speakers and (plays.DIRECTION_WORDS.match(t) or
                         plays.LABEL_WORD.fullmatch(t.rstrip(".:"))):
        return None
    # A capitals title of one short line; in a book whose titles stand set off, one of up
    # to two lines set off by more blank lines below it than above.
    if H.is_all_caps(t) and not DOCUMENT.search(t) and (
            len(r.lines) == 1 and len(t.split()) <= (6 if bare else 8) or
            set_off and after is not None and after.gap > r.gap and len(t.split()) <= 16):
        return join_lines([ln.text for ln in r.lines])
    if H.mostly_caps(t) and not t.startswith("("):
        return None
    if t.startswith("(") and not re.search(r"\)\.?$", t):
        return None
    if any(q in t for q in "“”\"«»„"):
        return None
    long_words = [w for w in re.findall(r"[^\W\d_]{4,}", t)]
    title_case = sum(1 for w in long_words if w[0].isupper()) >= 0.8 * len(long_words)
    if t[0] != "(" and t.endswith(".") and not title_case and not set_off:
        return None
    return join_lines([ln.text for ln in r.lines])


def heading_kind(r: Raw, ctx: Context, prev: Block | None, nxt: Raw | None,
                 before: Raw | None = None):
    """(rank, match) when the raw block is a heading, else None."""
    if len(r.lines) > 2:
        return None
    # A title page: centred lines next to centred lines are not headings.
    if ctx.centred(r) and ((before is not None and ctx.centred(before)) or
                           (nxt is not None and ctx.centred(nxt))):
        return None
    text = " ".join(ln.text for ln in r.lines)
    vis = ctx.visible(text).strip()
    # (A poem's title may be a quotation: “Going Somewhere”.)
    quoted = vis[:1] in ("“", '"') and vis[1:2].isupper() and \
        getattr(ctx, "poem_layout", None) is not None
    if not vis or len(vis) > 120 or not (vis[0].isupper() or vis[0].isdigit() or quoted):
        return None
    m = H.label_match(text, ctx.markers)
    if m and (len(r.lines) == 1 or len(vis) <= 120):
        return H.rank_of(m.group("label")), m
    # A numbered division over numbered pieces (I. LIFE. above poems numbered I., II., …).
    if NUMBERED_DIVISION.match(vis) and nxt is not None and len(nxt.lines) == 1 and \
            re.fullmatch(r"(?:I|1)\.?", ctx.visible(nxt.joined).strip()):
        return "division", None
    if r.no in ctx.sequence:
        return ctx.sequence[r.no], None
    # A line standing alone that repeats the next entry of the contents list (right under
    # a heading it is that heading's title, as the list pairs them: CHAPTER I / Jonathan
    # Harker's Journal).
    if (prev is None or prev.kind != "heading") and not ctx.is_running_text(r) and \
            (k := ctx.contents.match(vis)) is not None:
        ctx.draft.explain(r.no, "heading-contents", f"repeats entry {k + 1} of the contents "
                          "list, confidence 0.95")
        return -1, None
    if len(r.lines) != 1:
        return None
    if H.BARE.match(vis):
        return "bare", None
    if (NAMED_LINE.match(vis) or NAMED_TITLED.match(vis)) and len(vis) <= 80 and \
            not (prev is not None and prev.quote and r.lines[0].indent > ctx.base + 1):
        # (Set in like the quotation just before it, "Epilogue to …" is that quotation's
        # source, not a section.)
        # The section's name repeated under its own heading is a running title.
        last = ctx.last_heading
        name = H.NAMED.match(vis).group(1).lower()
        if last is not None and H.NAMED.match(last) and \
                H.NAMED.match(last).group(1).lower() == name and \
                (NAMED_LINE.match(vis) or H.key(vis) == H.key(last)):
            return None
        return -1, None
    if (H.is_all_caps(vis) and len(vis) <= 60 and len(vis.split()) >= 2
            and not vis.endswith((",", ":", ";", ".", "!", "?")) and ", " not in vis
            and ctx.is_running_text(nxt)
            and (prev is None or prev.kind != "heading") and not ctx.centred(r)):
        return -1, None
    # A poem's title: a short line set off above an indented verse block, or above lines
    # that read as verse (a title may be in mixed case).
    if (nxt is not None and r.gap >= 2 and len(vis) <= 80 and vis[0].isupper()
            and not vis.endswith((".", ",", ";", ":", "!", "?")) and len(nxt.lines) >= 2
            and (min(ln.indent for ln in nxt.lines) > r.lines[0].indent
                 and not ctx.wrapped(nxt) or r.gap > nxt.gap and ctx.verse(nxt))
            and not ctx.centred(r)):
        return "poem", None
    # Where the collection's titles stand (set off by as many blank lines, fewer right
    # under a part's heading, at the same indent, above verse set in or reading as verse),
    # a title may end like a sentence (O Captain! My Captain!), open with a quotation mark,
    # and stand above long lines that fill the measure.
    layout = getattr(ctx, "poem_layout", None)
    if (nxt is not None and layout is not None and r.lines[0].indent == layout[1]
            and (r.gap == layout[0] or prev is not None and prev.kind == "heading")
            and len(vis) <= 80 and vis.lstrip("“\"‘'([")[:1].isupper()
            and r.gap > nxt.gap and len(nxt.lines) >= 2
            and (min(ln.indent for ln in nxt.lines) > r.lines[0].indent or ctx.verse(nxt))
            and not vis.endswith((",", ";", ":"))
            and (not vis.endswith(".") or _title_case(vis)) and not ctx.centred(r)):
        return "poem", None
    return None


def _title_case(t: str) -> bool:
    words = re.findall(r"[^\W\d_]{4,}", t)
    return bool(words) and sum(1 for w in words if w[0].isupper()) >= 0.8 * len(words)


def poem_layout(raw: list[Raw], ctx: Context) -> tuple[int, int] | None:
    """Where a collection sets its poems' titles: the blank lines above and the indent of
    the short lines, not ending like a sentence, that stand above verse with fewer blank
    lines between — when three or more share them."""
    seen: collections.Counter = collections.Counter()
    for r, nxt in zip(raw, raw[1:]):
        vis = ctx.visible(r.joined).strip()
        if len(r.lines) == 1 and r.gap >= 2 and 0 < len(vis) <= 80 and vis[0].isupper() and \
                not vis.endswith((".", ",", ";", ":", "!", "?")) and r.gap > nxt.gap and \
                ctx.verse_after(nxt, r):
            seen[(r.gap, r.lines[0].indent)] += 1
    if not seen:
        return None
    layout, n = seen.most_common(1)[0]
    return layout if n >= 3 else None


def numbered_titles(raw: list[Raw], ctx: Context) -> dict:
    """{line: rank} of the numbered titles that form runs through the book (I. The
    Period, II. The Mail, …); a lone numbered line is left as written."""
    candidates, labelled = [], []
    for k, r in enumerate(raw):
        if len(r.lines) > 2 or getattr(r, "contents", None):
            continue
        vis = ctx.visible(r.joined).strip()
        m = H.NUMBERED_TITLE.match(vis)
        if m and H.titular(m.group("title")) and not H.label_match(vis):
            candidates.append((r.no, m.group("num"), k))
        elif len(r.lines) == 1 and (lm := H.label_match(vis)) and H.rank_of(lm.group("label")) >= 0:
            labelled.append((H.rank_of(lm.group("label")), k))
    if not candidates:
        return {}
    prose = [ctx.is_prose(r) for r in raw]
    found = H.numbered_runs(candidates, lambda p, q: any(prose[p + 1:q]), labelled)
    for no, (rank, style, n) in found.items():
        # Each further member of the run makes a coincidence less likely.
        ctx.draft.explain(no, "heading-sequence", f"numbered title in a run of {n} ({style}), "
                          f"rank {rank}, confidence {1 - 0.5 ** n:.2f}")
    return {no: rank for no, (rank, _, _) in found.items()}


def classify(raw: list[Raw], ctx: Context) -> list[Block]:
    draft, markers = ctx.draft, ctx.markers
    vocab = ctx.vocab
    paragraphs = [ctx.visible(r.joined) for r in raw]
    # Do chapter titles stand on their own line, set off from the text by blank lines?
    bare_heads = [k for k, r in enumerate(raw[:-2]) if len(r.lines) == 1 and (
        H.BARE.match(paragraphs[k]) or ((m := H.label_match(paragraphs[k])) and
                                        not m.group("rest").strip(" .:")))]
    set_off = sum(1 for k in bare_heads if len(raw[k + 1].lines) <= 2 and
                  raw[k + 2].gap > raw[k + 1].gap and paragraphs[k + 1][:1].isupper())
    ctx.titles_set_off = len(bare_heads) >= 3 and set_off >= 0.5 * len(bare_heads)
    ctx.sequence = numbered_titles(raw, ctx)
    ctx.poem_layout = poem_layout(raw, ctx)
    speakers = ctx.speakers = plays.find_speakers(paragraphs)
    if speakers:
        draft.explain(raw[0].no, "play", "speakers: " + ", ".join(sorted(speakers)[:12]))
    out: list[Block] = []
    pending: list = []          # unbound note references: [block, start, end, label]
    stale: list = []            # references left unbound when their section ended
    i = 0
    while i < len(raw):
        r = raw[i]
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        prev = out[-1] if out else None
        vis = ctx.visible(r.joined).strip()
        no = r.no
        if getattr(r, "contents", None):
            out.append(Block("comment", text="contents list removed: " + r.contents, line=no))
            i += 1
            continue
        if _section_number_on_top(r, ctx):
            # A section number on the line above its text (Whitman's "       4"), no blank
            # line between: it is a heading of its own.
            raw[i:i + 1] = [Raw(r.lines[:1], r.gap), Raw(r.lines[1:], 1)]
            draft.explain(no, "split", f"section number {vis.split()[0]} set above its text")
            continue
        if _number_at_foot(r, ctx):
            # The next piece's number with no blank line above it (Dickinson's "XII."
            # under the last line of poem XI): a heading of its own.
            raw[i:i + 1] = [Raw(r.lines[:-1], r.gap), Raw(r.lines[-1:], 1)]
            draft.explain(r.lines[-1].no, "split",
                          f"number {r.lines[-1].text.strip()} set under the text before it")
            continue
        if len(r.lines) == 1 and ORNAMENT.match(vis):
            out.append(Block("break", line=no))
            draft.explain(no, "break", vis[:20])
            i += 1
            continue
        m = ILLUSTRATION.match(vis)
        if m:
            caption = (m.group("caption") or "").strip()
            if caption:
                text = join_lines([ln.text for ln in r.lines], vocab)
                text = ILLUSTRATION.sub(lambda x: x.group("caption").strip(), text)
                out.append(Block("div", cls="illustration", line=no,
                                 children=[Block("para", text=inline(text, markers), line=no)]))
                draft.report.info(no, "I-ILLUSTRATION", f"illustration placeholder became a "
                                  f"caption: {caption[:50]}")
            else:
                draft.report.warn(no, "W-ILLUSTRATION", "dropped an [Illustration] placeholder "
                                  "with no caption; add the image to the Markdown if wanted")
            draft.explain(no, "illustration", caption[:50] or "(dropped)")
            i += 1
            continue
        # "NOTE:—…" after a passage: an author's note without a mark.
        m = N.LABELLED_NOTE.match(vis)
        if m and prev is not None and prev.kind == "para":
            body = join_lines([ln.text for ln in r.lines], vocab)
            note = Block("note", text=inline(body, markers), line=no)
            note.src_label = "note"
            _bind(note, [], out, draft)
            out.append(note)
            i += 1
            continue
        # A note paragraph keyed to an earlier marker.
        d = N.def_prefix(vis, min(ln.indent for ln in r.lines) > ctx.base)
        if d and not any(N.same_note(p[3], d[0], False) for p in pending) and \
                _endnote_run(d[0], stale, raw, i, prev, ctx):
            # Notes gathered at the end (of the book, or under their own heading) go with
            # the references of earlier sections: one reference only with this label.
            pending.extend(p for p in stale if N.same_note(p[3], d[0], True))
            stale[:] = [p for p in stale if not N.same_note(p[3], d[0], True)]
        if d and any(N.same_note(p[3], d[0], False) for p in pending):
            body = join_lines([ln.text for ln in r.lines], vocab)
            body = body[len(body) - len(d[1]):] if body.endswith(d[1]) else d[1]
            if d[2]:
                body = body[:-1].rstrip()       # the parenthesis the note was wrapped in
            note = Block("note", text=inline(body, markers), line=no)
            note.src_label = d[0]
            _bind(note, pending, out, draft)
            out.append(note)
            i += 1
            continue
        piece = getattr(r, "verse", False)
        kind = None if piece else heading_kind(r, ctx, prev, nxt, raw[i - 1] if i else None)
        if kind:
            rank, m = kind
            text = " ".join(ln.text for ln in r.lines)
            extra = None
            if m and H.rank_of(m.group("label")) == 4 and m.group("rest").strip(" .") and \
                    re.match(r"\.\s+\S", m.group("rest")):
                # SCENE I. Elsinore. A platform…: the place is a paragraph of its own.
                cut = len(ctx.visible(text)) - len(m.group("rest").lstrip(".").lstrip())
                head_len = _offset_with_markers(text, markers, cut)
                text, extra = text[:head_len].rstrip(), text[head_len:].strip()
            elif r.no not in ctx.sequence and (
                    not (m and m.group("rest").strip(" .:")) and rank != -1 or rank == -1):
                title = _title_line(nxt, ctx, raw[i + 2] if i + 2 < len(raw) else None,
                                    bare=rank == "bare") if not (rank == -1 and ctx.is_running_text(nxt)) \
                    else None
                if title and (rank != -1 or title.startswith("(")):
                    sep = " " if title.startswith("(") or text.rstrip()[-1] in ".:" else ": "
                    text = text.rstrip() + sep + title
                    draft.explain(nxt.no, "heading-title", f"title joined to heading: {title[:40]}")
                    i += 1
            h = Block("heading", text=inline(text, markers), line=no)
            ctx.last_heading = ctx.visible(text).strip()
            h.rank = rank if rank != "bare" else "bare"
            out.append(h)
            stale.extend(pending)
            pending.clear()
            _collect_refs(h, pending)
            if extra:
                out.append(Block("para", text=inline(extra, markers), line=no))
                _collect_refs(out[-1], pending)
            # A bracket note cut out of the heading line belongs to the heading.
            for host in [h] + ([out[-1]] if extra else []):
                _add_bracket_notes(host, ctx, vocab, pending, out)
            i += 1
            continue
        # Short lines set out one by one after a colon are verse: keep them together.
        group = None if piece else _display_after_colon(raw, i, prev, ctx)
        if group:
            rows = [(0, inline(join_lines([ln.text for ln in g.lines]), markers)) for g in group]
            out.append(Block("lines", rows=rows, line=no, quote=True))
            draft.explain(no, "verse", f"{len(rows)} lines set out after a colon")
            i += len(group)
            continue
        # Centred short lines (title pages, dedications) stay lines, grouped.
        if ctx.centred(r) and not ctx.wrapped(r) or (len(r.lines) > 1 and not ctx.wrapped(r)) \
                or (not speakers and (_long_verse_lines(r, ctx) or ctx.verse(r))):
            group = [r]
            while ctx.centred(r) and i + 1 < len(raw) and raw[i + 1].gap == 1 and \
                    ctx.centred(raw[i + 1]) and len(group) < 12:
                i += 1
                group.append(raw[i])
            rows = [(ind, inline(t, markers)) for ind, t in _verse_rows(group, ctx)]
            indent = min(ln.indent for g in group for ln in g.lines)
            speech = speakers and len(rows) > 1 and plays.speaker_span(
                ctx.visible(rows[0][1]), speakers) == len(ctx.visible(rows[0][1]).rstrip())
            if speech:      # CHORUS. / verse lines: the speaker set apart, the lines kept
                rows[0] = (rows[0][0], markers.add("**") + rows[0][1] + markers.add("**"))
            b = Block("lines", rows=rows, line=no,
                      quote=indent > ctx.base + 1 and not ctx.centred(r) and not speech)
            out.append(b)
            draft.explain(no, "lines", f"{len(rows)} lines kept as a line block"
                          + (" (quoted)" if b.quote else ""))
            _add_bracket_notes(b, ctx, vocab, pending, out)
            i += 1
            continue
        text = join_lines([ln.text for ln in r.lines], vocab)
        text, dropped = ILLUSTRATION_INLINE.subn("", text)
        if dropped:
            draft.report.warn(no, "W-ILLUSTRATION", "dropped an inline [Illustration] placeholder")
        indent = min(ln.indent for ln in r.lines)
        text = re.sub(r"(?<=\S) {2,}(?=\S)", " ", text)
        quote = indent > ctx.base + 1 and not ctx.first_line_layout and not ctx.centred(r)
        if ctx.first_line_layout and len(r.lines) == 1:
            quote = False
        inscription = None if speakers else split_inscription(text, ctx.visible)
        if inscription:
            rows = [(0, inline(t, markers)) for t in balance_emphasis(inscription)]
            b = Block("lines", rows=rows, line=no, quote=True)
            out.append(b)
            draft.explain(no, "inscription", f"{len(rows)} lines cut where capitals and small "
                          "letters alternate (quoted)")
            _add_bracket_notes(b, ctx, vocab, pending, out)
            i += 1
            continue
        verse, rest = (None, "") if speakers else _run_verse(text, raw, i, out, quote, ctx)
        if verse:
            rows = [(0, inline(t, markers)) for t in balance_emphasis(verse)]
            b = Block("lines", rows=rows, line=no, quote=True)
            b.run_verse = True
            out.append(b)
            draft.explain(no, "verse", f"{len(rows)} lines re-split from verse run together "
                          "as prose (quoted)" + (", the prose after it a paragraph" if rest else ""))
            _add_bracket_notes(b, ctx, vocab, pending, out)
            if not rest:
                i += 1
                continue
            text, quote = rest, False
        text = inline(text, markers)
        if speakers:
            text, quote = _play_paragraph(text, r, speakers, markers, quote, ctx)
        b = Block("para", text=text, line=no, quote=quote)
        if quote:
            b.indented = True
            draft.explain(no, "quote", vis[:40])
        out.append(b)
        _collect_refs(b, pending)
        # Bracket notes cut out of this paragraph: definitions follow it.
        _add_bracket_notes(b, ctx, vocab, pending, out)
        i += 1
    _apply_refs(out, markers)
    return out


def half_titles(blocks: list[Block], ctx: Context) -> None:
    """A numbered heading of a run (``I. HISTORY.``) whose title also stands alone a few
    quoted blocks above it (``HISTORY.`` over an epigraph) opens there: the lone title is
    the heading and the epigraph belongs to its section; the numbered line stays, as
    written, a paragraph.  Done only when two or more headings of the run show it."""
    found = []
    for j, h in enumerate(blocks):
        if h.kind != "heading" or h.line not in ctx.sequence:
            continue
        m = H.NUMBERED_TITLE.match(ctx.visible(h.text).strip())
        if not m:
            continue
        title = H.key(m.group("title"))
        for k in range(j - 1, max(-1, j - 8), -1):
            b = blocks[k]
            if b.kind not in ("para", "lines") or not b.quote:
                break
            if b.kind == "para" and H.key(ctx.visible(b.text)) == title:
                found.append((k, j))
                break
    if len(found) < 2:
        return
    for k, j in found:
        head, numbered = blocks[k], blocks[j]
        blocks[k] = Block("heading", text=head.text, line=head.line)
        blocks[k].rank = numbered.rank                       # type: ignore[attr-defined]
        blocks[j] = Block("para", text=numbered.text, line=numbered.line)
        ctx.draft.explain(head.line, "heading-half-title",
                          f"title standing above the epigraph of {ctx.visible(numbered.text)[:30]}"
                          f" (line {numbered.line}), as {len(found)} headings of the run do; "
                          f"confidence {1 - 0.5 ** len(found):.2f}")


def emphasis_across_paragraphs(blocks: list[Block], draft, reach: int = 6) -> None:
    """An ``_`` opening one paragraph and closing a later one (``_"We are, dear Sirs,`` …
    ``"SAMUEL F. BILLINGTON & SON."_``): each paragraph between is in italics."""
    markers = draft.markers
    k = 0
    while k < len(blocks):
        b = blocks[k]
        vis = markers.strip(b.text)
        end = None
        if b.kind == "para" and vis.startswith("_") and "_" not in vis[1:]:
            for j in range(k + 1, min(len(blocks), k + reach)):
                v = markers.strip(blocks[j].text) if blocks[j].kind == "para" else None
                if v is None or "_" in v[:-1]:
                    break
                if v.endswith("_"):
                    end = j
                    break
        if end is None:
            k += 1
            continue
        first, last = blocks[k], blocks[end]
        first.text = first.text[first.text.index("_") + 1:]
        last.text = last.text[:last.text.rindex("_")]
        for c in blocks[k:end + 1]:
            c.text = emph_all(c.text, markers)
        draft.explain(first.line, "emphasis", f"opened here and closed on line {last.line}: "
                      "each paragraph in italics")
        k = end + 1


def _offset_with_markers(text: str, markers, visible_offset: int) -> int:
    """Index in ``text`` of the ``visible_offset``-th visible character."""
    count = pos = 0
    pieces = list(markers.pattern.finditer(text))
    for m in pieces:
        n = m.start() - pos
        if count + n >= visible_offset:
            return pos + (visible_offset - count)
        count += n
        pos = m.end()
    return pos + (visible_offset - count)


def _section_number_on_top(r: Raw, ctx: Context) -> bool:
    first = r.lines[0]
    return len(r.lines) > 1 and bool(H.BARE.match(ctx.visible(first.text).strip())) and \
        first.indent >= max(ln.indent for ln in r.lines[1:]) and \
        first.indent > min(ln.indent for ln in r.lines[1:]) + 2


def _number_at_foot(r: Raw, ctx: Context) -> bool:
    """The block's last line is the number that follows the last numbered heading."""
    last = ctx.last_heading
    foot = ctx.visible(r.lines[-1].text).strip()
    return len(r.lines) > 1 and last is not None and bool(H.BARE.match(foot)) and \
        H.number_value(last) is not None and H.number_value(foot) == H.number_value(last) + 1


def _long_verse_lines(r: Raw, ctx: Context) -> bool:
    if len(r.lines) < 2 or any(ln.indent > r.lines[0].indent + 1 for ln in r.lines[1:]) \
            or not ctx.wrapped(r):
        return False
    if not lines_are_verse([ctx.visible(ln.text) for ln in r.lines], ctx.word_cases):
        return False
    ctx.draft.explain(r.no, "verse", f"{len(r.lines)} long lines kept: each opens with a "
                      "capital after the punctuation ending the line before")
    return True


def _run_verse(text: str, raw: list[Raw], i: int, out: list[Block], indented: bool,
               ctx: Context) -> tuple[list[str] | None, str]:
    """A passage set apart from the running text (indented, displayed between extra blank
    lines, or introduced by a colon, perhaps through a title line) that is verse run
    together as prose: its lines.  The stanza after such verse may end in the narrator's
    prose (``…turn cold on thee!" There were very few…``): that is returned as the rest."""
    r = raw[i]
    displayed = r.gap >= 2 and (i + 1 == len(raw) or raw[i + 1].gap >= 2)
    def paragraph(k):
        b = out[k] if len(out) >= -k else None
        return ctx.visible(b.text).strip() if b is not None and b.kind == "para" else None

    def introduces(t):
        return t is not None and t.rstrip("—-").endswith(":")
    titled = not introduces(paragraph(-1)) and paragraph(-1) is not None and \
        len(paragraph(-1)) <= 60 and introduces(paragraph(-2))
    colon = introduces(paragraph(-1)) or titled
    if out and getattr(out[-1], "run_verse", False) and not (indented or displayed or colon):
        words = text.split(" ")
        for k, w in enumerate(words[:-1]):
            if re.search(r"[”\"][.,;:!?]*$", ctx.visible(w)) and words[k + 1][:1].isupper():
                lines = split_run_verse(" ".join(words[:k + 1]), ctx.visible, ctx.word_cases)
                return (lines, " ".join(words[k + 1:])) if lines else (None, "")
        return None, ""
    if not (indented or displayed or colon) or ctx.centred(r):
        return None, ""
    lines = split_run_verse(text, ctx.visible, ctx.word_cases)
    if lines and titled and not out[-1].quote:
        out[-1].quote = True        # the poem's title, between the colon and the poem
        ctx.draft.explain(out[-1].line, "quote", "title of the verse after it")
    return lines, ""


def _display_after_colon(raw: list[Raw], i: int, prev: Block | None, ctx: Context):
    if prev is None or prev.kind != "para" or not ctx.visible(prev.text).rstrip().endswith(":"):
        return None
    group = []
    while i + len(group) < len(raw) and len(group) < 12:
        r = raw[i + len(group)]
        t = ctx.visible(r.joined).strip()
        if len(r.lines) != 1 or not t or t[0] in "“\"‘'«»(" or len(t) > ctx.measure \
                or (group and r.gap != 1) or H.label_match(t) or N.def_prefix(t):
            break
        group.append(r)
        if re.search(r"[.!?…”’\"]$", t):
            break
    return group if len(group) >= 2 else None


def _verse_rows(group: list[Raw], ctx: Context) -> list[tuple[int, str]]:
    """Lines of a verse or address block; hanging-indent continuations are joined."""
    rows: list[list] = []
    for g in group:
        base = min(ln.indent for ln in g.lines)
        for ln in g.lines:
            if rows and ln.indent > base + 2 and rows[-1][2] and \
                    rows[-1][3] >= ctx.measure - 20 and not ctx.centred(g):
                rows[-1][1] = rows[-1][1] + " " + ln.text
                rows[-1][3] = ln.indent + len(ln.text)
                continue
            rows.append([ln.indent - base, ln.text, True, ln.indent + len(ln.text)])
    return [(0 if ctx.centred(group[0]) else ind, t) for ind, t, _, _ in rows]


def _play_paragraph(text, r: Raw, speakers, markers, quote, ctx):
    vis = markers.strip(text)

    def emph(s):
        return emph_all(s, markers)

    def marked(s):                  # already in italics, or holding some: left as it is
        return "*" in markers.restore(s)
    cut = plays.speaker_span(vis, speakers)
    if cut is not None:
        at = _offset_with_markers(text, markers, cut)
        name, rest = text[:at], text[at:]
        rest = plays.mark_directions(rest, emph, marked) if plays.has_direction_mark(rest) \
            else rest
        return markers.add("**") + name + markers.add("**") + rest, False
    if not marked(text) and (
            plays.is_direction(vis, r.lines[0].indent > ctx.base)
            or any(vis.startswith(o) and (vis.endswith(c) or c not in vis) or
                   vis.endswith(c) and o not in vis for o, c in ("()", "[]"))):
        return emph_all(text, markers), False
    return plays.mark_directions(text, emph, marked), quote


def _add_bracket_notes(host: Block, ctx: Context, vocab, pending, out: list) -> None:
    """The bracket notes cut out of ``host`` follow it, bound to their references."""
    for note in _bracket_notes(host, ctx, vocab):
        _bind(note, pending, out, ctx.draft, host=host)
        out.append(note)


def _bracket_notes(b: Block, ctx: Context, vocab) -> list[Block]:
    draft, markers = ctx.draft, ctx.markers
    found = []
    text = b.text + "".join(t for _, t in b.rows)
    for m in list(markers.pattern.finditer(text)):
        idx = int(m.group(1))
        if idx in draft.bracket_notes:
            label, line, paras = draft.bracket_notes.pop(idx)
            note = Block("note", line=line, text=inline(join_lines(paras[0], vocab), markers))
            note.children = [inline(join_lines(p, vocab), markers) for p in paras[1:]]
            note.src_label = label
            note.placeholder = m.group(0)
            found.append(note)
    return found


def _endnote_run(label: str, stale: list, raw: list[Raw], i: int, prev: Block | None,
                 ctx: Context) -> bool:
    """A note opening with ``label`` belongs to a reference in an earlier section when
    exactly one such reference is left unbound, and the note is one of a run of notes
    (the note before it was one, or the next paragraph opens as a note too)."""
    if sum(1 for p in stale if N.same_note(p[3], label, True)) != 1:
        return False
    nxt = raw[i + 1] if i + 1 < len(raw) else None
    return (prev is not None and prev.kind == "note") or (
        nxt is not None and N.def_prefix(ctx.visible(nxt.joined).strip()) is not None)


def _collect_refs(b: Block, pending: list) -> None:
    for start, end, label in N.find_refs(b.text):
        pending.append([b, start, end, label])


def _bind(note: Block, pending: list, out: list, draft, host: Block | None = None) -> None:
    """Attach a note to the nearest earlier unbound reference with its label."""
    draft.note_count += 1
    note.label = str(draft.note_count)
    placeholder = getattr(note, "placeholder", None)
    order = [(strict, k) for strict in (True, False) for k in range(len(pending) - 1, -1, -1)]
    for strict, k in order:
        b, start, end, label = pending[k]
        if N.same_note(label, note.src_label, strict) and (
                host is None or b is not host or start < host.text.find(placeholder)):
            b.refs = getattr(b, "refs", []) + [(start, end, note.label)]
            del pending[k]
            if placeholder and host is not None:
                _replace_in(host, placeholder, "")
            draft.explain(note.line, "note", f"note {note.src_label} -> [^{note.label}]")
            return
    # No reference: the note is anchored where it stood (or after the paragraph before it).
    markers = draft.markers
    if host is not None and not markers.strip(host.text).strip() and not host.rows:
        _replace_in(host, placeholder, "")   # the note stood alone
        host, placeholder = None, None
    anchor = host if host is not None else next(
        (x for x in reversed(out) if x.kind == "para" and markers.strip(x.text).strip()), None)
    ref = markers.add(f"[^{note.label}]")
    if placeholder and host is not None:
        _replace_in(host, placeholder, ref)
    elif anchor is not None:
        anchor.text = anchor.text + ref
    else:
        note.kind = "para"
        note.text = (note.text + " " + " ".join(getattr(note, "children", []))).strip()
        note.children = []
        return
    draft.report.info(note.line, "I-NOTE-ANCHOR", f"note {note.src_label} has no reference "
                      "mark; anchored where it stands")
    draft.explain(note.line, "note", f"note {note.src_label} -> [^{note.label}] (no marker)")


def _replace_in(b: Block, old: str, new: str) -> None:
    """Deferred until references are applied, so their offsets stay valid."""
    b.replacements = getattr(b, "replacements", []) + [(old, new)]


def _apply_refs(blocks: list[Block], markers) -> None:
    for b in blocks:
        text = b.text
        for start, end, label in sorted(getattr(b, "refs", []), reverse=True):
            text = text[:start] + markers.add(f"[^{label}]") + text[end:]
        for old, new in getattr(b, "replacements", []):
            if not new:
                text = text.replace(" " + old + " ", " ")
            text = text.replace(old, new)
            b.rows = [(ind, t.replace(old, new)) for ind, t in b.rows]
        b.text = text


# ------------------------------------------------------------------------------ entry

def run(draft):
    if draft.kind != "text":
        return draft
    numbered = to_lines(draft.text, draft.first_line)
    source = dict(numbered)
    for no, text in numbered:
        for m in WORD_EMPHASIS.finditer(text):
            draft.explain(no, "emphasis", f"part of a word: {m.group(0)}")
    raw = raw_blocks(numbered)
    if not raw:
        raise draft.report.fail(1, "E-EMPTY", "the file has no text; add some, or remove the file")
    if not getattr(draft, "gutenberg", False) and one_paragraph_per_line(raw):
        draft.blocks = _finish(speech_blocks(raw, draft), draft)
        return draft
    width = {no: len(text) for no, text in numbered}
    numbered = N.extract_bracket_notes(numbered, draft.markers, draft.bracket_notes)
    raw = raw_blocks(numbered)
    if not getattr(draft, "gutenberg", False):
        raw = _title_from_first_line(raw, draft)
    raw, first_line_layout = split_first_line_indents(raw)
    ctx = Context(raw, draft)
    ctx.width = width
    ctx.first_line_layout = first_line_layout
    ctx.last_heading = None
    ctx.vocab = vocabulary(numbered)
    raw = remove_contents(raw, ctx)
    raw, code = set_apart(raw, source, draft)
    raw = plays.speaker_lines(raw, ctx.visible, lambda t: bool(H.label_match(t) or H.BARE.match(t)
                                                              or H.NAMED.match(t)), draft.explain)
    raw = split_verse_paragraphs(raw, ctx)
    blocks = classify(raw, ctx)
    half_titles(blocks, ctx)
    blocks = plays.scene_lists(blocks, ctx.visible, H.label_match, draft.explain)
    blocks = plays.cast_lists(blocks, ctx.speakers, draft.markers, draft.explain)
    emphasis_across_paragraphs(blocks, draft)
    unquote_indented_sections(blocks, draft)
    quote_documents(blocks, draft)
    quote_letters(blocks, draft)
    quote_run_in_letters(blocks, draft)
    quote_announced_documents(blocks, draft)
    quote_passages(blocks, draft)
    quote_titled_documents(blocks, draft)
    quote_epigraphs(blocks, draft)
    quote_dated_sections(blocks, draft)
    blocks = set_closings(blocks, draft)
    heads = [b for b in blocks if b.kind == "heading"]
    H.settle_strays(heads, {id(b) for a, b in zip(blocks, blocks[1:])
                            if a.kind == b.kind == "heading"}, ctx.visible)
    has_chapters = any(h.rank == 3 for h in heads)
    has_poems = any(h.rank == "poem" for h in heads)
    for h in heads:
        if h.rank == "division":
            h.rank = 2
        elif h.rank == "poem":
            h.rank = 4
        elif h.rank == "bare":
            h.rank = 5 if has_chapters or has_poems else 3
    H.assign_levels(heads)
    for h in heads:
        draft.explain(h.line, "heading", f"h{h.level} {ctx.visible(h.text)[:60]}")
    attach_synopses(heads, ctx.contents, ctx.visible, draft.explain)
    for label, line, _ in draft.bracket_notes.values():
        draft.report.warn(line, "W-NOTE", f"note {label} was not placed; check the brackets")
    draft.blocks = put_back(_finish(blocks, draft), code)
    return draft


def _finish(blocks: list[Block], draft) -> list[Block]:
    """A play's speech becomes one block with the directions inside it; words a text sets
    in capitals for emphasis (its only way to) become emphasis."""
    blocks = plays.join_speeches(blocks, draft.markers, draft.explain)
    return caps_emphasis(blocks, draft.markers, draft.explain)


def _title_from_first_line(raw: list[Raw], draft) -> list[Raw]:
    first = raw[0]
    if len(first.lines) == 1 and len(raw) > 1:
        t = first.lines[0].text
        if len(t) <= 80 and not SENTENCE_END.search(t) and "title" not in draft.meta \
                and draft.markers.strip(t) == t and t.strip() \
                and not H.label_match(t) and not H.BARE.match(t) \
                and "title" not in draft.sidecar:
            draft.meta["title"] = draft.markers.strip(t)
            draft.explain(first.no, "title", f"first line is the title: {t[:60]}")
            return raw[1:]
    return raw
