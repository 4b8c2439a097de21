"""What pandoc does not read from an ODT: its metadata (``meta.xml``) and its
preformatted paragraphs.

pandoc reads a paragraph in the "Preformatted Text" style (LibreOffice's style for code,
and the one pandoc's own ODT writer uses), or all in a fixed-pitch font (unless most of
the document is), as an ordinary paragraph, one per line, with its
runs of spaces shortened.  Before pandoc reads the file, each run of such paragraphs is
replaced by one paragraph holding a token, and its text is taken exactly as ODF stores it
(``<text:s text:c="4"/>`` four spaces, ``<text:tab/>``, ``<text:line-break/>``); the token
then becomes a code block (``verbatim``).
"""
from __future__ import annotations

import io
import re
import zipfile

from lxml import etree

from .verbatim import FIXED_NAMES, token

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
PREFORMATTED = {"Preformatted Text", "Preformatted_20_Text"}
CODE_SPANS = {"Source_Text", "Source_20_Text", "Source Text", "Teletype"}
# Elements whose content is not the paragraph's text.
SKIPPED = {f"{{{TEXT}}}note", f"{{{TEXT}}}bookmark", f"{{{TEXT}}}bookmark-start",
           f"{{{TEXT}}}bookmark-end", f"{{{TEXT}}}soft-page-break",
           "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}annotation"}


def _xml(data: bytes):
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True,
                                                  huge_tree=False))


def mark_preformatted(raw: bytes) -> tuple[bytes, dict[str, str]]:
    """The ODT with each run of preformatted paragraphs replaced by a token paragraph, and
    token -> the run's exact text.  The file unchanged if it has none (or is not ODF)."""
    try:
        z = zipfile.ZipFile(io.BytesIO(raw))
        content = _xml(z.read("content.xml"))
        styles = _xml(z.read("styles.xml")) if "styles.xml" in z.namelist() else None
    except (KeyError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return raw, {}
    parents: dict[tuple[str, str], str] = {}
    for root in (styles, content):
        for st in ([] if root is None else root.iter(f"{{{STYLE}}}style")):
            family = st.get(f"{{{STYLE}}}family", "")
            parents[family, st.get(f"{{{STYLE}}}name", "")] = st.get(f"{{{STYLE}}}parent-style-name", "")

    def styled(family: str, name: str | None, wanted: set[str]) -> bool:
        seen = set()
        while name and name not in seen:
            if name in wanted:
                return True
            seen.add(name)
            name = parents.get((family, name))
        return False

    fixed = _fixed_fonts(styles, content)
    fonts: dict[tuple[str, str], str] = {}
    for root in (styles, content):
        for st in ([] if root is None else root.iter(f"{{{STYLE}}}style")):
            props = st.find(f"{{{STYLE}}}text-properties")
            if props is not None and props.get(f"{{{STYLE}}}font-name"):
                fonts[st.get(f"{{{STYLE}}}family", ""), st.get(f"{{{STYLE}}}name", "")] = \
                    props.get(f"{{{STYLE}}}font-name", "")

    def font_of(family: str, name: str | None) -> str | None:
        seen = set()
        while name and name not in seen:
            if (family, name) in fonts:
                return fonts[family, name]
            seen.add(name)
            name = parents.get((family, name))
        return None

    def in_fixed_font(el, font: str | None) -> bool:
        """Every character of the element in a fixed-pitch font (a span may set its own)."""
        if (el.text or "").strip() and font not in fixed:
            return False
        for child in el:
            inner = font_of("text", child.get(f"{{{TEXT}}}style-name")) or font
            if child.tag not in SKIPPED and not in_fixed_font(child, inner):
                return False
            if (child.tail or "").strip() and font not in fixed:
                return False
        return True

    texts = [p for p in content.iter(f"{{{TEXT}}}p") if exact_text(p).strip()]
    by_font = {id(p) for p in texts if in_fixed_font(p, font_of("paragraph", p.get(f"{{{TEXT}}}style-name")))}
    if len(by_font) > len(texts) / 2:         # a text typed in Courier: the font says nothing
        by_font = set()

    def preformatted(p) -> bool:
        return styled("paragraph", p.get(f"{{{TEXT}}}style-name"), PREFORMATTED) or id(p) in by_font

    codes: dict[str, str] = {}
    # Inline code whose spaces pandoc would shorten: the span keeps a style pandoc reads
    # as code, its text a token.
    for span in list(content.iter(f"{{{TEXT}}}span")):
        if styled("text", span.get(f"{{{TEXT}}}style-name"), CODE_SPANS) and (
                span.find(f".//{{{TEXT}}}s") is not None or span.find(f".//{{{TEXT}}}tab") is not None):
            text = exact_text(span)
            mark = token(text, len(codes))
            codes[mark] = text
            tail = span.tail
            span.clear()
            span.set(f"{{{TEXT}}}style-name", "Source_Text")
            span.text, span.tail = mark, tail
    runs: list[list] = []
    for p in content.iter(f"{{{TEXT}}}p"):
        if not preformatted(p):
            continue
        prev = p.getprevious()
        if runs and prev is not None and prev is runs[-1][-1]:
            runs[-1].append(p)
        else:
            runs.append([p])
    if not runs and not codes:
        return raw, {}
    for run in runs:
        text = "\n".join(exact_text(p) for p in run).strip("\n")
        mark = token(text, len(codes))
        codes[mark] = text
        first = run[0]
        for p in run[1:]:
            first.getparent().remove(p)
        tail = first.tail
        first.clear()
        first.text, first.tail = mark, tail
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as w:
        for info in z.infolist():
            data = etree.tostring(content, xml_declaration=True, encoding="UTF-8") \
                if info.filename == "content.xml" else z.read(info)
            w.writestr(info, data)
    return out.getvalue(), codes


def _fixed_fonts(*roots) -> set[str]:
    """The font faces the document declares fixed-pitch (or, undeclared, names so)."""
    out = set()
    for root in roots:
        for face in ([] if root is None else root.iter(f"{{{STYLE}}}font-face")):
            pitch = face.get(f"{{{STYLE}}}font-pitch")
            name = face.get(f"{{{STYLE}}}name", "")
            if pitch == "fixed" or (pitch is None and FIXED_NAMES.search(name)):
                out.add(name)
    return out


def exact_text(p) -> str:
    """A paragraph's text as ODF defines it: runs of white space in the XML are one space
    (none at the paragraph's start); <text:s/>, <text:tab/> and <text:line-break/> are
    the spaces, tabs and line breaks the author typed."""
    out: list[str] = []
    loose = [True]          # may the next white space in the XML be dropped?

    def xml_text(s: str | None):
        if not s:
            return
        s = re.sub(r"[ \t\r\n]+", " ", s)
        if loose[0] and s.startswith(" "):
            s = s[1:]
        if s:
            out.append(s)
            loose[0] = s.endswith(" ")

    def visit(el):
        xml_text(el.text)
        for child in el:
            if child.tag == f"{{{TEXT}}}s":
                out.append(" " * int(child.get(f"{{{TEXT}}}c", "1") or 1))
                loose[0] = False
            elif child.tag == f"{{{TEXT}}}tab":
                out.append("\t")
                loose[0] = False
            elif child.tag == f"{{{TEXT}}}line-break":
                out.append("\n")
                loose[0] = True
            elif child.tag not in SKIPPED:
                visit(child)
            xml_text(child.tail)

    visit(p)
    return "".join(out)


def odt_metadata(raw: bytes) -> dict:
    """ODT keeps title, creator, date, language, description and keywords in meta.xml."""
    import io
    import zipfile

    from lxml import etree

    try:
        xml = zipfile.ZipFile(io.BytesIO(raw)).read("meta.xml")
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except (KeyError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return {}
    ns = {"dc": "http://purl.org/dc/elements/1.1/",
          "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"}

    def first(path):
        found = [" ".join(e.text.split()) for e in root.iterfind(path, ns) if e.text]
        return found[0] if found and found[0] else None

    out = {"title": first(".//dc:title"), "description": first(".//dc:description"),
           "language": first(".//dc:language"),
           "author": first(".//meta:initial-creator") or first(".//dc:creator"),
           "date": (first(".//meta:creation-date") or first(".//dc:date") or "")[:10] or None}
    keywords = [" ".join(e.text.split()) for e in root.iterfind(".//meta:keyword", ns) if e.text]
    if keywords:
        out["subjects"] = keywords
    return {k: v for k, v in out.items() if v}
