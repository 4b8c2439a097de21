"""Hostile and broken input: refuse what could harm, bound what could exhaust.

- ``check_source`` looks at a source file before anything parses it: empty, binary,
  links or paths leaving source/, XML entity declarations, zip bombs.
- ``sanitize_markdown`` removes raw HTML that could run, load or submit anything from a
  Markdown text (script, event handlers, iframes, forms, javascript: URLs, CSS), so it
  reaches no edition — not even the Markdown one.
- ``sanitize_fragment`` is the second line: nh3 (ammonia) over the HTML pandoc produced,
  with the small set of tags and attributes our writers use.
"""
from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

from .diagnostics import Report

# pandoc reads no file and fetches no URL (--sandbox), and its heap is bounded.  Its old
# generation is compacted in place (-c) rather than copied, with a small allocation area
# (-A1m): War and Peace's parse peaks at 405 MB instead of 513 MB (pandoc is the build's
# largest process) for about 0.6 s more of pandoc's CPU; the HTML is the same.
PANDOC_HEAP = os.environ.get("PIPELINE_PANDOC_HEAP", "2g")
PANDOC_LIMITS = ["--sandbox", "+RTS", f"-M{PANDOC_HEAP}", "-c", "-A1m", "-RTS"]
MAX_SOURCE_BYTES = 64 * 1024 * 1024
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
MAX_ZIP_RATIO = 200
BINARY_MAGIC = {
    b"%PDF": "a PDF", b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image", b"PK\x03\x04": "a zip archive (DOCX, EPUB, ODT…)",
    b"\x7fELF": "a program", b"\x1f\x8b": "a gzip archive", b"RIFF": "a media file",
}
ZIP_SUFFIXES = {".docx", ".odt", ".epub"}
XML_SUFFIXES = {".html", ".htm", ".xhtml", ".xml"}
ENTITY = re.compile(rb"<!ENTITY|<!DOCTYPE[^>]*\b(SYSTEM|PUBLIC)\b[^>]*\[", re.I)


def inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


MAX_LINE = 1 << 20     # a "line" longer than this is not text a person wrote


def check_source(path: Path, raw: bytes, report: Report, root: Path | None = None) -> None:
    """Raise a PipelineError (recorded in report) for input that must not be processed."""
    if root is not None and not inside(path, root):
        raise report.fail(None, "E-PATH", f"the source resolves outside {root} "
                          "(a symbolic link or ..); copy the file into the source folder")
    suffix = path.suffix.lower()
    if not raw.strip():
        raise report.fail(1, "E-EMPTY", "the file is empty; add text or remove the file")
    if len(raw) > MAX_SOURCE_BYTES:
        raise report.fail(None, "E-TOO-LARGE", f"the file is {len(raw) // 2**20} MiB; the limit is "
                          f"{MAX_SOURCE_BYTES // 2**20} MiB — split it into several texts")
    if suffix in ZIP_SUFFIXES:
        _check_zip(raw, report)
        return
    for magic, what in BINARY_MAGIC.items():
        if raw.startswith(magic):
            raise report.fail(1, "E-BINARY", f"this is {what}, not {suffix or 'a text'} "
                              "file; export it as text or give it its real extension")
    if _mostly_binary(raw) and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise report.fail(1, "E-BINARY", "the file is mostly control bytes: it is binary, not "
                          "text; export it as text or give it its real extension")
    longest, line = _longest_line(raw)
    if longest > MAX_LINE:
        raise report.fail(line, "E-LINE-TOO-LONG", f"line {line} is {longest:,} bytes long with no "
                          "line break; a text needs line breaks between paragraphs")
    entity = ENTITY.search(raw) if suffix in XML_SUFFIXES else None
    if entity:
        line = raw.count(b"\n", 0, entity.start()) + 1
        raise report.fail(line, "E-XML-ENTITY", "entity declarations and external DTDs are "
                          "refused (they can expand without bound or read local files)")


# Old DOS and word-processor text files carry a few NULs and other control bytes (decode
# removes them, with a warning per line); a binary file is full of them.
BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x19\x1b-\x1f]")
BINARY_SHARE = 0.10


def _mostly_binary(raw: bytes) -> bool:
    sample = raw[:1 << 16]
    return len(BINARY_BYTES.findall(sample)) > BINARY_SHARE * len(sample)


def _longest_line(raw: bytes) -> tuple[int, int]:
    longest, where, start, n = 0, 1, 0, 1
    while True:
        end = raw.find(b"\n", start)
        stop = len(raw) if end < 0 else end
        if stop - start > longest:
            longest, where = stop - start, n
        if end < 0:
            return longest, where
        start, n = end + 1, n + 1


def _check_zip(raw: bytes, report: Report) -> None:
    import io

    try:
        z = zipfile.ZipFile(io.BytesIO(raw))
        infos = z.infolist()
    except zipfile.BadZipFile:
        raise report.fail(None, "E-ZIP", "the file is not a valid zip container (DOCX, ODT and "
                          "EPUB are zip files); save it again from its program") from None
    total = sum(i.file_size for i in infos)
    if len(infos) > MAX_ZIP_ENTRIES or total > MAX_UNZIPPED_BYTES or \
            total > MAX_ZIP_RATIO * max(len(raw), 1):
        raise report.fail(None, "E-ZIP-BOMB", f"the archive unpacks to {total:,} bytes in "
                          f"{len(infos):,} entries; refusing to unpack it")
    for info in infos:
        if info.filename.lower().endswith((".xml", ".xhtml", ".html", ".opf", ".ncx", ".rels")):
            with z.open(info) as f:
                head = f.read(1 << 20)
            if ENTITY.search(head):
                raise report.fail(None, "E-XML-ENTITY", f"{info.filename} declares XML entities "
                                  "or an external DTD; refusing to read it")


# -- raw HTML in Markdown -----------------------------------------------------------------
DANGEROUS = {"script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
             "form", "input", "button", "textarea", "select", "option", "link", "meta", "base",
             "svg", "math", "template", "noscript", "video", "audio", "source", "track",
             "canvas", "portal", "picture", "param", "dialog"}
# Elements whose content goes with them (never void ones such as embed or img).
WITH_CONTENT = {"script", "style", "iframe", "object", "applet", "template",
                "noscript", "svg", "math", "frameset", "select", "textarea", "video", "audio",
                "canvas"}
SAFE_ATTRS = {"class", "id", "lang", "title", "dir", "align"}
TAG = re.compile(r"<(/?)([A-Za-z][\w:-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*(/?)>")
ATTR = re.compile(r"([^\s=>/]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")
COMMENT = re.compile(r"<!--.*?-->", re.S)
CODE = re.compile(r"^(```|~~~).*?^\1[^\n]*$|`+[^`\n]*`+", re.S | re.M)


# Links and images are what a README is made of: kept when they stay on the web or inside
# the source folder (the document stage then inlines a local image, or drops a remote one).
URL_ATTRS = {"a": {"href"}, "img": {"src"}}
IMAGE_ATTRS = {"alt", "width", "height"}
SAFE_URL = re.compile(r"(?i)(?:https?:|mailto:)|#|(?![a-z][a-z0-9+.-]*:)(?![/\\])(?!.*(?:^|[/\\])\.\.(?:[/\\]|$))")


def _clean_tag(m: re.Match) -> str:
    closing, name, attrs, selfclose = m.groups()
    kept = []
    for a in ATTR.finditer(attrs or ""):
        key, value = a.group(1).lower(), a.group(2)
        if key in URL_ATTRS.get(name.lower(), ()):
            url = (value or "").strip("\"'").strip()
            if not url or not SAFE_URL.match(url):
                continue
        elif key not in SAFE_ATTRS and not (name.lower() == "img" and key in IMAGE_ATTRS):
            continue
        kept.append(f"{key}={value}" if value else key)
    return f"<{closing}{name}{''.join(' ' + k for k in kept)}{selfclose}>"


def sanitize_markdown(text: str, report: Report, first_line: int = 1) -> str:
    """Drop dangerous raw HTML (with its content where it has any) and unsafe attributes.

    Code spans and blocks, and HTML comments (inert; the normalizer records removed
    contents lists in them), are left as they are.
    """
    if "<" not in text:
        return SCRIPT_URL.sub(lambda m: _drop_url(m, text, report, first_line), text)
    # Raw HTML in pandoc's raw attribute syntax (`<x>`{=html}, ```{=html} blocks) is HTML
    # too, though it looks like code: sanitize what is inside, drop it if nothing is left.
    text = RAW_HTML.sub(lambda m: _clean_raw(m, report, text, first_line), text)
    out = []
    protected = [(m.start(), m.end()) for m in CODE.finditer(text)] + \
        [(m.start(), m.end()) for m in COMMENT.finditer(text)]

    def in_code(i):
        return any(a <= i < b for a, b in protected)

    def line_of(i):
        return text.count("\n", 0, i) + first_line

    removed: dict[tuple[str, int], None] = {}     # each removal at its line, in order
    i = 0
    while True:
        m = TAG.search(text, i)
        if not m:
            break
        if in_code(m.start()):
            out.append(text[i:m.end()])
            i = m.end()
            continue
        name = m.group(2).lower()
        out.append(text[i:m.start()])
        if name in DANGEROUS:
            removed[(name, line_of(m.start()))] = None
            i = m.end()
            if name in WITH_CONTENT and not m.group(1) and not m.group(4):
                end = re.compile(rf"</{re.escape(name)}\s*>", re.I).search(text, i)
                if end:         # unclosed: only the tag goes, never the rest of the text
                    i = end.end()
            continue
        cleaned = _clean_tag(m)
        if cleaned != m.group(0):
            removed[(f"attributes of <{name}>", line_of(m.start()))] = None
        if name == "img" and " src=" not in cleaned:      # nothing left to show: its words
            alt = re.search(r' alt=("[^"]*"|\'[^\']*\'|\S+)', cleaned)
            cleaned = alt.group(1).strip("\"'") if alt else ""
        out.append(cleaned)
        i = m.end()
    out.append(text[i:])
    for what, line in removed:
        report.warn(line, "W-UNSAFE-HTML", f"removed raw HTML ({what}): editions carry no "
                    "scripts, frames, forms, embedded objects or styles from a source")
    result = "".join(out)
    return SCRIPT_URL.sub(lambda m: _drop_url(m, result, report, first_line), result)


RAW_HTML = re.compile(r"^(?P<fence>```+|~~~+)[ \t]*\{=html5?\}[ \t]*\n(?P<block>.*?)^(?P=fence)[ \t]*$"
                      r"|(?P<ticks>`+)(?P<inline>.+?)(?P=ticks)\{=html5?\}", re.S | re.M)


def _clean_raw(m: re.Match, report: Report, text: str, first_line: int) -> str:
    inner = m.group("block") if m.group("block") is not None else m.group("inline")
    line = text.count("\n", 0, m.start()) + first_line
    cleaned = sanitize_markdown(inner, report, line)
    if not cleaned.strip():
        return ""
    if m.group("block") is not None:
        return f"{m.group('fence')}{{=html}}\n{cleaned}{m.group('fence')}"
    return f"{m.group('ticks')}{cleaned}{m.group('ticks')}{{=html}}"


# A Markdown link or image destination, or an autolink, with a scheme that runs code
# (an image inline as data: is only an image: DOCX, ODT and EPUB sources carry theirs so).
SCRIPT_URL = re.compile(r"(?i)(\]\(\s*|<)(?:javascript|vbscript|data(?!:image/(?:png|jpeg|gif|webp);))"
                        r"\s*:(?:[^()\s>]|\([^()\s]*\))*")


def _drop_url(m: re.Match, text: str, report: Report, first_line: int) -> str:
    report.warn(text.count("\n", 0, m.start()) + first_line, "W-UNSAFE-URL",
                "removed a javascript:, vbscript: or data: link target")
    return m.group(1) + "#"


# -- pandoc's HTML ------------------------------------------------------------------------
TAGS = {"a", "abbr", "aside", "b", "blockquote", "br", "caption", "cite", "code", "col",
        "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption",
        "figure", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins", "kbd",
        "li", "mark", "nav", "ol", "p", "pre", "q", "s", "samp", "section", "small", "span",
        "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
        "tr", "u", "ul", "var", "wbr"}
ATTRS = {"*": {"class", "id", "lang", "title", "dir", "role", "aria-label", "aria-hidden"},
         "a": {"href"}, "img": {"src", "alt", "width", "height"}, "ol": {"start", "type"},
         "td": {"colspan", "rowspan", "align"}, "th": {"colspan", "rowspan", "align", "scope"},
         "col": {"span"}, "li": {"value"},
         "section": {"data-synopsis"}}     # a heading's {synopsis="…"}: text for the contents


def _filter_attribute(tag: str, attr: str, value: str) -> str | None:
    # data: is allowed for the images we inlined ourselves, nowhere else.
    if value.lower().startswith("data:") and not (tag == "img" and attr == "src"
                                                 and value.startswith("data:image/")):
        return None
    return value


def sanitize_fragment(fragment: str) -> str:
    import nh3

    return nh3.clean(fragment, tags=TAGS, attributes=ATTRS,
                     url_schemes={"http", "https", "mailto", "data"},
                     attribute_filter=_filter_attribute, link_rel=None, strip_comments=True,
                     clean_content_tags={"script", "style", "iframe", "object", "embed", "template",
                                         "noscript", "svg", "math", "textarea", "select"})
