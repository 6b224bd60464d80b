"""Straighten a slightly rotated page (scanner or phone photo) before OCR (pure, PIL only).

The angle is the one at which the rows of ink line up best: the row profile of the
binarized, downscaled page has the largest variance (text lines and gaps sharply apart).
"""

from __future__ import annotations

from PIL import Image, ImageStat

#: Angles tried, in degrees: a scan or photo rotated by more is not "slightly rotated".
MAX_ANGLE = 5.0
_WIDTH = 600


def _score(small: Image.Image, angle: float) -> float:
    rotated = small.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)
    rows = list(rotated.resize((1, rotated.height), Image.Resampling.BOX).tobytes())
    mean = sum(rows) / len(rows)
    return float(sum((r - mean) ** 2 for r in rows))


def skew_angle(gray: Image.Image) -> float:
    """The rotation (degrees, counter-clockwise) that straightens ``gray``'s text lines."""
    scale = _WIDTH / gray.width
    small = gray.resize((_WIDTH, max(1, round(gray.height * scale))), Image.Resampling.BILINEAR)
    ink = small.point(lambda v: 255 if v < 150 else 0)
    best = max((a / 2 for a in range(-10, 11)), key=lambda a: _score(ink, a))
    fine = [best + d / 10 for d in range(-4, 5)]
    return max(fine, key=lambda a: _score(ink, a))


def deskew(gray: Image.Image) -> Image.Image:
    """``gray`` rotated straight (unchanged when it is within 0.2 degrees)."""
    angle = skew_angle(gray)
    if abs(angle) < 0.2:
        return gray
    # The corners filled with the paper's own shade: white corners on a grey photo turn
    # Tesseract's reading of the whole page into noise.
    paper = int(ImageStat.Stat(gray).median[0])
    return gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=paper)
