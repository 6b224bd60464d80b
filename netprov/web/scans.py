"""A request's scanned letter on its page: downloaded, or previewed (an image as it is, a PDF's
first page as a picture), only from the request's own evidence folder and only while its
SHA-256 is the one recorded (the step-1 event of ``request submit --scan`` and of the scanned
letter form; a ``letter-scan`` note of the plain web form)."""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from netprov.errors import DocumentError, NotFoundError
from netprov.sop.intake import check_request_id
from netprov.sop.record import RequestRecord
from netprov.web.site import site_of

router = APIRouter()
#: What is handed out is shown sandboxed: nothing runs, nothing is fetched.
SCAN_CSP = "sandbox; default-src 'none'; img-src 'self' data:"
_PREVIEW_DPI = 60


def recorded_scans(record: RequestRecord) -> list[dict[str, Any]]:
    """The scans recorded for ``record``, the step-1 one first."""
    out = []
    for e in record.events:
        stored = e.outputs.get("scan")
        if e.action in ("submit", "letter-scan") and isinstance(stored, dict) and "file" in stored:
            out.append(stored)
    return out


def media_of(stored: dict[str, Any]) -> str:
    if "media_type" in stored:
        return str(stored["media_type"])
    suffix = Path(str(stored["file"])).suffix.lower()
    return {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}.get(
        suffix, "application/octet-stream"
    )


def _first_page_png(data: bytes, name: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="netprov-preview-") as tmp:
        pdf, out = Path(tmp) / "scan.pdf", Path(tmp) / "page"
        pdf.write_bytes(data)
        cmd = [
            "pdftoppm",
            "-r",
            str(_PREVIEW_DPI),
            "-f",
            "1",
            "-l",
            "1",
            "-png",
            "-singlefile",
            str(pdf),
            str(out),
        ]
        try:
            subprocess.run(cmd, capture_output=True, timeout=30, check=True)
            return (Path(tmp) / "page.png").read_bytes()
        except (OSError, subprocess.SubprocessError):
            raise DocumentError(f"{name}: its first page cannot be shown; download it instead") from None


@router.get("/requests/{request_id}/scan/{index}")
def scan(request: Request, request_id: str, index: int) -> Response:
    """The department's scanned letter; ``?inline=1``: its preview (a picture)."""
    from netprov.web.pages import _inside, visible_record

    site = site_of(request)
    viewer = site.viewer(request)
    record = visible_record(site, check_request_id(request_id, site.app.settings.id_prefix), viewer.user)
    scans = recorded_scans(record)
    if not 0 <= index < len(scans):
        raise NotFoundError(f"{request_id}: no scanned letter {index}")
    stored = scans[index]
    path = _inside(Path(str(stored["file"])), site.app.settings.evidence_dir, request_id)
    data = path.read_bytes() if path.is_file() else b""  # checked and handed out: the same bytes
    if hashlib.sha256(data).hexdigest() != stored.get("sha256"):
        raise DocumentError(f"{path.name}: changed or missing since it was recorded; not handing it out")
    media = media_of(stored)
    headers = {"Content-Security-Policy": SCAN_CSP}
    if request.query_params.get("inline") == "1":
        if media == "application/pdf":
            return Response(_first_page_png(data, path.name), media_type="image/png", headers=headers)
        return Response(data, media_type=media, headers={**headers, "Content-Disposition": "inline"})
    disposition = f'attachment; filename="{path.name}"'
    return Response(data, media_type=media, headers={**headers, "Content-Disposition": disposition})
