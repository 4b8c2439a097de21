"""Normalize a source into canonical Pandoc Markdown with a YAML metadata block.

Each stage is a small function ``Draft -> Draft`` in its own module; STAGES lists them in
order.  ``normalize`` runs them and renders the Markdown.  Stages never reword the text:
they only change its encoding, its markup and its typography.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..diagnostics import Report
from . import decode, gutenberg, metadata, structure, typography

# Source kinds: plain text goes through structure detection; Markdown keeps its own.
TEXT_SUFFIXES = {".txt", ".text", ""}
MARKDOWN_SUFFIXES = {".md", ".markdown"}


@dataclass
class Draft:
    path: Path
    raw: bytes
    kind: str                      # "text" or "markdown"
    report: Report
    text: str = ""
    meta: dict = field(default_factory=dict)      # inferred from the text
    sidecar: dict = field(default_factory=dict)   # given by the user; always wins
    first_line: int = 1            # line in the source of text's first line (after stripping)


STAGES = [decode.run, gutenberg.run, structure.run, typography.run, metadata.run]


def source_kind(path: Path) -> str:
    return "markdown" if path.suffix.lower() in MARKDOWN_SUFFIXES else "text"


def normalize(path: Path, raw: bytes | None = None, sidecar: dict | None = None,
              report: Report | None = None) -> tuple[str, dict, Report]:
    """Return (markdown, metadata, report) for the source at ``path``."""
    path = Path(path)
    report = report or Report(str(path))
    draft = Draft(path=path, raw=path.read_bytes() if raw is None else raw,
                  kind=source_kind(path), report=report, sidecar=dict(sidecar or {}))
    for stage in STAGES:
        draft = stage(draft)
    return render_markdown(draft.meta, draft.text), draft.meta, report


def render_markdown(meta: dict, body: str) -> str:
    head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000).strip()
    body = body.strip("\n")
    return f"---\n{head}\n---\n\n{body}\n" if meta else f"{body}\n"
