"""Example contexts (an accepted and a rejected request) for tests, pictures and benchmarks.

The data matches the lab topology (``inventory/topology.yaml``): Dinas Pendidikan at UPT
Pendidikan Batam Kota, linked to dist-batamkota1 eth2 through cpe-disdik-bk.
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from netprov.documents.context import (
    DeviceChange,
    DocumentContext,
    MonitoringRegistration,
    Person,
    ProvisioningEvidence,
    TimelineEntry,
    VerificationResult,
)
from netprov.domain.letters import CompletenessForm, Letter
from netprov.domain.resources import (
    Allocation,
    Candidate,
    Feasibility,
    Finding,
    UplinkHeadroom,
)
from netprov.domain.sop import Role

WIB = dt.timezone(dt.timedelta(hours=7))
BASE = dt.datetime(2026, 11, 23, 8, 30, tzinfo=WIB)  # Monday: every step in office hours


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A time ``day`` days after Monday 23 November 2026 (0..4: Monday..Friday), WIB."""
    return dt.datetime(2026, 11, 23 + day, hour, minute, tzinfo=WIB)


PEOPLE: dict[Role, Person] = {
    Role.KADIS: Person(
        name="Drs. Rudi Hartono, M.Si.",
        nip="19700512 199503 1 002",
        pangkat="Pembina Utama Muda (IV/c)",
        username="rudi",
    ),
    Role.KABID: Person(
        name="Siti Aminah, S.Kom., M.T.",
        nip="197903202003122004",  # entered without spaces: printed spaced
        pangkat="Pembina Tk. I (IV/b)",
        username="siti",
    ),
    Role.KASI: Person(
        name="Hendra Wijaya, S.T.",
        nip="19830917 200901 1 003",
        pangkat="Penata Tk. I (III/d)",
        section="Infrastruktur Jaringan",
        username="hendra",
    ),
    Role.STAFF: Person(
        name="Budi Santoso, S.Kom.",
        nip="19900101 201503 1 001",
        pangkat="Penata Muda Tk. I (III/b)",
        username="budi",
    ),
}


def sample_letter(**changes: object) -> Letter:
    data: dict[str, object] = {
        "letter": {
            "number": "005/UPT-BK/XI/2026",
            "date": dt.date(2026, 11, 20),
            "subject": "Permohonan Jaringan Intranet UPT Pendidikan Batam Kota",
        },
        "opd": "Dinas Pendidikan",
        "service": "intranet",
        "bandwidth_mbps": 50,
        "hosts": 20,
        "purpose": "Koneksi aplikasi Dapodik dan administrasi sekolah ke data center",
        "site": {"name": "UPT Pendidikan Batam Kota", "address": "Jl. Engku Putri No. 1, Batam Kota"},
        "contact": {"name": "Rina Marlina", "phone": "0778 123456", "email": "rina@disdik.batam.go.id"},
    }
    data.update(changes)
    return Letter.model_validate(data)


def _timeline(rejected: bool) -> list[TimelineEntry]:
    steps = [
        (_at(0, 8, 30), 1, "submit", "budi", Role.STAFF, "Surat diterima dan diregistrasi"),
        (_at(0, 10, 15), 2, "dispose", "rudi", Role.KADIS, "Mohon ditindaklanjuti"),
        (_at(0, 13, 40), 3, "assign", "siti", Role.KABID, None),
        (_at(1, 9, 20), 4, "check", "budi", Role.STAFF, None),
    ]
    steps += (
        [(_at(1, 10, 30), 5, "reject", "budi", Role.STAFF, "Prefiks tidak tersedia")]
        if rejected
        else [
            (_at(1, 10, 5), 6, "accept", "budi", Role.STAFF, None),
            (_at(2, 14, 10), 6, "form", "budi", Role.STAFF, "Formulir kembali lengkap"),
            (_at(3, 9, 30), 7, "provision", "budi", Role.STAFF, None),
            (_at(3, 14, 0), 8, "report", "budi", Role.STAFF, "Berita Acara Pekerjaan dibuat"),
        ]
    )
    names = {p.username: p.name for p in PEOPLE.values()}
    return [
        TimelineEntry(step=s, action=a, actor=u, actor_name=names.get(u), role=r, at=at, note=n)
        for at, s, a, u, r, n in steps
    ]


def _accepted_feasibility() -> Feasibility:
    return Feasibility(
        feasible=True,
        service="intranet",
        hosts=20,
        bandwidth_mbps=50,
        prefix_length=27,
        findings=[
            Finding(check="opd", ok=True, detail="OPD terdaftar: tenant Dinas Pendidikan (disdik)"),
            Finding(check="site", ok=True, detail="lokasi ditemukan: UPT Pendidikan Batam Kota"),
            Finding(check="specification", ok=True, detail="20 host membutuhkan prefiks /27 (maksimal /22)"),
            Finding(check="purpose", ok=True, detail="peruntukan intranet dinyatakan dalam surat"),
            Finding(
                check="prefix", ok=True, detail="prefix LAN tersedia: 10.100.0.0/27 dari pool 10.100.0.0/16"
            ),
            Finding(check="vlan", ok=True, detail="VLAN 100 tersedia di grup OPD Batam Kota"),
            Finding(check="port", ok=True, detail="port dist-batamkota1 eth2 belum terpakai"),
            Finding(check="bandwidth", ok=True, detail="50 Mbps dari sisa kapasitas 1000 Mbps"),
        ],
        candidate=Candidate(
            lan_prefix=ipaddress.IPv4Network("10.100.0.0/27"),
            transfer_prefix=ipaddress.IPv4Network("10.250.0.0/30"),
            vlan_id=100,
            dist_device="dist-batamkota1",
            dist_interface="eth2",
            cpe_device="cpe-disdik-bk",
        ),
        uplink=UplinkHeadroom(
            device="dist-batamkota1",
            interface="eth1",
            capacity_mbps=1000,
            committed_mbps=0,
            requested_mbps=50,
        ),
        checked_at=_at(1, 9, 20),
    )


def _accepted_evidence() -> ProvisioningEvidence:
    committed = _at(3, 9, 42)
    return ProvisioningEvidence(
        devices=[
            DeviceChange(
                name="dist-batamkota1",
                platform="frr",
                committed_at=committed,
                diff=(
                    "+interface eth2.100\n"
                    "+ description PJB-2026-0007 Dinas Pendidikan\n"
                    "+ ip address 10.250.0.1/30\n"
                    "+ ip ospf authentication-key s3cr3tOSPF\n"
                    "+exit\n"
                    "+ip route 10.100.0.0/27 10.250.0.2\n"
                ),
            ),
            DeviceChange(
                name="cpe-disdik-bk",
                platform="frr",
                committed_at=committed,
                diff=(
                    "+interface eth1.100\n"
                    "+ ip address 10.250.0.2/30\n"
                    "+interface lan1\n"
                    "+ ip address 10.100.0.1/27\n"
                    "+ip route 0.0.0.0/0 10.250.0.1\n"
                    "+snmp-server community pemko-ro RO\n"
                ),
            ),
            DeviceChange(
                name="sw-disdik-bk",
                platform="ios",
                committed_at=committed,
                diff=(
                    "+vlan 100\n"
                    "+ name PJB-2026-0007-disdik\n"
                    "+interface FastEthernet0/2\n"
                    "+ switchport access vlan 100\n"
                ),
            ),
        ],
        verification=[
            # labels and details as the pipeline records them (English); the paper translates
            VerificationResult(
                check="dist-batamkota1 eth2.100 has 10.250.0.1/30", ok=True, detail="eth2.100: 10.250.0.1/30"
            ),
            VerificationResult(
                check="ping dist-batamkota1 → 10.250.0.2", ok=True, detail="5/5 replies, rtt 0.10 ms"
            ),
            VerificationResult(
                check="core-dc1 has route 10.100.0.0/27 (ospf)", ok=True, detail="ospf via 10.0.0.2"
            ),
            VerificationResult(
                check="ping core-dc1 from lo → 10.100.0.1", ok=True, detail="5/5 replies, rtt 0.31 ms"
            ),
        ],
        monitoring=[
            MonitoringRegistration(
                backend="zabbix", id="hostid=10642", status="up", waited_seconds=38, detail="ICMP ping 1"
            ),
            MonitoringRegistration(
                backend="prometheus", id="file=PJB-2026-0007.json", status="up", detail="probe_success 1"
            ),
        ],
    )


def accepted_context() -> DocumentContext:
    """Request PJB-2026-0007 (Dinas Pendidikan, intranet) provisioned and monitored: step 8."""
    letter = sample_letter()
    feas = _accepted_feasibility()
    alloc = Allocation(
        request_id="PJB-2026-0007",
        service="intranet",
        opd_slug="disdik",
        opd_name="Dinas Pendidikan",
        site_slug="upt-disdik-batamkota",
        site_name="UPT Pendidikan Batam Kota",
        bandwidth_mbps=50,
        lan_prefix=ipaddress.IPv4Network("10.100.0.0/27"),
        lan_gateway=ipaddress.IPv4Interface("10.100.0.1/27"),
        transfer_prefix=ipaddress.IPv4Network("10.250.0.0/30"),
        dist_address=ipaddress.IPv4Interface("10.250.0.1/30"),
        cpe_address=ipaddress.IPv4Interface("10.250.0.2/30"),
        vlan_id=100,
        vlan_name="PJB-2026-0007-disdik",
        dist_device="dist-batamkota1",
        dist_interface="eth2",
        cpe_device="cpe-disdik-bk",
        cpe_interface="eth1",
        cpe_lan_interface="lan1",
        access_switch="sw-disdik-bk",
        access_uplink="FastEthernet0/1",
        access_ports=["FastEthernet0/2", "FastEthernet0/3"],
    )
    evidence = _accepted_evidence()
    form = CompletenessForm.model_validate(
        {
            "request": "PJB-2026-0007",
            "pic": {
                "name": "Agus Salim",
                "nip": "19850505 201001 1 005",
                "phone": "0812 7000 1234",
                "email": "agus@disdik.batam.go.id",
            },
            "location": {
                "building": "Gedung UPT Pendidikan",
                "room": "Ruang Server Lt. 2",
                "latitude": 1.1301,
                "longitude": 104.053,
            },
            "equipment": {"devices": 18, "notes": "PC admin dan server Dapodik"},
            "schedule": {"preferred_date": dt.date(2026, 11, 26)},
        }
    )
    return DocumentContext(
        request_id="PJB-2026-0007",
        letter=letter,
        form=form,
        feasibility=feas,
        allocation=alloc,
        timeline=_timeline(rejected=False),
        people=PEOPLE,
        doer=PEOPLE[Role.STAFF],
        doer_role=Role.STAFF,
        evidence=evidence,
        generated_at=_at(3, 14, 0),  # Thursday 26 November, 14.00 WIB
    )


def rejected_context() -> DocumentContext:
    """Request PJB-2026-0008 (Bappeda, internet) rejected at step 5: no /23, no headroom."""
    letter = sample_letter(
        letter={
            "number": "045/BAPP/XI/2026",
            "date": dt.date(2026, 11, 20),
            "subject": "Permohonan Akses Internet Kantor Bappeda",
        },
        opd="Bappeda",
        service="internet",
        bandwidth_mbps=250,
        hosts=300,
        purpose="Akses internet untuk seluruh pegawai dan ruang rapat",
        site={"name": "Kantor Bappeda", "address": "Jl. Engku Putri, Batam Centre"},
        contact={"name": "Dewi Lestari", "phone": "0778 654321", "email": "dewi@bappeda.batam.go.id"},
    )
    feas = Feasibility(
        feasible=False,
        service="internet",
        hosts=300,
        bandwidth_mbps=250,
        prefix_length=23,
        findings=[
            Finding(check="opd", ok=True, detail="OPD terdaftar: tenant Bappeda (bappeda)"),
            Finding(check="specification", ok=True, detail="300 host membutuhkan prefiks /23"),
            Finding(check="prefix", ok=False, detail="pool 203.0.113.0/24 (internet) tidak punya /23 bebas"),
            Finding(
                check="bandwidth",
                ok=False,
                detail="sisa kapasitas uplink core-dc1 eth3 100 Mbps, diminta 250 Mbps",
            ),
        ],
        uplink=UplinkHeadroom(
            device="core-dc1", interface="eth3", capacity_mbps=300, committed_mbps=200, requested_mbps=250
        ),
        checked_at=_at(1, 9, 20),
    )
    return DocumentContext(
        request_id="PJB-2026-0008",
        letter=letter,
        feasibility=feas,
        rejection_reasons=[
            "Alamat IP publik yang diminta (/23, 300 host) tidak tersedia pada blok internet Pemko.",
            "Sisa kapasitas uplink internet 100 Mbps, lebih kecil dari kebutuhan 250 Mbps.",
        ],
        timeline=_timeline(rejected=True),
        people=PEOPLE,
        doer=PEOPLE[Role.STAFF],
        doer_role=Role.STAFF,
        generated_at=_at(1, 10, 30),  # Tuesday 24 November, 10.30 WIB
    )


_PAPER_ACTIONS = {
    "laporan-pemeriksaan": "check",
    "surat-balasan": "reject",
    "formulir-kelengkapan": "accept",
    "berita-acara": "report",
}


def paper_context(kind: str, ctx: DocumentContext | None = None) -> DocumentContext:
    """``ctx`` (default: the accepted request; the rejected one for the reply letter) as it
    stood when the step producing ``kind`` was done: the timeline up to that step's event and
    the paper dated at it, signed by its actor (as the register produces it)."""
    if ctx is None:
        ctx = rejected_context() if kind == "surat-balasan" else accepted_context()
    action = _PAPER_ACTIONS[kind]
    hits = [i for i, e in enumerate(ctx.timeline) if e.action == action]
    if not hits:
        return ctx
    entry = ctx.timeline[hits[-1]]
    update: dict[str, object] = {
        "timeline": ctx.timeline[: hits[-1] + 1],
        "generated_at": entry.at,
        "doer": next((p for p in PEOPLE.values() if p.username == entry.actor), ctx.doer),
        "doer_role": entry.role,
    }
    if kind in ("laporan-pemeriksaan", "formulir-kelengkapan"):
        update.update(form=None, allocation=None, evidence=None)
    return ctx.model_copy(update=update)


# A real lab run's step-7 records (frr-reload diffs, the pipeline's English check labels), as
# a Berita Acara receives them (the data of request PJB-2026-0007).
_LAB_DIST_DIFF = """\
Lines To Add
============
router ospf
 network 10.250.0.0/30 area 0
interface eth4
 description PJB-2026-0007 Dinas Pendidikan intranet
 ip address 10.250.0.1/30
 bandwidth 20
 ip ospf network point-to-point
"""
_LAB_CPE_DIFF = """\
Lines To Delete
===============
interface eth1
 shutdown
Lines To Add
============
router ospf
 network 10.250.0.0/30 area 0
 network 10.100.0.0/28 area 0
interface eth1
 description PJB-2026-0007 Dinas Pendidikan intranet uplink dist-batamkota1
 ip address 10.250.0.2/30
interface lan1
 ip address 10.100.0.1/28
 ip ospf passive
"""


def lab_run_context() -> DocumentContext:
    """The accepted request with the step-7 records of a real lab run (frr-reload output)."""
    ctx = accepted_context()
    committed = _at(3, 9, 42)
    evidence = ProvisioningEvidence(
        devices=[
            DeviceChange(name="dist-batamkota1", platform="frr", diff=_LAB_DIST_DIFF, committed_at=committed),
            DeviceChange(name="cpe-disdik-bk", platform="frr", diff=_LAB_CPE_DIFF, committed_at=committed),
        ],
        verification=[
            VerificationResult(
                check="dist-batamkota1 eth4 has 10.250.0.1/30", ok=True, detail="eth4: 10.250.0.1"
            ),
            VerificationResult(
                check="core-dc1 has route 10.100.0.0/28 (ospf)", ok=True, detail="ospf via 10.255.0.1"
            ),
            VerificationResult(
                check="ping core-dc1 → 10.100.0.1", ok=True, detail="3/3 replies, rtt 0.06 ms"
            ),
            VerificationResult(
                check="ping cpe-disdik-bk from 10.100.0.1 → 10.254.0.1",
                ok=True,
                detail="3/3 replies, rtt 0.12 ms",
            ),
        ],
        monitoring=[
            MonitoringRegistration(backend="zabbix", id="hostid=10642", status="up", waited_seconds=41),
            MonitoringRegistration(backend="prometheus", id="PJB-2026-0007.json", status="registered"),
        ],
    )
    return ctx.model_copy(update={"evidence": evidence})
