"""Step 1 on the web: a department submits its letter with the scanned letter attached."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from netprov.domain.services import known_services
from netprov.domain.sop import Role
from netprov.errors import InputError, PermissionDenied
from netprov.sop.intake import store_evidence
from netprov.web import fields
from netprov.web.actions import too_big
from netprov.web.csrf import require_same, sent_token
from netprov.web.site import site_of
from netprov.web.uploads import received_file

router = APIRouter()


@router.get("/submit", response_class=HTMLResponse)
def submit_form(request: Request) -> HTMLResponse:
    site = site_of(request)
    viewer = site.viewer(request)
    return site.render(request, "submit.html", viewer, services=sorted(known_services()))


@router.post("/submit")
async def submit(request: Request) -> Response:
    site = site_of(request)
    viewer = site.viewer(request)
    if too_big(request):
        raise InputError(["scan: the request is larger than 10 MB"], source="upload")
    require_same(await sent_token(request), viewer.csrf)
    user = viewer.user
    if user.role is not Role.OPD:
        raise PermissionDenied(f"{user.username} may not submit on the web: letters come from a department")
    form = await request.form()
    letter = fields.letter_from(form, user.opd or user.name)
    with received_file(form.get("scan"), "scan") as (path, media):
        svc = site.app.service
        record = svc.submit(letter, user.username)
        stored = store_evidence(site.app.settings.evidence_dir, record.id, path)
        svc.annotate(
            record.id,
            user.username,
            "letter-scan",
            "Pindaian surat",
            {"scan": {**stored, "media_type": media}},
        )
    return RedirectResponse(f"/requests/{record.id}", status_code=303)
