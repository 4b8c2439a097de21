"""Markdown sources (written, or converted by pandoc from DOCX, ODT, EPUB, HTML, RST):
front matter kept, typography set on prose only, every other character left as written.

A source someone typed already has the characters its author chose, so only what
pandoc's ``smart`` extension converts is converted: straight quotes (then set in the
text's language), ``---`` (em dash), ``--`` (en dash), ``...`` and apostrophes.  Pandoc
decides it on its document tree, read with source positions, and only those characters
are replaced in the text: code (inline or block), raw HTML and TeX, math, URLs, link and
image titles and attributes are never touched, and ``0 - 5,000,000`` or ``-0800`` stay
as written.  ``_emphasis_`` is written ``*emphasis*``, as the normalizer writes it.
Running this on its own output changes nothing.
"""
from __future__ import annotations

import json
import re

import yaml

from ..safety import PANDOC_LIMITS
from .pandoc_source import stringify, too_deep, walk

FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
TITLE_BLOCK = re.compile(r"\A(?:%[^\n]*\n(?:[ \t]+[^\n]*\n)*){1,3}")  # pandoc's % title block
NNBSP = "\u202f"
# (double open, double close, single open, single close) by language.
QUOTES = {"en": "“”‘’", "de": "„“‚‘", "fr": "«»‹›", "ru": "«»„“", "uk": "«»„“", "pl": "„”‚’",
          "cs": "„“‚‘", "sv": "””’’", "fi": "””’’", "it": "«»“”", "es": "«»“”", "pt": "«»“”",
          "ja": "「」『』", "fa": "«»‹›", "ar": "«»‹›", "nl": "“”‘’", "da": "»«›‹",
          "no": "«»‘’", "el": "«»“”", "hu": "„”»«"}
LONG_RUN = re.compile(r"\.{4,}|-{4,}")
SMART = [("---", "—"), ("--", "–"), ("...", "…"), ("'", "’")]
# commonmark_x is pandoc's Markdown reader that can give source positions; smart is on.
READ = "commonmark_x+sourcepos"
MIN_WORDS = 30
# Arabic and Hebrew script: few words tell the language, and its direction matters most.
RTL = re.compile(r"[\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\ufb1d-\ufdff\ufe70-\ufeff]")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")   # one a word, or near enough
POS = re.compile(r"(\d+):(\d+)-(\d+):(\d+)")


def split_front_matter(text: str):
    m = FRONT.match(text)
    if not m:
        return {}, text
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError:
        return {}, text
    if not isinstance(meta, dict):
        return {}, text
    return meta, text[m.end():]


def title_block(body: str) -> tuple[dict, str]:
    """pandoc's ``% title`` / ``% author`` / ``% date`` lines opening a document."""
    m = TITLE_BLOCK.match(body)
    if not m:
        return {}, body
    fields = [" ".join(f.split()) for f in re.split(r"(?m)^%", m.group(0))[1:]]
    meta: dict[str, str | list[str]] = {k: v for k, v in zip(("title", "author", "date"), fields) if v}
    author = meta.get("author")
    if isinstance(author, str) and ";" in author:
        meta["author"] = [a.strip() for a in author.split(";") if a.strip()]
    return meta, body[m.end():]


def _pos(attr) -> tuple[int, int, int, int] | None:
    value = dict(attr[2]).get("data-pos", "")
    m = POS.search(value.rsplit("@", 1)[-1])
    return (int(m[1]), int(m[2]), int(m[3]), int(m[4])) if m else None


def _column_index(line: str, col: int) -> int:
    """commonmark counts columns with tabs to the next stop of 4; this gives the index."""
    c = 1
    for i, ch in enumerate(line):
        if c >= col:
            return i
        c = c + 4 - (c - 1) % 4 if ch == "\t" else c + 1
    return len(line)


FENCE = re.compile(r"^\s*(?:>\s*)*(`{3,}|~{3,})")
# (a note's text is read only where it is referenced: its reference goes along)
WORTH = re.compile(r"[\"'_]|--|\.\.\.|\[\^|\^\[|^ {0,3}#|^ {0,3}(?:=+|-+)[ \t]*$", re.M)
URL = re.compile(r"\]\([^)\s]*|<[a-z][\w+.-]*:[^>\s]*>|https?://\S+|\{[^}\n]*\}", re.I)


def _blocks(lines: list[str]) -> list[list[int]]:
    """Line indices of each block: runs between blank lines, a fenced code block or an
    HTML comment never cut."""
    out: list[list[int]] = []
    current: list[int] = []
    fence, comment = "", False
    for i, line in enumerate(lines):
        m = FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = ""
        elif m:
            fence = m.group(1)
        elif comment or ("<!--" in line and "-->" not in line.split("<!--", 1)[1]):
            comment = "-->" not in line or line.rfind("<!--") > line.rfind("-->")
        elif not line.strip():
            if current:
                out.append(current)
            current = []
            continue
        current.append(i)
    return out + ([current] if current else [])


def _worth_reading(lines: list[str]) -> set[int]:
    """The lines of the first block and of every block with straight quotes, dashes,
    dots, underscores, a note or a heading."""
    keep: set[int] = set()
    for n, block in enumerate(_blocks(lines)):
        if n == 0 or WORTH.search("\n".join(lines[i] for i in block)):
            keep.update(block)
    return keep


def prose_words(lines: list[str]) -> str:
    """The words outside code blocks, URLs and attributes: for language detection."""
    out, fence = [], ""
    for line in lines:
        m = FENCE.match(line)
        if fence or m:
            if fence and m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = ""
            elif not fence and m:
                fence = m.group(1)
            continue
        if not line.startswith(("    ", "\t")):
            out.append(URL.sub(" ", line))
    return " ".join(w for w in " ".join(out).split() if any(c.isalnum() for c in w))


def _edits(blocks, lines: list[str], lang: str) -> list[tuple[int, int, int, str]]:
    """(line, start, end, replacement) for every character smart typography changes."""
    marks = QUOTES.get(lang.split("-")[0].lower(), QUOTES["en"])
    french = lang.lower().startswith("fr")
    edits = []

    def source(p):
        l1, c1, l2, c2 = p
        if l1 != l2 or l1 > len(lines):
            return None
        line = lines[l1 - 1]
        return l1, _column_index(line, c1), _column_index(line, c2)

    def visit(node):
        if node["t"] != "Span" or len(node["c"][1]) != 1:
            return
        p = _pos(node["c"][0])
        inner = node["c"][1][0]
        where = source(p) if p else None
        if not where:
            return
        n, a, b = where
        text = lines[n - 1][a:b]
        # A run of four or more dots or hyphens is a mark of its own (an ellipsis and a
        # stop, a rule), kept as written, as the plain-text typography keeps it.
        # (the reader may cut such a run into several tokens: look at the whole line).
        if inner["t"] == "Str" and text != inner["c"] and not any(
                m.start() < b and a < m.end() for m in LONG_RUN.finditer(lines[n - 1])):
            smart = text
            for plain, typeset in SMART:
                smart = smart.replace(plain, typeset)
            # An apostrophe follows a letter or digit; a lone ' stays as written, as the
            # plain-text typography leaves it (so normalizing twice changes nothing).
            before = lines[n - 1][a - 1:a]
            if smart.startswith("’") and not before[-1:].isalnum():
                smart = "'" + smart[1:]
            if smart == inner["c"]:
                edits.append((n, a, b, smart))
        elif inner["t"] == "Quoted" and len(text) >= 2 and text[0] in "\"'" and text[-1] in "\"'":
            double = inner["c"][0]["t"] == "DoubleQuote"
            o, c = (marks[0], marks[1]) if double else (marks[2], marks[3])
            if french and double:
                o, c = o + NNBSP, NNBSP + c
            edits.extend([(n, a, a + 1, o), (n, b - 1, b, c)])
        elif inner["t"] == "Emph" and len(text) >= 2 and text[0] == text[-1] == "_":
            edits.extend([(n, a, a + 1, "*"), (n, b - 1, b, "*")])
    walk(blocks, visit)
    return edits


# A grid or simple table's rule: commonmark does not know pandoc's tables and would read
# its dashes as prose (the Document's pandoc Markdown reader then could not see the table).
TABLE_RULE = re.compile(r"[\s+|:=-]*[+|][\s+|:=-]*|[\s:-]*-{3,}[\s:-]*")


# Where pandoc's Markdown (what the Document reads) sees a link's target and title, a
# reference definition or attributes, though commonmark may not (a title "with "quotes"").
NOT_PROSE = re.compile(r"\]\((?:[^()\n]|\([^()\n]*\))*\)|^ {0,3}\[(?!\^)[^\]\n]+\]:.*|<[a-z][\w+.-]*:[^>\n]*>"
                       r"|(?<=[)\]`])\{[^}\n]*\}", re.I)


def _apply(lines: list[str], edits) -> list[str]:
    lines = list(lines)
    guarded: dict[int, list[tuple[int, int]]] = {}
    for n, a, b, new in sorted(set(edits), reverse=True):
        if n not in guarded:
            guarded[n] = [m.span() for m in NOT_PROSE.finditer(lines[n - 1])]
        if TABLE_RULE.fullmatch(lines[n - 1]) or any(s <= a < e for s, e in guarded[n]):
            continue
        lines[n - 1] = lines[n - 1][:a] + new + lines[n - 1][b:]
    return lines


def _take_title(blocks, lines: list[str]) -> str | None:
    """A document opening with its only level-1 heading (ATX or setext) over headings of
    its own: the heading is its title, so its lines go and the others move up one level."""
    top = [b["c"][1][0] if _wrapper(b) and len(b["c"][1]) == 1 else b for b in blocks]
    top = [b for b in top if b["t"] != "RawBlock"]      # a README's badges and logo above it
    heads = []
    walk(blocks, lambda n: heads.append(n) if n["t"] == "Header" else None)
    first = top[0] if top else None
    # With no heading under it, a lone heading may as well be the one chapter's (a plain
    # text's normalized output is such a Markdown, and must come through unchanged).
    if not first or first["t"] != "Header" or first["c"][0] != 1 or \
            sum(h["c"][0] == 1 for h in heads) != 1 or len(heads) < 2 or not _pos(first["c"][1]):
        return None
    title = stringify(first["c"][2])
    pos = _pos(first["c"][1])
    assert pos is not None          # checked above
    l1, _, l2, c2 = pos
    last = l2 - 1 if c2 == 1 else l2
    if not title or last < l1:
        return None
    for h in heads:
        where = _pos(h["c"][1])
        if h is first or not where:
            continue
        n = where[0]
        line = lines[n - 1]
        if re.match(r" {0,3}##", line):
            lines[n - 1] = line.replace("#", "", 1)
        elif h["c"][0] == 2 and n < len(lines) and re.fullmatch(r" {0,3}-+[ \t]*", lines[n]):
            lines[n] = lines[n].replace("-", "=")
    if last < len(lines) and not lines[last].strip() and (l1 == 1 or not lines[l1 - 2].strip()):
        last += 1                   # and one of the blank lines around it
    del lines[l1 - 1:last]
    return title


def _wrapper(block) -> bool:
    return block["t"] == "Div" and ["wrapper", "1"] in block["c"][0][2]


def normalize_markdown(draft, lang_of) -> None:
    try:
        _normalize(draft, lang_of)
    except RecursionError:
        raise too_deep(draft, draft.text) from None


def _normalize(draft, lang_of) -> None:
    import pypandoc

    meta, body = split_front_matter(draft.text)
    if not meta:
        meta, body = title_block(body)
    for k, v in meta.items():
        draft.meta.setdefault(k, v)
    lines = body.split("\n")
    # Source positions cost pandoc ten times its usual time and memory: it is shown only
    # the blocks with something to typeset or a heading (the rest left blank lines, so
    # the lines keep their numbers).
    keep = _worth_reading(lines)
    shown = "\n".join(line if i in keep else "" for i, line in enumerate(lines))
    tree = json.loads(pypandoc.convert_text(shown, "json", format=READ, verify_format=False,
                                            extra_args=PANDOC_LIMITS))
    lang = draft.sidecar.get("language") or draft.meta.get("language")
    if not lang:
        # Recorded only from enough words to be sure: a plain text's normalized output
        # names its language whenever its words could tell it, and must come through as is.
        words = prose_words(lines)
        letters = [c for c in words if c.isalpha()]
        enough = len(words.split()) >= MIN_WORDS or len(CJK.findall(words)) >= MIN_WORDS or (
            len(words.split()) >= 5 and len(RTL.findall(words)) > len(letters) / 2)
        lang = lang_of(words) if enough else None
        if lang:
            draft.meta["language"] = lang
    lines = _apply(lines, _edits(tree["blocks"], lines, str(lang or "en")))
    # Front matter is the document's own word on its metadata (the normalizer writes one
    # on every text it outputs): a heading becomes the title only where there is none.
    if not meta and "title" not in draft.meta and "title" not in draft.sidecar:
        title = _take_title(tree["blocks"], lines)
        if title:
            draft.meta["title"] = title
            draft.report.info(1, "I-TITLE", "the single top-level heading opening the "
                              "document is its title")
    draft.text = "\n".join(lines).strip("\n") + "\n"
