"""DOCX, ODT, EPUB, HTML and RST sources: pandoc reads them into its document tree, and
the tree becomes Markdown with a YAML block.

On the way, the tree gives what a text-level pass could not see reliably:

- the metadata the source stores (DOCX core properties, EPUB OPF, RST title and docinfo,
  HTML ``<title>``, ``<meta name=author>`` and ``lang``; ODT's ``meta.xml``, which pandoc
  does not read; see odt_source);
- the images embedded in the file, extracted by pandoc and carried inline as ``data:``
  URLs, so every edition has them without a folder of side files;
- a single top-level heading opening the document, which is its title, not a chapter.
"""
from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path

from ..safety import PANDOC_LIMITS
from .pandoc_tree import stringify, walk

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp"}
# Keys a source may state, as the pipeline names them.
KEYS = {"title": "title", "subtitle": "subtitle", "author": "author", "date": "date",
        "lang": "language", "language": "language", "identifier": "identifier",
        "description": "description", "abstract": "description", "subject": "subjects",
        "keywords": "subjects", "rights": "rights", "copyright": "rights", "publisher": "publisher",
        "translator": "translator", "editor": "editor"}
LIST_KEYS = {"author", "translator", "editor", "subjects"}
ROLES = {"aut": "author", "trl": "translator", "edt": "editor"}


def too_deep(draft, text: str = ""):
    """The error for a document nested deeper than a tree can be walked (the Document
    refuses far less deep ones anyway: E-NESTING)."""
    lines = text.split("\n")
    line = max(range(len(lines)), key=lambda i: len(lines[i]) - len(lines[i].lstrip(" >\t-*+")),
               default=0) + 1
    return draft.report.fail(line if text else None, "E-NESTING", "lists or quotes are nested "
                             "too deep for any edition to set — flatten the structure")


def read(draft) -> None:
    """Replace ``draft.raw`` (the document) by Markdown; source metadata into draft.meta."""
    try:
        _read(draft)
    except RecursionError:
        raise too_deep(draft) from None


def _read(draft) -> None:
    import pypandoc

    from . import docx_source, odt_source, verbatim

    mark = {"odt": odt_source.mark_preformatted, "docx": docx_source.mark_code}.get(draft.kind)
    raw, codes = mark(draft.raw) if mark else (draft.raw, {})
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / ("source" + draft.path.suffix.lower())
        src.write_bytes(raw)
        media = Path(tmp) / "media"
        tree = json.loads(pypandoc.convert_file(
            str(src), "json", format=draft.kind, verify_format=False,
            extra_args=["--standalone", "--preserve-tabs", f"--extract-media={media}",
                        *PANDOC_LIMITS]))
        _inline_media(tree["blocks"], media)
    if codes:
        verbatim.put_back(tree["blocks"], codes)
        draft.explain(None, "preformatted", f"{len(codes)} runs of code paragraphs (their "
                      "style or fixed-pitch font) kept as code blocks, every space as stored")
    if draft.kind == "epub":
        from .epub_source import drop_front_matter

        tree["blocks"] = drop_front_matter(draft, tree["blocks"], tree["meta"])
    tree["blocks"] = unwrap_sections(tree["blocks"])
    unique_ids(tree["blocks"])
    unsafe = drop_unsafe_attributes(tree["blocks"])
    if unsafe:
        draft.report.warn(None, "W-UNSAFE-HTML", f"removed {', '.join(sorted(unsafe))} "
                          "attributes: editions carry no scripts or styles from a source")
    meta = source_metadata(tree["meta"])
    if draft.kind == "odt":
        meta = odt_source.odt_metadata(draft.raw) | meta
    if "title" not in meta and (title := take_title(tree["blocks"])):
        meta["title"] = title
        draft.report.info(1, "I-TITLE", "the single top-level heading opening the document "
                          "is its title")
    for key, value in meta.items():
        draft.meta.setdefault(key, value)
    tree["meta"] = {}
    markdown = pypandoc.convert_text(json.dumps(tree), "markdown-smart", format="json",
                                     verify_format=False,
                                     extra_args=["--wrap=none", "--markdown-headings=atx",
                                                 *PANDOC_LIMITS])
    draft.raw = markdown.encode("utf-8")
    draft.report.info(1, "I-PANDOC", f"read as {draft.kind} with pandoc")


# -- the tree ------------------------------------------------------------------------
def _meta_value(value):
    """A pandoc meta value as plain Python: text, or a list of texts, or a dict."""
    t, c = value.get("t"), value.get("c")
    if t == "MetaList":
        return [_meta_value(v) for v in c]
    if t == "MetaMap":
        return {k: _meta_value(v) for k, v in c.items()}
    if t == "MetaBool":
        return c
    if t == "MetaBlocks":
        if len(c) == 1 and c[0].get("t") in ("BulletList", "OrderedList"):   # RST :Authors:
            items = c[0]["c"] if c[0]["t"] == "BulletList" else c[0]["c"][1]
            return [stringify(item) for item in items]
        return "\n\n".join(stringify(b) for b in c)
    return stringify(c) if t == "MetaInlines" else str(c)


def source_metadata(meta: dict) -> dict:
    out: dict = {}
    for key, value in meta.items():
        value = _meta_value(value)
        if key in ("creator", "contributor"):     # EPUB OPF creators, with their roles
            for person in value if isinstance(value, list) else [value]:
                name = person.get("text") if isinstance(person, dict) else person
                role = person.get("role", "aut") if isinstance(person, dict) else "aut"
                field = ROLES.get(role, "author" if key == "creator" else None)
                if name and field:
                    out.setdefault(field, []).append(name)
            continue
        name = KEYS.get(key)
        if not name:
            continue
        if isinstance(value, list):
            value = [v.get("text", "") if isinstance(v, dict) else v for v in value]
            value = [v for v in value if isinstance(v, str) and v]
            if name not in LIST_KEYS:
                value = value[0] if value else ""
        elif isinstance(value, dict):
            value = value.get("text", "")
        if name == "subjects" and isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if value in ("", [], None, "und") or isinstance(value, bool):
            continue
        out.setdefault(name, value)
    for name in LIST_KEYS & out.keys():         # one name stays a string, as a user writes it
        if isinstance(out[name], list) and len(out[name]) == 1:
            out[name] = out[name][0]
    return out


def take_title(blocks: list) -> str | None:
    """A document opening with its only level-1 heading: that heading is the title, so it
    leaves the body and the headings under it move up one level."""
    first = next((b for b in blocks if not _empty(b)), None)
    heads = []
    walk(blocks, lambda n: heads.append(n) if n["t"] == "Header" else None)
    if first is None or first.get("t") != "Header" or first["c"][0] != 1 or \
            sum(h["c"][0] == 1 for h in heads) != 1:
        return None
    title = stringify(first["c"][2])
    if not title:
        return None
    blocks.remove(first)
    for h in heads:
        if h is not first:
            h["c"][0] = max(1, h["c"][0] - 1)
    return title


def unwrap_sections(blocks: list) -> list:
    """A source's own sections (EPUB chapters, HTML <section>) come as Divs of class
    "section"; the Document makes its sections from the headings, and a section inside
    a section of the same level lost its text.  The Div goes; its id, the target of the
    source's own links, passes to its heading when that has none."""
    out = []
    for block in blocks:
        if isinstance(block, dict) and block.get("t") in ("Div", "BlockQuote", "BulletList",
                                                          "OrderedList"):
            _unwrap_inside(block)
        if isinstance(block, dict) and block.get("t") == "Div" and not block["c"][1] and \
                not block["c"][0][0]:
            continue            # an empty directive (RST's ``.. contents::``): nothing to show
        if isinstance(block, dict) and block.get("t") == "Div" and "section" in block["c"][0][1]:
            inner = unwrap_sections(block["c"][1])
            head = next((b for b in inner if b.get("t") == "Header"), None)
            if head is not None and not head["c"][1][0]:
                head["c"][1][0] = block["c"][0][0]
            elif block["c"][0][0]:
                inner.insert(0, {"t": "Para", "c": [{"t": "Span", "c": [[block["c"][0][0], [], []], []]}]})
            out.extend(inner)
        else:
            out.append(block)
    return out


ATTR_AT = {"Header": 1, "Div": 0, "Span": 0, "CodeBlock": 0, "Code": 0, "Link": 0,
           "Image": 0, "Table": 0, "Figure": 0}


def unique_ids(blocks) -> None:
    """An id used twice (ODT names every heading's bookmark "anchor") is made unique:
    the second and later get -2, -3 …, so the e-book is valid XHTML."""
    seen: dict[str, int] = {}

    def visit(node):
        at = ATTR_AT.get(node["t"])
        if at is None or not isinstance(node["c"], list) or not node["c"]:
            return
        attr = node["c"][at]
        if not (isinstance(attr, list) and attr and isinstance(attr[0], str) and attr[0]):
            return
        n = seen.get(attr[0], 0) + 1
        seen[attr[0]] = n
        if n > 1:
            attr[0] = f"{attr[0]}-{n}"
    walk(blocks, visit)


def drop_unsafe_attributes(blocks) -> set[str]:
    """Event handlers and styles a document's elements carried (pandoc keeps them as
    attributes) go, so not even the Markdown edition has them; returns their names."""
    dropped: set[str] = set()

    def visit(node):
        at = ATTR_AT.get(node["t"])
        if at is None or not isinstance(node["c"], list) or len(node["c"]) <= at:
            return
        attr = node["c"][at]
        if isinstance(attr, list) and len(attr) == 3 and isinstance(attr[2], list):
            bad = [kv for kv in attr[2] if kv[0].lower().startswith("on") or kv[0].lower() == "style"]
            dropped.update(kv[0].lower() for kv in bad)
            attr[2] = [kv for kv in attr[2] if kv not in bad]
    walk(blocks, visit)
    return dropped


def _unwrap_inside(block) -> None:
    if block["t"] == "Div":
        block["c"][1] = unwrap_sections(block["c"][1])
    elif block["t"] == "BlockQuote":
        block["c"] = unwrap_sections(block["c"])


def _empty(block) -> bool:
    """An anchor-only paragraph (EPUB file boundaries) carries nothing a reader sees."""
    if block.get("t") == "Para":
        return all(i.get("t") == "Span" and not i["c"][1] for i in block["c"])
    return False


def _inline_media(blocks, media: Path) -> None:
    """Images pandoc extracted become data: URLs (resolved, or refused, like any image)."""
    root = str(media)

    def visit(node):
        if node["t"] != "Image":
            return
        target = node["c"][2]
        path = Path(target[0])
        if not target[0].startswith(root) or not path.is_file():
            return
        mime = IMAGE_TYPES.get(path.suffix.lower(), "application/octet-stream")
        target[0] = f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode()

    walk(blocks, visit)
