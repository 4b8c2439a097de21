"""Bytes to clean Unicode text: BOM, encoding detection, mojibake, NFC, line ends."""
from __future__ import annotations

import re
import unicodedata

# C0/C1 controls other than tab and newline; form feed is kept out too.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _detect(raw: bytes, report) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise report.fail(1, "E-DECODE", "the file is not text in any encoding I can detect; "
                          "save it as UTF-8 and build again")
    encoding = best.encoding
    # charset-normalizer often names a cp125x sibling; cp1252 decodes all Latin-1 letters.
    if encoding in {"latin_1", "iso8859_15", "cp1250", "cp1252"}:
        encoding = "cp1252" if not re.search(rb"[\x81\x8d\x8f\x90\x9d]", raw) else "latin_1"
    report.info(1, "I-ENCODING", f"decoded as {encoding} (not UTF-8)")
    return raw.decode(encoding)


def run(draft):
    text = _detect(draft.raw, draft.report)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    import ftfy

    fixed = ftfy.fix_text(text, normalization="NFC", uncurl_quotes=False,
                          fix_line_breaks=False, fix_latin_ligatures=False,
                          fix_character_width=False)
    if fixed != text:
        old, new = text.split("\n"), fixed.split("\n")
        for n, (a, b) in enumerate(zip(old, new), 1):
            if a != b:
                draft.report.info(n, "I-MOJIBAKE", "repaired mis-decoded characters")
                break
    text = unicodedata.normalize("NFC", fixed)
    text, count = CONTROL.subn("", text)
    if count:
        draft.report.info(None, "I-CONTROL", f"removed {count} control characters")
    draft.text = text
    return draft
