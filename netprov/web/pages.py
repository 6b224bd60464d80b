"""The pages: my tasks, the register, one request, the dashboard, a paper's file."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from netprov.domain.sop import Role, State
from netprov.errors import DocumentError, NotFoundError, PermissionDenied
from netprov.sop.intake import check_request_id, confined
from netprov.sop.record import RequestRecord
from netprov.web import views
from netprov.web.scans import recorded_scans
from netprov.web.site import Site, site_of

router = APIRouter()
#: A paper's HTML is shown sandboxed: no script, nothing fetched but its inline pictures.
PAPER_CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_MEDIA = {"pdf": "application/pdf", "html": "text/html; charset=utf-8", "yaml": "text/plain; charset=utf-8"}


def visible_record(site: Site, request_id: str, viewer_user: object) -> RequestRecord:
    from netprov.domain.users import User

    assert isinstance(viewer_user, User)
    record = site.app.service.get(request_id)
    if not views.visible(record, viewer_user):
        raise NotFoundError(f"{request_id}: no such request for {viewer_user.username}")
    return record


@router.get("/")
def home() -> Response:
    return RedirectResponse("/tasks", status_code=303)


@router.get("/tasks", response_class=HTMLResponse)
def tasks(request: Request) -> HTMLResponse:
    site = site_of(request)
    viewer = site.viewer(request)
    records = views.mine(site.app.service.find(), viewer.user)
    return site.render(request, "tasks.html", viewer, records=records)


@router.get("/requests", response_class=HTMLResponse)
def register(
    request: Request, state: str = "", opd: str = "", service: str = "", overdue: str = ""
) -> HTMLResponse:
    site = site_of(request)
    viewer = site.viewer(request)
    every = [r for r in site.app.service.find() if views.visible(r, viewer.user)]
    filters = views.Filters(state[:32], opd[:200], service[:16], overdue == "1")
    return site.render(
        request,
        "register.html",
        viewer,
        records=[r for r in every if filters.keep(r)],
        filters=filters,
        states=[s.value for s in State],
        opds=sorted({r.request.opd for r in every}),
        services=sorted({r.request.service for r in every}),
    )


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, request_id: str) -> HTMLResponse:
    site = site_of(request)
    viewer = site.viewer(request)
    record = visible_record(site, request_id, viewer.user)
    users = site.app.service.users
    return site.render(
        request,
        "request.html",
        viewer,
        r=record,
        letter=record.letter,
        actions=views.open_actions(record, viewer.user),
        kabids=users.with_role(Role.KABID),
        staff=users.with_role(Role.STAFF),
        draft=views.opd_draft(record),
        documents=record.documents,
        scans=recorded_scans(record),
        netbox_url=site.netbox_public_url,
    )


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    site = site_of(request)
    viewer = site.viewer(request)
    if viewer.user.role is Role.OPD:
        raise PermissionDenied(f"{viewer.user.username} may not see the dashboard: it is for the agency")
    svc = site.app.service
    data = views.dashboard(svc.find(), svc.clock(), site.app.settings.timezone)
    return site.render(request, "dashboard.html", viewer, **data)


@router.get("/requests/{request_id}/papers/{index}/{fmt}")
def paper(request: Request, request_id: str, index: int, fmt: str) -> Response:
    """One recorded paper's file, only if it is inside the request's folder and its SHA-256
    is the recorded one (the file the register vouches for, nothing else)."""
    from netprov.documents.store import StoredDocument, file_state, locate

    site = site_of(request)
    viewer = site.viewer(request)
    record = visible_record(site, check_request_id(request_id, site.app.settings.id_prefix), viewer.user)
    docs = record.documents
    if not 0 <= index < len(docs) or fmt not in _MEDIA:
        raise NotFoundError(f"{request_id}: no paper {index} in {fmt}")
    doc = StoredDocument.from_event(docs[index])
    if fmt not in doc.files:
        raise NotFoundError(f"{request_id}: paper {index} has no {fmt} file")
    stored = doc.files[fmt]
    documents_dir = site.app.settings.documents_dir
    path = _inside(locate(stored, documents_dir), documents_dir, request_id)
    if file_state(stored, documents_dir) != "ok":
        raise DocumentError(f"{path.name}: changed or missing since it was recorded; not handing it out")
    inline = request.query_params.get("inline") == "1"
    return FileResponse(
        path,
        media_type=_MEDIA[fmt],
        filename=path.name,
        content_disposition_type="inline" if inline else "attachment",
        headers={"Content-Security-Policy": PAPER_CSP},
    )


def _inside(path: Path, base: Path, request_id: str) -> Path:
    """``path`` when it lies inside ``base/request_id`` (symlinks resolved); refused otherwise."""
    folder = confined(base, request_id)
    real = path.resolve()
    if not real.is_relative_to(folder):
        raise PermissionDenied(f"{request_id}: a recorded file lies outside the request's folder; refused")
    return real
