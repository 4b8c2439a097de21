"""What the writers share: the format record, templates, stylesheets, body serialization."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree


@dataclass(frozen=True)
class Output:
    """One file a format writes into output/<slug>/, or one folder of files."""
    path: str                  # "{slug}.epub"; a folder's name ("html") when ``listed`` is set
    write: Callable[..., Any]  # (doc, options) -> bytes, {relative path: bytes}, or None:
                               # nothing for this document (an old output is then removed)
    label: str                 # how the catalog names it
    media_type: str
    kind: str = ""             # the catalog's name for it (default: the format's name)
    listed: str = ""           # for a folder, the page that stands for it ("html/index.html")
    rank: int = 50             # its place in the catalog's list of editions (lowest first)


@dataclass(frozen=True)
class Format:
    """Everything the build, the catalog, `check`, the CLI and the docs know of one format.

    A module of this package that defines ``FORMAT = Format(...)`` is a format: nothing else
    has to name it (see ``pipeline.writers.formats``).
    """
    name: str                             # --formats, `make NAME`, the build state
    outputs: tuple[Output, ...]
    about: str = ""                       # one line for `pipeline formats` and --help
    depends: tuple[str, ...] = ()         # package files (globs under pipeline/) beside its
                                          # own module that its output depends on
    tools: tuple[str, ...] = ()           # distributions whose versions change its output
    validators: tuple[str, ...] = ()      # "module:function", (files, browser_checks) ->
                                          # [Diagnostic], run by `pipeline check`
    options: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
                                          # metadata key -> parser, raising PipelineError
                                          # with what to write instead, and giving the
                                          # default for None; run on the metadata when it
                                          # is read (pipeline.metadata)
    pages: Callable[[bytes], int | None] | None = None   # page count for the build summary
    warm: Callable[[], Any] | None = None  # run once before the build forks its workers
    rank: int = 50                        # build order (lowest first)
    module: str = ""                      # set by the registry: the module that defines it

DATA = resources.files("pipeline") / "data"


@cache
def read_data(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


@cache
def jinja_env():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline", "data/templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(template: str, **context) -> str:
    return jinja_env().get_template(template).render(**context)


def css(*names: str) -> str:
    return "\n".join(read_data(f"css/{n}") for n in names)


def page_key(fmt: str, doc, *parts: Any) -> str:
    """The cache key of one page a writer renders (a chapter's file): the format's code,
    what its templates read of the whole document, and ``parts``, the rest of the page's
    inputs."""
    from .. import cache

    return cache.key(f"{fmt}-page", cache.active().code.get(fmt, ""), doc.title, doc.language,
                     doc.direction, doc.authors, doc.identifier, sorted(map(repr, doc.meta.items())),
                     len(doc.chapters), *parts)


def to_html(el, xhtml: bool = False) -> str:
    """Serialize an element's children (not the element itself)."""
    method = "xml" if xhtml else "html"
    parts = [etree.tostring(child, encoding=str, method=method) for child in el]
    return (el.text or "") + "".join(parts)


def note_refs(el):
    return el.xpath('.//a[contains(concat(" ", @class, " "), " footnote-ref ")]')


def note_id(ref) -> str:
    return ref.get("href", "").lstrip("#").split("#")[-1]


def verse_lines(block) -> list:
    """Empty a pandoc line block and return its lines as spans of class verse-line.

    Each line becomes a box of its own, so a line too long for the measure can hang-indent
    (print, e-book).  The caller puts them back, with or without line breaks between.
    """
    lines, current = [], etree.Element("span", {"class": "verse-line"})
    current.text = block.text
    for child in list(block):
        if child.tag == "br":
            lines.append(current)
            current = etree.Element("span", {"class": "verse-line"})
            current.text = (child.tail or "").lstrip("\n")
        else:
            current.append(child)
    lines.append(current)
    block.text = None
    for child in list(block):
        block.remove(child)
    return lines
