"""The step buttons: each POST calls the register's service, exactly as the CLI command does
(the same methods, the same order of checks), so the rules and the trail are one."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from netprov.app import App
from netprov.domain.sop import Action
from netprov.errors import InputError, NotFoundError, PermissionDenied
from netprov.sop.intake import check_request_id
from netprov.web import fields, views
from netprov.web.csrf import require_same, sent_token
from netprov.web.site import site_of
from netprov.web.uploads import LIMIT, received_file

router = APIRouter()

Handler = Callable[[App, str, str, FormData], object]


def _note(form: FormData) -> str:
    return fields.text(form, "note")


def _check(app: App, actor: str, rid: str, form: FormData) -> object:
    from netprov.cli.request_check import manual_feasibility

    svc = app.service
    record = svc.ensure_may(Action.CHECK, rid, actor)  # as the CLI: the guard before the findings
    spec, purpose, bandwidth, ip = (
        fields.flag(form, k) for k in ("spec_ok", "purpose_ok", "bandwidth_ok", "ip_ok")
    )
    feasibility = manual_feasibility(record, spec, purpose, bandwidth, ip, _note(form))
    return svc.check(rid, actor, feasibility, _note(form))


def _check_netbox(app: App, actor: str, rid: str, form: FormData) -> object:
    from netprov.cli.request_check import netbox_feasibility

    record = app.service.ensure_may(Action.CHECK, rid, actor)
    return app.service.check(rid, actor, netbox_feasibility(app.settings, record), _note(form))


def _provision_manual(app: App, actor: str, rid: str, form: FormData) -> object:
    app.service.ensure_may(Action.PROVISION, rid, actor)  # as the CLI: the guard before the file
    with received_file(form.get("evidence"), "evidence") as (path, _media):
        return app.service.provision_manual(rid, actor, path, _note(form))


def _opd_form(app: App, actor: str, rid: str, form: FormData) -> object:
    svc = app.service
    user, record = svc.users.get(actor), svc.get(rid)
    if not views.may_fill_opd_form(record, user):
        raise PermissionDenied(f"{actor} may not fill the completeness form of {rid} now")
    parsed = fields.completeness_from(form, rid)
    return svc.annotate(
        rid, actor, views.OPD_FORM, "Formulir diisi OPD", {"form": parsed.model_dump(mode="json")}
    )


HANDLERS: dict[str, Handler] = {
    "dispose": lambda a, u, r, f: a.service.dispose(r, u, fields.text(f, "to", 100), _note(f)),
    "assign": lambda a, u, r, f: a.service.assign(r, u, fields.text(f, "to", 100), _note(f)),
    "reassign": lambda a, u, r, f: a.service.reassign(r, u, fields.text(f, "to", 100), _note(f)),
    "check": _check,
    "check-netbox": _check_netbox,
    "reject": lambda a, u, r, f: a.service.reject(r, u, fields.text(f, "reason")),
    "sign-reply": lambda a, u, r, f: a.service.sign_reply(r, u, _note(f)),
    "accept": lambda a, u, r, f: a.service.accept(r, u, _note(f)),
    "form": lambda a, u, r, f: a.service.fill_form(r, u, fields.completeness_from(f, r), _note(f)),
    "opd-form": _opd_form,
    "provision": _provision_manual,
    "report": lambda a, u, r, f: a.service.report(r, u, _note(f)),
    "forward": lambda a, u, r, f: a.service.forward(r, u, _note(f)),
    "review": lambda a, u, r, f: a.service.review(r, u, True, _note(f)),
    "return": lambda a, u, r, f: a.service.review(r, u, False, _note(f)),
}


def too_big(request: Request) -> bool:
    """A body over the upload limit (with room for the other fields) is refused unread."""
    length = request.headers.get("content-length", "")
    return length.isdigit() and int(length) > LIMIT + 256 * 1024


@router.post("/requests/{request_id}/act/{name}")
async def act(request: Request, request_id: str, name: str) -> Response:
    site = site_of(request)
    viewer = site.viewer(request)
    if too_big(request):
        raise InputError(["upload: the request is larger than 10 MB"], source="upload")
    require_same(await sent_token(request), viewer.csrf)
    handler = HANDLERS.get(name)
    if handler is None:
        raise NotFoundError(f"no action {name[:40]!r}")
    check_request_id(request_id, site.app.settings.id_prefix)
    form = await request.form()
    handler(site.app, viewer.user.username, request_id, form)
    return RedirectResponse(f"/requests/{request_id}", status_code=303)
