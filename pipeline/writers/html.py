"""The web edition: one self-contained page, and for texts with chapters a small site.

Both are built from the same reading units (``doc.chapters``).  Each unit keeps its notes
at its end, linked both ways, so a note is never more than a chapter away from its
reference, and a chapter page of the site is complete on its own.  Everything is inline
(one stylesheet, no scripts, no images from anywhere) but the site's font files, beside
its pages; the one-page edition embeds its fonts too, so it makes no request at all.  The
fonts are the print edition's, subset to the characters the text uses.
"""
from __future__ import annotations

import base64
import json
import re

from lxml import etree

from .. import cache, fonts
from ..document import HEADINGS, contents_title, synopsis
from .base import Format, Output, css, note_id, note_refs, page_key, render, verse_lines

# Interface words, by language; anything else falls back to English.
LABELS = {
    "en": {"skip": "Skip to the text", "contents": "Contents", "notes": "Notes",
           "back": "Back to the text", "prev": "Previous", "next": "Next",
           "one_page": "Read on one page", "start": "Start reading", "translated": "Translated by",
           "pager": "Previous and next chapter"},
    "fr": {"skip": "Aller au texte", "contents": "Table des matières", "notes": "Notes",
           "back": "Retour au texte", "prev": "Précédent", "next": "Suivant",
           "one_page": "Lire sur une seule page", "start": "Commencer la lecture",
           "translated": "Traduit par", "pager": "Chapitre précédent et suivant"},
    "de": {"skip": "Zum Text springen", "contents": "Inhalt", "notes": "Anmerkungen",
           "back": "Zurück zum Text", "prev": "Zurück", "next": "Weiter",
           "one_page": "Auf einer Seite lesen", "start": "Mit dem Lesen beginnen",
           "translated": "Übersetzt von", "pager": "Vorheriges und nächstes Kapitel"},
    "es": {"skip": "Ir al texto", "contents": "Índice", "notes": "Notas",
           "back": "Volver al texto", "prev": "Anterior", "next": "Siguiente",
           "one_page": "Leer en una sola página", "start": "Empezar a leer",
           "translated": "Traducción de", "pager": "Capítulo anterior y siguiente"},
    "it": {"skip": "Vai al testo", "contents": "Indice", "notes": "Note",
           "back": "Torna al testo", "prev": "Precedente", "next": "Successivo",
           "one_page": "Leggi in una sola pagina", "start": "Inizia a leggere",
           "translated": "Traduzione di", "pager": "Capitolo precedente e successivo"},
    "ru": {"skip": "Перейти к тексту", "contents": "Содержание", "notes": "Примечания",
           "back": "Вернуться к тексту", "prev": "Назад", "next": "Далее",
           "one_page": "Читать на одной странице", "start": "Начать чтение",
           "translated": "Перевод", "pager": "Предыдущая и следующая глава"},
    "fa": {"skip": "پرش به متن", "contents": "فهرست مطالب", "notes": "یادداشت‌ها",
           "back": "بازگشت به متن", "prev": "قبلی", "next": "بعدی",
           "one_page": "خواندن در یک صفحه", "start": "شروع خواندن", "translated": "ترجمهٔ",
           "pager": "فصل قبلی و بعدی"},
    "ar": {"skip": "انتقل إلى النص", "contents": "المحتويات", "notes": "الحواشي",
           "back": "العودة إلى النص", "prev": "السابق", "next": "التالي",
           "one_page": "اقرأ في صفحة واحدة", "start": "ابدأ القراءة", "translated": "ترجمة",
           "pager": "الفصل السابق والتالي"},
    "he": {"skip": "דילוג לטקסט", "contents": "תוכן העניינים", "notes": "הערות",
           "back": "חזרה לטקסט", "prev": "הקודם", "next": "הבא",
           "one_page": "קריאה בעמוד אחד", "start": "התחלת קריאה", "translated": "תרגום",
           "pager": "הפרק הקודם והבא"},
    "zh": {"skip": "跳到正文", "contents": "目录", "notes": "注释", "back": "返回正文",
           "prev": "上一章", "next": "下一章", "one_page": "单页阅读", "start": "开始阅读",
           "translated": "译者", "pager": "上一章和下一章"},
}


def labels(language: str) -> dict:
    return LABELS.get(language.split("-")[0].lower(), LABELS["en"])


def page_name(chapter) -> str:
    return f"chapter-{chapter.number:04d}.html"


# -- one reading unit ----------------------------------------------------------------
def _shift_headings(section, shift: int, prev: int) -> int:
    """Move headings by ``shift`` levels, never deeper than one below the heading before
    (``prev``): a source that jumps from # to ### must not skip a level on the web."""
    for h in section.iter(*HEADINGS):
        level = min(6, max(1, int(h.tag[1]) + shift), prev + 1)
        h.tag, prev = f"h{level}", level
    return prev


def _notes_for(doc, section, label: str, words: dict):
    """Append the unit's notes to it: an ordered list, each note linking back."""
    items: list = []
    for ref in note_refs(section):
        nid = note_id(ref)
        li = doc.notes.get(nid)
        if li is None or not ref.get("id"):
            continue
        note = etree.fromstring(etree.tostring(li))
        number = re.sub(r"\D", "", nid) or str(len(items) + 1)
        note.set("value", number)
        back = etree.Element("a", {"href": f"#{ref.get('id')}", "class": "footnote-back",
                                   "role": "doc-backlink",
                                   "aria-label": f"{words['back']} ({number})"})
        back.text = "↩\ufe0e"
        target = note[-1] if len(note) and note[-1].tag == "p" else note
        if len(target):
            target[-1].tail = (target[-1].tail or "").rstrip() + " "
        else:
            target.text = (target.text or "").rstrip() + " "
        target.append(back)
        items.append(note)
    if not items:
        return
    box = etree.SubElement(section, "section", {"class": "footnotes", "role": "doc-endnotes",
                                                "aria-label": label})
    ol = etree.SubElement(box, "ol")
    ol.extend(items)


def unit_html(doc, chapter, shift: int, prev: int, notes_label: str, words: dict,
              pages: dict[str, str] | None = None, here: str = "") -> tuple[str, int]:
    """A unit's section, headings shifted, notes appended, and its last heading level;
    with ``pages`` (id -> page), links to ids on other pages are rewritten to go there."""
    section = etree.fromstring(etree.tostring(chapter.element))
    section.set("id", chapter.id or f"unit-{chapter.number}")
    if next(section.iter(*HEADINGS), None) is None:
        section.tag = "div"   # a section without a heading is just a division of the text
    prev = _shift_headings(section, shift, prev)
    for block in section.xpath('.//div[contains(concat(" ", @class, " "), " line-block ")]'):
        for line in verse_lines(block):    # a box per line: a turned line hangs under it
            if line.text or len(line):
                line.tail = "\n"
                block.append(line)
    _notes_for(doc, section, notes_label, words)
    if pages is not None:
        for a in section.iter("a"):
            href = a.get("href", "")
            if href.startswith("#") and pages.get(href[1:], here) != here:
                a.set("href", pages[href[1:]] + href)
    return etree.tostring(section, encoding=str, method="html"), prev


def _notes_labels(doc, words: dict) -> list[str]:
    """An accessible name per unit's notes, unique on the page (landmarks must be)."""
    seen: dict = {}
    out: list = []
    for ch in doc.chapters:
        label = f"{words['notes']}: {ch.title}"
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


# -- metadata, contents --------------------------------------------------------------
def given_date(doc) -> str:
    """The metadata's date as precise as it is given (1998-11), never with an invented day."""
    given = str(doc.meta.get("date") or "")[:10]
    return given if re.fullmatch(r"\d{4}(-\d\d){0,2}", given) else ""


def json_ld(doc) -> str:
    kind = "Book" if len(doc.chapters) > 1 else "CreativeWork"
    data = {"@context": "https://schema.org", "@type": kind, "name": doc.title,
            "inLanguage": doc.language}
    meta = doc.meta
    if meta.get("subtitle"):
        data["alternativeHeadline"] = str(meta["subtitle"])
    if doc.authors:
        data["author"] = [{"@type": "Person", "name": a} for a in doc.authors]
    translators = meta.get("translator") or []
    if translators:
        data["translator"] = [{"@type": "Person", "name": str(t)} for t in
                              (translators if isinstance(translators, list) else [translators])]
    if given_date(doc):
        data["datePublished"] = given_date(doc)
    for key, prop in (("description", "description"), ("rights", "copyrightNotice"),
                      ("source", "isBasedOn")):
        if meta.get(key):
            data[prop] = str(meta[key])
    if meta.get("publisher"):
        data["publisher"] = {"@type": "Organization", "name": str(meta["publisher"])}
    if meta.get("subjects"):
        subjects = meta["subjects"]
        data["keywords"] = subjects if isinstance(subjects, list) else [subjects]
    data["identifier"] = doc.identifier
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/")


def contents(doc, link) -> list[dict]:
    """The table of contents as a tree: parts hold the chapters that follow them."""
    tree, part = [], None
    for ch in doc.chapters:
        entry = {"title": contents_title(ch.title, ch.element) or str(ch.number),
                 "href": link(ch), "kind": ch.kind, "children": [], "number": ch.number,
                 "synopsis": synopsis(ch.element)}
        if ch.kind == "part":
            part = entry
            tree.append(entry)
        elif part is not None and ch.kind == "chapter":
            part["children"].append(entry)
        else:
            tree.append(entry)
    return tree


def _context(doc) -> dict:
    translators = doc.meta.get("translator") or []
    return {"doc": doc, "words": labels(doc.language), "json_ld": json_ld(doc),
            "date": given_date(doc),
            "translators": translators if isinstance(translators, list) else [translators],
            "stylesheet": css("base.css", "web.css")}


# -- the typeface ----------------------------------------------------------------------
def font_faces(page: str, url, typefaces: fonts.Typefaces) -> tuple[str, dict[str, bytes]]:
    """@font-face rules for the book's typeface, and for the typeface of its script when
    Literata lacks it (Amiri for Arabic, Frank Ruhl Libre for Hebrew, as in print), each
    subset to the characters of ``page`` (bold only if the page sets anything in bold),
    and the font files by name; ``url(name, data)`` says where a rule finds its file."""
    bold = re.search(r'<(strong|b|th)\b(?![^>]*class="speaker")', page) is not None
    characters = "".join(sorted(set(page)))
    script = typefaces.script
    families = [(fonts.FAMILY, typefaces.faces), *([script[0::2]] if script else [])]
    rules, files = [], {}
    for family, faces in families:
        for face in faces:
            if face.weight > 400 and not bold:
                continue
            data = typefaces.subset(face, characters)
            name = f"{face.path.stem}.woff2"
            files[name] = data
            rules.append(f'@font-face {{ font-family: "{family}"; '
                         f'src: url("{url(name, data)}") format("woff2"); font-weight: {face.weight}; '
                         f"font-style: {face.style}; font-display: swap; }}")
    if script:      # its letters from the script's face, the rest from Literata
        rules.append(f'html body {{ font-family: "{fonts.FAMILY}", "{script[0]}", serif; }}')
    return "\n".join(rules) + "\n", files


def with_fonts(page: str, rules: str) -> bytes:
    return page.replace("<style>\n", "<style>\n" + rules, 1).encode("utf-8")


def embedded(name: str, data: bytes) -> str:
    return "data:font/woff2;base64," + base64.b64encode(data).decode("ascii")


# -- the writers ---------------------------------------------------------------------
def write_html(doc, options=None) -> bytes:
    """One page holding the whole text."""
    ctx = _context(doc)
    top = min((ch.level for ch in doc.chapters if ch.kind != "section"), default=1)
    names = _notes_labels(doc, ctx["words"])
    units, prev = [], 1          # the title is the page's h1
    for ch, name in zip(doc.chapters, names):
        html, prev = unit_html(doc, ch, 2 - top, prev, name, ctx["words"])
        units.append(html)
    toc = contents(doc, lambda ch: f"#{ch.id or f'unit-{ch.number}'}")
    page = render("html.html", units=units, toc=toc, **ctx)
    return with_fonts(page, font_faces(page, embedded, doc.fonts)[0])


SHORT_PAGE = 3000          # characters: most units shorter than this (poems) are grouped
GROUP_UNITS = 8            # ... when parts hold this many of them on average


def site_pages(doc) -> list[list]:
    """The site's pages, each a list of units: one unit a page, or, for a collection of
    short pieces (poems) in parts, one part with its pieces a page."""
    chapters = doc.chapters
    lengths = sorted(len("".join(c.element.itertext())) for c in chapters if c.kind == "chapter")
    parts = sum(c.kind == "part" for c in chapters)
    if not lengths or not parts or lengths[len(lengths) // 2] >= SHORT_PAGE \
            or len(lengths) < GROUP_UNITS * parts:
        return [[ch] for ch in chapters]
    groups: list[list] = []
    for ch in chapters:
        if ch.kind == "chapter" and groups and groups[-1][0].kind == "part":
            groups[-1].append(ch)
        else:
            groups.append([ch])
    return groups


def write_html_pages(doc, options=None) -> dict[str, bytes] | None:
    """A page per reading unit (or per part of short units), an index with the contents;
    None for a single unit."""
    chapters = doc.chapters
    if len(chapters) < 2:
        return None
    ctx = _context(doc)
    words = ctx["words"]
    groups = site_pages(doc)
    first = {ch.number: group[0] for group in groups for ch in group}
    pages: dict[str, str] = {}
    for ch in chapters:
        for el in ch.element.iter():
            if el.get("id"):
                pages.setdefault(el.get("id"), page_name(first[ch.number]))
        pages.setdefault(ch.id, page_name(first[ch.number]))

    def link(ch) -> str:
        return page_name(ch) if first[ch.number] is ch else f"{page_name(first[ch.number])}#{ch.id}"

    toc = contents(doc, link)
    # The contents are the same on every page but for the current entry: render them once.
    toc_html = render("html-toc.html", toc=toc, current=None)
    files = {"index.html": render("html-index.html", toc=toc, first=page_name(chapters[0]),
                                  **ctx)}
    labels_of = dict(zip((c.number for c in chapters), _notes_labels(doc, words)))
    store = cache.active()
    for i, group in enumerate(groups):
        ch, units, prev = group[0], [], None
        has_heading = any(True for _ in ch.element.iter(*HEADINGS))
        for unit in group:
            shift = 1 - ch.level if has_heading else 0
            body, prev = unit_html(doc, unit, shift, prev if prev is not None else
                                   (0 if has_heading else 1),
                                   labels_of[unit.number] if len(group) > 1 else words["notes"],
                                   words, pages,
                                   page_name(ch))
            units.append(body)
        here = toc_html.replace(f'href="{page_name(ch)}"',
                                f'href="{page_name(ch)}" aria-current="page"', 1)
        before = groups[i - 1][0] if i else None
        after = groups[i + 1][0] if i + 1 < len(groups) else None
        # A page whose inputs did not change is taken from the build's cache.
        name = page_key("html", doc, ch.title, units, has_heading, len(group) > 1, here,
                        *[(page_name(c), c.title) if c else None for c in (before, after)],
                        ctx["json_ld"], ctx["date"], ctx["stylesheet"])
        cached = store.get(name)
        if cached is None:
            cached = render("html-page.html", chapter=ch, unit="\n".join(units),
                            has_heading=has_heading, grouped=len(group) > 1, toc_html=here,
                            prev=before, next=after, page_name=page_name, **ctx).encode("utf-8")
            store.put(name, cached)
        files[page_name(ch)] = cached.decode("utf-8")
    # One set of font files for the whole site, beside the pages.
    rules, fonts_used = font_faces("".join(files.values()), lambda name, _: f"fonts/{name}",
                                   doc.fonts)
    return {**{name: with_fonts(page, rules) for name, page in files.items()},
            **{f"fonts/{name}": data for name, data in fonts_used.items()}}


FORMAT = Format(
    "html", rank=1,
    about="the web edition: one self-contained page; for texts with chapters, a page per chapter",
    outputs=(Output("{slug}.html", write_html, "Web page", "text/html", rank=3),
             Output("html", write_html_pages, "Web, a page per chapter", "text/html",
                    kind="site", listed="html/index.html", rank=4)),
    # the fonts it embeds are cut and subset by fonts.py with fontTools (WOFF2: brotli)
    depends=("fonts.py", "data/css/web.css", "data/templates/html*"),
    tools=("Jinja2", "fonttools", "brotli", "fontpkg-literata", "fontpkg-amiri",
           "fontpkg-frank-ruhl-libre"),
    validators=("pipeline.check:check_pages",),
    warm=fonts.faces)       # cut once before the build forks, not in each worker
