"""The pure part of ``netprov drift``: intended against running config, per device.

The texts are what the lab's devices show: FRR 8.4's ``show running-config`` (``exit`` block
ends, ``!`` separators) and a fake-switches IOS ``show running-config``; the intended ones are
the templates' shapes (comments included, as rendered).
"""

from __future__ import annotations

import time

from netprov.pipeline.drift import DriftChecker, LinkDrift, compare_device, live_run
from netprov.platforms.config_drift import compare, content_paths, owned_sections
from netprov.render.link import RenderedConfig
from netprov.sop.runs import REMEDIATE_PREFIX
from netprov.store.records import JournalEntry

FRR_INTENDED = """\
! netprov: Sambungan intranet baru untuk OPD
! UJI-2026-0001 dist-batamkota1 eth2 to cpe-disdik-bk eth1, 50 Mbps
interface eth2
 description Sambungan intranet baru untuk OPD
 ip address 10.250.1.1/30
 bandwidth 50
 ip ospf network point-to-point
exit
!
router ospf
 network 10.250.1.0/30 area 0
exit
!
"""

FRR_BEFORE = """\
Building configuration...

Current configuration:
!
frr version 8.4
frr defaults traditional
hostname dist-batamkota1
!
interface eth0
 ip address 10.250.0.2/30
 ip ospf network point-to-point
exit
!
interface eth2
exit
!
router ospf
 ospf router-id 10.255.0.2
 network 10.250.0.0/30 area 0
exit
!
end
"""

FRR_AFTER = FRR_BEFORE.replace(
    "interface eth2\nexit\n",
    "interface eth2\n description Sambungan intranet baru untuk OPD\n ip address 10.250.1.1/30\n"
    " bandwidth 50\n ip ospf network point-to-point\nexit\n",
).replace(" network 10.250.0.0/30 area 0\n", " network 10.250.0.0/30 area 0\n network 10.250.1.0/30 area 0\n")

IOS_INTENDED = """\
! netprov: Sambungan intranet baru untuk OPD
vlan 110
 name UJI-2026-0001
!
interface FastEthernet0/1
 description uplink cpe-disdik-bk UJI-2026-0001
 switchport mode trunk
 switchport trunk native vlan 110
 switchport trunk allowed vlan add 110
 no shutdown
!
interface FastEthernet0/2
 description Sambungan intranet baru untuk OPD
 switchport mode access
 switchport access vlan 110
 no shutdown
!
"""

IOS_BEFORE = """\
!
hostname sw-disdik-bk
!
vlan 1
!
interface FastEthernet0/1
!
interface FastEthernet0/2
!
interface FastEthernet0/3
!
end
"""

IOS_AFTER = """\
!
hostname sw-disdik-bk
!
vlan 1
!
vlan 110
 name UJI-2026-0001
!
interface FastEthernet0/1
 description uplink cpe-disdik-bk UJI-2026-0001
 switchport mode trunk
 switchport trunk native vlan 110
!
interface FastEthernet0/2
 description Sambungan intranet baru untuk OPD
 switchport access vlan 110
 switchport mode access
!
interface FastEthernet0/3
!
end
"""


def _lines(drifts: list) -> list[str]:  # type: ignore[type-arg]
    return [d.display() for d in drifts]


def test_frr_clean_after_the_push() -> None:
    owned = owned_sections(FRR_INTENDED, FRR_BEFORE)
    assert owned == {("interface eth2",)}  # router ospf held lines before: shared, not the link's
    c = compare(FRR_INTENDED, FRR_AFTER, "merge", owned=owned, known=content_paths(FRR_AFTER))
    assert not c.drifted


def test_frr_removed_line_is_missing() -> None:
    running = FRR_AFTER.replace(" bandwidth 50\n", "")
    c = compare(FRR_INTENDED, running, "merge", owned=owned_sections(FRR_INTENDED, FRR_BEFORE))
    assert _lines(c.missing) == ["interface eth2 > bandwidth 50"]
    assert c.extra == []


def test_frr_changed_value_is_missing_and_extra_in_the_links_own_section() -> None:
    running = FRR_AFTER.replace(" bandwidth 50\n", " bandwidth 10\n ip ospf cost 500\n")
    c = compare(
        FRR_INTENDED,
        running,
        "merge",
        owned=owned_sections(FRR_INTENDED, FRR_BEFORE),
        known=content_paths(FRR_AFTER),
    )
    assert _lines(c.missing) == ["interface eth2 > bandwidth 50"]
    assert _lines(c.extra) == ["interface eth2 > bandwidth 10", "interface eth2 > ip ospf cost 500"]


def test_frr_extra_lines_in_shared_sections_are_not_the_links() -> None:
    running = FRR_AFTER.replace(
        " network 10.250.1.0/30 area 0\n", " network 10.250.1.0/30 area 0\n network 10.9.9.0/24 area 0\n"
    )
    c = compare(FRR_INTENDED, running, "merge", owned=owned_sections(FRR_INTENDED, FRR_BEFORE))
    assert not c.drifted  # another link's (or the baseline's) network under router ospf


def test_frr_removed_network_under_shared_block_is_missing() -> None:
    running = FRR_AFTER.replace(" network 10.250.1.0/30 area 0\n", "")
    c = compare(FRR_INTENDED, running, "merge")
    assert _lines(c.missing) == ["router ospf > network 10.250.1.0/30 area 0"]


def test_frr_whole_section_gone_lists_every_line() -> None:
    running = FRR_BEFORE
    c = compare(FRR_INTENDED, running, "merge", owned=owned_sections(FRR_INTENDED, FRR_BEFORE))
    assert "interface eth2 > ip address 10.250.1.1/30" in _lines(c.missing)
    assert "interface eth2" not in _lines(c.missing)  # the block itself is there (empty)
    assert len(c.missing) == 5


def test_device_added_lines_are_not_extra() -> None:
    """A line the device showed right after the push (its own) is not reported as extra."""
    after = FRR_AFTER.replace(" bandwidth 50\n", " bandwidth 50\n ipv6 nd suppress-ra\n")
    c = compare(
        FRR_INTENDED,
        after,
        "merge",
        owned=owned_sections(FRR_INTENDED, FRR_BEFORE),
        known=content_paths(after),
    )
    assert not c.drifted


def test_without_a_before_no_extra_is_reported() -> None:
    running = FRR_AFTER.replace(" bandwidth 50\n", " bandwidth 10\n")
    assert owned_sections(FRR_INTENDED, None) == set()
    c = compare(FRR_INTENDED, running, "merge", owned=owned_sections(FRR_INTENDED, None))
    assert _lines(c.missing) == ["interface eth2 > bandwidth 50"] and c.extra == []


def test_replace_reports_extra_anywhere() -> None:
    intended = (
        "router id 1.1.1.1;\nfilter f {\n  if net ~ [\n    10.1.0.0/27\n  ] then accept;\n  reject;\n}\n"
    )
    running = intended.replace("    10.1.0.0/27\n", "    10.1.0.0/27,\n    10.9.0.0/24\n")
    c = compare(intended, running, "replace", comments=("#",))
    assert _lines(c.missing) == ["filter f { > if net ~ [ > 10.1.0.0/27"]
    assert _lines(c.extra) == [
        "filter f { > if net ~ [ > 10.1.0.0/27,",
        "filter f { > if net ~ [ > 10.9.0.0/24",
    ]


def _cfg(device: str, platform: str, role: str, text: str, mode: str = "merge") -> RenderedConfig:
    return RenderedConfig(device=device, platform=platform, role=role, template=role, mode=mode, text=text)  # type: ignore[arg-type]


def _live(device: str, before: str, after: str):  # type: ignore[no-untyped-def]
    from netprov.pipeline.drift import LiveRun

    return LiveRun("r1", {device: before}, {device: after})


def test_ios_clean_after_the_push_as_ios_shows_it() -> None:
    """``allowed vlan add`` and ``no shutdown`` are compared the way IOS displays them."""
    cfg = _cfg("sw-disdik-bk", "ios", "access", IOS_INTENDED)
    d = compare_device(cfg, IOS_AFTER, _live("sw-disdik-bk", IOS_BEFORE, IOS_AFTER))
    assert d.extra_checked and not d.drifted, (d.missing, d.extra)


def test_ios_removed_access_vlan_is_missing() -> None:
    running = IOS_AFTER.replace(" switchport access vlan 110\n", "")
    cfg = _cfg("sw-disdik-bk", "ios", "access", IOS_INTENDED)
    d = compare_device(cfg, running, _live("sw-disdik-bk", IOS_BEFORE, IOS_AFTER))
    assert _lines(d.missing) == ["interface FastEthernet0/2 > switchport access vlan 110"]
    assert d.extra == []


def test_ios_shut_port_and_extra_line_in_the_links_port() -> None:
    running = IOS_AFTER.replace(" switchport mode access\n", " switchport mode access\n shutdown\n")
    cfg = _cfg("sw-disdik-bk", "ios", "access", IOS_INTENDED)
    d = compare_device(cfg, running, _live("sw-disdik-bk", IOS_BEFORE, IOS_AFTER))
    assert _lines(d.missing) == ["interface FastEthernet0/2 > no shutdown"]
    assert _lines(d.extra) == ["interface FastEthernet0/2 > shutdown"]


def test_ios_removed_vlan_from_trunk_is_missing() -> None:
    after = IOS_AFTER.replace(
        " switchport trunk native vlan 110\n",
        " switchport trunk native vlan 110\n switchport trunk allowed vlan 1,110\n",
    )
    running = after.replace("allowed vlan 1,110", "allowed vlan 1")
    cfg = _cfg("sw-disdik-bk", "ios", "access", IOS_INTENDED)
    d = compare_device(cfg, running, _live("sw-disdik-bk", IOS_BEFORE, after))
    assert _lines(d.missing) == ["interface FastEthernet0/1 > switchport trunk allowed vlan 1,110"]
    assert _lines(d.extra) == ["interface FastEthernet0/1 > switchport trunk allowed vlan 1"]


def test_frr_compare_device_without_journal_checks_missing_only() -> None:
    cfg = _cfg("dist-batamkota1", "frr", "distribution", FRR_INTENDED)
    d = compare_device(cfg, FRR_AFTER.replace(" bandwidth 50\n", " bandwidth 10\n"), None)
    assert not d.extra_checked and _lines(d.missing) == ["interface eth2 > bandwidth 50"] and d.extra == []


def _entry(run: str, stage: str, phase: str, data: dict | None = None) -> JournalEntry:  # type: ignore[type-arg]
    import datetime as dt

    return JournalEntry("UJI-2026-0001", run, stage, phase, dt.datetime.now(dt.UTC), data or {})


def test_live_run_is_the_finished_run_not_rolled_back() -> None:
    entries = [
        _entry("a", "run", "start"),
        _entry("a", "snapshot", "done", {"snapshots": {"d": "S0"}}),
        _entry("a", "run", "rolled-back"),
        _entry("b", "run", "start"),
        _entry("b", "snapshot", "done", {"snapshots": {"d": "S1"}}),
        _entry("b", "push", "done", {"after": {"d": "A1", "e": None}}),
        _entry("b", "run", "finished"),
        _entry(REMEDIATE_PREFIX + "x", "run", "finished"),
    ]
    live = live_run(entries)
    assert live is not None and (live.run_id, live.snapshots, live.afters) == ("b", {"d": "S1"}, {"d": "A1"})
    assert live_run([*entries, _entry("b", "run", "rolled-back")]) is None  # undone: not live


def test_link_note_and_json_mask_secrets() -> None:
    from netprov.pipeline.drift import DeviceDrift
    from netprov.platforms.config_drift import LineDrift

    link = LinkDrift(
        "UJI-2026-0001",
        "b",
        [
            DeviceDrift(
                "isp-pe1",
                "bird2",
                "provider",
                "replace",
                extra=[LineDrift(("protocol bgp city {", 'password "s3cret";'))],
            )
        ],
    )
    assert link.status == "drift" and "isp-pe1 (0 baris hilang, 1 baris lebih)" in link.note()
    assert "s3cret" not in str(link.to_json())


class _Checker(DriftChecker):
    """The checker with its device reads and the register's locks given (no lab here)."""

    def __init__(
        self, running: dict[str, str], holders: list[dict[str, str]], flight: dict[str, str]
    ) -> None:
        self._live = {}
        self._running, self._holders, self._flight = running, holders, flight
        self.reads: list[list[str]] = []
        self.lock_holder = self._holder

    def _holder(self, device: str) -> str | None:
        return self._holders[0].get(device)

    def _read(self, devices: list[str]) -> tuple[dict[str, str], dict[str, str]]:
        self.reads.append(devices)
        if len(self._holders) > 1:
            self._holders.pop(0)  # what the locks say after the read
        ok = {d: self._running[d] for d in devices if d in self._running}
        return ok, {d: "connection refused" for d in devices if d not in self._running}

    def in_flight(self) -> dict[str, str]:
        return self._flight


def _link(*configs: RenderedConfig) -> LinkDrift:
    return LinkDrift("UJI-2026-0001", "b", configs=list(configs))


DIST = _cfg("dist-batamkota1", "frr", "distribution", FRR_INTENDED)
PE = _cfg("isp-pe1", "bird2", "provider", "router id 1.1.1.1;\n", mode="replace")


def test_a_locked_device_is_busy_and_not_read() -> None:
    chk = _Checker({"dist-batamkota1": FRR_AFTER}, [{"dist-batamkota1": "UJI-2026-0002 on h pid 1"}], {})
    (link,) = chk.check([_link(DIST)])
    assert chk.reads == []
    assert link.status == "busy" and not link.drifted and "UJI-2026-0002" in link.devices[0].busy


def test_a_lock_taken_during_the_read_makes_it_busy() -> None:
    running = {"dist-batamkota1": FRR_BEFORE}  # half-changed, say
    chk = _Checker(running, [{}, {"dist-batamkota1": "UJI-2026-0002"}], {})
    (link,) = chk.check([_link(DIST)])
    assert link.status == "busy" and link.devices[0].missing == []


def test_a_run_in_flight_makes_whole_configs_busy_only() -> None:
    running = {"dist-batamkota1": FRR_AFTER.replace(" bandwidth 50\n", ""), "isp-pe1": "router id 9.9.9.9;\n"}
    chk = _Checker(running, [{}], {"UJI-2026-0002": "staff1@h:7", "UJI-2026-0001": "me"})
    (link,) = chk.check([_link(DIST, PE)])
    dist, pe = link.devices
    assert _lines(dist.missing) == ["interface eth2 > bandwidth 50"]  # merge: compared
    assert pe.busy.startswith("another run is in flight: UJI-2026-0002") and not pe.drifted
    assert link.status == "drift"


def test_an_unreadable_device_is_the_links_error() -> None:
    chk = _Checker({}, [{}], {})
    (link,) = chk.check([_link(DIST)])
    assert link.status == "error" and "dist-batamkota1: connection refused" in link.error


def test_netbox_device_lock_holder_only_looks() -> None:
    """``drift`` asks who holds a device: a live holder is named; none, expired or dead: None."""
    import os
    import subprocess

    from netprov.netbox.device_locks import NetBoxDeviceLocks
    from netprov.netbox.lock import LOCK_SLUG_PREFIX, lock_description
    from tests.unit.test_concurrency import RenewableTags

    tags = RenewableTags()
    locks = NetBoxDeviceLocks(tags)
    assert locks.holder("dist-batamkota1") is None
    tags.create(
        LOCK_SLUG_PREFIX + "device-dist-batamkota1",
        lock_description("UJI-1 on elsewhere pid 1", time.time() + 60),
    )
    assert locks.holder("dist-batamkota1") == "UJI-1 on elsewhere pid 1"
    tags.create(
        LOCK_SLUG_PREFIX + "device-core-dc1", lock_description("UJI-2 on elsewhere pid 1", time.time() - 1)
    )
    assert locks.holder("core-dc1") is None  # expired
    proc = subprocess.Popen(["true"])
    proc.wait()
    tags.create(
        LOCK_SLUG_PREFIX + "device-isp-pe1",
        lock_description(f"UJI-3 on {os.uname().nodename} pid {proc.pid}", time.time() + 60),
    )
    assert locks.holder("isp-pe1") is None  # its process is gone
    assert len(tags.rows) == 3  # nothing taken, nothing deleted
