"""Code in a Word document that pandoc would read as prose.

pandoc makes a code block only of its own "Source Code" style.  Word users set code in
"HTML Preformatted" or "Plain Text", or in a fixed-pitch font on Normal paragraphs (the
font table says which fonts are fixed-pitch).  Each run of such paragraphs is set aside
with its exact text (``w:t``, ``w:tab``, ``w:br``) and comes back a code block
(``verbatim``); a stretch of fixed-pitch runs inside prose is inline code.  Where most
paragraphs are in a fixed-pitch font (a manuscript typed in Courier), the font says
nothing and only the styles count.
"""
from __future__ import annotations

import io
import zipfile

from lxml import etree

from .verbatim import FIXED_NAMES, token

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CODE_STYLES = {"html preformatted", "plain text", "preformatted text", "code", "code block"}


def _w(name: str) -> str:
    return f"{{{W}}}{name}"


def _xml(data: bytes):
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


class Styles:
    """Paragraph and character styles: name, parent, font; and the fixed-pitch fonts."""

    def __init__(self, styles, fonts):
        self.name: dict[str, str] = {}
        self.parent: dict[str, str] = {}
        self.font: dict[str, str] = {}
        for st in ([] if styles is None else styles.iter(_w("style"))):
            sid = st.get(_w("styleId"), "")
            name = st.find(_w("name"))
            self.name[sid] = (name.get(_w("val"), "") if name is not None else sid).lower()
            based = st.find(_w("basedOn"))
            if based is not None:
                self.parent[sid] = based.get(_w("val"), "")
            font = _font_of(st.find(_w("rPr")))
            if font:
                self.font[sid] = font
        self.fixed = {f.get(_w("name")) for f in ([] if fonts is None else fonts.iter(_w("font")))
                      if (p := f.find(_w("pitch"))) is not None and p.get(_w("val")) == "fixed"}
        known = {f.get(_w("name")) for f in ([] if fonts is None else fonts.iter(_w("font")))}
        self.unknown_fixed = lambda name: name not in known and bool(FIXED_NAMES.search(name))

    def chain(self, sid: str | None):
        seen = set()
        while sid and sid not in seen:
            yield sid
            seen.add(sid)
            sid = self.parent.get(sid)

    def font_of(self, sid: str | None) -> str | None:
        return next((self.font[s] for s in self.chain(sid) if s in self.font), None)

    def is_fixed(self, font: str | None) -> bool:
        return bool(font) and (font in self.fixed or self.unknown_fixed(font))


def _font_of(rpr) -> str | None:
    fonts = rpr.find(_w("rFonts")) if rpr is not None else None
    return None if fonts is None else fonts.get(_w("ascii")) or fonts.get(_w("hAnsi"))


def mark_code(raw: bytes) -> tuple[bytes, dict[str, str]]:
    """The DOCX with each run of code paragraphs replaced by a token paragraph, and
    token -> the run's exact text.  The file unchanged if it has none."""
    try:
        z = zipfile.ZipFile(io.BytesIO(raw))
        names = set(z.namelist())
        document = _xml(z.read("word/document.xml"))
        styles = Styles(_xml(z.read("word/styles.xml")) if "word/styles.xml" in names else None,
                        _xml(z.read("word/fontTable.xml")) if "word/fontTable.xml" in names else None)
    except (KeyError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return raw, {}
    paragraphs = [p for p in document.iter(_w("p")) if exact_text(p).strip()]
    by_style = {id(p) for p in paragraphs if _code_style(p, styles)}
    by_font = {id(p) for p in paragraphs if _fixed_font(p, styles)}
    manuscript = len(by_font) > len(paragraphs) / 2     # a whole text in Courier: not code
    if manuscript:
        by_font = set()
    inline = 0 if manuscript else sum(_inline_code(p, styles) for p in paragraphs
                                      if id(p) not in by_style | by_font)
    runs: list[list] = []
    for p in document.iter(_w("p")):
        blank = not exact_text(p).strip()
        if id(p) in by_style or id(p) in by_font or (blank and runs and _follows(p, runs[-1])):
            if runs and _follows(p, runs[-1]):
                runs[-1].append(p)
            elif not blank:
                runs.append([p])
    codes: dict[str, str] = {}
    for run in runs:
        while run and not exact_text(run[-1]).strip():
            run.pop()
        text = "\n".join(exact_text(p) for p in run)
        mark = token(text, len(codes))
        codes[mark] = text
        for p in run[1:]:
            p.getparent().remove(p)
        first = run[0]
        tail = first.tail
        first.clear()
        etree.SubElement(etree.SubElement(first, _w("r")), _w("t")).text = mark
        first.tail = tail
    if not codes and not inline:
        return raw, {}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as w:
        for info in z.infolist():
            data = etree.tostring(document, xml_declaration=True, encoding="UTF-8",
                                  standalone=True) if info.filename == "word/document.xml" \
                else z.read(info)
            w.writestr(info, data)
    return out.getvalue(), codes


def _follows(p, run: list) -> bool:
    return p.getprevious() is run[-1]


def _style(p) -> str | None:
    ppr = p.find(_w("pPr"))
    style = ppr.find(_w("pStyle")) if ppr is not None else None
    return style.get(_w("val")) if style is not None else None


def _code_style(p, styles: Styles) -> bool:
    chain = [styles.name.get(s, s.lower()) for s in styles.chain(_style(p))]
    return any(name in CODE_STYLES for name in chain) and "source code" not in chain


def _run_font(r, p, styles: Styles) -> str | None:
    """A run's font: its own, its character style's, or its paragraph style's."""
    rpr = r.find(_w("rPr"))
    rstyle = rpr.find(_w("rStyle")) if rpr is not None else None
    return _font_of(rpr) or (styles.font_of(rstyle.get(_w("val"))) if rstyle is not None
                             else None) or styles.font_of(_style(p))


def _inline_code(p, styles: Styles) -> int:
    """Runs in a fixed-pitch font inside prose are inline code: each stretch of them is
    joined into one run in pandoc's "Verbatim Char" style, which pandoc reads as code
    with its spaces.  Returns how many stretches."""
    if "source code" in [styles.name.get(s, "") for s in styles.chain(_style(p))]:
        return 0
    stretches: list[list] = []
    for r in p.iter(_w("r")):
        text = "".join(t.text or "" for t in r.iter(_w("t")))
        if text and styles.is_fixed(_run_font(r, p, styles)) and r.find(_w("drawing")) is None:
            if stretches and r.getprevious() is stretches[-1][-1]:
                stretches[-1].append(r)
            else:
                stretches.append([r])
    for stretch in stretches:
        first = stretch[0]
        text = "".join(exact_text(r) for r in stretch)
        for r in stretch[1:]:
            r.getparent().remove(r)
        rpr = first.find(_w("rPr"))
        rpr = etree.Element(_w("rPr")) if rpr is None else rpr
        for old in rpr.findall(_w("rStyle")):
            rpr.remove(old)
        rpr.insert(0, etree.Element(_w("rStyle")))
        rpr[0].set(_w("val"), "VerbatimChar")
        for child in list(first):
            first.remove(child)
        first.append(rpr)
        t = etree.SubElement(first, _w("t"))
        t.text = text
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return len(stretches)


def _fixed_font(p, styles: Styles) -> bool:
    """Every run with text is in a fixed-pitch font (its own, its character style's, or
    its paragraph style's); pandoc's own Source Code paragraphs and list items aside."""
    ppr = p.find(_w("pPr"))
    if ppr is not None and ppr.find(_w("numPr")) is not None:
        return False
    if "source code" in [styles.name.get(s, "") for s in styles.chain(_style(p))]:
        return False
    runs = [r for r in p.iter(_w("r")) if "".join(t.text or "" for t in r.iter(_w("t"))).strip()]
    if not runs:
        return False
    return all(styles.is_fixed(_run_font(r, p, styles)) for r in runs)


def exact_text(p) -> str:
    """A paragraph's text as typed: tabs and line breaks included, deleted text and field
    codes not."""
    out = []
    for el in p.iter(_w("t"), _w("tab"), _w("br"), _w("cr")):
        if el.tag == _w("t"):
            out.append(el.text or "")
        elif el.tag == _w("tab"):
            if el.getparent() is not None and el.getparent().tag == _w("r"):
                out.append("\t")
        elif el.get(_w("type")) in (None, "textWrapping"):
            out.append("\n")
    return "".join(out)
