"""pandoc's JSON document tree: walking it, and the plain text of a part of it."""
from __future__ import annotations


def walk(node, visit):
    """Call ``visit`` on every element (dict with "t") of a pandoc JSON tree, depth first."""
    if isinstance(node, dict):
        if "t" in node:
            visit(node)
        for value in node.values():
            walk(value, visit)
    elif isinstance(node, list):
        for item in node:
            walk(item, visit)


def stringify(node) -> str:
    """The plain text of inlines (notes left out), as pandoc's own ``stringify``."""
    out = []

    def text(n):
        if isinstance(n, list):
            for item in n:
                text(item)
            return
        if not isinstance(n, dict):
            return
        t, c = n.get("t"), n.get("c")
        if t == "Str":
            out.append(c)
        elif t in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif t in ("Code", "Math"):
            out.append(c[1])
        elif t == "Quoted":
            q = "“”" if c[0]["t"] == "DoubleQuote" else "‘’"
            out.append(q[0])
            text(c[1])
            out.append(q[1])
        elif t in ("Note", "RawInline"):
            return
        elif t in ("Link", "Image", "Span", "Cite"):
            text(c[1] if t != "Cite" else c[1])
        elif t in ("MetaString",):
            out.append(c)
        elif isinstance(c, list):
            text(c)

    text(node)
    return " ".join("".join(out).split())
