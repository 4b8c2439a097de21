"""Bytes to clean Unicode text: BOM, encoding detection, line ends, mojibake, NFC, controls.

Every repair is reported with the line it happened on (capped, so a badly damaged file
does not drown the report).
"""
from __future__ import annotations

import re
import unicodedata

# C0/C1 controls other than tab and newline (form feed included: it is a page break).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MILD_CONTROL = re.compile(r"[\x07\x0c\x1a\x1b\x7f-\x9f]")
MAX_REPORTS = 20


def _detect(raw: bytes, report) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        report.info(1, "I-BOM", "removed the UTF-8 byte-order mark")
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = raw[: exc.start].count(b"\n") + 1
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    encoding = best.encoding if best is not None else None
    if encoding is None:
        raise report.fail(bad_line, "E-DECODE", "the file is not text in any encoding I can "
                          "detect; save it as UTF-8 and build again")
    # charset-normalizer often names a sibling of Latin-1; cp1252 is its superset except for
    # five undefined bytes, and its curly quotes are what such files usually mean.
    if encoding in {"latin_1", "iso8859_15", "cp1250", "cp1252", "iso8859_2", "mac_roman"}:
        encoding = "cp1252" if not re.search(rb"[\x81\x8d\x8f\x90\x9d]", raw) else "latin_1"
    report.info(bad_line, "I-ENCODING", f"decoded as {encoding} (not UTF-8); "
                "save the file as UTF-8 to skip detection")
    return raw.decode(encoding, errors="replace")


def _report_lines(report, old: str, new: str, code: str, message: str, say=None) -> None:
    """Report each line that differs (same line count on both sides)."""
    say = say or report.info
    old_lines, new_lines = old.split("\n"), new.split("\n")
    if len(old_lines) != len(new_lines):
        say(None, code, message)
        return
    count = 0
    for n, (a, b) in enumerate(zip(old_lines, new_lines), 1):
        if a != b:
            count += 1
            if count <= MAX_REPORTS:
                say(n, code, message)
    if count > MAX_REPORTS:
        say(None, code, f"{message} ({count - MAX_REPORTS} more lines)")


def decode_text(raw: bytes, report) -> str:
    text = _detect(raw, report)
    if "\r" in text:
        crlf = text.count("\r\n")
        lone = text.count("\r") - crlf
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        kinds = " and ".join(k for k, n in (("CRLF", crlf), ("CR", lone)) if n)
        report.info(1, "I-LINE-ENDS", f"converted {kinds} line ends to LF")
    import ftfy

    # ftfy fixes line by line, and a line of ASCII has nothing for it to fix.
    fixed = "\n".join(line if line.isascii() else ftfy.fix_text(
        line, normalization="NFC", uncurl_quotes=False, fix_line_breaks=False,
        fix_latin_ligatures=False, fix_character_width=False, remove_control_chars=False,
        unescape_html=False) for line in text.split("\n"))
    if fixed != text:
        _report_lines(report, text, fixed, "I-MOJIBAKE", "repaired mis-decoded characters")
    nfc = unicodedata.normalize("NFC", fixed)
    if nfc != fixed:
        _report_lines(report, fixed, nfc, "I-NFC", "composed characters to Unicode NFC")
    # A form feed is a page break, and the odd bell or escape is noise; NUL and the rest
    # of C0 are damage (an old DOS file, a truncated export) the user should hear about.
    clean = MILD_CONTROL.sub("", nfc)
    if clean != nfc:
        _report_lines(report, nfc, clean, "I-CONTROL", "removed stray control characters")
    cleaner = CONTROL.sub("", clean)
    if cleaner != clean:
        _report_lines(report, clean, cleaner, "W-CONTROL", "removed NUL or other control "
                      "characters (damage from an old or broken export); check the line",
                      report.warn)
    return cleaner


def run(draft):
    draft.text = decode_text(draft.raw, draft.report)
    return draft
