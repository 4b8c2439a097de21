"""The web edition: one self-contained page, and a page per chapter for texts with chapters.

The writers run on the speech and on two small Markdown fixtures (chapters, parts, notes,
verse, a scene break, a cross-chapter link); the pages are written to a temporary folder
and opened again: parsed, checked by the Nu HTML Checker and axe-core, and measured in
Debian's Chromium at phone and desktop widths, light and dark.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from lxml import html as lxml_html

from conftest import SPEECH, SPEECH_SLUG, corpus_file
from pipeline import validate
from pipeline.diagnostics import ERROR
from pipeline.document import Document
from pipeline.stages import normalize
from pipeline.writers import writers_for
from pipeline.writers.html import write_html, write_html_pages

FIXTURES = Path(__file__).parent / "fixtures" / "html"


def doc_from(path: Path) -> Document:
    if path.suffix == ".md":
        return Document.from_markdown(path.read_text(encoding="utf-8"), path.stem)
    markdown, _, _ = normalize(path)
    return Document.from_markdown(markdown, SPEECH_SLUG)


@pytest.fixture(scope="module")
def docs() -> dict[str, Document]:
    return {"speech": doc_from(SPEECH), "novella": doc_from(FIXTURES / "novella.md"),
            "parts": doc_from(FIXTURES / "parts.md")}


@pytest.fixture(scope="module")
def site(docs, tmp_path_factory) -> Path:
    """output/<slug>/ as the build lays it out: <slug>.html and html/ for each document."""
    out = tmp_path_factory.mktemp("web")
    for doc in docs.values():
        folder = out / doc.slug
        (folder / "html").mkdir(parents=True)
        (folder / f"{doc.slug}.html").write_bytes(write_html(doc))
        for rel, data in (write_html_pages(doc) or {}).items():
            (folder / "html" / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / "html" / rel).write_bytes(data)
    return out


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def parse(path: Path):
    return lxml_html.fromstring(path.read_bytes())


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


# -- the typeface --------------------------------------------------------------------
def test_typeface_is_embedded_and_subset(site):
    """Every page's @font-face resolves to a WOFF2 font the page carries (the one-page
    edition) or that sits beside it (the site): Literata, with every letter of the text."""
    import base64
    from io import BytesIO

    from fontTools.ttLib import TTFont

    for page in pages(site):
        source = page.read_text(encoding="utf-8")
        urls = re.findall(r'@font-face \{ font-family: "Literata"; src: url\("([^"]+)"\)', source)
        assert len(urls) >= 2, f"{page}: regular and italic faces expected"
        letters = {c for c in "".join(parse(page).xpath("//body//text()")) if c.isalpha()}
        for url in urls:
            data = base64.b64decode(url.split(",", 1)[1]) if url.startswith("data:") \
                else (page.parent / url).read_bytes()
            assert data[:4] == b"wOF2", f"{page}: {url[:40]} is not WOFF2"
            font = TTFont(BytesIO(data))
            assert font["name"].getDebugName(1).startswith("Literata")
            assert letters <= {chr(c) for c in font.getBestCmap()}, page
            assert len(data) < 60_000, "subset to the page's characters"


@pytest.mark.parametrize("lang, family, text", [
    ("ar", "Amiri", "كان يا ما كان في قديم الزمان، رجل طيب يعيش في قرية صغيرة."),
    ("he", "Frank Ruhl Libre", "היה היה פעם איש טוב שגר בכפר קטן, ליד הנהר.")])
def test_script_typeface_is_embedded_where_literata_lacks_the_script(lang, family, text, tmp_path):
    """An Arabic or Hebrew text's pages embed the print edition's typeface for its script
    as WOFF2 subsets holding every letter of the script the page uses, and set the text in it."""
    import base64
    from io import BytesIO

    from fontTools.ttLib import TTFont

    doc = Document.from_markdown(f"---\ntitle: {text[:10]}\nlanguage: {lang}\n---\n\n"
                                 f"# 1\n\n{text}\n\n*{text}*\n\n# 2\n\n{text}\n", lang)
    pages = {"one": write_html(doc)} | {name: data for name, data in write_html_pages(doc).items()
                                        if name.endswith(".html")}
    for name, page in pages.items():
        source = page.decode("utf-8")
        assert f'html body {{ font-family: "Literata", "{family}", serif; }}' in source, name
        urls = re.findall(rf'@font-face {{ font-family: "{family}"; src: url\("([^"]+)"\)', source)
        assert urls, f"{name}: no {family} face"
        letters = {c for c in text if c.isalpha()}
        for url in urls:
            data = base64.b64decode(url.split(",", 1)[1]) if url.startswith("data:") \
                else write_html_pages(doc)[url]
            assert data[:4] == b"wOF2"
            font = TTFont(BytesIO(data))
            assert font["name"].getDebugName(1).startswith(family)
            assert letters <= {chr(c) for c in font.getBestCmap()}, name
            assert len(data) < 80_000, "subset to the page's characters"


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["hamlet", "a-dolls-house"])
def test_play_speeches_have_their_speaker_set_apart(name):
    """In a play every speech opening with its speaker's name is marked as a speech, the
    name as its speaker, and the stylesheet hangs the speech under the name in small caps."""
    markdown, _, _ = normalize(corpus_file(f"{name}.txt"))
    page = lxml_html.fromstring(write_html(Document.from_markdown(markdown, name)))
    opening_bold = [p for p in page.xpath("//main//p[*[1][self::strong]]")
                    if not (p.text or "").strip()]
    speeches = page.xpath('//main//p[contains(@class, "speech")]')
    assert len(speeches) > 500 and len(opening_bold) == len(speeches)
    assert all(p[0].get("class") == "speaker" for p in speeches)
    style = "".join(page.xpath("//style/text()"))
    assert re.search(r"p\.speech \{[^}]*text-indent: -", style)
    assert re.search(r"\.speaker \{[^}]*all-small-caps", style)


def test_speeches_in_verse_have_their_speaker():
    """A speech in verse is a line block under its speaker (Romeo and Juliet's CHORUS. /
    Two households…): marked as a speech with its speaker, like a prose one."""
    speech = "| **{}.**\n| Who walks the harbour when the lamps are out,\n| And every mooring creaks."
    markdown = "---\ntitle: Quay\nlanguage: en\n---\n\n# ACT I\n\n" + "\n\n".join(
        speech.format(name) for name in ["WARDEN", "ROWAN"] * 12) + "\n"
    page = lxml_html.fromstring(write_html(Document.from_markdown(markdown, "quay")))
    blocks = page.xpath('//main//div[contains(@class, "line-block")]')
    assert len(blocks) == 24
    assert all("speech" in b.get("class").split() for b in blocks)
    assert [s.text for s in page.xpath('//main//*[@class="speaker"]')] == \
        ["WARDEN.", "ROWAN."] * 12


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["hamlet", "a-dolls-house"])
def test_play_every_speech_has_its_speaker_and_the_cast_is_a_list(name):
    """Every paragraph that opens with a speaker's name, or the name of a part in the cast
    list, followed by a full stop (also before a dash) or a direction is a speech with a
    speaker element: one-line speeches (Porter. Sixpence.) included, the setting (SCENE.
    Elsinore.) never.  The list of characters is a list, each part's name marked."""
    markdown, _, _ = normalize(corpus_file(f"{name}.txt"))
    page = lxml_html.fromstring(write_html(Document.from_markdown(markdown, name)))
    cast = page.xpath('//main//div[@class="dramatis-personae"]/ul/li')
    assert len(cast) >= 9 and all(li.xpath('span[@class="persona"]') for li in cast)
    personae = [" ".join(li.xpath('string(span[@class="persona"])').split()) for li in cast]
    speakers = {" ".join(s.text_content().split()).rstrip(".")
                for s in page.xpath('//main//p[contains(@class, "speech")]/*[@class="speaker"]')}
    assert speakers and not {s.upper() for s in speakers} & {"SCENE", "ACT"}
    names = speakers | {p.split()[-1] for p in personae}
    opens = re.compile(r"^(?:%s)(?:\.(?:\s|—|$)|\s\()" % "|".join(
        re.escape(n) for n in sorted(names, key=len, reverse=True)))
    paragraphs = [p for p in page.xpath("//main//p")
                  if opens.match(" ".join(p.text_content().split()))]
    assert len(paragraphs) > 500
    for p in paragraphs:
        assert "speech" in (p.get("class") or "").split(), p.text_content()[:60]
        assert p[0].get("class") == "speaker", p.text_content()[:60]


@pytest.mark.corpus
def test_poems_are_one_page_per_part_with_hanging_lines():
    """A book of short poems in parts is a page per part, not per poem; every entry of the
    contents lands on its poem; verse lines are boxes that hang a turned line."""
    markdown, _, _ = normalize(corpus_file("dickinson-poems.txt"))
    doc = Document.from_markdown(markdown, "dickinson-poems")
    files = write_html_pages(doc)
    html_pages = {name: lxml_html.fromstring(data) for name, data in files.items()
                  if name.endswith(".html")}
    parts = sum(c.kind == "part" for c in doc.chapters)
    assert len(doc.chapters) > 400 and len(html_pages) <= parts + 5
    index = html_pages["index.html"]
    hrefs = index.xpath('//ol[@class="toc-list"]//a/@href')
    titles = [" ".join(a.text_content().split()) for a in index.xpath('//ol[@class="toc-list"]//a')]
    # a poem numbered only is listed with its first line, as Standard Ebooks lists it
    assert "II. Our share of night to bear" in titles and "I. SUCCESS." in titles
    assert len(hrefs) == len(doc.chapters)
    for href in hrefs:
        name, _, fragment = href.partition("#")
        assert name in html_pages, href
        assert not fragment or html_pages[name].xpath(f'//*[@id="{fragment}"]'), href
    lines = html_pages[hrefs[-1].partition("#")[0]].xpath('//div[@class="line-block"]/span[@class="verse-line"]')
    assert lines
    assert re.search(r"\.verse-line \{[^}]*text-indent: -", "".join(index.xpath("//style/text()")))


# -- structure -----------------------------------------------------------------------
def test_registered_as_second_html_writer():
    names = [name for _, name in writers_for("html")]
    assert names == ["{slug}.html", "html"]


def test_single_chapter_text_has_no_site(docs, site):
    assert len(docs["speech"].chapters) == 1
    assert write_html_pages(docs["speech"]) is None
    assert not any((site / SPEECH_SLUG / "html").iterdir())


def test_every_word_of_the_speech_in_order(docs, site):
    page = parse(site / SPEECH_SLUG / f"{SPEECH_SLUG}.html")
    shown = page.xpath("//header[@class='title-block']")[0].text_content() + \
        page.xpath("//main")[0].text_content()
    assert words(shown) == words(SPEECH.read_text(encoding="utf-8"))


def test_page_basics(site):
    for path in pages(site):
        root = parse(path)
        assert root.get("lang") == "en" and root.get("dir") == "ltr", path
        assert root.xpath("//meta[@name='viewport']"), path
        assert len(root.xpath("//main[@id='text']")) == 1, path
        skip = root.xpath("//body/*[1]")[0]
        assert skip.get("class") == "skip-link" and skip.get("href") == "#text", path
        assert root.xpath("//nav//a"), f"{path}: no navigation landmark with links"
        assert len(root.xpath("//h1")) == 1, path


def test_no_external_requests(site):
    for path in pages(site):
        root = parse(path)
        assert not root.xpath("//*[@src]"), path
        assert not root.xpath("//script[not(@type='application/ld+json')]"), path
        for link in root.xpath("//link"):
            assert not urlparse(link.get("href")).scheme, path
        style = "".join(root.xpath("//style/text()"))
        # Only the fonts are loaded: embedded in the one page, beside the pages of the site.
        for url in re.findall(r"url\(([^)]*)\)", style):
            url = url.strip("\"'")
            assert url.startswith("data:font/woff2;") or (
                not urlparse(url).scheme and (path.parent / url).is_file()), f"{path}: {url[:40]}"
        assert "@import" not in style, path
        for a in root.xpath("//a[@href]"):
            assert not urlparse(a.get("href")).scheme, f"{path}: {a.get('href')}"


def test_rtl_text_gets_dir():
    doc = Document.from_markdown("---\ntitle: ספר\nlanguage: he\n---\n\nשלום עולם.\n", "he")
    root = lxml_html.fromstring(write_html(doc))
    assert root.get("lang") == "he" and root.get("dir") == "rtl"


def test_metadata(site, docs):
    root = parse(site / "novella" / "novella.html")
    meta = {m.get("name") or m.get("property"): m.get("content") for m in root.xpath("//meta")}
    doc = docs["novella"]
    assert meta["description"] == doc.meta["description"]
    assert meta["author"] == "Ada Quill"
    assert meta["og:title"] == doc.title and meta["og:type"] == "book"
    assert meta["og:description"] == doc.meta["description"]
    data = json.loads(root.xpath("//script[@type='application/ld+json']/text()")[0])
    assert data["@context"] == "https://schema.org" and data["@type"] == "Book"
    assert data["name"] == doc.title and data["author"] == [{"@type": "Person", "name": "Ada Quill"}]
    assert data["datePublished"] == "1911-05-04" and data["inLanguage"] == "en"
    assert data["identifier"] == doc.identifier
    assert meta["book:author"] == "Ada Quill" and meta["book:release_date"] == "1911-05-04"
    speech_page = parse(site / SPEECH_SLUG / f"{SPEECH_SLUG}.html")
    speech = json.loads(speech_page.xpath("//script[@type='application/ld+json']/text()")[0])
    assert speech["@type"] == "CreativeWork" and "author" not in speech   # none given: none invented
    assert speech_page.xpath("//meta[@property='og:type']/@content") == ["article"]
    assert not speech_page.xpath("//meta[@name='author' or @name='description']")


def test_typography_survives(site):
    root = parse(site / "novella" / "novella.html")
    text = root.xpath("//main")[0].text_content()
    assert "“Another night,” he said" in text
    verse = root.xpath("//main//div[@class='line-block']")
    assert len(verse) == 1 and len(verse[0].xpath("span[@class='verse-line']")) == 4
    assert root.xpath("//main//hr"), "the scene break is kept"
    assert "hyphens: auto" in "".join(root.xpath("//style/text()"))


def test_headings_never_skip_a_level(site):
    for path in pages(site):
        levels = [int(h.tag[1]) for h in parse(path).iter("h1", "h2", "h3", "h4", "h5", "h6")]
        assert levels and levels[0] == 1, path
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), f"{path}: {levels}"


def test_site_pages_and_navigation(docs, site):
    for slug in ("novella", "parts"):
        doc, folder = docs[slug], site / slug / "html"
        names = [f"chapter-{c.number:04d}.html" for c in doc.chapters]
        assert sorted(p.name for p in folder.glob("*.html")) == sorted(["index.html", *names])
        fonts = {p.name for p in (folder / "fonts").iterdir()}
        assert {"Literata-italic.woff2", "Literata-regular.woff2"} <= fonts
        for i, name in enumerate(names):
            root = parse(folder / name)
            toc = [a.get("href") for a in root.xpath("//nav[contains(@class,'toc')]//a")]
            assert toc == names, f"{name}: the contents list every chapter"
            assert root.xpath("//nav[contains(@class,'toc')]//a[@aria-current='page']/@href") == [name]
            prev = root.xpath("//nav[@class='pager']/a[@rel='prev']/@href")
            nxt = root.xpath("//nav[@class='pager']/a[@rel='next']/@href")
            assert prev == ([names[i - 1]] if i else [])
            assert nxt == ([names[i + 1]] if i + 1 < len(names) else [])
        index = parse(folder / "index.html")
        assert [a.get("href") for a in index.xpath("//nav//a")] == names
        assert f"../{slug}.html" in index.xpath("//main//a/@href")


def test_every_local_link_resolves(site):
    for path in pages(site):
        for href in parse(path).xpath("//a/@href"):
            target, _, fragment = href.partition("#")
            file = (path.parent / target).resolve() if target else path
            assert file.is_file(), f"{path}: {href}"
            if fragment:
                assert parse(file).xpath(f"//*[@id='{fragment}']"), f"{path}: {href}"


def test_site_holds_the_same_text_as_the_single_page(docs, site):
    for slug in ("novella", "parts"):
        single = parse(site / slug / f"{slug}.html").xpath("//main")[0].text_content()
        chapters = ""
        for ch in docs[slug].chapters:
            main = parse(site / slug / "html" / f"chapter-{ch.number:04d}.html").xpath("//main")[0]
            for title in main.xpath("h1[@class='unit-title']"):   # the page's own heading
                title.getparent().remove(title)
            chapters += " " + main.text_content()
        assert words(chapters) == words(single), slug


def test_cross_chapter_link_points_to_its_page(site):
    root = parse(site / "novella" / "html" / "chapter-0002.html")
    assert "chapter-0001.html#chapter-i-winter" in root.xpath("//main//a/@href")


def test_notes_linked_both_ways_on_the_same_page(site):
    counted = 0
    for path in pages(site):
        root = parse(path)
        for ref in root.xpath("//a[contains(@class,'footnote-ref')]"):
            note = root.xpath(f"//*[@id='{ref.get('href')[1:]}']")
            assert len(note) == 1 and note[0].tag == "li", f"{path}: {ref.get('href')}"
            back = note[0].xpath(".//a[@role='doc-backlink']/@href")
            assert back == [f"#{ref.get('id')}"], path
            assert note[0].get("value") == ref.text_content().strip()
            counted += 1
    assert counted == 2 * (3 + 2)   # each note once in the single page, once in the site


def test_reproducible(docs):
    for doc in docs.values():
        assert write_html(doc) == write_html(doc)
        assert write_html_pages(doc) == write_html_pages(doc)


# -- validators and the browser ------------------------------------------------------
@pytest.mark.validator
def test_nu_html_checker_clean(site):
    found = validate.nu_html_check(pages(site))
    assert found == [], "\n".join(map(str, found))


# Pages that cover every template: the speech, a single page with notes, a site index,
# a chapter page, and a site page for text before the first heading.
BROWSER_PAGES = [f"{SPEECH_SLUG}/{SPEECH_SLUG}.html", "novella/novella.html",
                 "novella/html/index.html", "novella/html/chapter-0002.html",
                 "parts/html/chapter-0001.html"]


@pytest.mark.validator
def test_axe_clean_phone_and_desktop_light_and_dark(site, browser):
    found = [d for d in validate.axe([site / p for p in BROWSER_PAGES], browser=browser)]
    assert found == [], "\n".join(map(str, found))


MEASURE = """() => {
  const main = document.querySelector('main');
  const p = main.querySelector('p');
  const toc = document.querySelector('nav.toc');
  return {scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth,
          font: parseFloat(getComputedStyle(p).fontSize),
          line: p.getBoundingClientRect().width / parseFloat(getComputedStyle(p).fontSize),
          bg: getComputedStyle(document.body).backgroundColor,
          tocTop: toc.getBoundingClientRect().top};
}"""


def _luminance(css_color: str) -> float:
    r, g, b = (int(v) for v in re.findall(r"\d+", css_color)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.validator
@pytest.mark.parametrize("width", [validate.PHONE, validate.DESKTOP])
def test_layout_in_chromium(site, browser, width, tmp_path):
    for rel in BROWSER_PAGES:
        ctx = browser.new_context(viewport={"width": width, "height": 800})
        try:
            page = ctx.new_page()
            page.goto((site / rel).as_uri())
            for scheme in ("dark", "light"):
                page.emulate_media(color_scheme=scheme)
                m = page.evaluate(MEASURE)
                assert m["scroll"] <= m["width"], f"{rel} scrolls sideways at {width}px"
                assert m["font"] >= 16, f"{rel}: text is {m['font']}px at {width}px"
                assert m["line"] <= 40, f"{rel}: lines {m['line']:.0f} em long at {width}px"
                assert (_luminance(m["bg"]) < 0.2) == (scheme == "dark"), f"{rel}: {scheme} theme"
                assert m["tocTop"] < 800, f"{rel}: the contents are not on the first screen"
            # The contents open and every entry is visible, inside the viewport width.
            summary = page.locator("nav.toc summary")
            if summary.count():
                summary.click()
            boxes = page.evaluate("""() => [...document.querySelectorAll('nav.toc a')].map(a => {
                const r = a.getBoundingClientRect(); return [r.left, r.right, r.height]; })""")
            assert boxes, rel
            for left, right, height in boxes:
                assert left >= 0 and right <= width + 1 and height > 0, f"{rel}: {left}..{right}"
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(tmp_path / f"{rel.replace('/', '_')}-{width}.png"))
        finally:
            ctx.close()


@pytest.mark.validator
def test_print_hides_navigation(site, browser):
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        page.goto((site / "novella/html/chapter-0002.html").as_uri())
        page.emulate_media(media="print", color_scheme="dark")
        shown = page.evaluate("""() => ['nav.toc', 'nav.pager', '.skip-link'].map(
            s => getComputedStyle(document.querySelector(s)).display)""")
        assert shown == ["none", "none", "none"]
        bg = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert _luminance(bg) > 0.9, "print is black on white even in dark mode"
    finally:
        ctx.close()


@pytest.mark.validator
def test_skip_link_appears_on_focus(site, browser):
    ctx = browser.new_context(viewport={"width": validate.PHONE, "height": 800})
    try:
        page = ctx.new_page()
        page.goto((site / "novella/novella.html").as_uri())
        page.keyboard.press("Tab")
        box = page.evaluate("() => document.activeElement.className + ' ' + "
                            "document.activeElement.getBoundingClientRect().top")
        name, top = box.rsplit(" ", 1)
        assert name == "skip-link" and 0 <= float(top) < 100
    finally:
        ctx.close()
