"""A long book laid out in parts on every core, then bound into one PDF.

WeasyPrint keeps every page's boxes until the PDF is written: War and Peace in one piece
needs over 1 GB and two minutes of one core.  A book long enough is therefore cut at its
top-level divisions, each part opening on a right-hand page (which costs at most a blank
page where a division would open on the next page), and the parts are laid out by forked
processes at once, each holding only its own pages.

Layout does not depend on page numbers, only on their parity, which is kept by padding
every part but the last to an even count.  So each part lays out its pages with the folios
left out, reports its page count, and sets its folios once the parts before it have
reported theirs.  The front matter is set last, when the contents' page numbers are known.
pikepdf (qpdf) binds the parts: the pages, one structure tree (PDF/UA), one outline, one
name tree of destinations, and the links from one part to another.

The print writer (pdf.py) decides where to cut (``part_starts``) and hands this module what
it needs of it (a ``Setter``); this module lays out (``lay_out``, in one piece too) and never
imports the writer.
"""
from __future__ import annotations

import ctypes
import logging
import os
import re
import signal
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from lxml import etree

from .. import cache, pool
from .base import to_html

PART_CHARS = 250_000      # about 110 A5 pages: a part's boxes take ~100 MB
SPLIT_FROM = 300_000      # a shorter book is laid out faster in one piece than bound
DEST = "pipeline-dest:"   # a link to another part, resolved when the parts are bound
MEMORY_EXIT = 86          # a part ran out of memory
PROGRESS = logging.getLogger("weasyprint.progress")


# -- cutting -----------------------------------------------------------------------------
def split(body, starts: list[str]) -> list[str]:
    """The body's HTML cut before each of ``starts``; links that leave a part point to
    the DEST placeholder, resolved when the parts are bound."""
    pieces = [etree.Element("div")]
    pieces[0].text = body.text
    for kid in list(body):
        if kid.get("id") in starts:
            pieces.append(etree.Element("div"))
        pieces[-1].append(kid)
    for piece in pieces:
        ids = {el.get("id") for el in piece.iter() if el.get("id")}
        for a in piece.iter("a"):
            href = a.get("href") or ""
            if href.startswith("#") and href[1:] not in ids:
                a.set("href", DEST + href[1:])
    return [to_html(piece) for piece in pieces]


# -- laying out --------------------------------------------------------------------------
@dataclass(frozen=True)
class Setter:
    """What the parts need of the print writer (pipeline.writers.pdf), handed in by it, so
    that this module does not import it."""
    prepare: Callable[..., Any]         # (doc, options, as_blocks) -> (body, entries, floating)
    page_html: Callable[..., str]       # (doc, options, entries, body, front, running)
    estimate_pages: Callable[..., int]  # (doc, options)
    to_pdf: Callable[..., bytes]        # (doc, options, WeasyPrint document)


def lay_out(html: str, fonts_dir: Path):
    """Lay ``html`` out; its fonts load from ``fonts_dir`` (``Typefaces.directory``)."""
    import weasyprint

    return weasyprint.HTML(string=html, base_url=fonts_dir.as_uri() + "/",
                           url_fetcher=local_fetcher(fonts_dir)).render()


def pad_to_even(document, html: str, fonts_dir: Path):
    """Append one blank page of the same geometry, without laying the book out again."""
    blank = lay_out(html.split("<body", 1)[0] + '<body><div class="pad"></div></body></html>',
                    fonts_dir)
    return document.copy([*document.pages, blank.pages[-1]])


def local_fetcher(fonts_dir: Path):
    """A URL fetcher that loads our own font files and the images the document embeds as
    data: URIs, and nothing else: never the network."""
    from weasyprint.urls import URLFetcher

    allowed = fonts_dir.as_uri() + "/"

    class LocalFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith(("data:", allowed)) or ".." in url.split(",")[0]:
                raise ValueError(f"refusing to load {url!r} while building a PDF")
            return super().fetch(url, headers)

    return LocalFetcher(allowed_protocols={"file", "data"}, allow_redirects=False)


def placed_notes(document) -> set[str]:
    """The notes WeasyPrint actually set in a footnote area."""
    found: set[str] = set()
    for page in document.pages:
        for area in page._page_box.children:
            if type(area).__name__ == "FootnoteAreaBox":
                found.update(box.element.get("data-note") for box in area.descendants()
                             if getattr(box, "element", None) is not None
                             and box.element.get("data-note"))
    return found


class Folios:
    """Holds back WeasyPrint's margin boxes (running heads, folios) while a part is laid
    out, and sets them once the part knows the number of its first page."""

    def __init__(self):
        import weasyprint.layout as layout

        self.layout, self.make, self.calls = layout, layout.make_margin_boxes, []

    def __enter__(self):
        self.layout.make_margin_boxes = self.hold
        return self

    def hold(self, context, page, state):
        self.calls.append((context, page, state, context.current_page))
        return ()

    def __exit__(self, *exc):
        self.layout.make_margin_boxes = self.make

    def finish(self, pages_before: int) -> None:
        from weasyprint.layout.background import layout_box_backgrounds

        for context, page, state, number in self.calls:
            context.current_page = number
            counters = dict(state[1])
            counters["page"] = [value + pages_before for value in counters["page"]]
            boxes = list(self.make(context, page, (state[0], counters, *state[2:])))
            for box in boxes:
                layout_box_backgrounds(page, box, context.get_image_from_uri)
            page.children = (*page.children, *boxes)


def lay_out_part(html_for, pad: bool, fonts_dir: Path):
    """Lay out one part with its folios held back; returns (document, folios)."""
    html = html_for(frozenset())
    with Folios() as folios:
        document = lay_out(html, fonts_dir)
    floating = set(re.findall(r'data-note="([^"]+)"', html))    # notes set to float
    lost = floating - placed_notes(document)
    if lost:        # as in one piece: notes WeasyPrint dropped are set in the text
        html = html_for(frozenset(lost))
        with Folios() as folios:
            document = lay_out(html, fonts_dir)
    if pad and len(document.pages) % 2:
        document = pad_to_even(document, html, fonts_dir)
    return document, folios


def _die_with_parent(conn) -> None:
    """A part must not outlive the build process that forked it (killed on a timeout);
    it reports the pages it has laid out to that process, a few times a second."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)      # PR_SET_PDEATHSIG
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)

    class Pages(logging.Handler):
        last = 0.0

        def emit(self, record):
            page = re.search(r"Page (\d+)", record.getMessage())
            if page and time.monotonic() - self.last > 0.5:
                self.last = time.monotonic()
                conn.send(("page", int(page.group(1))))

    PROGRESS.handlers[:] = [Pages()]
    PROGRESS.propagate = False


def _part(conn, job, draw, wanted: set) -> None:
    """In the forked child: lay out, report the page count and where the anchors fell,
    set the folios once told the number of pages before, send the PDF (``draw``)."""
    status = 0
    try:
        _die_with_parent(conn)
        document, folios = lay_out_part(*job)
        anchors = {}
        for i, page in enumerate(document.pages):      # a split box anchors every page
            anchors.update({name: i for name in page.anchors
                            if name in wanted and name not in anchors})
        conn.send(("count", len(document.pages), anchors))
        folios.finish(conn.recv())
        conn.send(("pdf", draw(document)))
    except MemoryError:
        status = MEMORY_EXIT
    except BaseException:
        status = 1
        try:
            conn.send(("error", traceback.format_exc()))
        except OSError:
            pass
    os._exit(status)


def write(doc, options, starts: list[str], pdf: Setter) -> bytes | None:
    """The book laid out in parts at once and bound; None if the parts do not agree with
    the front matter (then the caller sets the book in one piece).

    With the build's cache on, a part whose HTML (and so its layout) is unchanged is not
    laid out again: its page count and anchors are in the cache under the hash of its HTML
    and of what else its pages depend on (the options, the document's identifier,
    language, direction and date, the anchors the book links to, the code); its PDF under
    that and the number of pages before it (its folios).  A part whose pages before moved
    is laid out again."""
    body, entries, _ = pdf.prepare(doc, options)
    pieces = split(body, starts)
    wanted = {e["id"] for e in entries} | set(re.findall(re.escape(DEST) + r'([^"]+)"',
                                                        "".join(pieces)))
    store = cache.active()
    base = cache.key("pdf-part", store.code.get("pdf", ""), repr(options), doc.identifier,
                     doc.language, doc.direction, doc.date.isoformat(), sorted(wanted))

    def part_html(index: int):
        def html_for(as_blocks):
            if as_blocks:
                piece = split(pdf.prepare(doc, options, as_blocks)[0], starts)[index - 1]
            else:
                piece = pieces[index - 1]
            return pdf.page_html(doc, options, entries, piece, front=False, running=False)
        return html_for

    count = len(pieces)
    digits = len(str(pdf.estimate_pages(doc, options)))

    def front_html(pages: dict | None):
        toc = [dict(e, href=DEST + e["id"], page=(pages or {}).get(e["id"], "9" * digits))
               for e in entries]
        return pdf.page_html(doc, options, toc, None)

    def front(pages: dict | None):
        """The front matter's page count and (with the contents' page numbers) its PDF."""
        html = front_html(pages)
        name = cache.key(base, "front" if pages else "front-count", html)
        found = store.load(name)
        if found is None:
            document, folios = lay_out_part(lambda _: html, True, doc.fonts.directory)
            folios.finish(0)
            found = (len(document.pages), pdf.to_pdf(doc, options, document) if pages else None)
            store.store(name, found)
        return found

    def when_counted(first: int, counts: list[int], anchors: dict):
        """Set the front matter with the contents' page numbers, while the parts draw."""
        firsts = [first + sum(counts[:i]) for i in range(len(counts))]
        targets = {name: firsts[i] + local for name, (i, local) in anchors.items()}
        pages, data = front({name: page + 1 for name, page in targets.items()})
        if pages != first:
            return None
        return data, targets

    jobs = [(part_html(i), i < count or options.even_pages, doc.fonts.directory)
            for i in range(1, count + 1)]
    keys = [cache.key(base, html_for(frozenset()), pad) for html_for, pad, _ in jobs]
    front_pdf, parts = _run(jobs, keys, lambda document: pdf.to_pdf(doc, options, document),
                            wanted, lambda: front(None)[0], when_counted)
    return bind(front_pdf[0], parts, front_pdf[1]) if front_pdf else None


def _run(jobs, keys, draw, wanted: set, front_count, when_counted):
    """Lay out the parts in forked children, as many busy at once as there are cores (a
    part waiting for the count of the pages before it is not busy).  The front matter is
    counted here meanwhile; each part is sent the number of pages before it as soon as
    that is known; ``when_counted`` runs once every part has counted.  A part found in the
    cache (``keys``: each part's layout) is not laid out unless its PDF for the pages
    before it is not there.  Returns ``when_counted``'s result and the parts' PDFs."""
    from multiprocessing import Pipe
    from multiprocessing.connection import wait

    store = cache.active()
    workers = max(1, len(os.sched_getaffinity(0)))
    counts: list = [None] * len(jobs)
    pdfs: list = [None] * len(jobs)
    laid, said = [0] * len(jobs), [0.0]          # pages laid out per part, last report
    anchors: dict[str, tuple[int, int]] = {}
    errors: dict[int, str] = {}
    children: dict[Any, list] = {}      # pipe -> [part index, pid, laying out]
    offsets: dict[int, int] = {}        # part index -> pages before it, once known
    sent: set[int] = set()
    todo: list[int] = []                # parts to lay out, in order
    state: dict[str, Any] = {"first": None, "result": None, "fronted": False}
    spare = [0]                         # slots of the build's pool taken for parts
    for index, name in enumerate(keys):
        found = store.load(name)
        if found is None:
            todo.append(index)
            continue
        counts[index], where = found
        laid[index] = counts[index]
        anchors.update({a: (index, local) for a, local in where.items()})

    def busy() -> int:
        return sum(c[2] for c in children.values())

    def may_start() -> bool:
        """Within the build's one pool (pipeline.pool): this process's own slot serves one
        busy part, each other busy part takes a spare slot; alone, every core."""
        if not pool.shared():
            return busy() < workers
        if busy() < 1 + spare[0]:
            return True
        if pool.take():
            spare[0] += 1
            return True
        return False

    def give_back() -> None:
        while spare[0] > max(0, busy() - 1):
            spare[0] -= 1
            pool.give()

    def start():
        give_back()
        while todo and may_start():
            index = todo.pop(0)
            parent, child = Pipe()
            pid = os.fork()
            if pid == 0:
                parent.close()
                _part(child, jobs[index], draw, wanted)
            child.close()
            children[parent] = [index, pid, True]          # index, pid, busy

    def settle():
        """Pages before each part, once known: sent to its child, or its PDF taken from
        the cache (else it is laid out again); the front matter once every part counted."""
        first = state["first"]
        for index in range(len(jobs)):
            if first is None or None in counts[:index]:
                break
            if index in offsets:
                continue
            offsets[index] = first + sum(counts[:index])
            if pdfs[index] is None and index not in todo and \
                    not any(c[0] == index for c in children.values()):
                pdfs[index] = store.get(cache.key(keys[index], offsets[index]))
                if pdfs[index] is None:
                    todo.append(index)
        for conn, child in children.items():
            index = child[0]
            if index in offsets and index not in sent:
                sent.add(index)
                try:
                    conn.send(offsets[index])
                except OSError:         # it failed: its exit status tells how, below
                    continue
                child[2] = child[2] or counts[index] is not None
        if first is not None and None not in counts and not state["fronted"]:
            state["fronted"] = True
            state["result"] = when_counted(first, counts, anchors)

    def report():
        PROGRESS.info(f"Parts - Page {sum(laid)} laid out "
                      f"({sum(c is not None for c in counts)} of {len(jobs)} parts)")

    try:
        start()
        state["first"] = front_count()
        settle()
        while todo or any(c[1] for c in children.values()):
            start()
            settle()
            conn: Any
            for conn in wait([c for c, child in children.items() if child[1]],
                             timeout=0.5 if todo else None):
                child = children[conn]
                index, pid, _ = child
                try:
                    kind, *message = conn.recv()
                except EOFError:
                    conn.close()
                    child[1:] = [0, False]
                    _check(os.waitpid(pid, 0)[1], errors.get(index))
                    continue
                if kind == "page":
                    laid[index] = message[0]
                    if time.monotonic() - said[0] > 0.5:
                        said[0] = time.monotonic()
                        report()
                    continue
                if kind == "pdf":
                    pdfs[index] = message[0]
                    store.put(cache.key(keys[index], offsets[index]), message[0])
                    continue
                if kind != "count":
                    errors[index] = message[0]
                    continue
                counts[index], found = message
                store.store(keys[index], (counts[index], found))
                laid[index] = counts[index]
                child[2] = index in sent
                anchors.update({name: (index, local) for name, local in found.items()})
                report()
                settle()
    finally:
        for conn, (_, pid, _) in children.items():
            if pid:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                conn.close()
        for _ in range(spare[0]):
            pool.give()
    return state["result"], pdfs


def _check(status: int, error: str | None) -> None:
    code = os.waitstatus_to_exitcode(status)
    if code == MEMORY_EXIT:
        raise MemoryError("a part of the book ran out of memory")
    if code:
        detail = error or f"exit status {code}"
        raise RuntimeError(f"laying out a part of the book failed:\n{detail}")


# -- binding -----------------------------------------------------------------------------
def bind(front: bytes, parts: list[bytes], targets: dict[str, int]) -> bytes:
    """One PDF from the front matter's and the parts' PDFs: pages, structure tree, outline,
    named destinations (``targets``: name -> page index), and links between parts."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name, String

    book = pikepdf.open(BytesIO(front))
    root = book.Root
    tree = root.StructTreeRoot
    document = tree.K if isinstance(tree.K, Dictionary) else tree.K[0]
    kids = list(document.K) if isinstance(document.K, Array) else [document.K]
    nums: list[Any] = list(tree.ParentTree.Nums)
    next_key = max((int(k) for k in nums[::2]), default=-1) + 1
    dests = _names(root)
    outline: Any = root.get("/Outlines")
    items, visible = ([], 0) if outline is None else (_chain(outline), int(outline.get("/Count", 0)))
    for data in parts:
        part = pikepdf.open(BytesIO(data))
        first = len(book.pages)
        with warnings.catch_warnings():     # named destinations are bound below
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            book.pages.extend(part.pages)
        for page in book.pages[first:]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + next_key
            for annot in page.obj.get("/Annots", []):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + next_key
        ptree = part.Root.StructTreeRoot
        pdoc = _copy(book, part, ptree.K if isinstance(ptree.K, Dictionary) else ptree.K[0])
        for kid in (pdoc.K if isinstance(pdoc.K, Array) else [pdoc.K]):
            kid.P = document
            kids.append(kid)
        pnums = _copy(book, part, ptree.ParentTree.Nums)
        keys = [int(k) for k in pnums[::2]]
        for key, value in zip(keys, pnums[1::2]):
            nums += [key + next_key, value]
        next_key += max(keys, default=-1) + 1
        dests.update({k: _copy(book, part, v) for k, v in _names(part.Root).items()})
        if "/Outlines" in part.Root:
            items += _chain(_copy(book, part, part.Root.Outlines))
            visible += int(part.Root.Outlines.get("/Count", 0))
    pages: list[Any] = [page.obj for page in book.pages]
    for name, index in targets.items():
        dests.setdefault(name, Array([pages[index], Name.Fit]))
    document.K = Array(kids)
    tree.ParentTree = book.make_indirect(Dictionary(Nums=Array(nums)))
    tree.ParentTreeNextKey = next_key
    if dests:
        names = root.Names if "/Names" in root else Dictionary()
        names.Dests = Dictionary(Names=Array([x for name in sorted(dests)
                                              for x in (String(name), dests[name])]))
        root.Names = names
    if items:
        outline = outline if outline is not None else book.make_indirect(Dictionary())
        for before, item, after in zip([None, *items], items, [*items[1:], None]):
            item.Parent = outline
            for side, other in (("/Prev", before), ("/Next", after)):
                if other is None:
                    if side in item:
                        del item[side]
                else:
                    item[side] = other
        outline.First, outline.Last, outline.Count = items[0], items[-1], visible
        root.Outlines = outline
    for page in pages:
        for annot in page.get("/Annots", []):
            uri = str(annot.get("/A", {}).get("/URI", ""))
            if uri.startswith(DEST):
                del annot["/A"]
                annot.Dest = annot.Contents = String(uri[len(DEST):])
    out = BytesIO()
    book.save(out, deterministic_id=True,
              object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def _copy(book, part, obj):
    """``obj`` of ``part`` copied into ``book``, its page references mapped to the pages
    already copied (qpdf keeps one object map per source)."""
    return book.copy_foreign(obj if obj.is_indirect else part.make_indirect(obj))


def _names(root) -> dict:
    """A catalog's named destinations (flat name tree, as WeasyPrint writes it)."""
    names = root.get("/Names", {}).get("/Dests", {}).get("/Names", [])
    return dict(zip((str(n) for n in names[::2]), names[1::2]))


def _chain(outline) -> list:
    """The top-level items of an outline, in order."""
    items, item = [], outline.get("/First")
    while item is not None:
        items.append(item)
        item = item.get("/Next")
    return items
