"""Code a pandoc reader would lose, set aside before it reads and put back after.

pandoc reads an ODT's "Preformatted Text" paragraphs, or a Word document's paragraphs in
"HTML Preformatted" or in a fixed-pitch font, as prose: one paragraph per line, runs of
spaces shortened.  The source readers (``odt_source``, ``docx_source``) replace each run
of such paragraphs by one paragraph holding a ``token``, with the run's exact text; after
pandoc has read the file, ``put_back`` makes each token paragraph a code block.
"""
from __future__ import annotations

import hashlib
import re

# Fixed-pitch fonts by name, for a font the document does not describe.
FIXED_NAMES = re.compile(r"mono|courier|consolas|menlo|monaco|lucida console|inconsolata", re.I)


def token(text: str, number: int) -> str:
    """A word no document holds and no reader splits (letters and digits only)."""
    return f"verbatim{number}x{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def put_back(blocks: list, codes: dict[str, str]) -> None:
    """Each token paragraph (wherever pandoc put it: a list item, a quote, a table cell)
    becomes its code block, and inline code holding a token its exact text."""
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        if block.get("t") == "Code" and block["c"][1] in codes:      # inline code
            block["c"][1] = codes[block["c"][1]]
            continue
        if block.get("t") in ("Para", "Plain") and len(block["c"]) == 1 and \
                block["c"][0].get("t") == "Str" and block["c"][0]["c"] in codes:
            blocks[i] = {"t": "CodeBlock", "c": [["", [], []], codes[block["c"][0]["c"]]]}
            continue
        _inside(block.get("c"), codes)


def _inside(value, codes) -> None:
    if isinstance(value, list):
        if value and all(isinstance(v, dict) and "t" in v for v in value):
            put_back(value, codes)
        else:
            for v in value:
                _inside(v, codes)
    elif isinstance(value, dict):
        _inside(value.get("c"), codes)
