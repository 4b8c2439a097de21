"""The book typeface: static instances cut from the variable fonts shipped on PyPI.

fontpkg-literata ships Literata as two variable fonts.  WeasyPrint lays out and subsets
static fonts faster and picks true bold reliably, so regular, italic, bold and bold
italic are instantiated once (fontTools' instancer) and cached under build/fonts/.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
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


def _instantiate(src: Path, weight: int, target: Path, axes=None) -> None:
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    font = instancer.instantiateVariableFont(
        TTFont(src, recalcTimestamp=False), axes or {"wght": weight, "opsz": TEXT_OPSZ},
        updateFontNames=True)
    # The cut is the same whenever it is made: keep the source font's own timestamp.
    font.recalcTimestamp = False
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    font.save(tmp)
    os.replace(tmp, target)


# -- scripts Literata lacks -----------------------------------------------------------
# Each script's typeface from PyPI: (package, family, designer, files by style).  A
# variable font is cut into static weights like Literata; a static one is copied.
SCRIPT_FONTS = {
    "Arab": ("fontpkg_amiri", "Amiri", "Khaled Hosny", {
        "regular": ("Amiri-Regular.ttf", 400, "normal"), "italic": ("Amiri-Italic.ttf", 400, "italic"),
        "bold": ("Amiri-Bold.ttf", 700, "normal"), "bolditalic": ("Amiri-BoldItalic.ttf", 700, "italic")}),
    "Hebr": ("fontpkg_frank_ruhl_libre", "Frank Ruhl Libre", "Yanek Iontef", {
        "regular": ("FrankRuhlLibre[wght].ttf", 400, "normal"),
        "bold": ("FrankRuhlLibre[wght].ttf", 700, "normal")}),
}
LANGUAGE_SCRIPT = {"ar": "Arab", "fa": "Arab", "ur": "Arab", "ps": "Arab", "ckb": "Arab",
                   "sd": "Arab", "ug": "Arab", "he": "Hebr", "yi": "Hebr"}


def script_font(language: str) -> tuple[str, str, list[Face]] | None:
    """(family, designer, faces) of the typeface for the language's script, if Literata
    lacks it; the faces are cached beside Literata's (the only fonts a PDF may load)."""
    script = LANGUAGE_SCRIPT.get(language.split("-")[0].lower())
    if not script:
        return None
    import importlib
    import shutil

    package, family, designer, styles = SCRIPT_FONTS[script]
    root = importlib.import_module(package).ROOT / "files"
    out_dir = cache_dir() / fingerprint()
    result = []
    for name, (src, weight, style) in styles.items():
        target = out_dir / f"{family.replace(' ', '')}-{name}.ttf"
        if not target.exists():
            if "[" in src:
                _instantiate(root / src, weight, target, {"wght": weight})
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_suffix(f".{os.getpid()}.tmp")
                shutil.copyfile(root / src, tmp)
                os.replace(tmp, target)
        result.append(Face(target, weight, style))
    return family, designer, result


def web_font(face: Face, characters: str) -> bytes:
    """A WOFF2 subset of ``face`` holding only ``characters``, for the web edition to embed
    so that every reader sees the book's typeface.  Cached by its characters: the same
    page gives the same bytes."""
    key = hashlib.sha256(f"woff2\n{face.path.name}\n{''.join(sorted(set(characters)))}".encode())
    target = face.path.parent / f"web-{key.hexdigest()[:24]}.woff2"
    if target.exists():
        return target.read_bytes()
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]       # kerning, ligatures, small capitals, figures
    font = TTFont(face.path, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    font.flavor = "woff2"
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    font.save(tmp)
    os.replace(tmp, target)
    return target.read_bytes()


@dataclass(frozen=True)
class Typefaces:
    """The fonts one edition sets, found (and cut, the first time) by the build when it
    makes the document, so that the writers read no font file and no environment: the
    folder a PDF may load fonts from, Literata's faces, the typeface of the text's script
    when Literata lacks it ((family, designer, faces), as ``script_font``), and how a
    face is cut to the characters of a web page (cached in the build's font folder)."""
    directory: Path
    faces: list[Face]
    script: tuple[str, str, list[Face]] | None
    subset: Callable[[Face, str], bytes] = web_font


def typefaces(language: str) -> Typefaces:
    """The build's one reading of the font cache for a text in ``language``."""
    return Typefaces(cache_dir().resolve(), faces(), script_font(language) if language else None)
