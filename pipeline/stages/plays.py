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

NAME = r"(?:(?:Mr|Mrs|Dr|St|Ms)\.\s)?[A-ZÀ-Þ][\w’'\-]*(?:\s(?:and\s)?[A-ZÀ-Þ][\w’'\-]*){0,3}"
SPEAKER = re.compile(rf"^(?P<name>{NAME})(?P<sep>\.\s|\s(?=\()|\.$)")
DIRECTION_WORDS = re.compile(r"^(?:Enter|Re-?enter|Exit|Exeunt|Manet|Flourish|Alarum|"
                             r"Sennet|Trumpets|Dies|Aside|Within|Music)\b")
ROMAN = re.compile(r"[IVXLCDM]+")
STOPWORDS = {"The", "A", "An", "I", "It", "He", "She", "We", "They", "You", "This", "That",
             "But", "And", "Yes", "No", "Oh", "O", "Well", "What", "Then", "So", "There",
             "Here", "Now", "Why", "How", "Not", "All", "In", "On", "At", "If", "My"}


def find_speakers(paragraphs: list[str]) -> set[str]:
    """Names that open many paragraphs; empty unless the text reads as a play."""
    counts: collections.Counter[str] = collections.Counter()
    common: set[str] = set()
    for p in paragraphs:
        m = SPEAKER.match(p)
        if m and not DIRECTION_WORDS.match(p) and m.group("sep") != "." \
                and not ROMAN.fullmatch(m.group("name")):
            if m.group("name") in STOPWORDS:
                common.add(m.group("name"))
            else:
                counts[m.group("name")] += 1
    speakers = {n for n, c in counts.items() if c >= 3}
    total = sum(counts[n] for n in speakers)
    if len(paragraphs) < 10 or total < 12 or total < 0.15 * len(paragraphs):
        return set()
    # In a play, minor parts speak once or twice.
    speakers |= {n for n, c in counts.items() if c >= 2 or n.isupper()}
    # A part named in capitals elsewhere (``ALL.``, ``BOTH.``) speaks in mixed case too.
    return speakers | {n for n in set(counts) | common if n != n.upper() and n.upper() in speakers}


def speaker_span(text: str, speakers: set[str]):
    """(name_end, sep) if the paragraph opens with a known speaker, else None."""
    for name in sorted(speakers, key=len, reverse=True):
        if text.startswith(name):
            rest = text[len(name):]
            if rest.startswith(".") and (len(rest) == 1 or rest[1].isspace()):
                return len(name) + 1
            if rest.startswith(" ") or rest == "":
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

    When a direction stands on its own line in the middle of a speech and the speech goes
    on after it without a speaker (``[The cock crows.]`` / ``Stop it, Marcellus!``), the
    direction and the rest join the speech.  A bracketed direction right after a speech
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
        elif plain and at is not None and pending and vis:
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
