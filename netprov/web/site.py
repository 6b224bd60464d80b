"""What every page and action shares: the netprov App, sign-in, templates, the signed-in viewer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from netprov.app import App
from netprov.domain.sop import STEPS
from netprov.web.auth import Authenticator, Viewer
from netprov.web.i18n import ACTIONS, STATES, pick, translator

HERE = Path(__file__).parent
SESSION_COOKIE = "netprov_session"
LANG_COOKIE = "lang"


class NotSignedIn(Exception):
    """Raised by :meth:`Site.viewer`; the app turns it into a redirect to the login page."""


@dataclass
class Site:
    app: App
    auth: Authenticator
    secure_cookie: bool = False
    netbox_public_url: str | None = None

    def __post_init__(self) -> None:
        # autoescape everywhere: every value is shown as text (a letter's fields may hold HTML)
        env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
        self.templates = Jinja2Templates(env=env)

    def viewer(self, request: Request) -> Viewer:
        viewer = self.auth.viewer(request.cookies.get(SESSION_COOKIE))
        if viewer is None:
            raise NotSignedIn
        return viewer

    def local(self, when: dt.datetime | None) -> str:
        if when is None:
            return "-"
        return when.astimezone(ZoneInfo(self.app.settings.timezone)).strftime("%d-%m-%Y %H:%M")

    def render(
        self, request: Request, name: str, viewer: Viewer | None, status: int = 200, **values: Any
    ) -> HTMLResponse:
        lang = pick(request.cookies.get(LANG_COOKIE))
        context = {
            "t": translator(lang),
            "act": translator(lang, ACTIONS),
            "st": translator(lang, STATES),
            "step_title": lambda n: STEPS[n].title if lang == "en" else STEPS[n].title_id,
            "lang": lang,
            "viewer": viewer,
            "csrf": viewer.csrf if viewer else values.pop("login_csrf", ""),
            "local": self.local,
            **values,
        }
        response: HTMLResponse = self.templates.TemplateResponse(request, name, context, status_code=status)
        return response


def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def refuse(status: int, message: str) -> HTTPException:
    return HTTPException(status_code=status, detail=message)
