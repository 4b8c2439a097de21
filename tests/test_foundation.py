"""Issue 2: `make` publishes the speech as Markdown, PDF, EPUB and HTML — checked by opening them."""
from __future__ import annotations

import re
import shutil
import subprocess
import zipfile

import pytest
import yaml
from lxml import html as lxml_html

from conftest import ROOT, SPEECH, SPEECH_SLUG, run_pipeline

SEED = ROOT.parent / "shared" / "seed" / "000_087f76499c431c13.txt"


def source_lines() -> list[str]:
    return [ln for ln in SPEECH.read_text(encoding="utf-8").splitlines() if ln.strip()]


TITLE = "International Day of Solidarity with the Palestinian People"


def words(text: str) -> list[str]:
    """Words for comparison: letters and digits only; page furniture (numbers, running
    heads), page breaks and the hyphens of words broken at a line or page end removed."""
    lines = [ln for ln in text.replace("\f", "\n").split("\n")
             if not re.fullmatch(r"\s*\d+\s*", ln) and ln.strip() != TITLE]
    text = "\n".join(lines)
    text = re.sub(r"[-‐\u00ad]\n\s*", "", text)
    return re.findall(r"\w+", text.replace("’", "'").lower())


def test_source_is_the_seed_unchanged():
    if not SEED.exists():
        pytest.skip("../shared/seed is not present in this clone")
    assert SPEECH.read_bytes() == SEED.read_bytes()


def test_markdown_edition(speech_build):
    md = (speech_build / f"{SPEECH_SLUG}.md").read_text(encoding="utf-8")
    assert md.startswith("---\n")
    meta = yaml.safe_load(md.split("---\n")[1])
    assert meta["title"] == "International Day of Solidarity with the Palestinian People"
    assert meta["language"] == "en"
    # Nothing invented: no author, date or publisher the text does not state.
    assert not {"author", "date", "publisher", "rights"} & set(meta)


def test_html_structure(speech_build):
    page = lxml_html.fromstring((speech_build / f"{SPEECH_SLUG}.html").read_bytes())
    assert page.get("lang") == "en"
    h1 = page.xpath("//h1")
    assert [h.text_content() for h in h1] == [source_lines()[0]]
    paragraphs = page.xpath("//main//p[not(ancestor::header)]")
    # Each line after the title is its own paragraph, in order, word for word.
    assert [" ".join(p.text_content().split()) for p in paragraphs] == source_lines()[1:]
    assert len(page.xpath('//div[@class="preamble"]/p')) == 2
    assert page.xpath('//div[@class="opening"]/p')[0].text_content() == \
        "In the Name of God, the Compassionate, the Merciful"
    assert [p.text_content() for p in page.xpath('//div[@class="closing"]/p')] == \
        ["May God’s peace, mercy, and blessings be upon you.", "Free, Free, Palestine."]
    # Bracketed editorial insertions stay exactly as written.
    text = page.text_content()
    for insertion in ("[the Zionist regime]", "[, or not]", "[Zionist regime’s]", "[and]"):
        assert insertion in text


def test_html_is_self_contained(speech_build):
    raw = (speech_build / f"{SPEECH_SLUG}.html").read_text(encoding="utf-8")
    page = lxml_html.fromstring(raw)
    assert not page.xpath("//link[@rel='stylesheet'] | //script[@src] | //img[not(starts-with(@src, 'data:'))]")
    assert not re.search(r"url\((?!['\"]?data:)", raw), "CSS loads an external resource"
    assert page.xpath("//style")
    assert page.xpath("//meta[@name='viewport']")


def test_epub_metadata_and_nav(speech_build):
    with zipfile.ZipFile(speech_build / f"{SPEECH_SLUG}.epub") as z:
        assert z.namelist()[0] == "mimetype"
        assert z.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        opf_name = re.search(r'full-path="([^"]+)"', z.read("META-INF/container.xml").decode()).group(1)
        opf = z.read(opf_name).decode()
        assert "<dc:language>en</dc:language>" in opf
        assert "International Day of Solidarity with the Palestinian People" in opf
        assert re.search(r"<dc:identifier[^>]*>urn:uuid:[0-9a-f-]{36}</dc:identifier>", opf)
        assert 'properties="nav"' in opf
        text = " ".join(lxml_html.fromstring(z.read(n)).text_content()
                        for n in z.namelist() if n.endswith(".xhtml"))
    assert words(text).count("zionist") == words(SPEECH.read_text()).count("zionist")


def test_epub_identifier_is_stable(speech_build, tmp_path):
    run_pipeline("build", SPEECH, "-o", tmp_path, "--formats", "epub")
    def ident(p):
        with zipfile.ZipFile(p) as z:
            opf = next(z.read(n).decode() for n in z.namelist() if n.endswith(".opf"))
        return re.search(r"<dc:identifier[^>]*>([^<]+)<", opf).group(1)
    assert ident(speech_build / f"{SPEECH_SLUG}.epub") == ident(tmp_path / SPEECH_SLUG / f"{SPEECH_SLUG}.epub")


def test_pdf_fonts_metadata_and_text(speech_build):
    from pypdf import PdfReader

    pdf = speech_build / f"{SPEECH_SLUG}.pdf"
    reader = PdfReader(pdf)
    info = reader.metadata
    assert info.title == "International Day of Solidarity with the Palestinian People"
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (148, 210)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(re.search(r"\byes\s+yes\s+yes\b", r) for r in rows), fonts
    assert all("Literata" in r for r in rows), fonts
    assert any("Italic" in r for r in rows)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    source = words(SPEECH.read_text(encoding="utf-8"))
    got = words(text)
    missing = [w for w in set(source) if w not in got]
    assert not missing, f"words missing from the PDF: {missing[:20]}"
    # Every word, as often as in the source (the title twice more: half-title, title page).
    assert len(got) >= len(source)
    # No date is invented: the speech gives none, so the imprint names no edition date.
    assert "This edition" not in text and "1980" not in text


def test_builds_are_byte_identical(speech_build, tmp_path):
    run_pipeline("build", SPEECH, "-o", tmp_path)
    for fmt in ("md", "html", "epub", "pdf"):
        a = (speech_build / f"{SPEECH_SLUG}.{fmt}").read_bytes()
        b = (tmp_path / SPEECH_SLUG / f"{SPEECH_SLUG}.{fmt}").read_bytes()
        assert a == b, f"{fmt} differs between two builds"


def test_cli_help_and_normalize():
    for cmd in ([], ["build"], ["normalize"], ["check"]):
        proc = run_pipeline(*cmd, "--help")
        assert "usage:" in proc.stdout
    md = run_pipeline("normalize", SPEECH).stdout
    assert md.startswith("---\ntitle: International Day of Solidarity")


def test_incremental_rebuild(tmp_path):
    src = tmp_path / "source"
    src.mkdir()
    shutil.copy(SPEECH, src / "speech.txt")
    (src / "other.md").write_text("---\ntitle: Other\nlanguage: en\n---\n\nA short text of a few words.\n")
    out = tmp_path / "out"
    run_pipeline("build", "--source-dir", src, "-o", out, "--formats", "html,epub")
    editions = lambda: [p for p in out.glob("*/*.*") if not p.parent.name.startswith(".")]
    stamp = {p: p.stat().st_mtime_ns for p in editions()}
    assert len(stamp) == 6
    run_pipeline("build", "--source-dir", src, "-o", out, "--formats", "html,epub")
    assert {p: p.stat().st_mtime_ns for p in editions()} == stamp, "nothing changed, nothing rebuilt"
    (src / "other.yaml").write_text("author: Somebody\n")
    run_pipeline("build", "--source-dir", src, "-o", out, "--formats", "html,epub")
    changed = {p.name for p in editions() if p.stat().st_mtime_ns != stamp[p]}
    assert changed == {"other.md", "other.html", "other.epub"}


def test_bad_metadata_names_file_and_line(tmp_path):
    src = tmp_path / "source"
    src.mkdir()
    (src / "a.txt").write_text("Title\n\nSome text here for the body of it.\n")
    (src / "a.yaml").write_text("title: A\nautor: Me\n")
    (src / "b.txt").write_text("Other\n\nThis one is fine and still builds.\n")
    proc = run_pipeline("build", "--source-dir", src, "-o", tmp_path / "out", "--formats", "html",
                        check=False)
    assert proc.returncode == 1
    assert f"{src / 'a.yaml'}:2: error[E-META-KEY]: unknown metadata key `autor`; did you mean `author`?" \
        in proc.stderr
    assert not (tmp_path / "out" / "a").exists()
    assert (tmp_path / "out" / "b" / "b.html").exists()
