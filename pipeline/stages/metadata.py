"""Final metadata: what the text shows (title, language), overridden by the sidecar."""
from __future__ import annotations

import re

ORDER = ["title", "subtitle", "author", "translator", "date", "language", "publisher",
         "rights", "identifier", "description", "subjects"]


def detect_language(text: str) -> str | None:
    sample = re.sub(r"[\\*_:#>\[\]]", " ", text[:20000])
    if len(sample.split()) < 5 and not re.search(r"[\u3000-\u9fff]", sample):
        return None
    import py3langid

    lang, _ = py3langid.classify(sample)
    return lang


def run(draft):
    meta = dict(draft.meta)
    if "language" in meta:
        meta["language"] = _language_code(meta["language"]) or meta.pop("language")
    if "language" not in meta and "language" not in draft.sidecar:
        lang = detect_language(draft.text)
        if lang:
            meta["language"] = lang
    meta.update(draft.sidecar)
    draft.meta = {k: meta[k] for k in ORDER if k in meta} | {
        k: v for k, v in meta.items() if k not in ORDER}
    return draft


NAMES = {"english": "en", "french": "fr", "german": "de", "chinese": "zh", "spanish": "es",
         "italian": "it", "russian": "ru", "latin": "la", "dutch": "nl", "portuguese": "pt"}


def _language_code(value) -> str | None:
    value = str(value).strip()
    if re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]+)*", value):
        return value
    return NAMES.get(value.lower())
