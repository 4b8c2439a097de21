"""The web edition: one self-contained page, and for texts with chapters a small site.

Both are built from the same reading units (``doc.chapters``).  Each unit keeps its notes
at its end, linked both ways, so a note is never more than a chapter away from its
reference, and a chapter page of the site is complete on its own.  Everything is inline
(one stylesheet, no scripts, no fonts or images from anywhere): a page makes no request.
"""
from __future__ import annotations

import json
import re

from lxml import etree

from ..document import HEADINGS
from .base import Format, Output, css, note_id, note_refs, render

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
    if meta.get("date"):
        data["datePublished"] = doc.date.strftime("%Y-%m-%d")
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
        entry = {"title": ch.title or str(ch.number), "href": link(ch), "kind": ch.kind, "children": [],
                 "number": ch.number}
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
            "translators": translators if isinstance(translators, list) else [translators],
            "stylesheet": css("base.css", "web.css")}


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
    return render("html.html", units=units, toc=toc, **ctx).encode("utf-8")


def write_html_pages(doc, options=None) -> dict[str, bytes] | None:
    """A page per reading unit, an index with the contents; None for a single unit."""
    chapters = doc.chapters
    if len(chapters) < 2:
        return None
    ctx = _context(doc)
    words = ctx["words"]
    pages: dict[str, str] = {}
    for ch in chapters:
        for el in ch.element.iter():
            if el.get("id"):
                pages.setdefault(el.get("id"), page_name(ch))
        pages.setdefault(ch.id, page_name(ch))
    toc = contents(doc, page_name)
    # The contents are the same on every page but for the current entry: render them once.
    toc_html = render("html-toc.html", toc=toc, current=None)
    files = {"index.html": render("html-index.html", toc=toc, first=page_name(chapters[0]),
                                  **ctx).encode("utf-8")}
    for i, ch in enumerate(chapters):
        has_heading = any(True for _ in ch.element.iter(*HEADINGS))
        body, _ = unit_html(doc, ch, 1 - ch.level if has_heading else 0, 0 if has_heading else 1,
                            words["notes"], words, pages, page_name(ch))
        files[page_name(ch)] = render(
            "html-page.html", chapter=ch, unit=body, has_heading=has_heading,
            toc_html=toc_html.replace(f'href="{page_name(ch)}"', f'href="{page_name(ch)}" aria-current="page"', 1),
            prev=chapters[i - 1] if i else None,
            next=chapters[i + 1] if i + 1 < len(chapters) else None,
            page_name=page_name, **ctx).encode("utf-8")
    return files


FORMAT = Format(
    "html", rank=1,
    about="the web edition: one self-contained page; for texts with chapters, a page per chapter",
    outputs=(Output("{slug}.html", write_html, "Web page", "text/html", rank=3),
             Output("html", write_html_pages, "Web, a page per chapter", "text/html",
                    kind="site", listed="html/index.html", rank=4)),
    depends=("data/css/web.css", "data/templates/html*"),
    tools=("Jinja2",),
    validators=("pipeline.check:check_pages",))
