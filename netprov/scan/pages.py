"""A scanned letter on disk: checked, then turned into words (text layer or OCR of page images).

Accepted: PDF (scanned, or born-digital with a text layer), PNG and JPEG photos. Refused with
one sentence: not one of those (by its first bytes, not its name), over :data:`MAX_BYTES`,
a PDF of more than :data:`MAX_PDF_PAGES` pages, an image of more than :data:`MAX_PIXELS`,
a blank page. Only the first :data:`READ_PAGES` pages are read (a letter; what follows are
attachments).
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import warnings
from pathlib import Path
from typing import Literal

from netprov.errors import ConfigError, InputError
from netprov.inputs import EVIDENCE_LIMIT, check_regular, source_name
from netprov.scan.deskew import deskew
from netprov.scan.ocr import Ocr
from netprov.scan.words import Word, parse_bbox_html

Kind = Literal["pdf", "png", "jpeg"]
MAX_BYTES = EVIDENCE_LIMIT
MAX_PDF_PAGES = 200
MAX_PIXELS = 60_000_000
READ_PAGES = 3
#: Rasterizing resolution for scanned PDFs, and the pixel scale of text-layer boxes.
DPI = 200
#: A text layer with fewer words than this is a scan (an OCR'd scan's layer is not trusted either).
MIN_LAYER_WORDS = 30
_TOOL_TIMEOUT = 60.0


@dataclasses.dataclass(frozen=True)
class ScanFile:
    path: Path
    kind: Kind
    pages: int
    size: int


def sniff(head: bytes) -> Kind | None:
    """The file kind from its first bytes.

    >>> sniff(b"%PDF-1.7 ..."), sniff(b"\\x89PNG\\r\\n\\x1a\\n"), sniff(b"\\xff\\xd8\\xff\\xe0")
    ('pdf', 'png', 'jpeg')
    >>> sniff(b"GIF89a") is None
    True
    """
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None


def _bad(path: Path, problem: str) -> InputError:
    return InputError([problem], source=source_name("scan", path))


def _run(cmd: list[str], path: Path, what: str) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=_TOOL_TIMEOUT, check=False)
    except FileNotFoundError:
        raise ConfigError(f"request scan needs {cmd[0]} (Debian poppler-utils)") from None
    except subprocess.TimeoutExpired:
        raise _bad(path, f"{what} took over {_TOOL_TIMEOUT:.0f} s") from None
    if done.returncode != 0:
        raise _bad(path, f"is not a readable PDF ({what} failed)")
    return done.stdout


def check_scan(path: Path) -> ScanFile:
    """``path`` when it is a PDF/PNG/JPEG within the limits; InputError naming the problem else."""
    size = check_regular(path, "scan", MAX_BYTES)
    with path.open("rb") as f:
        kind = sniff(f.read(16))
    if kind is None:
        raise _bad(path, "is not a PDF, PNG or JPEG file")
    if size < 64:
        raise _bad(path, f"is too small to be a scan ({size} bytes)")
    if kind == "pdf":
        info = _run(["pdfinfo", str(path)], path, "pdfinfo")
        m = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
        pages = int(m.group(1)) if m else 0
        if pages < 1:
            raise _bad(path, "is a PDF without pages")
        if pages > MAX_PDF_PAGES:
            raise _bad(path, f"has {pages} pages, at most {MAX_PDF_PAGES} are accepted")
        return ScanFile(path, kind, pages, size)
    _check_complete(path, kind)
    _open_image(path)
    return ScanFile(path, kind, 1, size)


def _check_complete(path: Path, kind: str) -> None:
    """A cut-off PNG or JPEG, judged by its own end marker: Pillow cannot be trusted to notice,
    since WeasyPrint (loaded once a paper was rendered in this process) turns on Pillow's
    process-wide ``LOAD_TRUNCATED_IMAGES``."""
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - 4096))
        tail = f.read()
    ends = {"png": b"IEND\xaeB`\x82", "jpeg": b"\xff\xd9"}.get(kind)
    if ends is not None and ends not in tail:
        raise _bad(path, "is not a readable image (damaged or cut off)")


def _open_image(path: Path) -> object:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
            if img.width * img.height > MAX_PIXELS:
                raise Image.DecompressionBombError("too many pixels")
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bad(path, f"is too large an image (over {MAX_PIXELS} pixels)") from None
    except (OSError, SyntaxError, ValueError):
        raise _bad(path, "is not a readable image (damaged or cut off)") from None
    return img


def _page_image(src: Path, dest: Path, page: int, path: Path) -> Path:
    """``src`` as a deskewed grayscale PNG at ``dest``; a blank page is refused."""
    from PIL import Image, ImageStat

    img = _open_image(src)
    assert isinstance(img, Image.Image)
    gray = img.convert("L")
    if ImageStat.Stat(gray).stddev[0] < 3.0:
        raise _bad(path, f"page {page} is blank")
    deskew(gray).save(dest)
    return dest


def read_words(scan: ScanFile, ocr: Ocr, work: Path) -> tuple[list[Word], dict[int, Path]]:
    """Every word of the first :data:`READ_PAGES` pages, in reading order, and the page images
    read (in ``work``; none for a text layer)."""
    path = scan.path
    last = min(scan.pages, READ_PAGES)
    if scan.kind == "pdf":
        html = _run(["pdftotext", "-bbox", "-f", "1", "-l", str(last), str(path), "-"], path, "pdftotext")
        words = parse_bbox_html(html, DPI / 72)
        if len(words) >= MIN_LAYER_WORDS:
            return words, {}
    sources = _pdf_pages(path, last, work) if scan.kind == "pdf" else [path]
    words, images = [], {}
    for page, src in enumerate(sources, start=1):
        images[page] = _page_image(src, work / f"page{page}.pgm", page, path)
        words.extend(ocr.read(images[page], page))
    return words, images


def crop_line(image: Path, box: tuple[int, int, int, int], dest: Path) -> Path:
    """The line ``box`` of a page image, with a margin (to be read again)."""
    from PIL import Image

    with Image.open(image) as img:
        x0, y0, x1, y1 = box
        part = img.crop((max(0, x0 - 12), max(0, y0 - 10), min(img.width, x1 + 12), min(img.height, y1 + 10)))
        if y1 - y0 < 24:  # small print (a photo at ~100 dpi): twice as large reads better
            part = part.resize((part.width * 2, part.height * 2), Image.Resampling.LANCZOS)
        part.save(dest)
    return dest


def _pdf_pages(path: Path, last: int, work: Path) -> list[Path]:
    """The page images of a scanned PDF: its own images when each page is one image (fast, as
    scanned), else the pages rasterized at :data:`DPI`."""
    listing = _run(["pdfimages", "-list", "-f", "1", "-l", str(last), str(path)], path, "pdfimages")
    per_page: dict[int, int] = {}
    for row in listing.splitlines()[2:]:
        cols = row.split()
        if len(cols) > 13 and cols[2] == "image" and cols[12].isdigit() and int(cols[12]) >= 90:
            per_page[int(cols[0])] = per_page.get(int(cols[0]), 0) + 1
    if all(per_page.get(p) == 1 for p in range(1, last + 1)):
        _run(["pdfimages", "-j", "-f", "1", "-l", str(last), str(path), str(work / "i")], path, "pdfimages")
        found = sorted(work.glob("i-*"))
        if len(found) == last:
            return found
    cmd = ["pdftoppm", "-r", str(DPI), "-gray", "-png", "-f", "1", "-l", str(last), str(path)]
    _run([*cmd, str(work / "p")], path, "pdftoppm")
    return sorted(work.glob("p-*.png"))
