"""Uploaded files (scanned letters, evidence): PDF, JPEG or PNG by their content, at most 10 MB.

The browser's file name and type are not trusted: the first bytes decide, and the file is
written under a name of netprov's choosing in a private temporary folder (removed afterwards).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.datastructures import UploadFile

from netprov.errors import InputError

LIMIT = 10 * 1024 * 1024
#: Leading bytes -> (media type, file suffix).
SIGNATURES: dict[bytes, tuple[str, str]] = {
    b"%PDF-": ("application/pdf", ".pdf"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
}


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, kind in SIGNATURES.items():
        if head.startswith(magic):
            return kind
    return None


@contextmanager
def received_file(upload: object, field: str) -> Iterator[tuple[Path, str]]:
    """The upload as a checked temporary file and its media type; InputError naming ``field``."""
    if not isinstance(upload, UploadFile):
        raise InputError([f"{field}: attach a file (PDF, JPEG or PNG)"], source="upload")
    data = upload.file.read(LIMIT + 1)
    if len(data) > LIMIT:
        raise InputError([f"{field}: the file is larger than 10 MB"], source="upload")
    if not data:
        raise InputError([f"{field}: the file is empty"], source="upload")
    kind = sniff(data[:16])
    if kind is None:
        raise InputError([f"{field}: only PDF, JPEG or PNG files are accepted (by content)"], source="upload")
    folder = Path(tempfile.mkdtemp(prefix="netprov-upload-"))
    try:
        path = folder / f"{field}{kind[1]}"
        path.write_bytes(data)
        yield path, kind[0]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
