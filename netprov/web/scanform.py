"""Step 1 from a scanned letter on the web: upload the scan, netprov proposes the fields
(the same reader as ``netprov request scan``), the person checks and corrects them, then
submits; the request is registered with the scan attached (as ``request submit --scan``).

Reading never submits. A bad scan (blank, not a letter, not an image, too big) gets the
reader's sentence on the page and nothing is written. OCR runs in the thread pool (never on
the event loop), at most :data:`OCR_AT_ONCE` at a time per process.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from netprov.domain.services import known_services
from netprov.domain.sop import Role
from netprov.errors import InputError, NetprovError
from netprov.scan.proposal import Proposal
from netprov.web import fields, held, scanned
from netprov.web.actions import too_big
from netprov.web.auth import Viewer
from netprov.web.csrf import require_same, sent_token
from netprov.web.i18n import pick, translator
from netprov.web.scans import SCAN_CSP
from netprov.web.site import LANG_COOKIE, Site, site_of
from netprov.web.uploads import received_file

router = APIRouter()
OCR_AT_ONCE = 2
_OCR_SLOTS = threading.BoundedSemaphore(OCR_AT_ONCE)
_MEDIA = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg"}


def _read(site: Site, path: Path) -> Proposal:
    """The proposal for the scan at ``path`` (blocking: OCR and NetBox; run in a thread)."""
    import dataclasses

    from netprov.scan.known import known_names
    from netprov.scan.ocr import TesseractOcr
    from netprov.scan.reader import read_letter

    known, note = known_names(site.app.settings)
    with _OCR_SLOTS:
        proposal = read_letter(path, TesseractOcr(), known)
    return dataclasses.replace(proposal, notes=(note,)) if note else proposal


def _page(request: Request, site: Site, viewer: Viewer, status: int = 200, **values: Any) -> HTMLResponse:
    ts = translator(pick(request.cookies.get(LANG_COOKIE)), scanned.WORDS)
    services = sorted(known_services())
    return site.render(request, "scan.html", viewer, status, ts=ts, services=services, **values)


def _own_opd(viewer: Viewer) -> str | None:
    user = viewer.user
    return (user.opd or user.name) if user.role is Role.OPD else None


def _form_page(
    request: Request, site: Site, viewer: Viewer, pending: held.Held, status: int = 200, **values: Any
) -> HTMLResponse:
    proposal = held.proposal_of(pending)
    shown = values.pop("sent", None)
    own = _own_opd(viewer)
    rows = scanned.rows(proposal, shown, own)
    named = scanned.named_opd(proposal)
    other = named if own is not None and named and named != own else None
    return _page(
        request,
        site,
        viewer,
        status,
        rows=rows,
        proposal=proposal,
        token=pending.token,
        other_opd=other,
        **values,
    )


@router.get("/submit/scan", response_class=HTMLResponse)
def scan_form(request: Request) -> HTMLResponse:
    site = site_of(request)
    return _page(request, site, site.viewer(request))


@router.post("/submit/scan")
async def read_scan(request: Request) -> Response:
    """Read the uploaded scan and show the letter form filled with what was read."""
    site = site_of(request)
    viewer = site.viewer(request)
    if too_big(request):  # refused unread
        return _page(
            request, site, viewer, 400, error="upload is invalid: scan: the file is larger than 10 MB"
        )
    require_same(await sent_token(request), viewer.csrf)
    form = await request.form()
    upload = form.get("scan")
    name = (upload.filename or "") if isinstance(upload, UploadFile) else ""
    try:
        with received_file(upload, "scan") as (path, _media):
            pending = held.hold(site.app.settings.data_dir, viewer.user.username, path, name)
    except InputError as exc:
        return _page(request, site, viewer, 400, error=_sentence(exc))
    try:
        proposal = await run_in_threadpool(_read, site, pending.path)
    except NetprovError as exc:
        held.drop(pending)
        return _page(request, site, viewer, 400, error=_sentence(exc))
    except BaseException:
        held.drop(pending)
        raise
    data = proposal.as_json()
    data["source"] = pending.path.name  # not the server's folder
    held.save_proposal(pending, data)
    return _form_page(request, site, viewer, pending)


@router.get("/submit/scan/{token}")
def held_scan(request: Request, token: str) -> Response:
    """The held scan itself, for its owner to compare with the form."""
    site = site_of(request)
    viewer = site.viewer(request)
    pending = held.get(site.app.settings.data_dir, token, viewer.user.username)
    media = _MEDIA.get(pending.path.suffix, "application/octet-stream")
    headers = {"Content-Security-Policy": SCAN_CSP}
    return FileResponse(pending.path, media_type=media, content_disposition_type="inline", headers=headers)


def _sent(form: FormData) -> dict[str, str]:
    return {name: fields.text(form, name) for name, _, _ in scanned.LETTER_FORM}


@router.post("/submit/scanned")
async def submit_scanned(request: Request) -> Response:
    """Register the letter the person checked, with its held scan attached."""
    site = site_of(request)
    viewer = site.viewer(request)
    require_same(await sent_token(request), viewer.csrf)
    form = await request.form()
    data_dir = site.app.settings.data_dir
    pending = held.get(data_dir, fields.text(form, "scan_token", 80), viewer.user.username)
    opd = _own_opd(viewer) or fields.text(form, "opd", 200)
    svc = site.app.service
    try:
        letter = fields.letter_from(form, opd)
        record = await run_in_threadpool(svc.submit, letter, viewer.user.username, scan=pending.path)
    except NetprovError as exc:
        status = status_of(exc)
        return _form_page(request, site, viewer, pending, status, error=_sentence(exc), sent=_sent(form))
    held.drop(pending)
    return RedirectResponse(f"/requests/{record.id}", status_code=303)


def _sentence(exc: NetprovError) -> str:
    from netprov.web.app import message_of

    return message_of(exc)


def status_of(exc: NetprovError) -> int:
    from netprov.web.app import status_of

    return status_of(exc)
