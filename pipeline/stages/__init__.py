"""Normalize a source into canonical Pandoc Markdown with a YAML metadata block.

Each stage is a small function ``Draft -> Draft`` in its own module; STAGES lists them in
order.  ``normalize`` runs them and renders the Markdown.  Stages never reword the text:
they only change its encoding, its markup and its typography.

    decode → gutenberg → structure → language → render (typography) → metadata

Typography (``stages/typography.py``, ``typeset``) is applied by the renderer, block by
block, in the text's language, around the markers that hold markup.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..diagnostics import Report
from . import decode, gutenberg, metadata, structure
from ..safety import sanitize_markdown
from .lossless import check_lossless
from .markup import Markers

# Source kinds: plain text (anything else) goes through structure detection; Markdown
# keeps its own; other document formats are read by pandoc into Markdown first.
MARKDOWN_SUFFIXES = {".md", ".markdown"}
PANDOC_SUFFIXES = {".docx": "docx", ".odt": "odt", ".html": "html", ".htm": "html",
                   ".rst": "rst", ".epub": "epub"}


@dataclass
class Draft:
    path: Path
    raw: bytes
    kind: str                      # "text", "markdown" or a pandoc reader name
    report: Report
    text: str = ""
    meta: dict = field(default_factory=dict)      # inferred from the text
    sidecar: dict = field(default_factory=dict)   # given by the user; always wins
    first_line: int = 1            # line in the source of text's first line (after stripping)
    gutenberg: bool = False        # a Project Gutenberg file (header found)
    blocks: list = field(default_factory=list)    # typed blocks (plain text sources)
    markers: Markers | None = None
    bracket_notes: dict = field(default_factory=dict)
    note_count: int = 0
    decisions: list = field(default_factory=list)  # (line, kind, what) for --explain
    lang: str | None = None
    decoded: str = ""              # the whole decoded source, for the lossless check

    def explain(self, line, kind: str, what: str) -> None:
        self.decisions.append((line, kind, what))


def _pandoc_to_markdown(draft):
    """.docx/.odt/.html/.rst/.epub: pandoc reads the document, the Markdown path follows."""
    if draft.kind in ("text", "markdown"):
        return draft
    from .pandoc_source import read

    read(draft)
    draft.kind = "markdown"
    return draft


def _sanitize(draft):
    """Markdown (written, or converted by pandoc) loses raw HTML that could act or fetch."""
    if draft.kind == "markdown":
        draft.text = sanitize_markdown(draft.text, draft.report)
    return draft


def _keep_decoded(draft):
    draft.decoded = draft.text
    return draft


def _markers(draft):
    draft.markers = Markers(draft.text)
    return draft


def _markdown(draft):
    if draft.kind == "markdown":
        from .markdown_source import normalize_markdown

        normalize_markdown(draft, lambda body: metadata.detect_language(body))
    return draft


def _render(draft):
    if draft.kind == "text":
        from .render import render_blocks

        draft.text = render_blocks(draft.blocks, draft.markers, draft.lang)
    return draft


def _language(draft):
    """The text's language, needed by typography: metadata, sidecar, else detected."""
    lang = draft.sidecar.get("language") or draft.meta.get("language")
    lang = metadata.language_code(lang) if lang else None
    if not lang and draft.kind == "text":
        sample = " ".join(draft.markers.strip(t) for b in draft.blocks[:400] for t in _words(b))
        lang = metadata.detect_language(sample)
        if lang:                    # the metadata names the language the text was set in
            draft.meta["language"] = lang
    draft.lang = lang or "en"
    return draft


def _words(block):
    """A block's texts, verse lines and the paragraphs inside it included (not code)."""
    if getattr(block, "kind", "") == "code":
        return
    yield getattr(block, "text", "")
    for row in getattr(block, "rows", ()):
        yield row[1]
    for child in getattr(block, "children", ()):
        yield from _words(child)


STAGES = [_pandoc_to_markdown, decode.run, _keep_decoded, _sanitize, _markers, gutenberg.run, structure.run,
          _markdown, _language, _render, metadata.run]


def source_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    return PANDOC_SUFFIXES.get(suffix, "text")


def normalize(path: Path, raw: bytes | None = None, sidecar: dict | None = None,
              report: Report | None = None) -> tuple[str, dict, Report]:
    """Return (markdown, metadata, report) for the source at ``path``."""
    markdown, meta, report, check = normalize_unchecked(path, raw, sidecar, report)
    report.items.extend(check())
    return markdown, meta, report


def normalize_unchecked(path: Path, raw: bytes | None = None, sidecar: dict | None = None,
                        report: Report | None = None):
    """``normalize`` with the lossless check left to the caller (the build runs it while
    pandoc parses): (markdown, metadata, report, check); ``check()`` returns the check's
    diagnostics."""
    draft = run_stages(path, raw, sidecar, report)
    markdown = render_markdown(draft.meta, draft.text)

    def check() -> list:            # every word of the source must have come through
        return check_lossless(draft.decoded, markdown, str(path)) if draft.kind == "text" else []
    return markdown, draft.meta, draft.report, check


def run_stages(path, raw=None, sidecar=None, report=None) -> Draft:
    path = Path(path)
    report = report or Report(str(path))
    draft = Draft(path=path, raw=path.read_bytes() if raw is None else raw,
                  kind=source_kind(path), report=report, sidecar=dict(sidecar or {}))
    for stage in STAGES:
        draft = stage(draft)
    return draft


def explain(path, raw=None, sidecar=None) -> list[str]:
    """Every structural decision, one line each: ``path:line: kind: what``."""
    draft = run_stages(path, raw, sidecar)
    return [f"{path}:{line or 1}: {kind}: {what}" for line, kind, what in
            sorted(draft.decisions, key=lambda d: d[0] or 0)]


def render_markdown(meta: dict, body: str) -> str:
    head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000).strip()
    body = body.strip("\n")
    return f"---\n{head}\n---\n\n{body}\n" if meta else f"{body}\n"
