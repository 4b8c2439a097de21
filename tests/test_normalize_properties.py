"""Properties of the normalizer on arbitrary input (hypothesis): it never crashes, its
output is a fixed point, and every word of the input survives."""
from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.diagnostics import PipelineError
from pipeline.stages import normalize
from pipeline.stages.lossless import check_lossless
from pipeline.stages.typography import typeset

# derandomize: the same examples on every run, so a CI run never fails by chance; raise
# max_examples locally (HYPOTHESIS_PROFILE is not needed) to search wider.
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

# Text shaped like plain-text books: words, punctuation, quotes, markers, blank lines.
PIECES = st.sampled_from([
    "CHAPTER I", "BOOK ONE: 1805", "I.", "* * *", "[1]", "[Footnote 1: a note]", "(1)",
    "_it_", '"', "'", "--", "...", "Mr. Smith", "5 p.m.", "« »", "#", "> ", "| ", "- ",
    "1. ", "*", "\\", "`", "<b>", "[x]", "{.y}", "@ref", "&amp;", "  ", "\u3000\u3000",
    "吳國", "Élan", "naïve", "\t", ":::", "---", "[^1]", "$x$", "~", "^", "<!--", "-->",
])
WORDS = st.from_regex(r"[A-Za-z]{1,9}", fullmatch=True)
LINE = st.lists(st.one_of(WORDS, PIECES), min_size=0, max_size=12).map(" ".join)
TEXT = st.lists(st.one_of(LINE, st.just("")), min_size=1, max_size=25).map("\n".join)


def run(text: str, suffix=".txt"):
    try:
        return normalize(Path("p" + suffix), raw=text.encode("utf-8"))[0]
    except PipelineError as exc:  # empty input is an error the user can fix
        assert all(d.code == "E-EMPTY" for d in exc.diagnostics)
        return None


@SETTINGS
@given(st.text(max_size=400))
def test_never_crashes_on_any_unicode(text):
    md = run(text)
    if md is not None:
        assert isinstance(md, str)


@SETTINGS
@given(TEXT)
@example("A -  -  A")          # spaced hyphens one after the other: both are dashes
@example("CHAPTER I\n\n[Footnote 1: a note]")     # a heading over a block with no text left
@example("A A A A\nA\n\nA\nCHAPTER I Mr. Smith")
@example("A \u3000\u3000 '")   # a lone ' stays straight in the Markdown too
@example("I hardly believe it myself..... And yet")   # a long run of dots stays as written
def test_idempotent(text):
    md = run(text)
    if md is None:
        return
    assert run(md, ".md") == md


@SETTINGS
@example("{.y}\n{.y}")
@given(TEXT)
def test_keeps_every_word(text):
    md = run(text)
    if md is None:
        return
    assert check_lossless(text, md) == []


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list("ab .,;:!?'\"-()\u00a0«»…—")), max_size=80),
       st.sampled_from(["en", "fr", "de"]))
def test_typography_is_idempotent(text, lang):
    once = typeset(text, lang)
    assert typeset(once, lang) == once
    assert re.sub(r"\W", "", once) == re.sub(r"\W", "", text)
