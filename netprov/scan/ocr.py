"""The OCR port and its Tesseract runner.

Tesseract (Debian ``tesseract-ocr tesseract-ocr-ind``, installed by ``./run setup``) reads one
page image with the Indonesian model in ``--psm 6`` (one block of text: the default page
segmentation dropped whole body lines on photo-like pages) and one OpenMP thread
(``OMP_THREAD_LIMIT=1``: with more, a page took 10x longer on a busy 2-core machine).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Protocol

from netprov.errors import ConfigError, NetprovError
from netprov.scan.words import Word, parse_tsv

#: Seconds one page may take before the reader gives up.
PAGE_TIMEOUT = 120.0


class Ocr(Protocol):
    """Reads the words of one page image."""

    def read(self, image: Path, page: int, line: bool = False) -> list[Word]:
        """The words of ``image`` (page number ``page``) in reading order; ``line``: the image
        is one line of text (a field cut out of the page, read again)."""
        ...


class TesseractOcr:
    """:class:`Ocr` with the ``tesseract`` binary (language ``ind``, ``--psm 6``)."""

    def __init__(self, binary: str = "tesseract", lang: str = "ind", psm: int = 6) -> None:
        self.binary, self.lang, self.psm = binary, lang, psm

    def _path(self) -> str:
        found = shutil.which(self.binary)
        if found is None:
            raise ConfigError(
                "request scan needs Tesseract OCR: install the Debian packages tesseract-ocr and "
                "tesseract-ocr-ind (./run setup does)"
            )
        return found

    def read(self, image: Path, page: int, line: bool = False) -> list[Word]:
        psm = 7 if line else self.psm
        cmd = [self._path(), str(image), "-", "-l", self.lang, "--psm", str(psm), "tsv"]
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=PAGE_TIMEOUT, env=env, check=False
            )
        except subprocess.TimeoutExpired:
            raise NetprovError(f"scan: page {page} took over {PAGE_TIMEOUT:.0f} s to read") from None
        if done.returncode != 0:
            err = done.stderr.strip().splitlines()
            last = err[-1][:200] if err else f"exit {done.returncode}"
            if "ind.traineddata" in done.stderr or "Failed loading language" in done.stderr:
                raise ConfigError(
                    "request scan needs Tesseract's Indonesian model: install tesseract-ocr-ind"
                )
            raise NetprovError(f"scan: Tesseract could not read page {page} ({last})")
        return parse_tsv(done.stdout, page)
