"""Verse that a transcriber ran together as prose, split back into its lines.

Some plain texts set a quoted poem or song as one paragraph: ``“The ribs and terrors in
the whale, Arched over me a dismal gloom, While all God’s sun-lit waves rolled by, …``.
What gives verse away is a capital letter on an ordinary word right after a comma or a
semicolon (``gloom, While``): prose capitalizes there only names and *I*.  A verse line
need not end in punctuation (``leach’s art Mote him availle``): an ordinary word that the
text writes in lower case at least as often, capitalized after a lower-case word with no
punctuation between, starts a line too; prose does that nowhere.  A passage is
read as verse only when such line starts recur, cut it into lines of similar length, and
the passage is already set apart from the running text (indented, displayed between
extra blank lines, or introduced by a colon): the caller decides that.  Only line breaks
are added; the words and their order never change.
"""
from __future__ import annotations

import collections
import re
import statistics

OPENERS = "“\"‘'(_*«»„[¡¿"
CLOSERS = r"'’”“\"_*)»«\]"
SENTENCE_END = re.compile(rf"[!?.…][{CLOSERS}]*$")
CLAUSE_END = re.compile(rf"[,;:—–][{CLOSERS}]*$")
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# A closing attribution after the quotation: ``…the maine.” —_The Faerie Queen_.``
ATTRIBUTION = re.compile(r"(?<=[”\"’])\s+(?:—|--)\s*\S.{0,80}$")
# A verse line hardly ever ends on an article (``the | Fatherland`` is a capitalized noun).
ARTICLES = {"the", "a", "an", "le", "la", "les", "un", "une", "des", "der", "die", "das",
            "ein", "eine", "el", "los", "las", "il", "lo", "gli"}
MIN_LINE = 12        # characters: shorter pieces stay on the line before
MIN_SENTENCE_LINE = 20
MAX_LINE = 80


def word_cases(text: str) -> collections.Counter:
    """How often each word is written with exactly this capitalization."""
    return collections.Counter(WORD.findall(text))


def _ordinary(word: str, cases: collections.Counter) -> bool:
    """A capitalized word the text usually writes in lower case (not a name, not I/O)."""
    m = WORD.match(word.lstrip(OPENERS))
    if not m:
        return False
    w = m.group(0)
    if w == "O" or _is_i(w):
        return False
    w = _judged_part(w, cases)
    lower = w[0].lower() + w[1:]
    return cases.get(lower, 0) >= max(1, cases.get(w, 0) // 4)


def _is_i(w: str) -> bool:
    """*I* (``I``, ``I’ll``), which prose capitalizes anywhere."""
    return w == "I" or w.startswith(("I’", "I'"))


def _judged_part(w: str, cases: collections.Counter) -> str:
    """A compound the text never writes in lower case is judged by its first part
    (``Up-spouted``: ``up``)."""
    if not cases.get(w[0].lower() + w[1:]) and re.search(r"[-’']", w):
        return re.split(r"[-’']", w)[0]
    return w


def _bare_start(prev: str, word: str, cases: collections.Counter) -> bool:
    """``art Mote``: a capital with no punctuation before it, on a word that is not part of
    a name (``Sperm Whale``, ``dread Leviathan``): the word before is in lower case and not
    an article, and the text writes this one in lower case at least as often as with its
    capital."""
    if not prev[-1:].isalpha() or not prev.lstrip(OPENERS)[:1].islower() or \
            prev.lstrip(OPENERS).lower() in ARTICLES:
        return False
    m = WORD.match(word.lstrip(OPENERS))
    if not m or m.group(0) == "O" or _is_i(m.group(0)):
        return False
    w = _judged_part(m.group(0), cases)
    lower = w[0].lower() + w[1:]
    return cases.get(lower, 0) >= max(1, cases.get(w, 0))


def _in_title(words: list[str], i: int) -> bool:
    """A capital before another is a title's (``the Homeward Cruise``, ``Index of Good
    Fiction``), not a line start."""
    def capital(k):
        return k < len(words) and words[k].lstrip(OPENERS)[:1].isupper()
    return capital(i + 1) or (i + 2 < len(words) and len(words[i + 1]) <= 3 and
                              words[i + 1].isalpha() and capital(i + 2))


def verse_cuts(words: list[str], cases: collections.Counter) -> list[int] | None:
    """Indexes of the words that start lines, if the words read as run-together verse."""
    if sum(1 for w in words if w.lstrip(OPENERS)[:1].isupper()) > 0.5 * len(words):
        return None                     # Title Case, not verse
    def capital(w):
        return w.lstrip(OPENERS)[:1].isupper()
    # A capital the passage itself gives a word after lower-case words more than once is
    # its own usage (``do Your bidding … will You``), not a line start.
    def key(w):
        m = WORD.match(w.lstrip(OPENERS))
        return m.group(0) if m else w
    bare = collections.Counter(key(words[i]) for i in range(1, len(words))
                               if capital(words[i]) and words[i - 1][-1:].isalpha())
    own = {w for w, n in bare.items() if n > 1}
    starts = []
    for i in range(1, len(words)):
        if not capital(words[i]):
            continue
        if SENTENCE_END.search(words[i - 1]):
            starts.append((i, False))
        elif CLAUSE_END.search(words[i - 1]) and _ordinary(words[i], cases):
            starts.append((i, True))
        elif key(words[i]) not in own and not _in_title(words, i) and \
                _bare_start(words[i - 1], words[i], cases):
            starts.append((i, True))
    def width(a, b):
        return len(" ".join(words[a:b]))
    cuts, clause = [0], 0
    for i, after_clause in starts:
        # A sentence may end inside a line ("Alabama, goodbye! I love thee well!"): a
        # sentence end makes a line start only after a line's worth of words.
        if width(cuts[-1], i) >= (MIN_LINE if after_clause else MIN_SENTENCE_LINE):
            cuts.append(i)
            clause += after_clause
    while len(cuts) > 1 and width(cuts[-1], len(words)) < MIN_LINE:
        clause -= dict(starts)[cuts.pop()]
    widths = [width(a, b) for a, b in zip(cuts, cuts[1:] + [len(words)])]
    if len(widths) < 3 or clause < 2 or clause < (len(widths) - 1) / 2:
        return None
    typical = statistics.median(widths)
    cuts = _split_long_lines(words, cuts, typical, cases, own)
    widths = [width(a, b) for a, b in zip(cuts, cuts[1:] + [len(words)])]
    if max(widths) > MAX_LINE or max(widths) > 3 * typical or min(widths) < 0.35 * typical:
        return None
    return cuts[1:]


def _split_long_lines(words, cuts, typical, cases, own):
    """Once the passage is known to be verse, a line far longer than the others, or longer
    than any verse line, holds two: it is cut at the capital nearest its middle that may
    start a line (``fire Around``).  Besides ordinary words, that may be a word the text
    writes nowhere else (``art Mote``, ``dart, Dinting``), or *I* after a clause
    (``hour; I give``)."""
    out = []
    for a, b in zip(cuts, cuts[1:] + [len(words)]):
        out.append(a)
        line = " ".join(words[a:b])
        if len(line) <= 1.4 * typical and len(line) <= MAX_LINE:
            continue
        best = None
        for j in range(a + 1, b):
            left, right = len(" ".join(words[a:j])), len(" ".join(words[j:b]))
            if min(left, right) >= max(MIN_LINE, 0.5 * min(typical, MAX_LINE / 2)) and \
                    _may_start_line(words[j - 1], words[j], cases, own) and \
                    (best is None or abs(left - right) < best[0]):
                best = (abs(left - right), j)
        if best:
            out.append(best[1])
    return out


def _may_start_line(prev: str, word: str, cases: collections.Counter, own) -> bool:
    m = WORD.match(word.lstrip(OPENERS))
    if not m or not m.group(0)[0].isupper() or m.group(0) in own:
        return False
    w = m.group(0)
    if _ordinary(word, cases):
        return True
    if _is_i(w):
        return bool(CLAUSE_END.search(prev))
    lone = cases.get(w, 0) <= 1 and not cases.get(w[0].lower() + w[1:])
    return lone and (bool(CLAUSE_END.search(prev)) or
                     (prev[-1:].islower() and prev.lower() not in ARTICLES))


def split_run_verse(text: str, visible, cases: collections.Counter) -> list[str] | None:
    """The lines of ``text`` (which may hold markers; ``visible`` strips them), or None."""
    words = text.split(" ")
    if any(not w for w in words):
        return None
    shown = [visible(w) for w in words]
    body = visible(text)
    m = ATTRIBUTION.search(body)
    n = len(words)
    if m:
        n -= len(body[m.start():].split())
    if n < 6 or any(not w for w in shown[:n]):
        return None
    cuts = verse_cuts(shown[:n], cases)
    if not cuts:
        return None
    bounds = [0, *cuts, len(words)]
    return [" ".join(words[a:b]) for a, b in zip(bounds, bounds[1:])]


def lines_are_verse(texts: list[str], cases: collections.Counter) -> bool:
    """Lines that fill the measure like wrapped prose but are verse (Whitman's long lines):
    every line opens with a capital, every line ends in punctuation, and line starts after
    a comma or a semicolon are ordinary words, not names."""
    words = [t.split() for t in texts]
    if len(words) < 2 or any(not w for w in words) or texts[0][:1] in "[(":
        return False
    if not all(w[0][:1].isupper() for w in words):
        return False                    # (a quotation opening a line is prose's dialogue)
    if sum(1 for w in words for x in w if x.lstrip(OPENERS)[:1].isupper()) > \
            0.5 * sum(len(w) for w in words):
        return False                    # Title Case
    clause = 0
    for a, b in zip(words, words[1:]):
        if CLAUSE_END.search(a[-1]):
            clause += _ordinary(b[0], cases)
        elif not SENTENCE_END.search(a[-1]):
            return False
    return clause >= max(1, (len(words) - 1) / 2)


def reads_as_verse(lines: list[tuple[int, str]], measure: int | None) -> bool:
    """Lines (indent, text) that are verse even where they come near the measure (blank
    verse; a book of poems, whose measure is its own longest line).  Verse opens nearly
    every line with a capital, where wrapped prose does so only at a sentence or a name;
    and a wrapped line ends because the next word would not have fitted, which most verse
    lines are far from (``measure`` is None where the text is not wrapped prose at all,
    so nothing tells).  Title Case (synopses, title pages) is neither."""
    if len(lines) < 4 or any(not t for _, t in lines):
        return False
    capitals = sum(1 for _, t in lines[1:] if t.lstrip(OPENERS)[:1].isupper())
    if capitals < max(3, 0.85 * (len(lines) - 1)):
        return False
    words = [w for _, t in lines for w in WORD.findall(t)]
    if not words or sum(1 for w in words if w[0].isupper()) > 0.5 * len(words):
        return False
    def filled(slack):
        return sum(1 for (ind, a), (_, b) in zip(lines, lines[1:])
                   if ind + len(a) + 1 + len(b.split(" ", 1)[0]) > measure - slack)
    if measure is None or len(lines) >= 8 and capitals >= 0.9 * (len(lines) - 1):
        return True         # (prose does not open eight lines running with capitals)
    # (a few lines are little evidence: none of them may come near the measure)
    return filled(2) < 0.3 * (len(lines) - 1) and (len(lines) >= 6 or not filled(6))


def stanza_starts(lines: list[tuple[int, str]], measure: int) -> list[int]:
    """Where a long run of verse with no blank lines starts its verse paragraphs: a line set
    in further than the run's usual indent (a two-space paragraph indent, a dropped line
    that takes up a speech where the last line stopped).  Not a hanging continuation (after
    a line the next word would not have fitted on), and not a pattern of indents (rhymes set
    in, every other line): such starts are rare.  A run with no such indent may be dialogue
    (``speech_starts``)."""
    if len(lines) < 12:
        return []
    usual = collections.Counter(ind for ind, _ in lines).most_common(1)[0][0]
    starts = []
    for k in range(1, len(lines)):
        ind, t = lines[k]
        prev_ind, prev = lines[k - 1]
        if ind >= usual + 2 and t.lstrip(OPENERS)[:1].isupper() and \
                prev_ind + len(prev) + 1 + len(t.split(" ", 1)[0]) <= measure - 2:
            starts.append(k)
    if len(starts) > len(lines) / 4:
        return []
    return starts or speech_starts([t for _, t in lines])


def speech_starts(lines: list[str]) -> list[int]:
    """Where a run of dialogue verse with no blank lines and no indents takes up a new
    speech: a line that opens a quotation when none is open.  Taken only when the run is
    dialogue (such lines are a good share of it), so a quotation in narrative verse does
    not cut it."""
    starts, open_ = [], False
    for k, t in enumerate(lines):
        if k and not open_ and t[:1] in "“\"":
            starts.append(k)
        for ch in t:
            if ch == "“" or ch == '"' and not open_:
                open_ = True
            elif ch == "”" or ch == '"':
                open_ = False
    if open_ or len(starts) < max(2, len(lines) / 12):
        return []
    return starts


EMPH_OPEN = re.compile(r"(?<![\w\\])_(?=[^\s_])")
EMPH_CLOSE = re.compile(r"(?<=[^\s_])_(?!\w)")


def balance_emphasis(lines: list[str]) -> list[str]:
    """``_…_`` running over several lines is closed and reopened on each line."""
    out, open_ = [], False
    for line in lines:
        if open_:
            line = "_" + line
        opens = len(EMPH_OPEN.findall(line))
        closes = len(EMPH_CLOSE.findall(line))
        open_ = opens > closes
        out.append(line + "_" if open_ else line)
    return out


def _case_of(word: str) -> str:
    """``caps`` (``TABLET``), ``mixed`` (``Memory``, ``erected``), or ``""`` for a word
    with one letter or none (``1836.``, ``&``, ``A``), which goes with its neighbours."""
    letters = [c for c in word if c.isalpha()]
    if len(letters) < 2:
        return ""
    return "caps" if all(c.isupper() for c in letters) else "mixed"


def split_inscription(text: str, visible) -> list[str] | None:
    """An inscription, a notice or a title page run together as prose, in the capitals and
    small letters of display type: ``SACRED TO THE MEMORY OF JOHN TALBOT, Who, at the age of
    eighteen, was lost overboard, Near the Isle of Desolation, … THIS TABLET Is erected to
    his Memory BY HIS SISTER.``  It opens in capitals, and capitals and small letters
    alternate at least three times: a line starts where they change (at a capital), and
    after a comma or a full stop at a capital.  Runs of capitals are not cut: nothing in
    them shows where their lines ended."""
    words = text.split(" ")
    if len(words) < 12 or _case_of(visible(words[0]).lstrip(OPENERS)) != "caps" or \
            any(not w for w in words):
        return None                         # (the usual case, decided cheaply)
    shown = [visible(w).lstrip(OPENERS) for w in words]
    cases = [_case_of(w) for w in shown]
    # runs of one case (words of neither case join the run they are in)
    runs: list[list] = []          # [case, first word, words]
    current = None
    for k, c in enumerate(cases):
        if c and c != current:
            runs.append([c, k, 0])
            current = c
        if c:
            runs[-1][2] += 1
    long_caps = sum(1 for c, _, n in runs if c == "caps" and n >= 2)
    turns = sum(1 for a, b in zip(runs, runs[1:]) if a[0] == "caps" and shown[b[1]][:1].isupper())
    mixed = sum(1 for c in cases if c == "mixed")
    if long_caps < 3 or turns < 2 or not 0.2 <= mixed / len(words) <= 0.8:
        return None
    cuts = []
    for c, start, _ in runs[1:]:
        if c == "caps" or shown[start][:1].isupper():
            cuts.append(start)
    for k in range(1, len(words)):
        if cases[k] == "mixed" and shown[k][:1].isupper() and cases[k - 1] != "caps" and \
                re.search(rf"[,;.!?][{CLOSERS}]*$", visible(words[k - 1])):
            cuts.append(k)
    cuts = sorted(set(cuts))
    bounds = [0, *cuts, len(words)]
    return [" ".join(words[a:b]) for a, b in zip(bounds, bounds[1:])]
