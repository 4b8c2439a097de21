"""The Document: canonical Markdown parsed once by pandoc, shared by every writer.

``Document.from_markdown`` splits off the YAML block, asks pandoc for HTML5 with section
divs, and keeps the body as an lxml tree, the notes by id and the chapters as produced
by the one chapter-splitting function, ``split_chapters``.
"""
from __future__ import annotations

import copy
import datetime as _dt
import os
import re
import tempfile
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml
from lxml import etree, html as lxml_html

from .diagnostics import PipelineError, Report, error
from .fonts import Typefaces, typefaces
from .safety import PANDOC_HEAP, PANDOC_LIMITS, inside, sanitize_fragment

FRONT_MATTER = re.compile(r"\A---\n(.*?\n)(?:---|\.\.\.)\n", re.S)
PANDOC_ARGS = ["--section-divs", "--wrap=none", "--syntax-highlighting=none",
               "--preserve-tabs"]      # a tab in code stays a tab (prose: always spaces)
UUID_NAMESPACE = uuid.UUID("9b7e2d4c-3f1a-5e8b-a6d0-7c1f2e3d4b5a")


HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH, the one reading of it: a build's fixed time, when one is given."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(value) if value.isdigit() else None


def split_front_matter(markdown: str) -> tuple[dict, str]:
    m = FRONT_MATTER.match(markdown)
    if not m:
        return {}, markdown
    meta = yaml.safe_load(m.group(1)) or {}
    if not isinstance(meta, dict):
        raise error("<markdown>", 1, "E-META", "the YAML block must be a mapping of keys to values")
    return meta, markdown[m.end():]


def pandoc_html(body: str) -> str:
    """pandoc's HTML of the Markdown ``body`` (from the build's cache when it has it)."""
    from . import cache

    store = cache.active()
    name = cache.key("pandoc", *sorted(store.code.values()), PANDOC_ARGS, PANDOC_LIMITS, body)
    cached = store.get(name)
    if cached is not None:
        return cached.decode("utf-8")
    html = _run_pandoc(body)
    store.put(name, html.encode("utf-8"))
    return html


def _run_pandoc(body: str) -> str:
    import pypandoc

    # pandoc reads the Markdown from a file: fed through a pipe, Python would write it in
    # 512-byte pieces, each waiting for the GIL while the lossless check runs.
    with tempfile.TemporaryDirectory(prefix="pipeline-") as tmp:
        path = Path(tmp) / "body.md"
        path.write_text(body, encoding="utf-8")
        try:
            return pypandoc.convert_file(str(path), "html5", format="markdown", verify_format=False,
                                         extra_args=[*PANDOC_ARGS, *PANDOC_LIMITS])
        except RuntimeError as exc:
            failure = str(exc).strip()
    message = failure.splitlines()[-1] if failure else "pandoc failed"
    if "heap" in failure.lower():
        message = f"pandoc ran out of its {PANDOC_HEAP} memory limit"
    raise error("<markdown>", None, "E-PANDOC", f"{message}; simplify the text's structure "
                "(very deep nesting?) or raise PIPELINE_PANDOC_HEAP")


@dataclass
class Chapter:
    """One reading unit: a part or chapter heading with what follows it."""
    id: str
    title: str           # plain text
    level: int           # heading level in the document (1 = top)
    kind: str            # "part", "chapter" or "section"
    element: etree._Element   # the <section> element (a deep copy, safe to edit)
    number: int = 0


@dataclass
class Heading:
    id: str
    title: str
    level: int


@dataclass
class Document:
    slug: str
    meta: dict
    body: etree._Element                     # <div> holding the body, notes removed
    notes: dict[str, etree._Element] = field(default_factory=dict)  # id -> <li>
    source_name: str = ""
    base_dir: Path | None = None             # the source's folder (its images, its cover)
    # The source's own cover image (bytes, suffix), read here so that writers read no file.
    cover: tuple[bytes, str] | None = None
    # Whether the edition has a real date (metadata, or SOURCE_DATE_EPOCH given by the
    # user when the document was made) rather than the fixed fallback used for timestamps.
    date_given: bool = False
    # SOURCE_DATE_EPOCH when the document was made (the build's fixed time, if given).
    epoch: int | None = None
    # The fonts its editions set, found when it was made, so that writers read no font file.
    fonts: Typefaces | None = None

    @classmethod
    def from_markdown(cls, markdown: str, slug: str, source_name: str = "",
                      base_dir: Path | None = None, report: Report | None = None,
                      source_text: str | None = None) -> Document:
        """Parse canonical Markdown.

        Images are resolved in ``base_dir`` (the source's folder); problems are reported
        at their line in ``source_text`` (the source as the user wrote it) when given.
        """
        meta, body = split_front_matter(markdown)
        report = report or Report(source_name or slug)
        lines_in = source_text if source_text is not None else markdown
        try:
            fragment = pandoc_html(body)
        except PipelineError as exc:        # say which source it was
            raise report.fail(None, exc.diagnostics[0].code, exc.diagnostics[0].message) from None
        if "<img" in fragment or LOCAL_OR_FILE_LINK.search(fragment):
            tree = _parse_fragment(fragment)
            resolve_references(tree, lines_in, base_dir, report)
            fragment = to_string(tree)
        root = _parse_fragment(sanitize_fragment(fragment))
        depth = _depth(root)
        if depth > MAX_DEPTH:
            raise report.fail(_deepest_line(lines_in), "E-NESTING",
                              f"lists or quotes are nested {depth} levels deep; no edition can set "
                              f"more than {MAX_DEPTH} — flatten the structure")
        mark_speeches(root)
        notes = {}
        for section in root.xpath('//section[@id="footnotes"]'):
            for li in section.xpath(".//li[@id]"):
                for back in li.xpath('.//a[contains(@class, "footnote-back")]'):
                    _drop_keep_tail(back)
                notes[li.get("id")] = li
            section.getparent().remove(section)
        from .cover import source_cover

        cover = source_cover(str(meta.get("cover") or ""), base_dir or Path("source"))
        epoch = source_date_epoch()
        return cls(slug=slug, meta=meta, body=root, notes=notes, source_name=source_name,
                   base_dir=base_dir, cover=cover, epoch=epoch,
                   date_given=bool(meta.get("date") or epoch is not None),
                   fonts=typefaces(str(meta.get("language") or "und")))

    # -- metadata -----------------------------------------------------------------
    @property
    def title(self) -> str:
        return str(self.meta.get("title") or self.slug)

    @property
    def language(self) -> str:
        return str(self.meta.get("language") or "und")

    @property
    def authors(self) -> list[str]:
        value = self.meta.get("author") or []
        return [str(a) for a in (value if isinstance(value, list) else [value])]

    @property
    def direction(self) -> str:
        return "rtl" if self.language.split("-")[0] in {"ar", "he", "fa", "ur", "yi"} else "ltr"

    @cached_property
    def identifier(self) -> str:
        """The given ISBN/URN/URL, else a UUID derived from title, authors and language."""
        given = self.meta.get("identifier")
        if given:
            return str(given)
        key = "\n".join([self.title, *self.authors, self.language])
        return f"urn:uuid:{uuid.uuid5(UUID_NAMESPACE, key)}"

    @cached_property
    def date(self) -> _dt.datetime:
        """The edition's timestamp: metadata date, else SOURCE_DATE_EPOCH, else the epoch."""
        value = self.meta.get("date")
        if isinstance(value, _dt.datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, _dt.date):
            return _dt.datetime(value.year, value.month, value.day)
        if value:
            m = re.search(r"(\d{4})-(\d{2})-(\d{2})", str(value))
            if m:
                return _dt.datetime(int(m[1]), int(m[2]), int(m[3]))
            m = re.search(r"\b(1[5-9]\d\d|20\d\d)\b", str(value))
            if m:
                return _dt.datetime(int(m.group(1)), 1, 1)
        if self.epoch is not None:
            return _dt.datetime.fromtimestamp(self.epoch, _dt.UTC).replace(tzinfo=None)
        return _dt.datetime(1980, 1, 1)

    @property
    def published(self) -> str:
        """The first publication, as precisely as it is known ('' when it is not)."""
        value = self.meta.get("published")
        return date_text(value) if value else ""

    # -- structure ----------------------------------------------------------------
    @cached_property
    def headings(self) -> list[Heading]:
        out = []
        for h in self.body.iter(*HEADINGS):
            section = h.getparent()
            hid = section.get("id") if section.tag == "section" else h.get("id")
            out.append(Heading(hid or "", text_of(h), int(h.tag[1])))
        return out

    @cached_property
    def chapters(self) -> list[Chapter]:
        return split_chapters(self)

    def body_copy(self) -> etree._Element:
        return copy.deepcopy(self.body)


MAX_DEPTH = 60
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp", ".svg": None}


SPEAKER_CHARS = 40      # a speaker's name (FIRST GRAVEDIGGER., Mrs. Linde.) is short


def mark_speeches(root) -> None:
    """A play's speeches and stage directions, classed for the writers to set apart.

    A speech is a paragraph (or a line block, for a speech in verse) opening with its
    speaker in bold (**HAMLET.**, as the normalizer writes it); the text is taken for a
    play when at least twenty paragraphs do so and a few names open most of them.  In a
    play, a paragraph that is one run of italics is a stage direction.  Nothing is reworded: only classes are added.
    """
    speeches = []
    for p in root.iter("p", "div"):     # a speech in verse is a line block (CHORUS. / lines)
        if p.tag == "div" and "line-block" not in (p.get("class") or "").split():
            continue
        if len(p) and p[0].tag == "strong" and not (p.text or "").strip():
            name = " ".join("".join(p[0].itertext()).split()).rstrip(".:").casefold()
            if 0 < len(name) <= SPEAKER_CHARS:
                speeches.append((p, name))
    names: dict[str, int] = {}
    for _, name in speeches:
        names[name] = names.get(name, 0) + 1
    repeated = sum(n for n in names.values() if n >= 3)
    if len(speeches) < 20 or repeated < 0.6 * len(speeches):
        return
    for p, _ in speeches:
        p.set("class", " ".join(filter(None, [p.get("class"), "speech"])))
        p[0].set("class", "speaker")
    for p in root.iter("p"):
        if len(p) == 1 and p[0].tag == "em" and not (p.text or "").strip() \
                and not (p[0].tail or "").strip() and "speech" not in (p.get("class") or ""):
            p.set("class", " ".join(filter(None, [p.get("class"), "direction"])))


def _depth(root) -> int:
    deepest, stack = 0, [(root, 0)]
    while stack:
        el, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((c, d + 1) for c in el)
    return deepest


def _deepest_line(markdown: str) -> int:
    def level(line):
        return len(line) - len(line.lstrip(" >\t-*+"))
    lines = markdown.split("\n")
    return max(range(len(lines)), key=lambda i: level(lines[i])) + 1 if lines else 1


LOCAL_OR_FILE_LINK = re.compile(r'href="(?!#|(?!file:)[a-z][\w+.-]*:)', re.I)
INLINE_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,")


def _line_of(markdown: str, needle: str) -> int | None:
    i = markdown.find(needle)
    return markdown.count("\n", 0, i) + 1 if i >= 0 else None


def _parse_fragment(fragment: str):
    try:
        return lxml_html.fragment_fromstring(fragment, create_parent="div",
                                             parser=lxml_html.HTMLParser(huge_tree=True))
    except etree.ParserError as exc:
        raise error("<markdown>", None, "E-STRUCTURE", f"the converted text cannot be read "
                    f"back ({exc}); simplify its nesting") from None


def to_string(root) -> str:
    return (root.text or "") + "".join(etree.tostring(c, encoding=str) for c in root)


def resolve_references(root, markdown: str, base_dir: Path | None, report: Report) -> None:
    """Inline local images as data: URIs; refuse paths that leave the source folder.

    Remote images are never fetched: they are dropped (their description kept) with a
    warning, so no edition makes a request when it is opened either.  file: links are
    refused like file: images.
    """
    import base64
    from urllib.parse import unquote, urlparse

    for a in list(root.iter("a")):
        href = a.get("href") or ""
        if href.lower().startswith("file:"):
            raise report.fail(_line_of(markdown, href), "E-PATH", f"link to `{href}`: file: URLs "
                              "are refused — they point at the machine building the book")
        if href and not href.startswith("#") and not urlparse(href).scheme:
            # Another file beside the source (a README's CONTRIBUTING.md) is in no edition:
            # the link would lead nowhere, so its words stay and the link goes.
            report.warn(_line_of(markdown, href), "W-LINK", f"link to `{href}`, a file that is "
                        "not part of the edition: its text is kept, the link removed")
            a.drop_tag()
    for img in list(root.iter("img")):
        src = img.get("src") or ""
        line = _line_of(markdown, src) if src else None
        url = urlparse(src)
        if url.scheme == "data":    # an image embedded in the source (DOCX, ODT, EPUB …)
            if not INLINE_IMAGE.match(src):
                report.warn(None, "W-IMAGE", f"an embedded image ({src[5:src.find(';')]}) is "
                            "not PNG, JPEG, GIF or WebP; its description is kept — convert it")
                _replace_with_text(img, img.get("alt") or "")
            continue
        if url.scheme in {"http", "https", "ftp"} or src.startswith("//"):
            report.warn(line, "W-REMOTE", f"remote image {src} is not fetched; its description is "
                        "kept — download it next to the source and refer to it by file name")
            _replace_with_text(img, img.get("alt") or "")
            continue
        if url.scheme or src.startswith("/") or not src:
            raise report.fail(line, "E-PATH", f"image `{src}` must be a relative file name inside "
                              "the source folder (no file:, absolute paths or other schemes)")
        path = (base_dir or Path.cwd()) / unquote(url.path)
        if ".." in Path(unquote(url.path)).parts or (base_dir and not inside(path, base_dir)):
            raise report.fail(line, "E-PATH", f"image `{src}` is outside the source folder; "
                              "copy it next to the source")
        if not path.is_file():
            raise report.fail(line, "E-IMAGE", f"image `{src}` does not exist (looked for {path})")
        mime = IMAGE_TYPES.get(path.suffix.lower())
        if not mime:
            raise report.fail(line, "E-IMAGE", f"image `{src}` is not PNG, JPEG, GIF or WebP")
        img.set("src", f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode())


def _replace_with_text(el, text: str) -> None:
    parent = el.getparent()
    prev = el.getprevious()
    joined = text + (el.tail or "")
    if prev is not None:
        prev.tail = (prev.tail or "") + joined
    else:
        parent.text = (parent.text or "") + joined
    parent.remove(el)


def text_of(el) -> str:
    """Visible text of an element, without footnote references."""
    el = copy.deepcopy(el)
    for ref in el.xpath('.//a[contains(@class, "footnote-ref")]'):
        _drop_keep_tail(ref)
    return " ".join("".join(el.itertext()).split())


def date_text(value) -> str:
    """A date as precisely as it is given, never with an invented day or month:
    '1998-11' -> 'November 1998', '2006-08-20' -> '20 August 2006'."""
    text = value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)
    m = re.fullmatch(r"(\d{4})(?:-(\d\d)(?:-(\d\d))?)?", text)
    if not m:
        return text
    year, month, day = m.groups()
    if not month:
        return year
    name = _dt.date(2000, int(month), 1).strftime("%B")
    return f"{int(day)} {name} {year}" if day else f"{name} {year}"


BARE_NUMBER = re.compile(r"\s*([IVXLCDM]+|\d+)\.?\s*")
FIRST_LINE_CHARS = 60


def contents_title(title: str, section) -> str:
    """How contents list a heading: as it is, but a bare number heading verse (a numbered
    poem, II.) with the verse's first line, as Standard Ebooks does (II. Our share of
    night to bear).  The heading in the text is left as it is."""
    if section is None or not BARE_NUMBER.fullmatch(title):
        return title
    heading = next((c for c in section if c.tag in HEADINGS), None)
    block = heading.getnext() if heading is not None else None
    if block is None or block.tag != "div" or "line-block" not in (block.get("class") or ""):
        return title        # not verse right under the heading
    parts = [block.text or ""]
    for child in block:
        if child.tag == "br":
            break
        parts.append("".join(child.itertext()) + (child.tail or ""))
    line = " ".join("".join(parts).split()).rstrip(" ,;:—–-")
    if len(line) > FIRST_LINE_CHARS:
        line = line[:FIRST_LINE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:—–-") + "…"
    return f"{title} {line}" if line else title


def synopsis(section) -> str:
    """What the text's own contents list says of a section beyond its heading (Tom
    Sawyer's chapter synopses), set under the heading in every edition's contents."""
    return (section.get("data-synopsis") or "") if section is not None else ""


def _drop_keep_tail(el) -> None:
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail or ""
    prev = el.getprevious()
    if prev is not None:
        prev.tail = (prev.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(el)


# A reading unit (an EPUB file, a web page) larger than this is split at the next level.
MAX_UNIT_CHARS = 60_000


def _heading(section):
    return next((c for c in section if c.tag in HEADINGS), None)


def _level(section, parent_level: int) -> int:
    h = _heading(section)
    return int(h.tag[1]) if h is not None else parent_level + 1


def _largest_unit(body, unit_level: int) -> int:
    """The size in characters of the largest unit if the text were split at unit_level."""
    largest, stack = 0, [(s, 0) for s in body if s.tag == "section"]
    while stack:
        section, parent = stack.pop()
        level = _level(section, parent)
        subsections = [c for c in section if c.tag == "section"]
        if level < unit_level and subsections:
            intro = sum(len("".join(c.itertext())) for c in section if c.tag != "section")
            largest = max(largest, intro)
            stack.extend((sub, level) for sub in subsections)
        else:
            largest = max(largest, len("".join(section.itertext())))
    return largest


def unit_level(doc: Document) -> int:
    """The heading level whose sections become reading units (files, pages, openings).

    The top level, or the one below it when the top level holds parts (at least twice as
    many headings below as at the top: War and Peace's books, Hamlet's acts); then deeper
    while a unit would still be too large to open comfortably (Gibbon's volume).
    """
    levels = sorted({h.level for h in doc.headings})
    if not levels:
        return 1
    count = {lv: sum(1 for h in doc.headings if h.level == lv) for lv in levels}
    i = 1 if len(levels) > 1 and count[levels[1]] >= 2 * count[levels[0]] else 0
    while i + 1 < len(levels) and _largest_unit(doc.body, levels[i]) > MAX_UNIT_CHARS:
        i += 1
    return levels[i]


def _section_id(section, units) -> str:
    """A section's id; one pandoc left without (a heading whose text makes no identifier,
    an EPUB source's unnamed section) gets one from its place, so every unit has a file."""
    if not section.get("id"):
        section.set("id", f"section-{len(units) + 1}")
    return section.get("id")


def split_chapters(doc: Document) -> list[Chapter]:
    """Split the body into reading units following the heading hierarchy.

    Sections at the unit level (see ``unit_level``) are chapters.  A section above it that
    holds sections is a part: its own short unit (heading and any text before its first
    subsection), followed by its subsections' units.  Text before the first heading is a
    unit of its own ("text-start").
    """
    level_of_units = unit_level(doc)
    units: list[Chapter] = []
    lead = [el for el in doc.body if el.tag != "section"]
    if lead or not any(el.tag == "section" for el in doc.body):
        div = etree.Element("section", id="text-start")
        for el in lead:
            div.append(copy.deepcopy(el))
        units.append(Chapter("text-start", doc.title, 1, "section", div))

    def walk(section, parent_level: int) -> None:
        h = _heading(section)
        title = text_of(h) if h is not None else doc.title
        level = int(h.tag[1]) if h is not None else parent_level + 1
        subsections = [c for c in section if c.tag == "section"]
        if level < level_of_units and subsections:
            head = etree.Element("section", dict(section.attrib))
            for c in section:
                if c.tag != "section":
                    head.append(copy.deepcopy(c))
            units.append(Chapter(_section_id(section, units), title, level, "part", head))
            for sub in subsections:
                walk(sub, level)
        else:
            units.append(Chapter(_section_id(section, units), title, level, "chapter",
                                 copy.deepcopy(section)))

    for section in (el for el in doc.body if el.tag == "section"):
        walk(section, 0)
    for n, unit in enumerate(units, 1):
        unit.number = n
    return units
