"""The register's read-only views on a short path: no pydantic-settings, SQLAlchemy or papers.

``request list`` and ``sla`` need five settings, the register's rows and the SOP's rules. The
full :class:`netprov.settings.Settings` (pydantic-settings) and the SQLAlchemy store cost about
a second of imports together, so here the settings those views use are read from the
environment the way pydantic-settings reads them (``NETPROV_<NAME>``, any case), the register
through :mod:`netprov.store.readonly`, and the records built by the same
:func:`netprov.sop.record.build_record` as :class:`netprov.sop.service.RequestService` uses.
A config file (``NETPROV_CONFIG``), or settings an earlier step already loaded, go through the
full settings instead. A users file, when one is set, is still read and checked.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netprov.errors import NetprovError, NotFoundError
from netprov.store.readonly import read_register

if TYPE_CHECKING:
    from netprov.cli.common import Invocation
    from netprov.domain.sop import State
    from netprov.domain.users import Directory
    from netprov.sop.record import RequestRecord


@dataclass(frozen=True)
class ViewSettings:
    """The settings the read-only views use (same names and defaults as ``Settings``)."""

    data_dir: Path
    database_url: str | None = None
    users_file: Path | None = None
    user: str | None = None
    timezone: str = "Asia/Jakarta"
    id_prefix: str = "PJB"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'register.sqlite3'}"


def _env(name: str, environ: dict[str, str]) -> str | None:
    """``NETPROV_<NAME>`` in any case, as pydantic-settings matches it (exact case first)."""
    key = f"NETPROV_{name.upper()}"
    if key in environ:
        return environ[key]
    for k, v in environ.items():
        if k.upper() == key:
            return v
    return None


def _default_data_dir(environ: dict[str, str]) -> Path:
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "netprov"


def from_environment(environ: dict[str, str] | None = None) -> ViewSettings | None:
    """The view settings from the environment; None when a config file is named (use the full)."""
    env = dict(os.environ) if environ is None else environ
    if _env("config", env):
        return None
    data_dir, users_file = _env("data_dir", env), _env("users_file", env)
    return ViewSettings(
        data_dir=Path(data_dir) if data_dir is not None else _default_data_dir(env),
        database_url=_env("database_url", env),
        users_file=Path(users_file) if users_file is not None else None,
        user=_env("user", env),
        timezone=_or(_env("timezone", env), "Asia/Jakarta"),
        id_prefix=_or(_env("id_prefix", env), "PJB"),
    )


def _or(value: str | None, default: str) -> str:
    return default if value is None else value


def view_settings(inv: Invocation) -> ViewSettings:
    """The invocation's view settings: its full settings if loaded or needed, else the environment."""
    light = None if inv._settings is not None else from_environment()
    if light is not None:
        return light
    s = inv.settings
    return ViewSettings(s.data_dir, s.database_url, s.users_file, s.user, s.timezone, s.id_prefix)


def actor(inv: Invocation, settings: ViewSettings) -> str:
    """Who acts (``--as`` or ``NETPROV_USER``), as ``Invocation.require_actor`` says it."""
    who = inv.actor or settings.user
    if not who:
        raise NetprovError("who is acting? give --as USER or set NETPROV_USER")
    return who


def users(settings: ViewSettings) -> Directory:
    """The users file (checked as every command checks it), or the built-in lab team."""
    from netprov.domain.users import load_directory

    return load_directory(settings.users_file)


def find_records(
    settings: ViewSettings,
    state: State | None = None,
    overdue: bool = False,
    now: dt.datetime | None = None,
) -> list[RequestRecord]:
    """The requests, optionally only those in ``state`` or past a deadline (``RequestService.find``)."""
    from netprov.sop.record import build_record

    if settings.users_file is not None:
        users(settings)  # a broken users file is refused here too, as before
    snapshot = read_register(settings.effective_database_url)
    now = now or dt.datetime.now(dt.UTC)
    out = []
    for req in snapshot.requests:
        rec = build_record(req, snapshot.events.get(req.id, []), settings.timezone, now)
        if state is not None and rec.state is not state:
            continue
        if overdue and not rec.overdue:
            continue
        out.append(rec)
    return out


def sla_records(settings: ViewSettings, now: dt.datetime | None = None) -> list[RequestRecord]:
    """Requests whose due step is past its deadline, oldest deadline first (``RequestService.sla``)."""
    late = find_records(settings, overdue=True, now=now)
    return sorted(late, key=lambda r: r.due_at or r.now)


def get_record(settings: ViewSettings, request_id: str, now: dt.datetime | None = None) -> RequestRecord:
    """One request (``RequestService.get``): the id checked first, NotFoundError if absent."""
    from netprov.sop.intake import check_request_id
    from netprov.sop.record import build_record

    check_request_id(request_id, settings.id_prefix)
    if settings.users_file is not None:
        users(settings)
    snapshot = read_register(settings.effective_database_url)
    for req in snapshot.requests:
        if req.id == request_id:
            events = snapshot.events.get(req.id, [])
            return build_record(req, events, settings.timezone, now or dt.datetime.now(dt.UTC))
    raise NotFoundError(f"no request {request_id!r} in the register")


def changes_of(settings: ViewSettings, request_id: str) -> list[dict[str, Any]]:
    """The requests whose letter changes ``request_id``'s link (id, kind, state), oldest first."""
    from netprov.sop.record import build_record

    snapshot = read_register(settings.effective_database_url)
    now = dt.datetime.now(dt.UTC)
    out = []
    for req in snapshot.requests:
        if req.letter.get("of") == request_id:
            rec = build_record(req, snapshot.events.get(req.id, []), settings.timezone, now)
            out.append({"id": req.id, "kind": str(req.letter.get("kind")), "state": rec.state.value})
    return out
