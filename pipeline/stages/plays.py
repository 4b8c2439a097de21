"""Plays: speaker names at the start of speeches, and stage directions.

A text is a play when many paragraphs open with one of a few recurring names followed by
a full stop (``BARNARDO.``, ``Nora.``) or by a direction (``Helmer (calls out).``).  Each
speech then starts with the speaker in bold; parenthesised directions and direction
paragraphs (``Enter Ghost.``) are set in italics.  The words are never changed.
"""
from __future__ import annotations

import collections
import re

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
    counts = collections.Counter()
    for p in paragraphs:
        m = SPEAKER.match(p)
        if m and m.group("name") not in STOPWORDS and not DIRECTION_WORDS.match(p) \
                and m.group("sep") != "." and not ROMAN.fullmatch(m.group("name")):
            counts[m.group("name")] += 1
    speakers = {n for n, c in counts.items() if c >= 3}
    total = sum(counts[n] for n in speakers)
    if len(paragraphs) < 10 or total < 12 or total < 0.15 * len(paragraphs):
        return set()
    # In a play, minor parts speak once or twice.
    return speakers | {n for n, c in counts.items() if c >= 2 or n.isupper()}


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


PAREN = re.compile(r"\([^()]{1,600}\)")


def mark_directions(text: str, emph) -> str:
    """Wrap parenthesised directions in emphasis; ``emph(s)`` returns the marked text."""
    if text.startswith("(") and ")" not in text:
        return emph(text)
    if text.endswith(")") and "(" not in text:
        return emph(text)
    return PAREN.sub(lambda m: emph(m.group(0)), text)


def is_direction(text: str, indented: bool) -> bool:
    return bool(DIRECTION_WORDS.match(text)) or (indented and len(text) < 300)
