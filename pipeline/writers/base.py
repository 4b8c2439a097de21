"""What the writers share: templates, stylesheets, and body serialization."""
from __future__ import annotations

from functools import cache
from importlib import resources

from lxml import etree

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
