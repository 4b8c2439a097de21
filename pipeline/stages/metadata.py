"""Final metadata: what the text shows (title, author, language …), overridden by the
sidecar.  Nothing is invented: a field is set only when the source states it."""
from __future__ import annotations

import re

ORDER = ["title", "subtitle", "author", "translator", "editor", "illustrator", "published",
         "date", "language", "publisher", "rights", "identifier", "description", "subjects"]
NAMES = {"english": "en", "french": "fr", "german": "de", "chinese": "zh", "spanish": "es",
         "italian": "it", "russian": "ru", "latin": "la", "dutch": "nl", "portuguese": "pt",
         "japanese": "ja", "greek": "el", "swedish": "sv", "danish": "da", "finnish": "fi",
         "norwegian": "no", "polish": "pl", "hungarian": "hu", "czech": "cs", "korean": "ko",
         "arabic": "ar", "hebrew": "he", "esperanto": "eo", "catalan": "ca", "welsh": "cy",
         "tagalog": "tl", "persian": "fa", "turkish": "tr"}


def detect_language(text: str) -> str | None:
    sample = re.sub(r"[\\*_:#>\[\]]", " ", text[:20000])
    if len(sample.split()) < 5 and not re.search(r"[\u3000-\u9fff]", sample):
        return None
    import py3langid

    lang, _ = py3langid.classify(sample)
    return lang


def language_code(value) -> str | None:
    value = str(value).strip()
    if re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]+)*", value):
        return value
    return NAMES.get(value.lower())


# A dateline standing alone (``HARTFORD, 1876.``, ``Bentinck Street, February 1, 1776.``).
MONTHS = ("january february march april may june july august september october november "
          "december").split()
DATELINE_YEAR = re.compile(r"^(?:[A-Z][\w’'.-]*(?: [\w’'.-]+){0,4},? )?(?:(?P<month>[A-Za-z]+)\.?,? "
                           r"(?:\d{1,2}(?:st|nd|rd|th)?,? )?)?(?P<year>1[5-9]\d\d|20\d\d)\.?$")
NUMBERED = re.compile(r"^(?:[IVXLCDM]+|\d+)\.(?:\s|$)")


def published_from_datelines(draft) -> int | None:
    """The year of first publication as the text itself dates it: the earliest year of a
    dateline standing alone in its front matter (a preface signed ``HARTFORD, 1876.``, a
    title page's year), before the first chapter or numbered piece.  A guess — the text may date a later edition — so
    --explain shows it with its line and a low confidence."""
    from . import headings as H

    found, front = [], True     # before any heading, or under a preface, a dedication …
    for b in getattr(draft, "blocks", None) or []:
        text = draft.markers.strip(b.text).strip() if b.kind in ("para", "heading") else ""
        if b.kind == "heading":
            m = H.label_match(text)
            if (m and H.rank_of(m.group("label")) >= 3) or NUMBERED.match(text):
                break
            front = bool(H.NAMED.match(text))
            continue
        m = DATELINE_YEAR.match(text) if front and len(text) <= 60 else None
        if m and (not m.group("month") or m.group("month").lower() in MONTHS):
            found.append((int(m.group("year")), b.line, text))
    if not found:
        return None
    year, line, text = min(found)
    draft.explain(line, "published", f"first published {year}? inferred from the dateline "
                  f"'{text}' in the front matter, confidence 0.5 (set `published` to be sure)")
    return year


def run(draft):
    meta = dict(draft.meta)
    if "published" not in draft.sidecar and "published" not in meta:
        year = published_from_datelines(draft)
        if year:
            meta["published"] = year
    if "language" in meta:
        code = language_code(meta["language"])
        if code:
            meta["language"] = code
        else:
            meta.pop("language")
    meta.update(draft.sidecar)
    draft.meta = {k: meta[k] for k in ORDER if k in meta} | {
        k: v for k, v in meta.items() if k not in ORDER}
    return draft
