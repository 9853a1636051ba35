"""Draw the demo's two pictures (seed/pictures/): stand-ins for the photographs that open the two student posts
on the course blog, which are not shipped. Each is a plain sepia drawing of wooden barracks going up, with a
caption strip, so nobody mistakes it for a photograph. Run once; the output is committed:

    /path/to/python scripts/make_seed_pictures.py
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "seed" / "pictures"
SIZE = (720, 450)
PAPER, INK, WASH, SKY = (236, 224, 200), (74, 52, 34), (176, 146, 108), (222, 206, 176)


def _hut(draw: ImageDraw.ImageDraw, x: int, ground: int, width: int, height: int, built: float) -> None:
    """A long log hut: walls of planks up to `built` of their height, a roof only when it is finished."""
    top = ground - int(height * built)
    draw.rectangle([x, top, x + width, ground], fill=WASH, outline=INK, width=2)
    for y in range(ground - 9, top, -9):
        draw.line([x, y, x + width, y], fill=INK, width=1)
    if built >= 1:
        draw.polygon([(x - 12, top), (x + width // 2, top - height // 2), (x + width + 12, top)], fill=INK)
        for n in range(3):
            wx = x + 18 + n * (width - 40) // 2
            draw.rectangle([wx, top + 14, wx + 18, top + 30], fill=PAPER, outline=INK)
    else:
        for n in range(0, width + 1, width // 4):  # the frame still standing above the walls
            draw.line([x + n, top, x + n, ground - height], fill=INK, width=3)
        draw.line([x, ground - height, x + width, ground - height], fill=INK, width=3)


def _figure(draw: ImageDraw.ImageDraw, x: int, ground: int, carrying: bool) -> None:
    draw.ellipse([x - 5, ground - 44, x + 5, ground - 34], fill=INK)
    draw.line([x, ground - 34, x, ground - 16], fill=INK, width=3)
    draw.line([x, ground - 16, x - 6, ground], fill=INK, width=3)
    draw.line([x, ground - 16, x + 6, ground], fill=INK, width=3)
    if carrying:
        draw.line([x - 24, ground - 36, x + 24, ground - 30], fill=INK, width=4)
    else:
        draw.line([x, ground - 28, x + 12, ground - 20], fill=INK, width=2)


def picture(seed: int, huts: list[tuple[int, int, int, float]], caption: str) -> Image.Image:
    rng = random.Random(seed)
    image = Image.new("RGB", SIZE, SKY)
    draw = ImageDraw.Draw(image)
    ground = 330
    for _ in range(5):  # a treeline behind
        x = rng.randrange(0, SIZE[0])
        for n in range(0, 140, 14):
            draw.polygon(
                [(x + n, ground - 60 - rng.randrange(20)), (x + n - 9, ground - 20), (x + n + 9, ground - 20)],
                fill=(150, 124, 92),
            )
    draw.rectangle([0, ground, SIZE[0], 390], fill=(200, 178, 140))
    for x, width, height, built in huts:
        _hut(draw, x, ground, width, height, built)
    for n in range(7):
        _figure(draw, 40 + n * 95 + rng.randrange(30), ground + 40 + rng.randrange(12), carrying=n % 2 == 0)
    draw.rectangle([0, 390, SIZE[0], SIZE[1]], fill=PAPER)
    font = ImageFont.load_default(size=17)
    draw.text((16, 398), caption, fill=INK, font=font)
    draw.text((16, 422), "Drawing made for Board's demo; a stand-in for the blog's photograph", fill=WASH, font=font)
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    pictures = {
        "prisoners-building-prisons.jpg": picture(
            3, [(40, 180, 90, 1.0), (270, 200, 100, 0.55), (520, 160, 80, 0.25)], "Prisoners building prisons"
        ),
        "prisoners-building-living-quarters.jpg": picture(
            4, [(60, 260, 100, 1.0), (380, 260, 100, 0.6)], "Prisoners building living quarters"
        ),
    }
    for name, image in pictures.items():
        path = OUT / name
        image.save(path, format="JPEG", quality=80, optimize=True)
        print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
