"""Step 7 by the pipeline from the web: the dry-run diff per device, the run in the background,
its progress (the register's run journal, polled by htmx, plus this process's stage messages).

The run is the CLI's: ``App.provisioner().run(request_id, actor)``, which checks the same guard
before it changes anything and records the step (or its rollback) in the same trail.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from netprov.app import App
from netprov.domain.sop import Action, State
from netprov.errors import NetprovError
from netprov.sop.intake import check_request_id
from netprov.web.csrf import require_same, sent_token
from netprov.web.site import site_of

router = APIRouter()


@dataclass
class Live:
    """What this process knows of a running provisioning: its stage lines, its end."""

    lines: list[tuple[str, str, str]] = field(default_factory=list)
    done: bool = False
    error: str = ""


_LIVE: dict[str, Live] = {}
_LOCK = threading.Lock()


def diff_lines(diff: str) -> list[tuple[str, str]]:
    """Each line of a device's diff with its class (add, del, hdr or '').

    A unified diff (``---``/``+++``/``@@``) is read by its markers; otherwise the diff is the
    config the push would apply, where a ``no ...`` line removes and every other line adds.
    """
    lines = diff.splitlines()
    unified = any(line.startswith(("@@", "+++", "---")) for line in lines)
    out = []
    for line in lines:
        if unified and line.startswith(("+++", "---", "@@")):
            out.append(("hdr", line))
        elif (unified and line.startswith("+")) or (not unified and not line.lstrip().startswith("no ")):
            out.append(("add", line) if line.strip() else ("", line))
        elif line.startswith("-") or (not unified and line.lstrip().startswith("no ")):
            out.append(("del", line))
        else:
            out.append(("", line))
    return out


@router.get("/requests/{request_id}/dry-run", response_class=HTMLResponse)
def dry_run(request: Request, request_id: str) -> HTMLResponse:
    site = site_of(request)
    viewer = site.viewer(request)
    rid = check_request_id(request_id, site.app.settings.id_prefix)
    site.app.service.ensure_may(Action.PROVISION, rid, viewer.user.username)
    root = App(site.app.settings, service=site.app.service)
    try:
        result = root.provisioner(progress=lambda *_: None).dry_run(rid)
    finally:
        root.close()
    devices = [(d.device, d.platform, d.mode, diff_lines(d.diff)) for d in result.diffs]
    return site.render(request, "diff.html", viewer, rid=rid, result=result, devices=devices)


def _run(app: App, rid: str, actor: str, live: Live) -> None:
    root = App(app.settings, service=app.service)

    def progress(stage: str, device: str, message: str) -> None:
        with _LOCK:
            live.lines.append((stage, device, message[:300]))

    try:
        root.provisioner(progress=progress).run(rid, actor)
    except NetprovError as exc:
        live.error = str(exc)
    except Exception as exc:  # a thread must not die silently; the trail has the rollback
        live.error = f"{type(exc).__name__}: {exc}"
    finally:
        live.done = True
        root.close()


@router.post("/requests/{request_id}/provision-run")
async def provision_run(request: Request, request_id: str) -> Response:
    site = site_of(request)
    viewer = site.viewer(request)
    require_same(await sent_token(request), viewer.csrf)
    rid = check_request_id(request_id, site.app.settings.id_prefix)
    site.app.service.ensure_may(Action.PROVISION, rid, viewer.user.username)  # refused here, as the CLI
    live = Live()
    with _LOCK:
        running = _LIVE.get(rid)
        if running is None or running.done:
            _LIVE[rid] = live
            threading.Thread(
                target=_run, args=(site.app, rid, viewer.user.username, live), daemon=True
            ).start()
    return RedirectResponse(f"/requests/{rid}", status_code=303)


@router.get("/requests/{request_id}/progress", response_class=HTMLResponse)
def progress(request: Request, request_id: str) -> HTMLResponse:
    """The run's progress as a fragment; it keeps polling itself until the run has ended."""
    site = site_of(request)
    viewer = site.viewer(request)
    rid = check_request_id(request_id, site.app.settings.id_prefix)
    record = site.app.service.get(rid)
    entries = site.app.service.store.journal_entries(rid)
    last_run = entries[-1].run_id if entries else ""
    journal = [e for e in entries if e.run_id == last_run]
    live = _LIVE.get(rid)
    running = live is not None and not live.done and record.state is State.FORM_COMPLETE
    return site.render(
        request, "_progress.html", viewer, r=record, journal=journal, live=live, running=running
    )
