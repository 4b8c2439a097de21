"""A book's cover: the source's own image, or one set from title and author in Literata.

``render_cover(doc)`` draws a 1400 × 2100 PNG (the 2:3 shape stores and reading
systems expect) and is deterministic: the same document gives the same bytes, so the
e-book stays reproducible and the catalog can make thumbnails from it.
``source_cover(name, source_dir)`` reads the image a text names in its `cover` metadata
(once, when the document is parsed), refusing anything outside the source folder
(an EPUB source's cover comes inline, as a ``data:`` URL).
"""
from __future__ import annotations

import base64
import hashlib
import io
import subprocess
from functools import cache
from pathlib import Path

WIDTH, HEIGHT = 1400, 2100
MARGIN = 150                      # text stays inside the inner frame
# Dark cloth colours; the book's identifier picks one, so a catalog is not uniform.
PALETTE = ["#3b1f1f", "#1f2d44", "#1f3a2e", "#2f2f3a", "#43283a", "#3a3220"]
INK = "#f1e8d2"
COVERAGE = 255       # drawing is done as coverage (0 cloth … 255 ink), coloured at the end
IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
               ".gif": "image/gif", ".webp": "image/webp"}


def source_cover(name: str, source_dir: Path) -> tuple[bytes, str] | None:
    """(bytes, file suffix) of the image named by `cover`, if it is a real image file
    inside source_dir, or carried as a ``data:`` URL (an EPUB source's own cover); None
    otherwise (the e-book then gets a drawn one)."""
    name = name.strip()
    if not name:
        return None
    if name.startswith("data:image/") and ";base64," in name:
        try:
            data = base64.b64decode(name.split(",", 1)[1], validate=True)
        except ValueError:
            return None
    else:
        root = Path(source_dir).resolve()
        path = (root / name).resolve()
        if root not in path.parents or not path.is_file() or path.suffix.lower() not in IMAGE_TYPES:
            return None
        data = path.read_bytes()
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.verify()
            fmt = im.format
    except Exception:
        return None
    if fmt in {"JPEG", "PNG"}:
        return data, ".jpg" if fmt == "JPEG" else ".png"
    with Image.open(io.BytesIO(data)) as im:   # GIF, WebP: not core media types in EPUB 3.3
        out = io.BytesIO()
        im.convert("RGB").save(out, "PNG")
        return out.getvalue(), ".png"


# -- drawing ---------------------------------------------------------------------------
@cache
def _covers(path: str, text: str) -> bool:
    from fontTools.ttLib import TTFont

    cmap = TTFont(path, lazy=True).getBestCmap()
    return all(ord(c) in cmap for c in text if not c.isspace())


CJK = {"ja": "JP", "ko": "KR", "zh-cn": "SC", "zh-hans": "SC", "zh-sg": "SC"}


@cache
def _fallback(language: str, text: str) -> tuple[str, int] | None:
    """A system serif with the glyphs Literata lacks, chosen by fontconfig."""
    lang = language.lower()
    region = CJK.get(lang, CJK.get(lang.split("-")[0], "TC"))
    charset = " ".join(f"{ord(c):x}" for c in sorted(set(text)) if not c.isspace())
    pattern = f"Noto Serif CJK {region},serif:charset={charset}"
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}:%{index}", pattern],
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, index = out.rpartition(":")
    return (path, int(index or 0)) if path else None


def _font(doc, text: str, size: int, style: str = "normal", weight: int = 400):
    from PIL import ImageFont

    # Literata's faces as the build found them (``Document.fonts``).
    path = next(str(f.path) for f in doc.fonts.faces if (f.weight, f.style) == (weight, style))
    index = 0
    if not _covers(path, text):
        fallback = _fallback(doc.language, text)
        if fallback:
            path, index = fallback
    return ImageFont.truetype(path, size, index=index)


def _wrap(draw, text: str, font, width: int) -> list[str]:
    """Greedy lines, then balanced: the narrowest width giving as few lines."""
    spaced = " " in text.strip()
    tokens = text.split() if spaced else list(text.strip())
    joiner = " " if spaced else ""

    def lines_for(limit):
        lines, line = [], []
        for t in tokens:
            trial = joiner.join(line + [t])
            if line and draw.textlength(trial, font=font) > limit:
                lines.append(joiner.join(line))
                line = [t]
            else:
                line.append(t)
        return lines + [joiner.join(line)] if line else lines

    best = lines_for(width)
    low, high = width // 3, width
    while high - low > 8:
        mid = (low + high) // 2
        if len(lines_for(mid)) <= len(best):
            high = mid
        else:
            low = mid
    return lines_for(high)


def _fit(draw, doc, text, width, max_lines, size, min_size, **style):
    while True:
        font = _font(doc, text, size, **style)
        lines = _wrap(draw, text, font, width)
        widest = max(draw.textlength(line, font=font) for line in lines)
        if (len(lines) <= max_lines and widest <= width) or size <= min_size:
            return font, lines
        size -= 6


def _block(draw, y, lines, font, leading, fill=COVERAGE):
    for line in lines:
        draw.text((WIDTH / 2, y), line, font=font, fill=fill, anchor="ma")
        y += leading
    return y


def render_cover(doc) -> bytes:
    """The cover as PNG bytes: title, subtitle, author and translator on a cloth colour."""
    from PIL import Image, ImageDraw

    key = hashlib.sha256(doc.identifier.encode()).digest()[0]
    image = Image.new("L", (WIDTH, HEIGHT), 0)
    draw = ImageDraw.Draw(image)
    for inset, stroke in ((60, 6), (84, 2)):
        draw.rectangle((inset, inset, WIDTH - inset, HEIGHT - inset), outline=COVERAGE, width=stroke)

    inner = WIDTH - 2 * MARGIN
    font, lines = _fit(draw, doc, doc.title, inner, 5, 170, 64)
    leading = int(font.size * 1.18)
    subtitle = str(doc.meta.get("subtitle") or "").strip()
    sfont, slines = (_fit(draw, doc, subtitle, inner, 3, max(48, font.size // 2), 40,
                          style="italic") if subtitle else (None, []))
    height = len(lines) * leading + (len(slines) * sfont.size * 1.3 + 40 if slines else 0)
    y = _block(draw, HEIGHT * 0.36 - height / 2, lines, font, leading)
    if slines:
        y = _block(draw, y + 40, slines, sfont, int(sfont.size * 1.3))
    y += 80
    draw.line((WIDTH / 2 - 110, y, WIDTH / 2 + 110, y), fill=COVERAGE, width=3)

    names = ", ".join(doc.authors)
    if names:
        caps = names if not _latin(names) else names.upper()
        afont, alines = _fit(draw, doc, caps, inner, 3, 66, 38)
        _block_spaced(draw, HEIGHT * 0.7, alines, afont, int(afont.size * 1.35))
    translators = doc.meta.get("translator") or []
    translators = translators if isinstance(translators, list) else [translators]
    if translators:
        text = "Translated by " + ", ".join(map(str, translators))
        tfont, tlines = _fit(draw, doc, text, inner, 2, 50, 32, style="italic")
        _block(draw, HEIGHT * 0.7 + 200, tlines, tfont, int(tfont.size * 1.3))
    out = io.BytesIO()
    # Cloth and ink with the anti-aliasing between them: a 256-colour palette ramp.
    cloth, ink = _rgb(PALETTE[key % len(PALETTE)]), _rgb(INK)
    image = Image.frombytes("P", image.size, image.tobytes())
    image.putpalette([round(c + (i - c) * v / 255) for v in range(256) for c, i in zip(cloth, ink)])
    image.save(out, "PNG")
    return out.getvalue()


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _latin(text: str) -> bool:
    return all(ord(c) < 0x250 for c in text)


def _block_spaced(draw, y, lines, font, leading):
    """Capitals, letter-spaced as a typesetter would (a tenth of the size)."""
    track = font.size * 0.1
    for line in lines:
        widths = [draw.textlength(c, font=font) for c in line]
        x = WIDTH / 2 - (sum(widths) + track * (len(line) - 1)) / 2
        for c, w in zip(line, widths):
            draw.text((x, y), c, font=font, fill=COVERAGE)
            x += w + track
        y += leading
    return y
