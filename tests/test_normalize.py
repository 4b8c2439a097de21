"""Fast core tests of the normalizer on small fixtures in the corpus's shapes.

The fixtures (tests/fixtures/normalize/) are short texts written for these tests; the
corpus itself is exercised in test_normalize_corpus.py.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pypandoc
import pytest

from pipeline.stages import explain, normalize, run_stages
from pipeline.stages.lossless import check_lossless
from pipeline.stages.typography import typeset

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "normalize"
SPEECH = ROOT / "source" / "international-day-of-solidarity-2023.txt"


def body(md: str) -> str:
    return md.split("\n---\n", 1)[1] if md.startswith("---\n") else md


def codes(report) -> list[str]:
    return [d.code for d in report.items]


def pandoc_ast(md: str) -> list:
    out = subprocess.run([pypandoc.get_pandoc_path(), "-f", "markdown", "-t", "json"],
                         input=md.encode(), capture_output=True, check=True)
    return json.loads(out.stdout)["blocks"]


def headers(blocks) -> list[tuple[int, str]]:
    def text(inl):
        out = []
        for x in inl:
            if x["t"] == "Str":
                out.append(x["c"])
            elif x["t"] in ("Space", "SoftBreak"):
                out.append(" ")
            elif x["t"] in ("Emph", "Strong"):
                out.append(text(x["c"]))
        return "".join(out)
    return [(b["c"][0], text(b["c"][2])) for b in blocks if b["t"] == "Header"]


@pytest.fixture(scope="module")
def novel():
    return normalize(FIX / "pg-novel.txt")


# ------------------------------------------------------------------------- decoding

def test_bom_crlf_and_gutenberg_are_reported_with_lines(novel):
    md, meta, report = novel
    assert "\r" not in md and "\ufeff" not in md
    found = {d.code: d for d in report.items}
    assert found["I-BOM"].line == 1 and found["I-LINE-ENDS"].line == 1
    assert found["I-GUTENBERG"].line == 1
    assert found["I-CREDITS"].line == 26
    assert "Project Gutenberg" not in md and "Produced by" not in md


@pytest.mark.parametrize("raw, gone, kept, removed", [
    # thanks for the scans a text was made from are production credits
    ("*** START OF THIS PROJECT GUTENBERG EBOOK CANDIDE ***\n\n"
     "Produced by Carlo Traverso\n\n"
     "We thank the Bibliotheque Nationale de France that has made available\n"
     "the image files, authorizing the preparation of the etext through OCR.\n\n"
     "CHAPTER I.\n\nIl y avait en Westphalie un jeune garçon.\n\n"
     "*** END OF THIS PROJECT GUTENBERG EBOOK CANDIDE ***\n",
     "thank", "jeune garçon", [(3, "production credits"), (5, "production credits")]),
    # a title page that repeats the header (in another case) goes with it
    ("The Project Gutenberg EBook of The Federalist Papers, by\n"
     "Alexander Hamilton, John Jay, and James Madison\n\n"
     "*** START OF THIS PROJECT GUTENBERG EBOOK THE FEDERALIST PAPERS ***\n\n"
     "THE FEDERALIST PAPERS\n\nBy Alexander Hamilton, John Jay, and James Madison\n\n"
     "FEDERALIST No. 1\n\nTo the People of the State of New York:\n\n"
     "*** END OF THIS PROJECT GUTENBERG EBOOK THE FEDERALIST PAPERS ***\n",
     "By Alexander", "To the People", [(6, "title page repeating the header"),
                                       (8, "title page repeating the header")]),
    # further in, after a contents list: a note about the etext naming Project Gutenberg,
    # and the label introducing it
    ("*** START OF THIS PROJECT GUTENBERG EBOOK THE WHALE ***\n\n"
     + "".join(f"Chapter {n}. Title {n}.\n\n" for n in range(1, 8))
     + "Original Transcriber's Notes:\n\n"
     "This text is a combination of etexts, one from Project Gutenberg's archives.\n\n"
     "CHAPTER 1. Loomings.\n\nCall me Ishmael.\n\n"
     "*** END OF THIS PROJECT GUTENBERG EBOOK THE WHALE ***\n",
     "archives", "Call me Ishmael", [(19, "production credits"), (17, "production credits")]),
])
def test_gutenberg_front_matter_that_is_not_the_text(raw, gone, kept, removed):
    md, _, report = normalize(Path("pg.txt"), raw=raw.encode())
    assert gone not in md and kept in md
    assert [(d.line, d.message.split(":")[0].removeprefix("removed "))
            for d in report.items if d.code == "I-CREDITS"] == removed


def test_latin1_is_detected_not_assumed():
    md, meta, report = normalize(FIX / "french-latin1.txt")
    assert "élevé dans un beau château" in md
    enc = next(d for d in report.items if d.code == "I-ENCODING")
    assert enc.line and "cp1252" in enc.message or "latin" in enc.message


def test_cr_line_ends_and_control_characters():
    md, meta, report = normalize(FIX / "cr-controls.txt")
    assert "\x07" not in md and "bell in it. It wraps." in md
    control = next(d for d in report.items if d.code == "I-CONTROL")
    assert control.line == 3
    assert meta["title"] == "A Title"


def test_mojibake_is_repaired_and_reported():
    raw = "Title\n\nThe cafÃ© was closed, and itâ€™s late.\n".encode("utf-8")
    md, _, report = normalize(Path("x.txt"), raw=raw)
    assert "café" in md and "it’s" in md
    assert any(d.code == "I-MOJIBAKE" and d.line == 3 for d in report.items)


def test_nfc():
    raw = "Title\n\nCafe\u0301 au lait.\n".encode("utf-8")
    md, _, report = normalize(Path("x.txt"), raw=raw)
    assert "Café" in md and "\u0301" not in md


# ------------------------------------------------------------------------- metadata

def test_gutenberg_metadata(novel):
    _, meta, _ = novel
    assert meta == {"title": "The Long Road", "author": "Anna Example",
                    "translator": "Boris Sample", "date": "2004-05-01", "language": "en",
                    "identifier": "https://www.gutenberg.org/ebooks/99991"}


@pytest.mark.parametrize("given, title", [
    ("The Adventures of Tom Sawyer, Complete", "The Adventures of Tom Sawyer"),
    ("Poems: Three Series, Complete", "Poems: Three Series"),
    ("The Memoirs of Napoleon — Complete", "The Memoirs of Napoleon"),
    ("The Project Gutenberg EBook of Middlemarch", "Middlemarch"),
    ("The Complete Angler", "The Complete Angler")])
def test_gutenberg_title_residue(given, title):
    raw = (FIX / "pg-novel.txt").read_bytes().replace(b"Title: The Long Road",
                                                      f"Title: {given}".encode())
    assert normalize(FIX / "pg-novel.txt", raw)[1]["title"] == title


def test_sidecar_wins():
    _, meta, _ = normalize(FIX / "pg-novel.txt", sidecar={"title": "Mine", "language": "de"})
    assert meta["title"] == "Mine" and meta["language"] == "de"
    assert meta["author"] == "Anna Example"


def test_language_codes_from_header():
    assert normalize(FIX / "french-latin1.txt")[1]["language"] == "fr"
    assert normalize(FIX / "german-latin1.txt")[1]["language"] == "de"
    assert normalize(FIX / "cjk.txt")[1]["language"] == "zh"


def test_metadata_not_invented():
    _, meta, _ = normalize(Path("x.txt"), raw=b"Just one line of text here, with words.\n")
    assert set(meta) <= {"language"}


# ------------------------------------------------------------------------- structure

def test_headings_levels_and_contents(novel):
    md, _, report = novel
    heads = headers(pandoc_ast(md))
    assert heads == [(1, "BOOK ONE: 1805"), (2, "CHAPTER I"), (2, "CHAPTER II"),
                     (1, "BOOK TWO: 1806"), (2, "CHAPTER I")]
    contents = next(d for d in report.items if d.code == "I-CONTENTS")
    assert contents.line == 39
    assert "<!-- contents list removed" in md


def test_false_heading_inside_paragraph(novel):
    md = novel[0]
    assert "\nBOOK I. (*Folio*), CHAPTER I. (*Sperm Whale*).—This paragraph" in md


def test_scene_break_footnote_and_illustrations(novel):
    md, _, report = novel
    assert "\n* * *\n" in md
    assert "St.\u00a0Petersburg.[^1] The inn" in md and "[^1]: The capital, then as now." in md
    assert "::: illustration\n\nThe inn at night\n\n:::" in md
    assert "[Illustration" not in md and "Illustration\\]" not in md
    assert any(d.code == "W-ILLUSTRATION" and d.line == 88 for d in report.items)


def test_paragraphs_unwrapped_with_typography(novel):
    md = novel[0]
    assert ("“Well, Mr.\u00a0Brown, so the train leaves at 5\u00a0p.m. and we are to be "
            "ready—all of us—by four,” said she. “I don’t know what ’tis about, but the "
            "’90s were quieter… I am sure of it.”") in md
    assert "*Gazette*" in md and "pages 10–12" in md


def test_bracket_and_endnote_conventions():
    md, _, _ = normalize(FIX / "notes.txt")
    assert "large,[^1] and its frontiers were long.[^2] Its" in md
    assert "[^2]: The Rhine and the Danube.\n\n    The Euphrates in the east." in md
    assert "tribute.[^3] The roads" in md and "[^3]: In money and in grain." in md
    assert "government,[^4] you are" in md
    assert "[^4]: The same idea is held out" in md
    assert "# FEDERALIST No. 1: General Introduction" in md
    notes = [b for b in pandoc_ast(md) if b["t"] == "Para"]
    assert notes  # reads back


def test_play_speakers_and_directions():
    md, _, _ = normalize(FIX / "play.txt")
    text = body(md)
    assert "**BARNARDO.** Who’s there?" in text and "**BARNARDO** He." in text
    assert "*Enter Francisco and Barnardo, two sentinels.*" in text
    assert "*(Aside.)*" in text
    # (the contents list's words for the scene are its synopsis, an attribute of the heading)
    assert '## SCENE I. {synopsis="A platform"}\n\nElsinore. A platform before the Castle.' in text
    assert [h for h in headers(pandoc_ast(md))] == [
        (1, "Dramatis Personæ"), (1, "ACT I"), (2, "SCENE I."), (2, "SCENE II."),
        (1, "ACT II"), (2, "SCENE I.")]


def test_verse_keeps_lines_and_joins_hanging_indents():
    md, _, _ = normalize(FIX / "verse.txt")
    assert "| One’s-Self I sing, a simple separate person,\n| Yet utter" in md
    assert "nor brain alone is worthy for the Muse, I say the Form complete is worthier far,\n" \
           "| The Female" in md
    assert headers(pandoc_ast(md)) == [(1, "BOOK I.  INSCRIPTIONS".replace("  ", " ")),
                                       (1, "BOOK II"), (2, "1")]


def test_cjk_lines_join_without_spaces():
    md, _, _ = normalize(FIX / "cjk.txt")
    assert "吳國四至" in md and "太王三子" in md
    paras = [b for b in pandoc_ast(md) if b["t"] == "Para"]
    assert len(paras) == 4


def test_french_and_german_typography():
    fr = normalize(FIX / "french-latin1.txt")[0]
    assert "«\u202fTout est au mieux,\u202f»" in fr
    assert "le maître\u202f; il était bon\u202f: pourquoi pas\u202f? Quelle joie\u202f!" in fr
    assert "L’abbé" in fr
    de = normalize(FIX / "german-latin1.txt")[0]
    assert "»Was ist mit mir geschehen?«" in de and "„Ach Gott,“" in de
    assert "Es war – wie er sah – kein Traum." in de and "6–7 Uhr" in de


def test_speech_keeps_its_divs():
    md, meta, _ = normalize(SPEECH)
    assert meta["title"].startswith("International Day of Solidarity")
    for cls in ("preamble", "opening", "closing"):
        assert f"\n::: {cls}\n" in md
    assert "\\[the Zionist regime\\]" in md  # editorial insertions stay as written


def test_explain_lists_decisions_with_lines():
    lines = explain(FIX / "pg-novel.txt")
    assert any(":39: contents:" in ln for ln in lines)
    assert any(": heading: h1 BOOK ONE: 1805" in ln for ln in lines)
    assert any(": note:" in ln for ln in lines)
    assert any(": break:" in ln for ln in lines)


# ---------------------------------------------------------------- guarantees, small

@pytest.mark.parametrize("name", ["pg-novel.txt", "notes.txt", "play.txt", "verse.txt",
                                  "french-latin1.txt", "german-latin1.txt", "cjk.txt",
                                  "cr-controls.txt", "source.md"])
def test_fixture_idempotent_and_lossless(name):
    path = FIX / name
    md, _, _ = normalize(path)
    again, _, _ = normalize(Path("again.md"), raw=md.encode())
    assert again == md
    if path.suffix == ".txt":
        from pipeline.stages.decode import decode_text
        from pipeline.diagnostics import Report
        source = decode_text(path.read_bytes(), Report("x"))
        assert check_lossless(source, md, str(path)) == []


def test_lossless_names_the_missing_lines():
    source = "Title\n\nFirst paragraph here.\n\nSecond paragraph, with several words.\n"
    md = "---\ntitle: Title\n---\n\nFirst paragraph here.\n"
    diags = check_lossless(source, md, "s.txt")
    assert [(d.line, d.code) for d in diags] == [(5, "W-LOST-TEXT")]
    assert str(diags[0]).startswith("s.txt:5: warning[W-LOST-TEXT]")


# ------------------------------------------------------------------- other sources

def test_markdown_source_front_matter_and_typography():
    md, meta, _ = normalize(FIX / "source.md")
    assert meta["title"] == "A Markdown Source" and meta["author"] == "Jo Writer"
    # pandoc's smart typography: -- is an en dash (--- an em dash), and only prose changes
    assert "Some “quoted” text – with *emphasis* and `code \"kept\"`" in md
    assert "[link](http://x.y/\"a\")" in md
    assert "```\ncode -- \"untouched\"\n```" in md
    assert "[^1]: A note… with ‘quotes’." in md


def test_markdown_sidecar_wins_over_front_matter():
    _, meta, _ = normalize(FIX / "source.md", sidecar={"title": "Sidecar"})
    assert meta["title"] == "Sidecar" and meta["author"] == "Jo Writer"


def test_html_source_goes_through_pandoc():
    html = b"<html><body><h1>Heading</h1><p>Some \"text\" -- here...</p><h1>Two</h1></body></html>"
    md, _, report = normalize(Path("doc.html"), raw=html)
    assert "# Heading" in md and "Some “text” – here…" in md
    assert "I-PANDOC" in codes(report)


def test_a_single_opening_heading_is_the_title():
    html = b"<html><body><h1>The Title</h1><h2>One</h2><p>Text.</p><h3>Sub</h3></body></html>"
    md, meta, report = normalize(Path("doc.html"), raw=html)
    assert meta["title"] == "The Title" and "The Title" not in md.split("---")[2]
    assert "# One" in md and "## Sub" in md and "I-TITLE" in codes(report)
    _, meta, _ = normalize(Path("doc.html"), raw=b"<html><head><title>Named</title></head>"
                           b"<body><h1>The Title</h1><p>Text.</p></body></html>")
    assert meta["title"] == "Named"


def test_stage_functions_are_pure_strings():
    assert typeset('"Hi," he said -- "it\'s 5 p.m."', "en") == \
        "“Hi,” he said — “it’s 5\u00a0p.m.”"
    assert typeset(typeset('"x" -- y...', "fr"), "fr") == typeset('"x" -- y...', "fr")


def test_draft_keeps_blocks_and_decisions():
    draft = run_stages(FIX / "notes.txt")
    kinds = {b.kind for b in draft.blocks}
    assert {"heading", "para", "note"} <= kinds
    assert draft.decisions


def test_docx_source_goes_through_pandoc(tmp_path):
    docx = tmp_path / "doc.docx"
    pypandoc.convert_text("# Title\n\nA \"quoted\" word -- and _more_...\n\n# Two\n", "docx",
                          format="markdown-smart", outputfile=str(docx))
    md, _, report = normalize(docx)
    assert "# Title" in md and "A “quoted” word – and *more*…" in md
    assert "I-PANDOC" in codes(report)
    again, _, _ = normalize(Path("again.md"), raw=md.encode())
    assert again == md


def test_run_together_verse_needs_recurring_line_starts_and_a_set_apart_passage(tmp_path):
    hymn = ('  "The ribs and terrors in the whale, Arched over me a dismal gloom,\n'
            '  While all God\'s sun-lit waves rolled by, And lift me deepening down\n'
            '  to doom."\n')
    # Line starts are ordinary words the text writes in lower case elsewhere.
    prose = ("\n\nThe whale arched its back while the waves rolled, and lift the boat\n"
             "and the men in it down to the dark.\n")
    src = tmp_path / "hymn.txt"
    src.write_text("The preacher read a hymn, and the people sang it after him in the\n"
                   "benches, keeping time with their feet as they always did:\n\n" + hymn + prose)
    md, _, _ = normalize(src)
    assert "> | “The ribs and terrors in the whale,\n> | Arched over me" in md
    # The same words as running prose (not indented, no colon before them) stay prose.
    src.write_text("The preacher read a hymn, and the people sang it after him in the\n"
                   "benches, keeping time with their feet as they always did.\n\n"
                   + hymn.replace("  ", "") + prose)
    md, _, _ = normalize(src)
    assert "|" not in body(md) and "whale, Arched over me" in md


def test_quoted_passages_only_in_texts_without_dialogue(tmp_path):
    passage = ('"It is very probable that mankind would have been obliged at length to\n'
               'live constantly under the government of a single person, had they not."\n\n'
               '"This form of government is a convention by which several smaller\n'
               'states agree to become members of a larger one, which they intend."\n\n')
    plain = "".join(f"Remark {k} of the essay, which quotes nobody at all in it, as\n"
                    "essays often do not.\n\n" for k in range(60))
    src = tmp_path / "essay.txt"
    src.write_text(plain + passage + plain)
    md, _, _ = normalize(src)
    assert md.count("\n> “") == 2
    dialogue = "".join(f'"Yes, {k}," said he.\n\n"No," said she.\n\n' for k in range(30))
    src.write_text(plain + dialogue + passage + plain)
    md, _, _ = normalize(src)
    assert "\n> " not in md


def test_bracket_note_on_a_heading_line_is_kept(tmp_path):
    src = tmp_path / "notes.txt"
    src.write_text("CHAPTER I [Footnote 1: a note on the title]\n\nText of the chapter.\n\n"
                   "SCENE II. Elsinore. A platform [Footnote 2: the place]\n\nMore text.\n")
    md, _, report = normalize(src)
    assert "# CHAPTER I [^1]" in md and "[^1]: a note on the title" in md
    assert "# SCENE II.\n\nElsinore. A platform [^2]" in md and "[^2]: the place" in md
    assert not [d for d in report.items if d.code == "W-LOST-TEXT"]


def test_quoted_passages_follow_each_languages_quotation_marks(tmp_path):
    plain = "".join(f"Bemerkung {k} des Aufsatzes, der hier niemanden zitiert, wie es\n"
                    "Aufsätze oft nicht tun.\n\n" for k in range(60))
    quoted = ("„Es ist sehr wahrscheinlich, daß die Menschen am Ende gezwungen gewesen\n"
              "wären, beständig unter der Regierung eines einzigen zu leben, hätten sie\n"
              "nicht eine Verfassung ersonnen, die alle inneren Vorteile hat.“\n\n")
    # The quotation closes inside the paragraph and the author goes on: not a quotation.
    own = ("„Es ist sehr wahrscheinlich“, sagt er, und der Verfasser fährt in eigenen\n"
           "Worten fort, lange und ausführlich, ohne danach noch irgend etwas von einem\n"
           "anderen Schriftsteller anzuführen, bis zum Ende dieses Absatzes hier.\n\n")
    src = tmp_path / "aufsatz.txt"
    src.write_text(plain + quoted + quoted + plain + own + own + plain)
    md, _, _ = normalize(src)
    assert md.count("\n> „Es ist sehr wahrscheinlich, daß") == 2
    assert "\n> „Es ist sehr wahrscheinlich“" not in md


@pytest.mark.parametrize("name", ["pg-old-small-print.txt", "pg-old-licence-after.txt"])
def test_older_gutenberg_licence_is_stripped(name):
    """Files from before about 2000: no *** START/END markers, the 'Small Print!' licence
    before the text or after it; both go, as cleanly as the newer header and licence."""
    md, meta, report = normalize(FIX / name)
    for gone in ("Gutenberg", "Small Print", "SMALL PRINT", "Etext", "etext", "lawyers",
                 "Welcome To", "Release Date", "Volunteer"):
        assert gone not in md, gone
    assert "The road began at the door" in md and "a little later than the day before." in md
    assert [h for h in md.split("\n") if h.startswith("#")] == ["# CHAPTER I", "# CHAPTER II"]
    assert meta["title"] == "The Long Road" and meta["author"] == "Anna Example"
    assert any(d.code == "I-GUTENBERG" for d in report.items)
    assert not any(d.code == "W-LOST-TEXT" for d in report.items)


def test_first_publication_inferred_from_a_dateline_with_low_confidence(tmp_path):
    """A preface signed with a place and year dates the first publication — a guess, shown
    with its line and a low confidence; a date after the first chapter is not used, and
    the sidecar's ``published`` wins."""
    rule = Path(__file__).parent / "stages" / "contents-synopses" / "in.txt"
    lines = [ln for ln in explain(rule) if ": published: " in ln]
    assert len(lines) == 1 and lines[0].startswith(f"{rule}:26: published: first published 1884?")
    assert "confidence 0.5" in lines[0]
    assert normalize(rule)[1]["published"] == 1884
    assert normalize(rule, sidecar={"published": 1883})[1]["published"] == 1883
    late = tmp_path / "late.txt"
    late.write_text("\n\n".join(["CHAPTER I", "Words of the first chapter, running on for a "
                                 "while.", "CHAPTER II", "More words.", "LONDON, 1901."]) + "\n")
    assert "published" not in normalize(late)[1]
