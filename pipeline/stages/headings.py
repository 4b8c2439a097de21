"""Headings: what a heading line looks like, and its level in the text's own hierarchy.

Labelled headings (``BOOK ONE: 1805``, ``CHAPTER 1. Loomings.``, ``ACT I``, ``SCENE II.``,
``FEDERALIST No. 1``, ``CHAPITRE XXII.``), bare numerals (``I.``, `` XII``), named sections
(``PREFACE``, ``Dramatis Personæ``, ``ETYMOLOGY.``) and all-caps lines standing alone.
Levels follow the labels' ranks: VOLUME > BOOK > PART/ACT > CHAPTER > SCENE/section.
"""
from __future__ import annotations

import re

ROMAN = r"(?=[MDCLXVI])M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
ROMAN_LC = ROMAN.lower().replace("(?=[mdclxvi])", "(?=[mdclxvi])")
WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty").split()
ORDINALS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
            "twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth "
            "nineteenth twentieth last final premier premi[eè]re deuxi[eè]me second[e]? "
            "troisi[eè]me erste[rs]? zweite[rs]? dritte[rs]?").split()
NUMBER = (rf"(?:{ROMAN}|{ROMAN_LC}|\d{{1,4}}|[０-９]+|(?:{'|'.join(WORDS)})(?:[- ](?:{'|'.join(WORDS)}))?)")

# Label -> rank (smaller is higher in the hierarchy).
RANKS = {
    "volume": 0, "vol": 0, "tome": 0, "band": 0,
    "book": 1, "livre": 1, "buch": 1, "libro": 1,
    "part": 2, "partie": 2, "teil": 2, "parte": 2, "act": 2, "acte": 2, "akt": 2,
    "aufzug": 2,
    "chapter": 3, "chap": 3, "chapitre": 3, "kapitel": 3, "cap[ií]tulo": 3, "stave": 3,
    "canto": 3, "letter": 3, "federalist": 3, "essay": 3, "lecture": 3, "adventure": 3,
    "scene": 4, "sc[eè]ne": 4, "szene": 4, "auftritt": 4, "section": 4,
}
LABEL = "|".join(sorted(RANKS, key=len, reverse=True))
# A label, then "No." maybe, then a number; or an ordinal before an EPILOGUE/PROLOGUE.
LABELLED = re.compile(
    rf"^(?:(?P<ord>{'|'.join(ORDINALS)})\s+)?(?P<label>{LABEL}|epilogue|prologue)\b\.?"
    rf"\s*(?:No\.?\s*)?(?P<num>{NUMBER}|(?:the\s+)?(?:{'|'.join(ORDINALS)})(?!-\w))?(?![\w])(?P<rest>.*)$",
    re.I)
LABELLED_TIGHT = re.compile(rf"^(?P<label>BOOK|PART|CHAPTER|ACT|SCENE)(?P<num>{ROMAN}|\d+)"
                            r"(?![\w])(?P<rest>.*)$")
BARE = re.compile(rf"^(?:{ROMAN}|\d{{1,3}})\.?$")
NAMED = re.compile(
    r"^(preface|introduction|foreword|prologue|epilogue|afterword|conclusion|appendix|"
    r"dedication|etymology|extracts|dramatis person(?:ae|æ|\u00e6)|persons represented|"
    r"characters|postscript|glossary|note|notes|author'?s note|préface|avertissement|"
    r"vorwort|nachwort|einleitung)\b", re.I)
CONTENTS = re.compile(r"^(table of )?contents?\.?$|^table des mati[eè]res\.?$|^table\.?$|"
                      r"^inhalt(sverzeichnis)?\.?$|^(list of )?illustrations\.?$|^índice\.?$",
                      re.I)
SENTENCE_END = re.compile(r"[.!?:;…\"”’)\]]$")


def label_match(text: str, markers=None):
    """Match a labelled heading line; None when the line is not one."""
    visible = markers.strip(text) if markers else text
    m = LABELLED.match(visible) or LABELLED_TIGHT.match(visible)
    if not m:
        return None
    label = m.group("label").lower()
    has_ord = "ord" in m.groupdict() and m.group("ord")
    if not m.group("num") and not has_ord and label not in ("epilogue", "prologue"):
        return None
    rest = m.group("rest").strip()
    # "BOOK I. (Folio), CHAPTER I. (Sperm Whale).—This whale…" is running text.
    if len(rest) > 90 or re.search(r"[.!?]\W*\s+[a-z]", rest):
        return None
    if label in ("epilogue", "prologue") and not m.group("num") and not has_ord and \
            rest and not re.match(r"^[:.—–-]", rest):
        return None
    return m


def rank_of(label: str) -> int:
    label = label.lower().rstrip(".")
    for pattern, rank in RANKS.items():
        if re.fullmatch(pattern, label):
            return rank
    return -1  # epilogue/prologue: the top rank in use


def is_all_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and all(not c.islower() for c in letters) and \
        any(c.isupper() for c in letters)


def mostly_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and sum(1 for c in letters if c.isupper()) >= 0.6 * len(letters)


def key(text: str) -> str:
    """A loose comparison key for headings and contents entries."""
    return " ".join(re.findall(r"\w+", text.lower()))


def assign_levels(headings: list) -> None:
    """headings: Blocks with .rank set (-1 = top rank in use); sets .level (1-based)."""
    ranks = sorted({h.rank for h in headings if h.rank >= 0})
    top = ranks[0] if ranks else 3
    for h in headings:
        if h.rank < 0:
            h.rank = top
    ranks = sorted({h.rank for h in headings})
    dense = {r: i + 1 for i, r in enumerate(ranks)}
    previous = 0
    for h in headings:
        # Never deeper than one below the heading before (a title joined to its book
        # heading leaves the book's sections under the book): outlines skip no level.
        h.level = min(dense[h.rank], 6, previous + 1)
        previous = h.level


def settle_strays(heads: list, after_heading: set, visible) -> None:
    """Headings whose label outranks their place become sections of the chapter they sit in.

    A VOLUME, BOOK or PART heading that is the only one of its rank, is not numbered one
    and comes after a chapter (Gibbon's lone ``PART II.`` inside Chapter I) divides that
    chapter; so does a named section standing right under a chapter heading (Gibbon's
    ``Introduction.``).  Call before the pending ranks (-1, "bare", …) are resolved.
    """
    def ranked(h):
        return isinstance(h.rank, int) and h.rank >= 0

    for rank in (0, 1, 2):
        same = [h for h in heads if h.rank == rank]
        m = label_match(visible(same[0].text)) if len(same) == 1 else None
        if m is None or (m.group("num") or "").lower() in ("i", "1", "one", "the first") or m.group("ord"):
            continue
        k = heads.index(same[0])
        if any(ranked(h) and h.rank == 3 for h in heads[:k]):
            same[0].rank = 4
    for before, h in zip(heads, heads[1:]):
        if h.rank == -1 and id(h) in after_heading and ranked(before) and before.rank >= 3:
            h.rank = min(before.rank + 1, 5)


def number_value(text: str) -> int | None:
    """The value of a leading arabic or roman numeral (``XII.``, ``X. IN A LIBRARY.``)."""
    m = re.match(rf"^(\d{{1,4}}|{ROMAN})\b", text)
    if not m or not m.group(1):
        return None
    if m.group(1).isdigit():
        return int(m.group(1))
    values = [{"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}[c]
              for c in m.group(1)]
    return sum(-v if v < w else v for v, w in zip(values, values[1:] + [0]))


# ------------------------------------------------------------------ sequences

# A numbered title standing alone: ``I. The Period``, ``2. CONSERVATIVE SOCIALISM``,
# ``C. German, or "True," Socialism``.
NUMBERED_TITLE = re.compile(rf"^\(?(?P<num>{ROMAN}|\d{{1,3}}|[A-Z])[.)]\)?\s+(?P<title>\S.*)$")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def titular(title: str) -> bool:
    """Written as a title, not as a sentence: capitals (or capitalised long words) and no
    sentence inside it."""
    t = title.strip()
    if not t or len(t) > 100 or not t[0].isupper() or t.endswith((",", ";", ":")) or \
            re.search(r"[.!?]\W*\s+[a-z]", t):
        return False
    if is_all_caps(t):
        return True
    words = [w for w in re.findall(r"[^\W\d_][\w’'-]*", t) if len(w) >= 4]
    return bool(words) and sum(1 for w in words if w[0].isupper()) >= 0.8 * len(words)


def _values(num: str) -> dict[str, int]:
    """The numbering styles a number can belong to, with its value in each."""
    out = {}
    if num.isdigit():
        out["arabic"] = int(num)
    roman = number_value(num) if re.fullmatch(ROMAN, num) else None
    if roman is not None:
        out["roman"] = roman
    if len(num) == 1 and num in LETTERS:
        out["letter"] = LETTERS.index(num) + 1
    return out


def numbered_runs(candidates: list, prose_between, labelled: list) -> dict:
    """Numbered titles that belong to a run: ``I. …, II. …, III. …`` (restarts allowed).

    candidates: (key, number, position) in text order; prose_between(p, q) says whether
    running text stands between two positions (a list's items follow one another; a
    book's sections have text between them); labelled: (rank, position) of the labelled
    headings.  Returns {key: (rank, style, run length)}: a run that starts inside the span
    of another style, or of a labelled rank, sits one level below it (a chapter rank when
    nothing encloses it).
    """
    runs: dict = {}                 # style -> list of runs, each a list of (key, pos)
    for key, num, pos in candidates:
        for style, value in _values(num).items():
            rs = runs.setdefault(style, [])
            if rs and rs[-1][-1][2] == value - 1 and prose_between(rs[-1][-1][1], pos):
                rs[-1].append((key, pos, value))
            elif value == 1:
                rs.append([(key, pos, value)])
    # A lone item is no run; a run not starting at one was never started.
    kept = {s: [r for r in rs if len(r) >= 2] for s, rs in runs.items()}
    kept = {s: rs for s, rs in kept.items() if rs}
    # A number read in two styles (I as roman one or the letter nine): the longer run wins.
    owner: dict = {}
    for style, rs in kept.items():
        for r in rs:
            for key, _, _ in r:
                if key not in owner or len(r) > owner[key][1]:
                    owner[key] = (style, len(r))
    spans = {}
    for style, rs in kept.items():
        items = [pos for r in rs for key, pos, _ in r if owner[key][0] == style]
        if len(items) >= 2:
            spans[style] = (min(items), max(items))
    by_rank: dict = {}
    for rank, pos in labelled:
        a, b = by_rank.get(rank, (pos, pos))
        by_rank[rank] = (min(a, pos), max(b, pos))

    def rank_of(style: str) -> int:
        first = spans[style][0]
        outer = [r for r, (a, b) in by_rank.items() if a < first < b]
        depth = sum(1 for s, (a, b) in spans.items() if s != style and a < first < b)
        return (max(outer) + 1 if outer else 3) + depth
    ranks = {style: rank_of(style) for style in spans}
    return {key: (ranks[style], style, n) for key, (style, n) in owner.items()
            if style in spans}
