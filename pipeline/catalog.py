"""The front door of output/: a catalog page, an OPDS feed and a checksum list.

``write_catalog(out_dir, slugs)`` reads what the build left in ``output/<slug>/`` (the
metadata from the YAML block of ``<slug>.md``, the editions that exist, the cover inside
the EPUB) and writes ``index.html``, ``opds.xml`` (an OPDS 1.2 acquisition feed) and
``SHA256SUMS``.  Everything is derived from those files and from SOURCE_DATE_EPOCH, never
from the clock or the file system's order, so the same editions give the same bytes.
"""
from __future__ import annotations

import hashlib
import io
import posixpath
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from .document import FRONT_MATTER, UUID_NAMESPACE, Document, source_date_epoch, split_front_matter

MARKDOWN = ("md", "{slug}.md", "Markdown text", "text/markdown", False)
LANGUAGES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian",
             "pt": "Portuguese", "nl": "Dutch", "la": "Latin", "el": "Greek", "ru": "Russian",
             "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "ar": "Arabic", "he": "Hebrew",
             "fa": "Persian", "ur": "Urdu", "sv": "Swedish", "da": "Danish", "no": "Norwegian",
             "fi": "Finnish", "pl": "Polish", "cs": "Czech", "hu": "Hungarian", "tr": "Turkish"}
IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
               ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml"}
THUMBNAIL = (200, 300)     # bounding box, pixels
ATOM, DC, OPDS = "http://www.w3.org/2005/Atom", "http://purl.org/dc/terms/", "http://opds-spec.org/2010/catalog"
ACQUISITION_FEED = "application/atom+xml;profile=opds-catalog;kind=acquisition"
OPEN_ACCESS = "http://opds-spec.org/acquisition/open-access"
CATALOG_FILES = ("index.html", "opds.xml", "SHA256SUMS")
CATALOG_PAGES = ("index.html",)    # what `pipeline check` validates as a web page


@dataclass
class File:
    kind: str
    label: str
    media_type: str
    path: str             # relative to output/, with forward slashes
    size: int
    sha256: str           # empty for a folder
    count: int = 1        # files (more than one for a folder)


@dataclass
class Entry:
    slug: str
    doc: Document         # metadata only: the body is empty
    editions: list[File] = field(default_factory=list)
    cover: File | None = None
    thumbnail: File | None = None

    @property
    def language_name(self) -> str:
        code = self.doc.language
        name = LANGUAGES.get(code.split("-")[0].lower())
        return f"{name} ({code})" if name else code

    def edition(self, kind: str) -> File | None:
        return next((e for e in self.editions if e.kind == kind), None)


def editions() -> list[tuple[str, str, str, str, bool]]:
    """(kind, file inside output/<slug>/, label, media type, is a folder's page) of every
    format's outputs, in the order the catalog lists them, then the Markdown."""
    from .writers import formats

    outputs = sorted((o.rank, o.kind or f.name, o.listed or o.path, o.label, o.media_type, bool(o.listed))
                     for f in formats().values() for o in f.outputs)
    return [o[1:] for o in outputs] + [MARKDOWN]


def _file(out_dir: Path, rel: str, kind: str = "", label: str = "", media_type: str = "") -> File:
    data = (out_dir / rel).read_bytes()
    return File(kind, label, media_type, rel, len(data), hashlib.sha256(data).hexdigest())


def read_entry(out_dir: Path, slug: str) -> Entry | None:
    """What was built for one text, or None when it has no Markdown edition (it failed)."""
    md = out_dir / slug / f"{slug}.md"
    if not md.is_file():
        return None
    meta, _ = split_front_matter(md.read_text(encoding="utf-8"))
    entry = Entry(slug, Document(slug=slug, meta=meta, body=etree.Element("div"),
                                 epoch=source_date_epoch()))
    for kind, pattern, label, media_type, folder in editions():
        rel = f"{slug}/{pattern.format(slug=slug)}"
        if not (out_dir / rel).is_file():
            continue
        if folder:   # its size and number of pages, no single checksum
            files = [f for f in (out_dir / rel).parent.rglob("*") if f.is_file()]
            entry.editions.append(File(kind, label, media_type, rel, sum(f.stat().st_size for f in files),
                                       "", len(files)))
        else:
            entry.editions.append(_file(out_dir, rel, kind, label, media_type))
    _update_cover(out_dir, entry)
    return entry


# -- covers --------------------------------------------------------------------------
def epub_cover(epub: Path) -> tuple[bytes, str] | None:
    """(image bytes, suffix) of the EPUB's cover image: the manifest item with the EPUB 3
    `cover-image` property, else the one named by an EPUB 2 `<meta name="cover">`."""
    try:
        with zipfile.ZipFile(epub) as z:
            container = etree.fromstring(z.read("META-INF/container.xml"))
            opf_path = container.xpath("//*[local-name()='rootfile']/@full-path")[0]
            opf = etree.fromstring(z.read(opf_path))
            items = opf.xpath("//*[local-name()='manifest']/*[local-name()='item']")
            item = next((i for i in items if "cover-image" in (i.get("properties") or "").split()), None)
            if item is None:
                ref = opf.xpath("//*[local-name()='meta'][@name='cover']/@content")
                item = next((i for i in items if ref and i.get("id") == ref[0]), None)
            if item is None:
                return None
            href = posixpath.normpath(posixpath.join(posixpath.dirname(opf_path), item.get("href")))
            suffix = posixpath.splitext(href)[1].lower()
            if suffix not in IMAGE_TYPES:
                return None
            return z.read(href), suffix
    except (OSError, KeyError, IndexError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return None


def thumbnail(image: bytes) -> bytes | None:
    """A small JPEG of a cover (Pillow writes no timestamp: the bytes are reproducible)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(image)) as opened:
            im = opened.convert("RGB")
            im.thumbnail(THUMBNAIL, Image.Resampling.LANCZOS)
            out = io.BytesIO()
            im.save(out, "JPEG", quality=85, progressive=False)
            return out.getvalue()
    except Exception:   # an unreadable or vector cover: list the book without a thumbnail
        return None


def _write_if_changed(path: Path, data: bytes) -> None:
    from .build import write_atomic   # here, not at the top: the build calls this module

    if not path.is_file() or path.read_bytes() != data:
        write_atomic(path, data)


def _update_cover(out_dir: Path, entry: Entry) -> None:
    """Copy the EPUB's cover beside the editions (images/) with a thumbnail; drop stale ones."""
    folder = out_dir / entry.slug / "images"
    found = epub_cover(out_dir / entry.slug / f"{entry.slug}.epub")
    keep = set()
    if found:
        data, suffix = found
        cover = f"cover{suffix}"
        _write_if_changed(folder / cover, data)
        keep.add(cover)
        entry.cover = _file(out_dir, f"{entry.slug}/images/{cover}", "cover", "Cover", IMAGE_TYPES[suffix])
        small = thumbnail(data)
        if small:
            _write_if_changed(folder / "cover-thumbnail.jpg", small)
            keep.add("cover-thumbnail.jpg")
            entry.thumbnail = _file(out_dir, f"{entry.slug}/images/cover-thumbnail.jpg", "thumbnail",
                                    "Thumbnail", "image/jpeg")
    for old in folder.glob("cover*") if folder.is_dir() else []:
        if old.name not in keep:
            old.unlink()
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


# -- the three files -----------------------------------------------------------------
def _timestamp(entry: Entry) -> str:
    return entry.doc.date.strftime("%Y-%m-%dT%H:%M:%SZ")


def _feed_updated(entries: list[Entry]) -> str:
    epoch = source_date_epoch()
    if epoch is not None:
        import datetime as dt

        return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return max((_timestamp(e) for e in entries), default="1980-01-01T00:00:00Z")


def opds_feed(entries: list[Entry], title: str) -> bytes:
    """An OPDS 1.2 acquisition feed: one Atom entry per text, links relative to output/."""
    A, D = f"{{{ATOM}}}", f"{{{DC}}}"
    feed = etree.Element(A + "feed", nsmap={None: ATOM, "dc": DC, "opds": OPDS})

    def sub(parent: Any, tag: str, text: str | None = None, **attrib: Any) -> Any:
        el = etree.SubElement(parent, tag, {k.rstrip("_"): str(v) for k, v in attrib.items()})
        if text is not None:
            el.text = str(text)
        return el

    sub(feed, A + "id", f"urn:uuid:{uuid.uuid5(UUID_NAMESPACE, 'opds-catalog:' + title)}")
    sub(feed, A + "title", title)
    sub(feed, A + "updated", _feed_updated(entries))
    sub(sub(feed, A + "author"), A + "name", title)
    for rel in ("self", "start"):
        sub(feed, A + "link", rel=rel, href="opds.xml", type=ACQUISITION_FEED)
    sub(feed, A + "link", rel="alternate", href="index.html", type="text/html")
    for e in entries:
        doc, meta = e.doc, e.doc.meta
        entry = sub(feed, A + "entry")
        sub(entry, A + "title", doc.title)
        sub(entry, A + "id", doc.identifier)
        sub(entry, A + "updated", _timestamp(e))
        for name in doc.authors:
            sub(sub(entry, A + "author"), A + "name", name)
        sub(entry, D + "language", doc.language)
        if meta.get("date"):
            sub(entry, D + "issued", doc.date.strftime("%Y-%m-%d"))
        if meta.get("publisher"):
            sub(entry, D + "publisher", meta["publisher"])
        if meta.get("identifier"):
            sub(entry, D + "identifier", meta["identifier"])
        subjects = meta.get("subjects") or []
        for subject in subjects if isinstance(subjects, list) else [subjects]:
            sub(entry, A + "category", term=subject, label=subject)
        if meta.get("rights"):
            sub(entry, A + "rights", meta["rights"])
        if meta.get("description"):
            sub(entry, A + "summary", meta["description"], type="text")
        if e.cover:
            sub(entry, A + "link", rel="http://opds-spec.org/image", href=e.cover.path,
                type=e.cover.media_type)
        if e.thumbnail:
            sub(entry, A + "link", rel="http://opds-spec.org/image/thumbnail", href=e.thumbnail.path,
                type=e.thumbnail.media_type)
        # The e-book and the PDF; a text built as HTML only is offered as its web page.
        offered = [f for f in map(e.edition, ("epub", "pdf")) if f] or \
            [f for f in map(e.edition, ("html", "md")) if f][:1]
        for f in offered:
            sub(entry, A + "link", rel=OPEN_ACCESS, href=f.path, type=f.media_type, length=f.size)
        # Atom wants an alternate link or content in every entry: the web edition, else the
        # first edition there is.
        alternate = e.edition("html") or (e.editions[0] if e.editions else None)
        if alternate:
            sub(entry, A + "link", rel="alternate", href=alternate.path, type=alternate.media_type)
        else:
            sub(entry, A + "content", doc.title, type="text")
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def catalog_page(entries: list[Entry], title: str) -> bytes:
    from .writers.base import css, render

    return render("catalog.html", entries=entries, title=title, human_size=human_size,
                  stylesheet=css("base.css", "web.css")).encode("utf-8")


def human_size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}".replace(".0 ", " ")
        n /= 1000
    return f"{n} GB"


def checksums(out_dir: Path, sums: dict[str, str]) -> bytes:
    """`sha256sum -c` format: every file of every listed text, then the catalog files."""
    sums = dict(sums)
    sums.update((n, hashlib.sha256((out_dir / n).read_bytes()).hexdigest())
                for n in CATALOG_FILES[:2] if (out_dir / n).is_file())
    return "".join(f"{sums[rel]}  {rel}\n" for rel in sorted(sums)).encode("utf-8")


def write_catalog(out_dir: Path, slugs: list[str], title: str = "Library") -> None:
    """Write output/index.html, output/opds.xml and output/SHA256SUMS for these texts.

    Only the texts whose files changed since the last catalog are read again (see
    `listed`), so after a build of a few texts in a large catalog this reads a few texts.
    """
    out_dir = Path(out_dir)
    entries, sums = [], {}
    for slug in sorted(set(slugs)):
        found = listed(out_dir, slug)
        if found:
            entries.append(found[0])
            sums.update(found[1])
    for old in (out_dir / RECORDS).glob("*.json"):
        if old.stem not in slugs:
            old.unlink()
    entries.sort(key=lambda e: (_sort_key(e.doc.title), e.slug))
    _write_if_changed(out_dir / "index.html", catalog_page(entries, title))
    _write_if_changed(out_dir / "opds.xml", opds_feed(entries, title))
    _write_if_changed(out_dir / "SHA256SUMS", checksums(out_dir, sums))


# -- what the last catalog read of each text ---------------------------------------------
RECORDS = ".catalog"     # output/.catalog/<slug>.json


def _files(out_dir: Path, slug: str) -> list[Path]:
    """A text's files as SHA256SUMS lists them (no hidden files or folders)."""
    return sorted(f for f in (out_dir / slug).rglob("*") if f.is_file() and not any(
        part.startswith(".") for part in f.relative_to(out_dir).parts))


def _stamp(out_dir: Path, files: list[Path]) -> list:
    # The build replaces a file by renaming a new one over it, so a rebuilt file always has
    # a new inode and mtime: stat tells what changed without reading a byte.
    return [[f.relative_to(out_dir).as_posix(), st.st_ino, st.st_size, st.st_mtime_ns]
            for f in files for st in [f.stat()]]


def listed(out_dir: Path, slug: str) -> tuple[Entry, dict[str, str]] | None:
    """A text's catalog entry and the SHA-256 of each of its files, or None when it has no
    Markdown edition (it failed).  Read from output/.catalog/<slug>.json when no file of
    the text changed since it was written; otherwise from the editions, then recorded."""
    import json

    from .build import write_atomic

    md = out_dir / slug / f"{slug}.md"
    if not md.is_file():
        return None
    record = out_dir / RECORDS / f"{slug}.json"
    try:
        saved = json.loads(record.read_text())
        if saved["code"] == _code() and saved["stamp"] == _stamp(out_dir, _files(out_dir, slug)):
            return _entry_from(slug, saved), saved["sums"]
    except (OSError, ValueError, KeyError, TypeError):
        pass        # no record, an old or damaged one: read the text again
    entry = read_entry(out_dir, slug)       # writes the cover images: stamp after it
    if entry is None:
        return None
    files = _files(out_dir, slug)
    sums = {f.relative_to(out_dir).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    front = FRONT_MATTER.match(md.read_text(encoding="utf-8"))
    write_atomic(record, json.dumps({
        "code": _code(), "stamp": _stamp(out_dir, files), "sums": sums, "front_matter": front.group(0) if front else "",
        "editions": [vars(f) for f in entry.editions],
        "cover": entry.cover and vars(entry.cover), "thumbnail": entry.thumbnail and vars(entry.thumbnail),
    }).encode())
    return entry, sums


def _code() -> str:
    """What a record depends on besides the text's files: this module and the formats'
    outputs (their files, labels, media types), so a new label is not read from an old record."""
    return hashlib.sha256(Path(__file__).read_bytes() + repr(editions()).encode()).hexdigest()


def _entry_from(slug: str, saved: dict) -> Entry:
    meta, _ = split_front_matter(saved["front_matter"])
    return Entry(slug, Document(slug=slug, meta=meta, body=etree.Element("div"),
                                epoch=source_date_epoch()),
                 [File(**f) for f in saved["editions"]],
                 saved["cover"] and File(**saved["cover"]), saved["thumbnail"] and File(**saved["thumbnail"]))


def _sort_key(title: str) -> str:
    return re.sub(r"^(the|a|an)\s+", "", title.casefold())
