"""Draw the application icon: resources/icons/ltc-assess.png (window icon) and .ico (Windows executables).

A blue rounded square with 护 (care) in the bundled Hei font; rerun after changing the font or the colours.

    .venv/bin/python scripts/build_icon.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
FONT = ROOT / "resources" / "fonts" / "NotoSansSC-Regular.ttf"
OUT = ROOT / "resources" / "icons"
SIZE = 256
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]


def draw() -> Image.Image:
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((8, 8, SIZE - 8, SIZE - 8), radius=48, fill=(29, 78, 216, 255))
    font = ImageFont.truetype(str(FONT), 176)
    pen.text((SIZE / 2, SIZE / 2 + 6), "护", font=font, fill=(255, 255, 255, 255), anchor="mm")
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    image = draw()
    image.save(OUT / "ltc-assess.png", optimize=True)
    image.save(OUT / "ltc-assess.ico", sizes=ICO_SIZES)


if __name__ == "__main__":
    main()
