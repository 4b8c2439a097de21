"""Lossless check: every word of the source (outside stripped boilerplate) appears in the
Markdown, in order.

Words are compared as lowercase letter runs (digits are left out: note numbers become
footnote labels) and single CJK characters.  The two word streams are aligned with a
patience diff (unique words as anchors, then difflib in the gaps); source words left
unaligned are reported with the source lines they came from.  Linear in practice, so the
build can run it on every source.
"""
from __future__ import annotations

import bisect
import difflib
import re

from ..diagnostics import WARNING, Diagnostic
from . import gutenberg

WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W\d_\u3400-\u9fff\uf900-\ufaff]+")
# Markup that is not text: the "Illustration"/"Footnote" labels of placeholders.
SOURCE_LABELS = re.compile(r"\[(?:Illustration|Footnote|Note)\b", re.I)
MD_SYNTAX = re.compile(r"(?<!\\)\[\^[^\]\s]+\]:?|(?<!\\)\{[#.][^}]*\}|^:::.*$|<!--|-->", re.M)
# A fenced code block is text as written: its braces and brackets are no Markdown syntax.
FENCED = re.compile(r"^(`{3,}|~{3,})[^\n]*\n.*?^\1[ \t]*$", re.M | re.S)
NOTE_DEF = re.compile(r"^\[\^[^\]\s]+\]:(.*(?:\n(?:    .*|\s*))*)", re.M)
FRONT = re.compile(r"\A---\n.*?\n---\n", re.S)


def _words(text: str, first_line: int = 1):
    """The text's words, lowercased, and a function giving the source line of word i
    (worked out only when a word is reported missing)."""
    low = text.lower()
    words = WORD.findall(low)

    def line_of(i: int) -> int:
        if not lines:
            lines.extend(m.start() for m in WORD.finditer(low))
            breaks.extend(m.start() for m in re.finditer("\n", low))
        return first_line + bisect.bisect_right(breaks, lines[i])

    lines: list[int] = []
    breaks: list[int] = []
    return words, line_of


def _without_syntax(markdown: str) -> str:
    out, last = [], 0
    for m in FENCED.finditer(markdown):
        out += [MD_SYNTAX.sub(" ", markdown[last:m.start()]), m.group(0)]
        last = m.end()
    return "".join(out) + MD_SYNTAX.sub(" ", markdown[last:])


def _front_words(markdown: str) -> list[str]:
    m = FRONT.match(markdown)
    return [w.lower() for w in WORD.findall(m.group(0))] if m else []


def _align(a: list[str], b: list[str]) -> list[bool]:
    """matched[i] for each word of a: aligned to a word of b, order kept."""
    matched = [False] * len(a)

    def uniques(ws):
        seen = {}
        for i, w in enumerate(ws):
            seen[w] = -1 if w in seen else i
        return {w: i for w, i in seen.items() if i >= 0}

    ua, ub = uniques(a), uniques(b)
    pairs = sorted((i, ub[w]) for w, i in ua.items() if w in ub)
    # Longest increasing subsequence of the anchors.
    tails: list[int] = []
    idx: list[int] = []
    prev = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        p = bisect.bisect_left(tails, j)
        if p == len(tails):
            tails.append(j)
            idx.append(k)
        else:
            tails[p], idx[p] = j, k
        prev[k] = idx[p - 1] if p else -1
    anchors, k = [], idx[-1] if idx else -1
    while k >= 0:
        anchors.append(pairs[k])
        k = prev[k]
    anchors.reverse()
    bounds = [(-1, -1)] + anchors + [(len(a), len(b))]
    for (i0, j0), (i1, j1) in zip(bounds, bounds[1:]):
        if 0 <= i0 < len(a):
            matched[i0] = True
        sa, sb = a[i0 + 1:i1], b[j0 + 1:j1]
        if not sa or not sb:
            continue
        if sa == sb:                        # the usual case: nothing changed in between
            matched[i0 + 1:i1] = [True] * len(sa)
            continue
        if len(sa) * len(sb) > 4_000_000:
            # Too big to diff: greedy in-order matching.
            jj = 0
            for ii, w in enumerate(sa):
                try:
                    jj = sb.index(w, jj) + 1
                    matched[i0 + 1 + ii] = True
                except ValueError:
                    pass
            continue
        sm = difflib.SequenceMatcher(None, sa, sb, autojunk=False)
        for bi, _, size in sm.get_matching_blocks():
            for t in range(size):
                matched[i0 + 1 + bi + t] = True
    return matched


def check_lossless(source_text: str, markdown: str, path: str = "source",
                   max_reports: int = 20) -> list[Diagnostic]:
    """Diagnostics naming the source lines whose words are missing from the Markdown."""
    source_text = source_text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    parts = gutenberg.split(source_text)
    body = SOURCE_LABELS.sub("[", parts.body)
    src, line_of = _words(body, parts.first_line)
    md_body = FRONT.sub("", markdown, count=1)
    md = _front_words(markdown) + _words(_without_syntax(md_body))[0]
    matched = _align(src, md)
    # Notes move next to their paragraph, and text after a mid-paragraph note moves
    # before it: a run of words found elsewhere in the Markdown, in order, was moved.
    notes = " " + " ".join(_words("\n".join(NOTE_DEF.findall(md_body)))[0]) + " " + \
        " ".join(md) + " "
    i = 0
    while i < len(matched):
        if matched[i]:
            i += 1
            continue
        j = i
        while j < len(matched) and not matched[j] and j - i < 400:
            j += 1
        # Split the run into the longest pieces that occur elsewhere, in order.
        k = i
        while k < j:
            end = k
            while end < j and " " + " ".join(src[k:end + 1]) + " " in notes:
                end += 1
            if end == k:
                k += 1
                continue
            matched[k:end] = [True] * (end - k)
            k = end
        i = j
    missing_lines: list[int] = []
    for i, ok in enumerate(matched):
        if not ok and (not missing_lines or missing_lines[-1] != line_of(i)):
            missing_lines.append(line_of(i))
    out: list = []
    if not missing_lines:
        return out
    # Group consecutive lines into ranges.
    ranges, start, end = [], missing_lines[0], missing_lines[0]
    for ln in missing_lines[1:]:
        if ln <= end + 1:
            end = ln
        else:
            ranges.append((start, end))
            start = end = ln
    ranges.append((start, end))
    for a, b in ranges[:max_reports]:
        where = f"line {a}" if a == b else f"lines {a}-{b}"
        out.append(Diagnostic(path, a, "W-LOST-TEXT", WARNING,
                              f"words from {where} are missing from the Markdown; "
                              "report this as a normalizer bug"))
    if len(ranges) > max_reports:
        out.append(Diagnostic(path, None, "W-LOST-TEXT", WARNING,
                              f"{len(ranges) - max_reports} more passages are missing"))
    return out
