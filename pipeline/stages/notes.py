"""Notes in the conventions plain texts use, turned into Pandoc footnotes.

- ``[Footnote 22: …]`` or ``[* …]`` blocks, anywhere (even mid-line), keyed to ``[22]`` /
  ``*`` markers before them;
- ``[1] …``, ``(1) …``, ``1. …``, ``* …``, ``** …`` or ``(*…)`` paragraphs (an indented
  ``1 …`` too) keyed to an earlier unmatched ``[1]``, ``(1)``, ``{1}``, ``*`` or ``**``
  marker in the same section (endnotes after a paper, notes
  after a chapter, a note under its paragraph); numbering may restart anywhere.

Every note gets a unique label (1, 2, 3 … in document order) and its definition stays
where the note was, so the text keeps its order.
"""
from __future__ import annotations

import re

BRACKET_START = re.compile(r"\[(?:Footnote|Note)\s*([^\]:\s]{1,6})\s*:\s*|\[(\*+|†)(?:\s+(?=\S)|$)",
                           re.I)
REF = re.compile(r" ?\[(\d{1,4}|\*|†)\]|(?<=[^\s(\d])\((\d{1,3})\)| ?\{(\d{1,4})\}")
LABELLED_NOTE = re.compile(r"^(?:NOTE|Note)\s*(?::\s*(?:--|—)?|\.(?:--|—))\s*(?=\S)")
# A run of one to three stars or daggers: ``*``, ``**``, ``†``, ``‡``.
SIGNS = r"\*{1,3}|†{1,2}|‡"
DEF = re.compile(rf"^(?:\[(\d{{1,4}}|\*|†)\]|\((\d{{1,3}})\)|(\d{{1,3}})\.|(\(?)({SIGNS})(?!\s*\*))\s*(?=\S)")
# An indented note under a bare number (``     1 St. Augustine, Confessions``), for a
# ``{1}`` or ``[1]`` reference.
BARE_DEF = re.compile(r"^(\d{1,3})\s+(?=[A-Z])")


def extract_bracket_notes(numbered, markers, notes):
    """Cut ``[Footnote N: …]`` spans out of the lines, leaving a marker where each was.

    ``notes[marker_index] = (label, source_line, [paragraph texts])``.
    """
    out, i = [], 0
    while i < len(numbered):
        no, text = numbered[i]
        m = BRACKET_START.search(text)
        if not m:
            out.append((no, text))
            i += 1
            continue
        label = m.group(1) or m.group(2)
        # Scan for the matching bracket, across lines (and blank lines).
        depth, j, pos, paras, cur = 1, i, m.end(), [], []
        end = None
        while j < len(numbered) and j < i + 400:
            s = numbered[j][1] if j != i else text
            k = pos if j == i else 0
            seg_start = k
            while k < len(s):
                if s[k] == "[":
                    depth += 1
                elif s[k] == "]":
                    depth -= 1
                    if depth == 0:
                        end = (j, k)
                        break
                k += 1
            piece = s[seg_start:k].strip()
            if piece:
                cur.append(piece)
            elif j != i and cur:
                paras.append(cur)
                cur = []
            if end:
                break
            j += 1
        if not end:
            out.append((no, text))
            i += 1
            continue
        if cur:
            paras.append(cur)
        idx = markers.add("")
        notes[int(idx[1:-1])] = (label, no, paras)
        j, k = end
        tail = numbered[j][1][k + 1:]
        head = text[: m.start()].rstrip()
        joined = (head + (" " if head else "") + idx + tail).rstrip()
        out.append((no, joined))
        i = j + 1
    return out


def find_refs(text: str):
    """(start, end, label) of note references in a paragraph's text."""
    refs = [(m.start(), m.end(), m.group(1) or (("{" + m.group(3)) if m.group(3)
                                                 else "(" + m.group(2)))
            for m in REF.finditer(text)]
    for m in re.finditer(rf" ?({SIGNS})", text):
        i, j = m.start(1), m.end(1)
        near = text[max(0, i - 2):i] + text[j:j + 2]
        if i == 0 or "*" in near or text[i - 1] == "[" or text[j:j + 1] == "]" or \
                text[j:j + 1].isalnum() and text[i - 1] == " ":
            continue                # an ornament, a bracket note, or ``*word`` emphasis
        start = m.start() if i > 1 else i
        refs.append((start, j, m.group(1)))
    return sorted(refs)


def def_prefix(text: str, indented: bool = False):
    """(label, the note's text, whether it is wrapped in parentheses) of a paragraph that
    opens as a note: ``[1] …``, ``(1) …``, ``1. …``, ``* …``, ``** …``, ``(*…)``; an
    indented one may open with a bare number (``1 St. Augustine…``)."""
    m = DEF.match(text)
    if not m:
        m = BARE_DEF.match(text) if indented else None
        return (m.group(1), text[m.end():], False) if m else None
    groups = m.groups()
    label = groups[0] or groups[4] or "(" + (groups[1] or groups[2])
    rest = text[m.end():]
    wrapped = bool(groups[3]) and rest.endswith(")") and rest.count("(") < rest.count(")")
    return label, rest, wrapped


def same_note(ref_label: str, def_label: str, strict: bool) -> bool:
    """``[1]`` defs go with ``[1]`` marks, ``1.``/``(1)`` with ``(1)``; loosely, any 1."""
    if ref_label == def_label:
        return True
    return not strict and ref_label.lstrip("({") == def_label.lstrip("({")
