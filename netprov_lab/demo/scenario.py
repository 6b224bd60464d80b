"""The demo scenario: the same function the end-to-end test runs."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netprov.app import App
from netprov.domain.clock import is_working_day
from netprov.domain.letters import CompletenessForm, load_letter
from netprov.settings import Settings, load_settings

LETTERS = Path(__file__).parent / "letters"
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
HOLIDAY_FRIDAY = dt.datetime(2026, 8, 14, 16, 0, tzinfo=WIB)  # Monday 17 August: Independence Day

Say = Callable[[str], None]


@dataclass
class DemoResult:
    data_dir: Path
    intranet: str = ""
    internet: str = ""
    rejected: str = ""
    holiday: str = ""
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def finished(self) -> list[str]:
        return [self.intranet, self.internet]


OFFICE_START = dt.time(9, 0)


def office_clock(today: dt.date | None = None) -> Callable[[], dt.datetime]:
    """The demo's service clock: the last working day before ``today`` from 09:00 WIB, running
    at the real pace. Papers are dated at the step's time, so a demo run on a Sunday night
    still writes papers that claim work on a working day in office hours (a demo run takes
    minutes, well inside the day)."""
    day = (today or dt.date.today()) - dt.timedelta(days=1)
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    start = dt.datetime.combine(day, OFFICE_START, WIB)
    t0 = time.monotonic()
    return lambda: start + dt.timedelta(seconds=time.monotonic() - t0)


def demo_settings(base: Settings) -> Settings:
    """The demo keeps its register and papers under the lab dir (wiped at each run)."""
    return load_settings(data_dir=base.lab_dir / "demo", lab_dir=base.lab_dir)


def sample_form(
    request_id: str,
    who: str = "Uji Coba",
    building: str = "Gedung Uji",
    lat: float = 1.13,
    lon: float = 104.05,
    devices: int = 3,
) -> CompletenessForm:
    """A filled completeness form, as a department would return it (demo, tests, benchmarks)."""
    return CompletenessForm.model_validate(
        {
            "request": request_id,
            "pic": {
                "name": who,
                "nip": "19850312 201001 1 007",
                "phone": "+62 812 7000 1234",
                "email": "pic@opd.batam.go.id",
            },
            "location": {"building": building, "room": "Ruang Server", "latitude": lat, "longitude": lon},
            "equipment": {"devices": devices, "notes": "PC staf dan printer jaringan"},
            "schedule": {"preferred_date": (dt.date.today() + dt.timedelta(days=3)).isoformat()},
        }
    )


def reset_lab(settings: Settings, say: Say) -> None:
    """Bring every lab part up from a clean state: NetBox restored and seeded, routers at their
    baseline, nothing left in monitoring from an earlier demo, an empty register."""
    import netprov_lab as labmod
    from netprov_lab.reset import reset_devices, reset_netbox

    def progress(part: str) -> Callable[[str], None]:
        return lambda msg: say(f"  [{part}] {msg}")

    old_ids = _old_request_ids(settings)
    say("NetBox: back to a clean database (restore of the migrated dump), then the seed")
    reset_netbox(settings, progress("netbox"))
    say("routers: restarted at their baseline configs")
    reset_devices(settings, progress("devices"))
    mon = labmod.part("monitoring")
    mon.up(settings, progress("monitoring"))
    fresh = load_settings(lab_dir=settings.lab_dir)
    from netprov.monitoring.factory import backends_from_settings, deregister_all

    # No register identity: a lab reset removes the demo's entries whichever register made them
    # (the previous demo's register is deleted below, and a new one gets a new identity).
    backends = backends_from_settings(fresh)
    for rid in sorted(old_ids | {f"PJB-{dt.date.today().year}-{n:04d}" for n in range(1, 10)}):
        deregister_all(backends, rid)
    demo_dir = demo_settings(fresh).data_dir
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
    say("monitoring: earlier demo links removed; register emptied")


def _old_request_ids(settings: Settings) -> set[str]:
    db = demo_settings(settings).data_dir / "register.sqlite3"
    if not db.exists():
        return set()
    try:
        svc = App(demo_settings(settings)).service
        return {r.id for r in svc.find()}
    except Exception:  # an old or broken register is simply replaced
        return set()


def scanned_letter(path: Path, folder: Path, ipam: Any, say: Say) -> Path | None:
    """The third letter arrives as a phone photo: read back with ``request scan``'s reader.

    Without Tesseract (or on any reading problem) the demo says so and goes on without it.
    """
    from netprov.errors import NetprovError
    from netprov.scan.fields import Known
    from netprov_lab.demo.scan import letter_photo, read_back

    letter = load_letter(path)
    try:
        photo = letter_photo(letter, folder)
        known = Known(ipam.tenant_names(), ipam.site_names()) if hasattr(ipam, "tenant_names") else Known()
        good, wrong, seconds = read_back(photo, letter, known)
    except (NetprovError, OSError) as exc:
        say(f"    the letter's photo could not be read ({str(exc)[:120]}); registered from the YAML")
        return None
    tail = f"; to correct by hand: {', '.join(wrong)}" if wrong else ""
    say(
        f"    letter arrived as a photo: request scan read {good}/{good + len(wrong)} fields"
        f" in {seconds:.1f} s{tail}"
    )
    return photo


def run_scenario(settings: Settings, say: Say, provision_progress: Any = None) -> DemoResult:
    """Walk four requests through the SOP on the (already reset) lab."""
    from netprov.sop.service import RequestService

    s = demo_settings(settings)
    app = App(s, service=RequestService.from_settings(s, clock=office_clock()))
    svc = app.service
    ipam = app.ipam
    prov = app.provisioner(
        progress=provision_progress
        or (lambda st, dev, msg: say(f"    {st}{' ' + dev if dev else ''}: {msg}")),
    )
    result = DemoResult(data_dir=s.data_dir)

    def through_check(name: str, received: dt.datetime | None = None, scan: Path | None = None) -> str:
        letter = load_letter(LETTERS / name)
        rid = svc.submit(letter, received_at=received, scan=scan).id
        say(
            f"{rid}: letter {letter.letter.number} from {letter.opd} ({letter.service}, "
            f"{letter.bandwidth_mbps} Mbps, {letter.hosts} hosts) registered"
        )
        svc.dispose(rid, "kadis", "kabid", "Mohon ditindaklanjuti")
        svc.assign(rid, "kabid", "staff1", "Periksa ketersediaan bandwidth dan IP")
        rec = svc.check(rid, "staff1", ipam.check(rid, letter))
        feas = rec.feasibility
        assert feas is not None
        say(
            f"{rid}: step 4 check (NetBox): {'feasible' if feas.feasible else 'NOT feasible'}"
            + ("" if feas.feasible else " — " + "; ".join(feas.reasons))
        )
        return rid

    def build(rid: str, form: CompletenessForm) -> None:
        svc.accept(rid, "staff1")
        svc.fill_form(rid, "staff1", form)
        say(f"{rid}: form complete; provisioning (step 7)")
        t0 = dt.datetime.now()
        prov.run(rid, "staff1")
        result.seconds[rid] = round((dt.datetime.now() - t0).total_seconds(), 1)
        svc.report(rid, "staff1")
        svc.forward(rid, "kabid")
        rec = svc.review(rid, "kadis", approve=True, note="Disetujui")
        say(f"{rid}: Berita Acara written, forwarded, reviewed → {rec.state.value}")

    say("— 1. Dinas Pendidikan asks for an intranet link")
    result.intranet = through_check("1-intranet-disdik.yaml")
    build(
        result.intranet,
        sample_form(result.intranet, "Budi Santoso", "Gedung UPT Pendidikan", 1.1301, 104.0529, 18),
    )

    say("— 2. Bappeda asks for an internet link")
    result.internet = through_check("2-internet-bappeda.yaml")
    build(
        result.internet, sample_form(result.internet, "Sari Wulandari", "Kantor Bappeda", 1.1283, 104.0531, 6)
    )

    say("— 3. Dinas Perhubungan asks for more internet bandwidth than the uplink has left")
    photo = scanned_letter(LETTERS / "3-internet-dishub.yaml", s.data_dir / "scans", ipam, say)
    result.rejected = through_check("3-internet-dishub.yaml", scan=photo)
    rec = svc.get(result.rejected)
    reason = "; ".join(rec.feasibility.reasons) if rec.feasibility else "tidak tersedia"
    svc.reject(result.rejected, "staff1", f"Permohonan belum dapat dipenuhi: {reason}")
    say(f"{result.rejected}: rejected, reply letter drafted, reported to the section head")
    svc.sign_reply(result.rejected, "kadis", "Surat balasan ditandatangani")
    say(f"{result.rejected}: the head of agency signed the reply letter → closed")

    say("— 4. Kecamatan Batam Kota's letter arrived on Friday 14 August, before Independence Day")
    letter = load_letter(LETTERS / "4-intranet-camat.yaml")
    result.holiday = svc.submit(letter, received_at=HOLIDAY_FRIDAY).id
    due = svc.get(result.holiday).due_at
    assert due is not None
    say(
        f"{result.holiday}: received Fri 14 Aug 16:00 WIB; step 2 due "
        f"{due.astimezone(WIB):%a %d %b %H:%M} WIB (Monday 17 August is a national holiday)"
    )
    return result
