"""The web app factory: ``create_app(App)`` gives a FastAPI app over one netprov register."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from netprov.app import App
from netprov.errors import InputError, NetprovError, NotFoundError, PermissionDenied
from netprov.web import actions, login, pages, provisioning, scanform, scans, submit
from netprov.web.auth import Authenticator, AuthPolicy
from netprov.web.site import HERE, NotSignedIn, Site, site_of

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'self'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def status_of(exc: NetprovError) -> int:
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, InputError):
        return 400
    return 409


def message_of(exc: NetprovError) -> str:
    """The CLI's words for the error (InputError: its source and problems)."""
    if isinstance(exc, InputError):
        return f"{exc.source} is invalid: " + "; ".join(exc.problems)
    return str(exc)


def create_app(
    app: App,
    *,
    policy: AuthPolicy | None = None,
    secure_cookie: bool = False,
    netbox_public_url: str | None = None,
) -> FastAPI:
    """The web pages over ``app``'s register (its service, users file and clock)."""
    service = app.service
    auth = Authenticator(service.store, service.users, service.clock, policy or AuthPolicy())
    web = FastAPI(title="netprov", docs_url=None, redoc_url=None, openapi_url=None)
    web.state.site = Site(app, auth, secure_cookie, netbox_public_url or app.settings.netbox_url)
    web.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (login, pages, submit, actions, provisioning, scanform, scans):
        web.include_router(module.router)

    @web.exception_handler(NotSignedIn)
    async def _to_login(request: Request, exc: NotSignedIn) -> Response:
        if request.method == "GET":
            return RedirectResponse("/login", status_code=303)
        return HTMLResponse("not signed in", status_code=401)

    @web.exception_handler(NetprovError)
    async def _refused(request: Request, exc: NetprovError) -> Response:
        site = site_of(request)
        viewer = site.auth.viewer(request.cookies.get("netprov_session"))
        return site.render(request, "error.html", viewer, status_of(exc), message=message_of(exc))

    @web.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        site = site_of(request)
        viewer = site.auth.viewer(request.cookies.get("netprov_session"))
        return site.render(request, "error.html", viewer, exc.status_code, message=str(exc.detail))

    @web.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return web
