"""The catalog page, the OPDS feed, SHA256SUMS and the `make dist` archive.

One real build of the speech and the two Markdown fixtures (every edition), then the
catalog is written and every file it names is opened: links resolve, sizes and checksums
match, the feed has every element Atom (RFC 4287) and OPDS 1.2 require, and the page
passes the Nu HTML Checker and axe-core.  No RELAX NG schema for Atom or OPDS 1.2 ships in
a package on PyPI or npm, so the feed is checked element by element here.
"""
from __future__ import annotations

import hashlib
import io
import re
import shutil
import tarfile
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree, html as lxml_html
from PIL import Image

from conftest import SPEECH, SPEECH_SLUG, run_pipeline
from pipeline import validate
from pipeline.catalog import epub_cover, write_catalog
from pipeline.dist import make_dist

FIXTURES = Path(__file__).parent / "fixtures" / "html"
SLUGS = sorted([SPEECH_SLUG, "novella", "parts"])
NS = {"a": "http://www.w3.org/2005/Atom", "dc": "http://purl.org/dc/terms/"}
ACQUISITION_FEED = "application/atom+xml;profile=opds-catalog;kind=acquisition"
MEDIA = {".epub": "application/epub+zip", ".pdf": "application/pdf", ".html": "text/html",
         ".md": "text/markdown", ".jpg": "image/jpeg", ".png": "image/png"}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("catalog-src")
    shutil.copy(SPEECH, src)
    for name in ("novella.md", "parts.md"):
        shutil.copy(FIXTURES / name, src)
    out = tmp_path_factory.mktemp("catalog-out")
    run_pipeline("build", *sorted(src.iterdir()), "-o", out)
    write_catalog(out, SLUGS)
    return out


def feed(out: Path):
    return etree.parse(str(out / "opds.xml")).getroot()


def page(out: Path):
    return lxml_html.fromstring((out / "index.html").read_bytes())


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the feed --------------------------------------------------------------------------
def check_opds(root, out: Path) -> list[str]:
    """Every requirement of RFC 4287 and OPDS 1.2 that applies to this feed; [] if all hold."""
    problems = []

    def one(el, tag, where):
        found = el.findall(tag, NS)
        if len(found) != 1:
            problems.append(f"{where}: {len(found)} <{tag}>, want exactly 1")
        return found[0] if found else None

    if root.tag != "{http://www.w3.org/2005/Atom}feed":
        return [f"root is {root.tag}"]
    for tag in ("a:id", "a:title", "a:updated"):
        one(root, tag, "feed")
    if not RFC3339.match(root.findtext("a:updated", "", NS)):
        problems.append("feed updated is not an RFC 3339 date-time")
    self_links = root.findall("a:link[@rel='self']", NS)
    if [l.get("type") for l in self_links] != [ACQUISITION_FEED]:
        problems.append("feed needs one self link typed as an OPDS acquisition feed")
    feed_author = root.find("a:author/a:name", NS) is not None
    ids = []
    for n, entry in enumerate(root.findall("a:entry", NS)):
        where = f"entry {n + 1}"
        for tag in ("a:id", "a:title", "a:updated"):
            one(entry, tag, where)
        ids.append(entry.findtext("a:id", "", NS))
        if not re.match(r"^[a-z][a-z0-9+.-]*:", ids[-1]):
            problems.append(f"{where}: id {ids[-1]!r} is not an IRI")
        if not RFC3339.match(entry.findtext("a:updated", "", NS)):
            problems.append(f"{where}: updated is not an RFC 3339 date-time")
        if not feed_author and entry.find("a:author/a:name", NS) is None:
            problems.append(f"{where}: no author, and the feed has none")
        links = entry.findall("a:link", NS)
        if entry.find("a:content", NS) is None and not any(l.get("rel") == "alternate" for l in links):
            problems.append(f"{where}: neither content nor an alternate link")
        if not any(l.get("rel", "").startswith("http://opds-spec.org/acquisition") for l in links):
            problems.append(f"{where}: no acquisition link")
        if entry.find("dc:language", NS) is None:
            problems.append(f"{where}: no dc:language")
        for link in links:
            href, kind = link.get("href"), link.get("type")
            if not href or not kind:
                problems.append(f"{where}: link without href or type")
                continue
            target = out / href
            if not target.is_file():
                problems.append(f"{where}: {href} does not exist")
                continue
            if MEDIA.get(target.suffix) != kind:
                problems.append(f"{where}: {href} typed {kind}")
            if link.get("length") and int(link.get("length")) != target.stat().st_size:
                problems.append(f"{where}: {href} length {link.get('length')} is wrong")
            if link.get("rel", "").startswith("http://opds-spec.org/image"):
                with Image.open(target) as im:
                    if Image.MIME[im.format] != kind:
                        problems.append(f"{where}: {href} is {im.format}, typed {kind}")
    if len(set(ids)) != len(ids):
        problems.append("entry ids are not unique")
    return problems


def test_feed_is_complete_opds(built):
    assert check_opds(feed(built), built) == []


def test_structural_check_can_fail(built, tmp_path):
    """The checker itself: a feed with a missing id, a broken link and a wrong type fails."""
    root = feed(built)
    entry = root.find("a:entry", NS)
    entry.remove(entry.find("a:id", NS))
    link = entry.find("a:link[@type='application/pdf']", NS)
    link.set("type", "application/epub+zip")
    entry.find("a:link[@type='image/jpeg']", NS).set("href", "nowhere.jpg")
    problems = check_opds(root, built)
    assert any("a:id" in p for p in problems)
    assert any("typed application/epub+zip" in p for p in problems)
    assert any("nowhere.jpg does not exist" in p for p in problems)


def test_feed_lists_exactly_the_texts_built(built):
    root = feed(built)
    acquisitions = root.xpath("//a:entry/a:link[@type='application/epub+zip']/@href", namespaces=NS)
    assert sorted(h.split("/")[0] for h in acquisitions) == SLUGS
    titles = root.xpath("//a:entry/a:title/text()", namespaces=NS)
    assert sorted(titles) == sorted(["International Day of Solidarity with the Palestinian People",
                                     "The Lamplighter’s Year", "Two Harbours"])
    for entry in root.findall("a:entry", NS):
        types = sorted(l.get("type") for l in entry.findall("a:link", NS)
                       if l.get("rel") == "http://opds-spec.org/acquisition/open-access")
        assert types == ["application/epub+zip", "application/pdf"]
        rels = {l.get("rel") for l in entry.findall("a:link", NS)}
        assert {"http://opds-spec.org/image", "http://opds-spec.org/image/thumbnail"} <= rels


def test_feed_metadata_from_the_text(built):
    entry = feed(built).xpath("//a:entry[a:title='The Lamplighter’s Year']", namespaces=NS)[0]
    assert entry.findtext("a:author/a:name", None, NS) == "Ada Quill"
    assert entry.findtext("dc:language", None, NS) == "en"
    assert entry.findtext("dc:issued", None, NS) == "1911-05-04"
    assert entry.findtext("a:updated", None, NS) == "1911-05-04T00:00:00Z"
    assert entry.findtext("a:summary", "", NS).startswith("A short test text")
    assert [c.get("term") for c in entry.findall("a:category", NS)] == ["Fiction", "Test fixtures"]
    epub_id = re.search(rb"<dc:identifier[^>]*>([^<]+)<", _opf(built / "novella" / "novella.epub"))
    assert entry.findtext("a:id", None, NS) == epub_id.group(1).decode(), "the feed and the EPUB agree"
    speech = feed(built).xpath("//a:entry[not(a:author)]", namespaces=NS)
    assert len(speech) == 1 and speech[0].find("a:summary", NS) is None   # nothing invented


def _opf(epub: Path) -> bytes:
    with zipfile.ZipFile(epub) as z:
        path = re.search(rb'full-path="([^"]+)"', z.read("META-INF/container.xml")).group(1)
        return z.read(path.decode())


def test_updated_follows_source_date_epoch(built, tmp_path, monkeypatch):
    out = tmp_path / "out"
    shutil.copytree(built, out)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    write_catalog(out, SLUGS)
    root = feed(out)
    assert root.findtext("a:updated", None, NS) == "2023-11-14T22:13:20Z"
    # a text with a date keeps it; one without takes SOURCE_DATE_EPOCH
    updated = dict(zip(root.xpath("//a:entry/a:title/text()", namespaces=NS),
                       root.xpath("//a:entry/a:updated/text()", namespaces=NS)))
    assert updated["The Lamplighter’s Year"] == "1911-05-04T00:00:00Z"
    assert updated["Two Harbours"] == "2023-11-14T22:13:20Z"


# -- the page --------------------------------------------------------------------------
def test_catalog_page_lists_every_edition_with_size_and_checksum(built):
    root = page(built)
    books = root.xpath("//main/article")
    assert len(books) == len(SLUGS)
    for book in books:
        items = book.xpath(".//ul[@class='editions']/li")
        assert len(items) >= 4
        for li in items:
            href = li.xpath("a/@href")[0]
            target = built / href
            assert target.is_file(), href
            text = li.text_content()
            if "SHA-256" in text:
                assert sha(target) in text, href
            size = re.search(r"([\d.]+) (bytes|KB|MB)", text)
            factor = {"bytes": 1, "KB": 1e3, "MB": 1e6}[size.group(2)]
            if "files)" not in text:   # a folder's size is that of all its files
                assert abs(float(size.group(1)) * factor - target.stat().st_size) <= 0.05 * factor + 1
        cover = book.xpath(".//img/@src")
        assert len(cover) == 1 and (built / cover[0]).is_file()
        with Image.open(built / cover[0]) as im:
            assert im.format == "JPEG" and max(im.size) <= 300
    langs = root.xpath("//main/article/@lang")
    assert langs == ["en"] * 3 and root.get("lang") == "en"
    translator = root.xpath("//article[.//a[.='Two Harbours']]//p[@class='translator']")
    assert [t.text_content() for t in translator] == ["Translated by Cora Vane"]
    description = root.xpath("//article[.//a[contains(.,'Lamplighter')]]//p[@class='description']")
    assert description and description[0].text.startswith("A short test text")


def test_every_link_on_the_page_resolves(built):
    for href in page(built).xpath("//a/@href | //img/@src | //link/@href"):
        if href.startswith("#"):
            assert page(built).xpath(f"//*[@id='{href[1:]}']"), href
        else:
            assert (built / href).is_file(), href


def test_checksums_cover_every_file_and_match(built):
    lines = (built / "SHA256SUMS").read_text().splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
        assert sha(built / name) == digest, name
    on_disk = {p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file()
               and not any(part.startswith(".") for part in p.relative_to(built).parts)}
    assert set(listed) == on_disk - {"SHA256SUMS"}
    assert list(listed) == sorted(listed)
    assert {"index.html", "opds.xml", "novella/html/index.html", "novella/images/cover-thumbnail.jpg"} <= set(listed)


def test_reproducible_and_independent_of_the_folder(built, tmp_path):
    before = {n: (built / n).read_bytes() for n in ("index.html", "opds.xml", "SHA256SUMS")}
    write_catalog(built, list(reversed(SLUGS)))
    other = tmp_path / "elsewhere"
    shutil.copytree(built, other)
    write_catalog(other, SLUGS)
    for name, data in before.items():
        assert (built / name).read_bytes() == data, name
        assert (other / name).read_bytes() == data, name


def test_only_the_given_and_built_texts(built, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(built, out)
    (out / "parts" / "parts.md").unlink()          # a text whose build failed
    write_catalog(out, [SPEECH_SLUG, "parts", "never-built"])
    titles = feed(out).xpath("//a:entry/a:title/text()", namespaces=NS)
    assert titles == ["International Day of Solidarity with the Palestinian People"]
    assert len(page(out).xpath("//main/article")) == 1
    assert "novella/" not in (out / "SHA256SUMS").read_text()


def test_cover_from_epub_and_no_thumbnail_without_one(built, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(built, out)
    epub = out / "novella" / "novella.epub"
    data, suffix = epub_cover(epub)
    assert (out / "novella" / "images" / f"cover{suffix}").read_bytes() == data
    # Without the cover-image property and the EPUB 2 meta, there is no cover to show.
    src = zipfile.ZipFile(io.BytesIO(epub.read_bytes()))
    with zipfile.ZipFile(epub, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename.endswith(".opf"):
                body = re.sub(rb'\s*properties="cover-image"', b"", body)
                body = re.sub(rb'<meta name="cover"[^>]*>(</meta>)?', b"", body)
            dst.writestr(info, body)
    assert epub_cover(epub) is None
    write_catalog(out, SLUGS)
    assert not (out / "novella" / "images").exists(), "stale cover files are removed"
    entry = feed(out).xpath("//a:entry[a:title='The Lamplighter’s Year']", namespaces=NS)[0]
    assert not entry.xpath("a:link[starts-with(@rel,'http://opds-spec.org/image')]", namespaces=NS)
    assert check_opds(feed(out), out) == []
    book = page(out).xpath("//article[.//a[contains(.,'Lamplighter')]]")[0]
    assert not book.xpath(".//img")


@pytest.mark.validator
def test_catalog_page_validators(built):
    found = validate.nu_html_check([built / "index.html"])
    with validate.chromium() as browser:
        found += validate.axe([built / "index.html"], browser=browser)
        for scheme in ("light", "dark"):
            found += validate.overflow(built / "index.html", width=validate.PHONE, scheme=scheme,
                                       browser=browser)
    assert found == [], "\n".join(map(str, found))


# -- make dist -------------------------------------------------------------------------
def test_dist_archive_is_reproducible_and_complete(built, tmp_path):
    first = make_dist(built, tmp_path / "a", version="1.2.3")
    second = make_dist(built, tmp_path / "b", version="1.2.3")
    assert first.name == "library-1.2.3.tar.gz"
    assert first.read_bytes() == second.read_bytes()
    listed = sorted(line.split("  ", 1)[1] for line in (built / "SHA256SUMS").read_text().splitlines())
    with tarfile.open(first) as tar:
        files = [m for m in tar.getmembers() if m.isfile()]
        assert sorted(m.name for m in files) == sorted(f"library-1.2.3/{n}" for n in listed + ["SHA256SUMS"])
        for m in files:
            assert m.mtime == 315532800 and m.uid == 0 and m.uname == "" and m.mode == 0o644
            assert tar.extractfile(m).read() == (built / m.name.split("/", 1)[1]).read_bytes()


def test_dist_refuses_stale_files(built, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(built, out)
    (out / "novella" / "novella.md").write_text("changed after the catalog was written\n")
    with pytest.raises(ValueError, match="no longer match SHA256SUMS"):
        make_dist(out, tmp_path / "dist", version="1")
    assert not (tmp_path / "dist").exists()
