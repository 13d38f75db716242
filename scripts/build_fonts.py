"""Rebuild resources/fonts/ from Debian's fonts-noto-cjk: Song (serif) and Hei (sans), TrueType, subset.

Why: official Chinese documents are set in 宋体/黑体 (GB/T 9704); Noto Serif/Sans CJK SC are OFL-1.1 but ship as
CFF (PostScript) outlines, which reportlab cannot embed. This cuts each face to the characters a report can
need (GB 2312's 6,763 ideographs, Latin, punctuation, symbols and every character in the repository's forms,
translations and code) and converts the outlines to TrueType quadratics. The rest of GBK (rare characters,
some of them in people's names) would triple the size: 19 MB for the Song face alone.

    apt-get install fonts-noto-cjk && .venv/bin/python scripts/build_fonts.py

The output depends only on the Debian package version and this script (same input, same bytes).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/opentype/noto")
DEBIAN_COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")
OUT = ROOT / "resources" / "fonts"
# (source collection, face name inside it, output file): the family names stay Noto's ("Noto" is not reserved).
FACES = (
    ("NotoSerifCJK-Regular.ttc", "NotoSerifCJKsc-Regular", "NotoSerifSC-Regular.ttf"),  # 宋体: report body
    ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular", "NotoSansSC-Regular.ttf"),  # 黑体: headings, UI, stamps
)
# Unicode blocks kept whole: Latin, Greek, punctuation, letterlike symbols, number forms, arrows, maths,
# enclosed numbers (①), box drawing, shapes (□■○●), CJK punctuation, full-width forms.
BLOCKS = (
    (0x0020, 0x024F), (0x0370, 0x03FF), (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x218F), (0x2190, 0x21FF),
    (0x2200, 0x22FF), (0x2460, 0x24FF), (0x2500, 0x25FF), (0x2600, 0x26FF), (0x3000, 0x303F), (0xFF00, 0xFFEF),
)  # fmt: skip
TEXT_FILES = ("forms/**/*.yaml", "resources/i18n/*.po", "ltc_assess/**/*.py", "examples/**/*", "schemas/*.json")


def _codec_chars(codec: str, leads: range, trails: range) -> set[str]:
    """Every character a double-byte codec defines in the given lead/trail byte ranges."""
    chars = set()
    for lead in leads:
        for trail in trails:
            try:
                chars.add(bytes((lead, trail)).decode(codec))
            except UnicodeDecodeError:
                continue
    return chars


def wanted_characters() -> set[str]:
    """GB 2312 (all of it), the blocks above and every character in the repository's text files."""
    chars = _codec_chars("gb2312", range(0xA1, 0xF8), range(0xA1, 0xFF))
    chars |= {chr(cp) for first, last in BLOCKS for cp in range(first, last + 1)}
    for pattern in TEXT_FILES:
        for path in ROOT.glob(pattern):
            if path.is_file():
                chars |= set(path.read_text(encoding="utf-8", errors="ignore"))
    return {c for c in chars if c.isprintable() or c == " "}


def _face(collection: Path, name: str) -> TTFont:
    for font in TTCollection(collection).fonts:
        if font["name"].getDebugName(6) == name:
            return font
    sys.exit(f"build_fonts: {collection}: no face {name}")


def _to_truetype(font: TTFont) -> None:
    """CFF cubic outlines to TrueType quadratic ones (fontTools' Snippets/otf2ttf.py, STACK.md §2)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    for name, glyph in glyphs.items():
        font["hmtx"].metrics[name] = (font["hmtx"].metrics[name][0], getattr(glyph, "xMin", 0))
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):  # fmt: skip
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"


def build(collection: str, face: str, out: Path, chars: set[str]) -> TTFont:
    font = _face(SOURCE / collection, face)
    options = subset.Options()
    options.layout_features = ["*"]  # keep vertical forms, full-width alternates, kerning
    options.name_IDs = ["*"]  # copyright and licence fields travel with the file
    options.notdef_outline = True
    options.drop_tables += ["DSIG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)))
    subsetter.subset(font)
    _to_truetype(font)
    font.recalcTimestamp = False  # keep the source's head.modified: reproducible bytes
    font.save(out, reorderTables=True)
    return font


def licence_text(fonts: list[TTFont]) -> str:
    """The fonts' own copyright lines, then the OFL 1.1 text as Debian ships it."""
    debian = DEBIAN_COPYRIGHT.read_text(encoding="utf-8")
    body = debian.split("License: SIL-1.1\n", 2)[2].split("\nLicense: ", 1)[0]
    ofl = "\n".join("" if line.strip() == "." else line[1:] for line in body.splitlines()).strip("\n")
    notices = sorted({font["name"].getDebugName(0) for font in fonts})
    made = "Subset of Noto Serif CJK SC / Noto Sans CJK SC (Debian fonts-noto-cjk), converted to TrueType "
    made += "outlines by scripts/build_fonts.py."
    return "\n".join([*notices, "", made, "", ofl, ""])


def main() -> int:
    if not (SOURCE / FACES[0][0]).exists():
        sys.exit(f"build_fonts: {SOURCE} has no Noto CJK fonts (apt-get install fonts-noto-cjk)")
    chars = wanted_characters()
    fonts = []
    for collection, face, filename in FACES:
        fonts.append(build(collection, face, OUT / filename, chars))
        print(f"{OUT / filename}: {len(chars)} characters, {(OUT / filename).stat().st_size / 1e6:.1f} MB")
    (OUT / "OFL.txt").write_text(re.sub(r"[ \t]+\n", "\n", licence_text(fonts)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
