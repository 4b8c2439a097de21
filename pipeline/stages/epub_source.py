"""An EPUB source's own front matter: its cover page, title page and table of contents.

Every edition makes these again from the metadata (the OPF, read by pandoc), so the
source's copies would only repeat them as body text — a list of links, a second title.
They are found from what the EPUB says of its own files: the navigation document, the
EPUB 3 landmarks and EPUB 2 guide (``cover``, ``titlepage``, ``toc``), a body or section
typed so (``epub:type``); and, for a book that says nothing, a file that is nothing but
links to three or more of the book's files, in reading order: a contents page; and a page
before the text holding nothing but the title, creators and date of the OPF: a title page.  The
cover image, when the package names one, stays the edition's cover.
"""
from __future__ import annotations

import base64
import io
import posixpath
import re
import zipfile

from lxml import etree

from .pandoc_tree import stringify

# Roles (EPUB 3 epub:type, EPUB 2 guide type) of pages an edition makes itself.
REGENERATED = {"cover", "titlepage", "title-page", "toc"}
WHAT = {"cover": "cover page", "toc": "table of contents", "titlepage": "title page", "title-page": "title page"}
OPS = "{http://www.idpf.org/2007/ops}type"
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def _xml(data: bytes):
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True,
                                                  recover=True))


def package(raw: bytes) -> tuple[list[str], dict[str, str], str | None]:
    """(spine file basenames in reading order, basename -> role of each page the edition
    makes itself, the cover image as a data: URL)."""
    try:
        z = zipfile.ZipFile(io.BytesIO(raw))
        container = _xml(z.read("META-INF/container.xml"))
        opf_path = container.xpath("//*[local-name()='rootfile']/@full-path")[0]
        opf = _xml(z.read(opf_path))
    except (KeyError, IndexError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return [], {}, None
    here = posixpath.dirname(opf_path)

    def path(href: str, base: str = here) -> str:
        return posixpath.normpath(posixpath.join(base, href.split("#")[0]))

    items = {i.get("id"): i for i in opf.xpath("//*[local-name()='manifest']/*[local-name()='item']")}
    spine = [path(items[r.get("idref")].get("href", "")) for r in
             opf.xpath("//*[local-name()='spine']/*[local-name()='itemref']") if r.get("idref") in items]
    roles: dict[str, str] = {}
    for item in items.values():
        if "nav" in (item.get("properties") or "").split():
            nav_path = path(item.get("href", ""))
            roles[nav_path] = "toc"
            try:
                nav = _xml(z.read(nav_path))
            except KeyError:
                continue
            for a in nav.xpath("//*[local-name()='nav'][contains(@*[local-name()='type'], "
                               "'landmarks')]//*[local-name()='a']"):
                role = a.get(OPS, "")
                if role in REGENERATED and a.get("href"):
                    roles.setdefault(path(a.get("href"), posixpath.dirname(nav_path)), role)
    for ref in opf.xpath("//*[local-name()='guide']/*[local-name()='reference']"):
        if ref.get("type", "").lower() in REGENERATED and ref.get("href"):
            roles.setdefault(path(ref.get("href")), ref.get("type").lower())
    for name in spine:
        if name in roles:
            continue
        try:
            page = _xml(z.read(name))
        except KeyError:
            continue
        body = page.find("{*}body") if page is not None else None
        typed = [] if body is None else [body, *body]
        role = next((r for el in typed for r in el.get(OPS, "").split() if r in REGENERATED), None)
        if role:
            roles[name] = role
    base = {posixpath.basename(n) for n in spine}
    return ([posixpath.basename(n) for n in spine],
            {posixpath.basename(n): r for n, r in roles.items() if posixpath.basename(n) in base},
            _cover(z, opf, items, path))


def _cover(z, opf, items: dict, path) -> str | None:
    """The package's cover image: the item with the EPUB 3 ``cover-image`` property, else
    the one an EPUB 2 ``<meta name="cover">`` names."""
    item = next((i for i in items.values() if "cover-image" in (i.get("properties") or "").split()), None)
    if item is None:
        named = opf.xpath("//*[local-name()='meta'][@name='cover']/@content")
        item = items.get(named[0]) if named else None
    if item is None or item.get("media-type") not in IMAGE_TYPES:
        return None
    try:
        data = z.read(path(item.get("href", "")))
    except KeyError:
        return None
    return f"data:{item.get('media-type')};base64," + base64.b64encode(data).decode()


def drop_front_matter(draft, blocks: list, meta: dict | None = None) -> list:
    """The blocks without the files an edition makes itself; each drop explained.  ``meta``
    (pandoc's, from the OPF): a page before the text that only repeats it is a title page."""
    spine, roles, cover = package(draft.raw)
    known = {w for value in (meta or {}).values() for w in _words(stringify(value))}
    if cover and "cover" not in draft.meta:
        draft.meta["cover"] = cover
    files = set(spine)
    segments: list[tuple[str | None, list]] = [(None, [])]
    for block in blocks:
        name = _anchor(block)
        if name in files:
            segments.append((name, [block]))
        else:
            segments[-1][1].append(block)
    order = {name: i for i, name in enumerate(spine)}
    out: list = []
    for name, segment in segments:
        words = [w for block in segment for w in _words(stringify(block))]
        if name is None:        # pandoc sets the package's cover image before the files
            role = "cover" if cover and segment and all(map(_image_only, segment)) else None
        else:
            role = roles.get(name) or ("toc" if _contents_page(segment, order, name) else None)
            if not role and words and set(words) <= known and not any(_words(stringify(b)) for b in out):
                role = "titlepage"
        if role:
            what = f"left out the source's {WHAT.get(role, role)} ({name or 'its image'}): " + \
                ("the image is the editions' cover" if role == "cover" and cover else
                 "every edition makes its own")
            draft.explain(None, "epub", what)
            draft.report.info(None, "I-EPUB-FRONT", what)
        else:
            out.extend(segment)
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _image_only(block) -> bool:
    return block.get("t") in ("Para", "Plain") and \
        all(i.get("t") in ("Image", "Space", "SoftBreak") for i in block["c"])


def _anchor(block) -> str | None:
    """pandoc opens each file of an EPUB with an empty span named after the file."""
    if isinstance(block, dict) and block.get("t") == "Para" and len(block["c"]) == 1:
        span = block["c"][0]
        if span.get("t") == "Span" and not span["c"][1]:
            return span["c"][0][0] or None
    return None


def _contents_page(segment: list, order: dict[str, int], name: str) -> bool:
    """Nothing but links (headings aside) to three or more other files, in reading order."""
    linked: list[str] = []
    words = {"all": 0, "linked": 0}

    def visit(node, link: bool = False):
        if isinstance(node, list):
            for item in node:
                visit(item, link)
            return
        if not isinstance(node, dict) or node.get("t") in ("Header", "RawBlock"):
            return
        if node.get("t") == "Str":
            words["all"] += 1
            words["linked"] += link
        elif node.get("t") == "Link":
            target = node["c"][2][0]
            file = next((f for f in order if target == "#" + f or target.startswith("#" + f + "_")), None)
            if file and file != name:
                linked.append(file)
                visit(node["c"][1], True)
                return
        visit(node.get("c"), link)

    visit(segment)
    places = [order[f] for f in linked]
    return len(set(linked)) >= 3 and places == sorted(places) and words["linked"] >= 0.8 * words["all"]
