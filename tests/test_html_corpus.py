"""The web edition of real books: a short novel in English and a French one with notes.

Built once per session (HTML only), then every page is checked: the Nu HTML Checker, links,
notes linked both ways, heading levels, and axe-core on a sample of pages.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import html as lxml_html

from conftest import corpus_file, run_pipeline
from pipeline import validate

TEXTS = {"the-time-machine": "en", "candide-fr": "fr"}
pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    sources = [corpus_file(f"{slug}.txt") for slug in TEXTS]
    out = tmp_path_factory.mktemp("web-corpus")
    run_pipeline("build", *sources, "-o", out, "--formats", "html")
    return out


def pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def parse(path: Path):
    return lxml_html.fromstring(path.read_bytes())


def test_one_page_and_a_site_per_text(out):
    for slug, lang in TEXTS.items():
        single = parse(out / slug / f"{slug}.html")
        assert single.get("lang") == lang
        summary = {"en": "Contents", "fr": "Table des matières"}[lang]   # interface in the text's language
        assert single.xpath("//nav[@class='toc']//summary/text()") == [summary]
        site = sorted((out / slug / "html").glob("chapter-*.html"))
        assert len(site) >= 10, f"{slug}: {len(site)} chapter pages"
        toc = parse(out / slug / "html" / "index.html").xpath("//nav//a/@href")
        assert toc == [p.name for p in site]
        # the single page holds the same units, in the same order, as the site
        assert single.xpath("//nav//a/@href") == ["#" + parse(p).xpath("//main/*[last()]/@id")[0]
                                                   for p in site]


def test_nu_html_checker_clean(out):
    found = validate.nu_html_check(pages(out))
    assert found == [], "\n".join(map(str, found[:20]))


def test_links_resolve_and_notes_go_both_ways(out):
    notes = 0
    for path in pages(out):
        root = parse(path)
        ids = set(root.xpath("//@id"))
        for href in root.xpath("//a/@href"):
            target, _, fragment = href.partition("#")
            if target:
                assert (path.parent / target).is_file(), f"{path}: {href}"
            elif fragment:
                assert fragment in ids, f"{path}: {href}"
        for ref in root.xpath("//a[contains(@class,'footnote-ref')]"):
            note = root.xpath(f"//li[@id='{ref.get('href')[1:]}']")
            assert note and note[0].xpath(".//a[@role='doc-backlink']/@href") == [f"#{ref.get('id')}"]
            notes += 1
    assert notes > 0, "Candide's notes reach the web edition"


def test_headings_start_at_one_and_never_skip(out):
    for path in pages(out):
        levels = [int(h.tag[1]) for h in parse(path).iter("h1", "h2", "h3", "h4", "h5", "h6")]
        assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:])), path


def test_axe_on_a_sample(out):
    sample = [out / slug / "html" / name for slug in TEXTS for name in ("index.html", "chapter-0005.html")]
    found = validate.axe(sample)
    assert found == [], "\n".join(map(str, found))
