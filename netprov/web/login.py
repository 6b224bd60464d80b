"""Sign in, sign out, the language switch."""

from __future__ import annotations

import secrets
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from netprov.web.auth import LoginRefused
from netprov.web.csrf import LOGIN_COOKIE, require_same, sent_token
from netprov.web.site import LANG_COOKIE, SESSION_COOKIE, site_of

router = APIRouter()


def _login_page(request: Request, error: str = "", status: int = 200) -> HTMLResponse:
    site = site_of(request)
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    response = site.render(request, "login.html", None, status, login_csrf=token, error=error)
    response.set_cookie(
        LOGIN_COOKIE, token, httponly=True, samesite="lax", secure=site.secure_cookie, max_age=3600
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _login_page(request)


@router.post("/login")
async def login(request: Request, username: str = Form(""), password: str = Form("")) -> Response:
    require_same(await sent_token(request), request.cookies.get(LOGIN_COOKIE))
    site = site_of(request)
    try:
        token = site.auth.login(username, password)
    except LoginRefused as exc:
        return _login_page(request, "login_locked" if str(exc) == "locked" else "login_wrong", 401)
    response = RedirectResponse("/tasks", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=site.secure_cookie,
        max_age=site.auth.policy.session_minutes * 60,
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    site = site_of(request)
    viewer = site.viewer(request)
    require_same(await sent_token(request), viewer.csrf)
    site.auth.logout(viewer)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{lang}")
def switch_language(request: Request, lang: str, next: str = "") -> Response:
    back = next or request.headers.get("referer", "/tasks")
    path = urlparse(back).path or "/tasks"  # only a path on this site
    response = RedirectResponse(path if path.startswith("/") and not path.startswith("//") else "/tasks", 303)
    response.set_cookie(LANG_COOKIE, "en" if lang == "en" else "id", samesite="lax", max_age=365 * 86400)
    return response
