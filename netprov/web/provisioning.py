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
from starlette.concurrency import run_in_threadpool

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
    refused: NetprovError | None = None  # the service's refusal, before the run changed anything
    started: threading.Event = field(default_factory=threading.Event)  # lock held, or ended


#: How long a press of the button waits to learn whether its run took the request's lock.
START_WAIT_S = 30.0


_LIVE: dict[str, Live] = {}
_LOCK = threading.Lock()


_FRR_SECTIONS = {"lines to add": "add", "lines to delete": "del"}


def diff_lines(diff: str) -> list[tuple[str, str]]:
    """Each line of a device's diff with its class (add, del, hdr or '').

    A unified diff (``---``/``+++``/``@@``) is read by its markers; frr-reload's output by its
    "Lines To Delete/Add" sections; otherwise the diff is the config the push would apply,
    where a ``no ...`` line removes and every other line adds.
    """
    lines = diff.splitlines()
    unified = any(line.startswith(("@@", "+++", "---")) for line in lines)
    section = ""
    out = []
    for line in lines:
        low = line.strip().lower()
        if not unified and (low in _FRR_SECTIONS or (section and low and set(low) == {"="})):
            section = _FRR_SECTIONS.get(low, section)
            out.append(("hdr", line))
        elif section:
            out.append((section, line) if line.strip() else ("", line))
        elif unified and line.startswith(("+++", "---", "@@")):
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
        live.started.set()  # the saga reports only once it holds the request's lock

    try:
        root.provisioner(progress=progress).run(rid, actor)
    except NetprovError as exc:
        live.error = str(exc)
        if not live.started.is_set():  # refused (another run holds the lock, a guard): no change made
            live.refused = exc
    except Exception as exc:  # a thread must not die silently; the trail has the rollback
        live.error = f"{type(exc).__name__}: {exc}"
    finally:
        live.done = True
        live.started.set()
        root.close()


@router.post("/requests/{request_id}/provision-run")
async def provision_run(request: Request, request_id: str) -> Response:
    site = site_of(request)
    viewer = site.viewer(request)
    require_same(await sent_token(request), viewer.csrf)
    rid = check_request_id(request_id, site.app.settings.id_prefix)
    site.app.service.ensure_may(Action.PROVISION, rid, viewer.user.username)  # refused here, as the CLI
    live = Live()
    threading.Thread(target=_run, args=(site.app, rid, viewer.user.username, live), daemon=True).start()
    # Wait until the run holds the register's lock for the request or was refused: a second
    # press (this process or another) gets the service's sentence, the first run goes on.
    await run_in_threadpool(live.started.wait, START_WAIT_S)
    if live.refused is not None:
        raise live.refused
    with _LOCK:
        _LIVE[rid] = live
    return RedirectResponse(f"/requests/{rid}", status_code=303)


@router.get("/requests/{request_id}/progress", response_class=HTMLResponse)
def progress(request: Request, request_id: str) -> HTMLResponse:
    """The run's progress as a fragment; it keeps polling itself until the run has ended
    (whichever process runs it: the journal is the register's)."""
    site = site_of(request)
    viewer = site.viewer(request)
    rid = check_request_id(request_id, site.app.settings.id_prefix)
    record = site.app.service.get(rid)
    entries = site.app.service.store.journal_entries(rid)
    last_run = entries[-1].run_id if entries else ""
    journal = [e for e in entries if e.run_id == last_run]
    live = _LIVE.get(rid)
    ours = live is not None and not live.done
    # a run of this process, or of another (its lock is in the register): keep polling
    running = record.state is State.FORM_COMPLETE and (
        ours or site.app.service.store.lock_holder(rid) is not None
    )
    return site.render(
        request, "_progress.html", viewer, r=record, journal=journal, live=live, running=running
    )
