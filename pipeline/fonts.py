"""The book typeface: static instances cut from the variable fonts shipped on PyPI.

fontpkg-literata ships Literata as two variable fonts.  WeasyPrint lays out and subsets
static fonts faster and picks true bold reliably, so regular, italic, bold and bold
italic are instantiated once (fontTools' instancer) and cached under build/fonts/.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

FAMILY = "Literata"
TEXT_OPSZ = 12          # optical size for running text at 10–11 pt
STYLES = {              # name: (source file, weight, style)
    "regular": ("Literata[opsz,wght].ttf", 400, "normal"),
    "italic": ("Literata-Italic[opsz,wght].ttf", 400, "italic"),
    "bold": ("Literata[opsz,wght].ttf", 700, "normal"),
    "bolditalic": ("Literata-Italic[opsz,wght].ttf", 700, "italic"),
}


@dataclass(frozen=True)
class Face:
    path: Path
    weight: int
    style: str


def _source_dir() -> Path:
    import fontpkg_literata

    return fontpkg_literata.ROOT / "files"


def cache_dir() -> Path:
    return Path(os.environ.get("PIPELINE_CACHE", Path.cwd() / "build")) / "fonts"


def fingerprint() -> str:
    """Changes when the font package changes; part of the PDF edition's build key."""
    h = hashlib.sha256()
    for f in sorted(_source_dir().glob("*.ttf")):
        h.update(f.name.encode() + str(f.stat().st_size).encode())
    return h.hexdigest()[:16]


def faces() -> list[Face]:
    out_dir = cache_dir() / fingerprint()
    result = []
    for name, (src, weight, style) in STYLES.items():
        target = out_dir / f"{FAMILY}-{name}.ttf"
        if not target.exists():
            _instantiate(_source_dir() / src, weight, target)
        result.append(Face(target, weight, style))
    return result


def _instantiate(src: Path, weight: int, target: Path) -> None:
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    font = instancer.instantiateVariableFont(
        TTFont(src, recalcTimestamp=False), {"wght": weight, "opsz": TEXT_OPSZ},
        updateFontNames=True)
    # The cut is the same whenever it is made: keep the source font's own timestamp.
    font.recalcTimestamp = False
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    font.save(tmp)
    os.replace(tmp, target)
