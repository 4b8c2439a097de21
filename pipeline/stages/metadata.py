"""Final metadata: what the text shows (title, author, language …), overridden by the
sidecar.  Nothing is invented: a field is set only when the source states it."""
from __future__ import annotations

import re

ORDER = ["title", "subtitle", "author", "translator", "editor", "illustrator", "date", "language",
         "publisher", "rights", "identifier", "description", "subjects"]
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


def run(draft):
    meta = dict(draft.meta)
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
