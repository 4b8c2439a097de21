"""Plays: speaker names at the start of speeches, and stage directions.

A text is a play when many paragraphs open with one of a few recurring names followed by
a full stop (``BARNARDO.``, ``Nora.``) or by a direction (``Helmer (calls out).``).  Each
speech then starts with the speaker in bold; directions in parentheses or brackets and
direction paragraphs (``Enter Ghost.``) are set in italics.  The words are never changed.
"""
from __future__ import annotations

import collections
import re
from dataclasses import replace

from .blocks import Block, Line, Raw

NAME = r"(?:(?:Mr|Mrs|Dr|St|Ms)\.\s)?[A-ZÀ-Þ][\w’'\-]*(?:\s(?:and\s)?[A-ZÀ-Þ][\w’'\-]*){0,3}"
SPEAKER = re.compile(rf"^(?P<name>{NAME})(?P<sep>\.\s|\s(?=\()|\.(?=--|—)|\.$)")
DIRECTION_WORDS = re.compile(r"^(?:Enter|Re-?enter|Exit|Exeunt|Manet|Flourish|Alarum|"
                             r"Sennet|Trumpets|Dies|Aside|Within|Music)\b")
ROMAN = re.compile(r"[IVXLCDM]+")
STOPWORDS = {"The", "A", "An", "I", "It", "He", "She", "We", "They", "You", "This", "That",
             "But", "And", "Yes", "No", "Oh", "O", "Well", "What", "Then", "So", "There",
             "Here", "Now", "Why", "How", "Not", "All", "In", "On", "At", "If", "My"}


# Heading labels are never speakers (``SCENE. Elsinore.`` is the play's setting).
LABEL_WORD = re.compile(r"(?:act|scene|chapter|book|part|volume|canto|section)s?", re.I)


def named_elsewhere(name: str, front: str, text: str) -> bool:
    """A part that speaks once is a part when the cast list (``front``) names it as
    written, or the directions name it in capitals (``the PORTER thanks her``)."""
    return bool(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", front)) or bool(
        re.search(rf"(?<!\w){re.escape(name.upper())}(?!\w)", text))


def find_speakers(paragraphs: list[str]) -> set[str]:
    """Names that open many paragraphs; empty unless the text reads as a play."""
    counts: collections.Counter[str] = collections.Counter()
    common: set[str] = set()
    first: dict[str, int] = {}
    for k, p in enumerate(paragraphs):
        m = SPEAKER.match(p)
        if m and not DIRECTION_WORDS.match(p) and m.group("sep") != "." \
                and not ROMAN.fullmatch(m.group("name")) \
                and not LABEL_WORD.fullmatch(m.group("name").split()[0]):
            first.setdefault(m.group("name"), k)
            if m.group("name") in STOPWORDS:
                common.add(m.group("name"))
            else:
                counts[m.group("name")] += 1
    speakers = {n for n, c in counts.items() if c >= 3}
    total = sum(counts[n] for n in speakers)
    if len(paragraphs) < 10 or total < 12 or total < 0.15 * len(paragraphs):
        return set()
    # In a play, minor parts speak once or twice.
    front = " ".join(paragraphs[:min(first[n] for n in speakers)])
    speakers |= {n for n, c in counts.items() if c >= 2 or n.isupper() or named_elsewhere(
        n, front, " ".join(p for p in paragraphs if not p.startswith(n)))}
    # A part named in capitals elsewhere (``ALL.``, ``BOTH.``) speaks in mixed case too.
    return speakers | {n for n in set(counts) | common if n != n.upper() and n.upper() in speakers}


# A speaker's name on a line of its own (``BERTA.``), maybe with a direction (``HEDDA
# [to TESMAN].``).
NAME_LINE = re.compile(rf"^(?P<name>{NAME})\.?(?:\s*(?:\([^()]{{1,80}}\)|\[[^\[\]]{{1,80}}\])\.?)?$")


def speaker_lines(raw: list[Raw], visible, is_label, explain=None) -> list[Raw]:
    """A speaker's name standing alone above the speech (``BERTA.`` / ``Is that you?``)
    joins it, so that each speech is one paragraph opening with its speaker.

    Decided from the book's own statistics: the lines must be many (a tenth of the
    paragraphs or more), drawn from a small set of names that recur, each followed by
    its speech, and most of those names must be found in the text besides (the cast list,
    the stage directions).  Nothing is reworded; the name is moved, not changed.
    """
    texts = [visible(r.joined).strip() for r in raw]
    names: dict[int, str] = {}
    for k, r in enumerate(raw[:-1]):
        m = NAME_LINE.match(texts[k]) if len(r.lines) == 1 else None
        if m and not is_label(texts[k]) and not ROMAN.fullmatch(m.group("name")) \
                and m.group("name") not in STOPWORDS and not DIRECTION_WORDS.match(texts[k]) \
                and not LABEL_WORD.fullmatch(m.group("name").split()[0]):
            names[k] = m.group("name")
    counts = collections.Counter(names.values())
    recurring = {n for n, c in counts.items() if c >= 2}
    lines = [k for k, n in names.items() if n in recurring and names.get(k + 1) not in recurring]
    if len(lines) < 12 or len(lines) < 0.1 * len(raw) or len(recurring) > 40:
        return raw
    # The names are people of the play: most of them occur elsewhere in the text.
    rest = " ".join(t for k, t in enumerate(texts) if k not in names)
    known = {n for n in recurring if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", rest, re.I)}
    if len(known) < 0.5 * len(recurring):
        return raw
    # A part that speaks once is one when the cast list or a direction names it.
    front = " ".join(t for k, t in enumerate(texts[:min(lines)]) if k not in names)
    speakers = recurring | {n for n in counts if n not in recurring and
                            named_elsewhere(n, front, rest)}
    out: list[Raw] = []
    k = 0
    while k < len(raw):
        r = raw[k]
        if names.get(k) in speakers and k + 1 < len(raw) and names.get(k + 1) not in speakers \
                and not is_label(texts[k + 1]):
            speech = raw[k + 1]
            first = speech.lines[0]
            joined = Line(first.no, r.lines[0].text + " " + first.text, first.indent,
                          first.ideographic, first.width)
            out.append(Raw([joined] + speech.lines[1:], r.gap))
            if explain:
                explain(r.no, "play", f"speaker {names[k]} on a line of its own joins the "
                        f"speech on line {first.no}")
            k += 2
            continue
        out.append(r)
        k += 1
    return out


def speaker_span(text: str, speakers: set[str]):
    """(name_end, sep) if the paragraph opens with a known speaker, else None."""
    for name in sorted(speakers, key=len, reverse=True):
        if text.startswith(name):
            rest = text[len(name):]
            if rest.startswith(".") and (len(rest) == 1 or rest[1].isspace() or
                                         rest[1:3] == "--" or rest[1] == "—"):
                return len(name) + 1
            # No full stop: a direction follows (``Helmer (calls out).``), or the speech
            # (``BARNARDO He.``), not more of a name nor a direction's verb (``MAREN
            # HOLT sits``, ``NORA comes in``).
            word = rest.split(None, 1)[0] if rest.strip() else ""
            if rest == "" or rest.startswith(" ") and (
                    word[:1] in ("(", "[") or word[:1].isupper() and not word.isupper()):
                return len(name)
    return None


# A direction in parentheses or square brackets, with words in it (not a note's ``[1]``).
DIRECTION = re.compile(r"\((?=[^()]*[^\W\d_])[^()]{1,600}\)|\[(?=[^\[\]]*[^\W\d_])[^\[\]]{1,600}\]")


def has_direction_mark(text: str) -> bool:
    return any(c in text for c in "()[]")


def mark_directions(text: str, emph, marked=lambda s: False) -> str:
    """Wrap directions in parentheses or brackets in emphasis (``emph(s)`` returns the
    marked text), unless the text already marks them (``[_Exit._]``: ``marked(s)``)."""
    for o, c in ("()", "[]"):
        if text.startswith(o) and c not in text or text.endswith(c) and o not in text:
            return text if marked(text) else emph(text)
    return DIRECTION.sub(lambda m: m.group(0) if marked(m.group(0)) else emph(m.group(0)), text)


def is_direction(text: str, indented: bool) -> bool:
    return bool(DIRECTION_WORDS.match(text)) or (indented and len(text) < 300)


def join_speeches(blocks: list, markers, explain=None) -> list:
    """A speech and the stage directions inside it make one block, speaker and speech.

    When a direction in brackets stands on its own line in the middle of a speech and the
    speech goes on after it without a speaker (``[The cock crows.]`` / ``Stop it,
    Marcellus!``), the direction and the rest join the speech; after an entrance
    (``Re-enter Ghost.``) the speech goes on in a paragraph of its own.  A bracketed direction right after a speech
    (``[Exit.]``) joins it too; entrances (``Enter Hamlet.``) stay on their own.
    """
    out: list = []
    pending: list = []              # directions after the last speech
    at = None                       # index in out of the last speech

    def join(parts):
        out[at] = replace(out[at], text=" ".join([out[at].text] + [p.text for p in parts]))
        if explain:
            for p in parts:
                explain(p.line, "play", f"joined to the speech on line {out[at].line}")

    def close():
        for k, d in enumerate(pending):
            if at is not None and all(p.text.lstrip().startswith("[") for p in pending[:k + 1]):
                join([d])
            else:
                out.append(d)
        pending.clear()

    for b in blocks:
        vis = markers.strip(b.text).strip() if b.kind == "para" else ""
        plain = b.kind == "para" and not b.quote
        if plain and _is_speech(b, markers):
            close()
            at = len(out)
            out.append(b)
        elif plain and at is not None and _is_direction_block(b, vis, markers):
            pending.append(b)
        elif plain and at is not None and pending and vis and all(
                markers.strip(d.text).lstrip().startswith(("[", "(")) for d in pending):
            join(pending + [b])
            pending.clear()
        else:
            close()
            at = None
            out.append(b)
    close()
    return out


def _is_speech(b, markers) -> bool:
    pieces = markers.split(b.text)
    return bool(pieces) and pieces[0] == (True, "**")


def _is_direction_block(b, vis: str, markers) -> bool:
    """A paragraph that is all stage direction: in italics (or brackets) from end to end."""
    if vis.startswith("[") and vis.endswith("]"):
        return True
    pieces = [p for p in markers.split(b.text) if p[1].strip()]
    return len(pieces) >= 3 and pieces[0] == (True, "*") and pieces[-1] == (True, "*") and \
        not any(m and c == "*" for m, c in pieces[1:-1])


# ----------------------------------------------------------------------------- front matter

# An abbreviation or an initial before a full stop does not end a cast-list entry.
ABBREVIATION = re.compile(r"(?:^|\s|\.)(?:[A-Z]|Mr|Mrs|Ms|Dr|St|Rev|Hon|Capt|Col|Gen|Lt|Jr|Sr)$")


DETERMINERS = {"The", "A", "An", "Two", "Three", "Four", "His", "Her", "Their", "Old",
               "Young", "the", "a", "an", "his", "her", "their", "of", "to", "and"}


def _cast_entries(text: str, words: set[str]) -> list[str]:
    """A cast list run together in one paragraph (``HAMLET, Prince of Denmark. CLAUDIUS,
    King of Denmark…``), cut into its entries: at each full stop before a capital, and
    before a speaker's name in capitals after a word that ends an entry (``a Soldier
    OSRIC``)."""
    cuts = [m.end() for m in re.finditer(r"\.\s+(?=[A-Z(])", text)
            if not ABBREVIATION.search(text[:m.start()])]
    for m in re.finditer(r"(?P<before>\w+)\s+(?P<name>[A-Z][A-Z’'\-]{2,})\b", text):
        if m.group("name") in words and m.group("before")[-1].islower() and \
                m.group("before") not in DETERMINERS:
            cuts.append(m.start("name"))
    cuts = sorted(set(cuts))
    return [text[a:b].strip() for a, b in zip([0] + cuts, cuts + [len(text)]) if text[a:b].strip()]


def _speaker_words(speakers: set[str]) -> set[str]:
    return {w.upper() for n in speakers for w in re.findall(r"[^\W\d_]{3,}", n)} - \
        {"THE", "AND", "FIRST", "SECOND", "THIRD", "MRS", "MISS", "LADY", "LORD", "SIR"}


def _names_a_part(entry: str, words: set[str]) -> bool:
    head = entry.split(",")[0]
    return any(w.upper() in words for w in re.findall(r"[^\W\d_]{3,}", head)[:5])


def cast_lists(blocks: list, speakers: set[str], markers, explain=None) -> list:
    """The list of characters before the first speech becomes a list (``dramatis
    personae``): a block of lines, or a paragraph run together, most of whose entries name
    a part that speaks.  A short line just above it is its heading."""
    if not speakers:
        return blocks
    words = _speaker_words(speakers)
    out: list = []
    speaking = False
    for b in blocks:
        if speaking or b.kind not in ("para", "lines") or (b.kind == "para" and (
                _opens_speech(b, markers) or markers.strip(b.text) != b.text)):
            speaking = speaking or (b.kind == "para" and _opens_speech(b, markers))
            out.append(b)
            continue
        if b.kind == "lines":       # its first row may have been taken for a speaker
            entries = [_unbold(t, markers) for _, t in b.rows]
        else:
            entries = _cast_entries(b.text, words)
        after: list[str] = []
        while entries and markers.strip(entries[-1]).lstrip().startswith(("(", "[")):
            after.insert(0, entries.pop())
        named = sum(1 for e in entries if _names_a_part(markers.strip(e), words))
        # A list of acts and scenes (a contents list left in) is not a cast list.
        labelled = sum(1 for e in entries if LABEL_WORD.fullmatch(markers.strip(e).split(" ", 1)[0]
                                                                .rstrip(".")))
        if len(entries) < 3 or named < 0.5 * len(entries) or labelled:
            out.append(b)
            continue
        prev = out[-1] if out else None
        if prev is not None and prev.kind == "para" and not prev.quote and \
                len(markers.strip(prev.text)) <= 60 and "\n" not in prev.text and \
                not re.search(r"[.,;:!?]$", markers.strip(prev.text).strip()):
            out[-1] = Block("heading", text=prev.text, line=prev.line)
            out[-1].rank = -1
            if explain:
                explain(prev.line, "play", "heading of the list of characters")
        items = [Block("para", text=_persona(e, markers), line=b.line) for e in entries]
        out.append(Block("div", cls="dramatis-personae", line=b.line,
                         children=[Block("list", children=items, line=b.line)]))
        out += [Block("para", text=t, line=b.line) for t in after]
        if explain:
            explain(b.line, "play", f"list of characters: {len(entries)} entries, "
                    f"{named} naming a part that speaks")
    return out


def _unbold(text: str, markers) -> str:
    pieces = markers.split(text)
    if len(pieces) == 3 and pieces[0] == pieces[2] == (True, "**") and not pieces[1][0]:
        return pieces[1][1]
    return text


def _persona(entry: str, markers) -> str:
    """The part's name in an entry (up to its first comma or colon, or its full stop)
    marked as a persona: ``[Nora]{.persona}, his wife.``"""
    if markers.strip(entry) != entry:
        return entry
    m = re.match(r"^(.+?)(?=[,:]\s|\.?$)", entry)
    if not m or not m.group(1).strip():
        return entry
    return markers.add("[") + m.group(1) + markers.add("]{.persona}") + entry[m.end():]


def _opens_speech(b, markers) -> bool:
    pieces = markers.split(b.text)
    return bool(pieces) and pieces[0] == (True, "**")


def scene_lists(blocks: list, visible, label_match, explain=None) -> list:
    """Headings in a row with no text between them, each with a place after its label
    (``ACT I.  Algernon Moncrieff's Flat…`` / ``ACT II.  The Garden…``), whose labels
    come again as headings further on, are a list of the scenes, not the acts: they
    become paragraphs, and a short line just above them is the list's heading."""
    heads = [(k, label_match(visible(b.text))) for k, b in enumerate(blocks)
             if b.kind == "heading"]
    out = list(blocks)
    k = 0
    while k < len(heads):
        j = k
        while j + 1 < len(heads) and heads[j + 1][0] == heads[j][0] + 1:
            j += 1
        run = heads[k:j + 1]
        k = j + 1
        if len(run) < 2 or not all(m and m.group("rest").strip(" .:") for _, m in run):
            continue
        label = run[0][1].group("label").lower()
        if any(m.group("label").lower() != label for _, m in run):
            continue
        later = [m for _, m in heads[k:] if m and m.group("label").lower() == label]
        if len(later) < len(run):
            continue
        for at, _ in run:
            out[at] = Block("para", text=blocks[at].text, line=blocks[at].line)
        first = run[0][0]
        prev = blocks[first - 1] if first else None
        if prev is not None and prev.kind == "para" and len(visible(prev.text)) <= 60 and \
                not re.search(r"[.,;:!?]$", visible(prev.text).strip()):
            out[first - 1] = Block("heading", text=prev.text, line=prev.line)
            out[first - 1].rank = -1
        if explain:
            explain(blocks[first].line, "play", f"{len(run)} headings in a row, their labels "
                    "repeated further on: a list of scenes, kept as paragraphs")
    return out
