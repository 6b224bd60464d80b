"""CSRF: every POST carries the session's token (form field ``csrf_token`` or header
``X-CSRF-Token`` for htmx); the login form, before any session, a double-submit cookie."""

from __future__ import annotations

import secrets

from fastapi import HTTPException, Request

LOGIN_COOKIE = "netprov_login_csrf"


async def sent_token(request: Request) -> str:
    """The token the browser sent with this POST ("" when none)."""
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


def require_same(sent: str, expected: str | None) -> None:
    """403 unless ``sent`` is the expected token (compared in constant time)."""
    if not expected or not sent or not secrets.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong")
