"""A register that writes papers, on a clock that steps forward, and step-4 findings (shared by
the document tests)."""

from __future__ import annotations

import datetime as dt

from netprov.documents.papers import RegisterPapers
from netprov.domain.resources import Candidate, Feasibility, Finding
from netprov.domain.users import load_directory
from netprov.settings import Settings
from netprov.sop.service import RequestService
from netprov.store.db import Store

WIB = dt.timezone(dt.timedelta(hours=7))


class StepClock:
    """Starts on a Tuesday morning in office hours; each reading is ``step`` later."""

    def __init__(self, step: dt.timedelta) -> None:
        self.now = dt.datetime(2026, 11, 24, 9, 0, tzinfo=WIB)
        self.step = step

    def __call__(self) -> dt.datetime:
        self.now += self.step
        return self.now


def paper_service(settings: Settings, step_minutes: int) -> RequestService:
    """The register in ``settings``, with the example users and papers rendered on each step."""
    clock = StepClock(dt.timedelta(minutes=step_minutes))
    users = load_directory(None)
    return RequestService(
        Store(settings.effective_database_url), users, settings, RegisterPapers(settings, users, clock), clock
    )


def intranet_feasibility(
    ok: bool, prefix_detail: str, bandwidth_detail: str, candidate: Candidate | None = None
) -> Feasibility:
    """Step-4 findings for a 20-host, 50 Mbps intranet request (``ok``: a prefix was found)."""
    return Feasibility(
        feasible=ok,
        service="intranet",
        hosts=20,
        bandwidth_mbps=50,
        prefix_length=27,
        findings=[
            Finding(check="prefix", ok=ok, detail=prefix_detail),
            Finding(check="bandwidth", ok=True, detail=bandwidth_detail),
        ],
        candidate=candidate or Candidate(),
        source="manual",
    )
