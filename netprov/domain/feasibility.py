"""Step-4 feasibility without NetBox (pure): one small function per check.

:func:`evaluate` turns a :class:`~netprov.domain.planning.Survey` (what the adapter read)
and the letter into a :class:`~netprov.domain.resources.Feasibility`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netprov.domain.letters import Letter
from netprov.domain.planning import PoolRow, Survey, first_fit, largest_free
from netprov.domain.resources import (
    MIN_LAN_PREFIXLEN,
    Candidate,
    CheckName,
    Feasibility,
    Finding,
    UplinkHeadroom,
    lan_prefix_length,
)


@dataclass
class _Result:
    findings: list[Finding] = field(default_factory=list)
    candidate: dict[str, object] = field(default_factory=dict)
    uplink: UplinkHeadroom | None = None

    def add(self, check: CheckName, ok: bool, detail: str) -> None:
        self.findings.append(Finding(check=check, ok=ok, detail=detail))


def _opd(r: _Result, survey: Survey, letter: Letter) -> None:
    if survey.tenant is None:
        r.add("opd", False, f"OPD '{letter.opd}' tidak terdaftar sebagai tenant di NetBox")
    else:
        r.add("opd", True, f"OPD terdaftar: tenant {survey.tenant.name} ({survey.tenant.slug})")


def _site(r: _Result, survey: Survey, letter: Letter) -> None:
    site, tenant = survey.site, survey.tenant
    if site is None:
        r.add("site", False, f"lokasi '{letter.site.name}' tidak ada di NetBox (belum disurvei/dikabel)")
    elif tenant is not None and site.tenant_slug and site.tenant_slug != tenant.slug:
        r.add("site", False, f"lokasi {site.name} milik tenant {site.tenant_slug}, bukan {tenant.slug}")
    else:
        r.add("site", True, f"lokasi ditemukan: {site.name}")


def _specification(r: _Result, letter: Letter, length: int) -> None:
    if length < MIN_LAN_PREFIXLEN:
        r.add(
            "specification",
            False,
            f"{letter.hosts} host butuh /{length}, lebih besar dari batas /{MIN_LAN_PREFIXLEN} per LAN OPD",
        )
    else:
        r.add(
            "specification",
            True,
            f"{letter.hosts} host -> LAN /{length}, layanan {letter.service}, {letter.bandwidth_mbps} Mbps",
        )


def _first_fit_in(pools: tuple[PoolRow, ...], length: int) -> tuple[PoolRow, object] | None:
    for pool in pools:
        found = first_fit(pool.available, length)
        if found is not None:
            return pool, found
    return None


def _lan_prefix(r: _Result, survey: Survey, letter: Letter, length: int) -> None:
    if not survey.pools:
        r.add("prefix", False, f"tidak ada pool prefix untuk layanan {letter.service} di NetBox")
        return
    if length < MIN_LAN_PREFIXLEN:
        return
    hit = _first_fit_in(survey.pools, length)
    if hit is not None:
        pool, found = hit
        r.candidate["lan_prefix"] = found
        r.add("prefix", True, f"prefix LAN tersedia: {found} dari pool {pool.prefix}")
        return
    names = ", ".join(str(p.prefix) for p in survey.pools)
    biggest = largest_free(n for p in survey.pools for n in p.available)
    rest = f"blok bebas terbesar /{biggest}" if biggest is not None else "pool penuh"
    r.add("prefix", False, f"pool {names} ({letter.service}) tidak punya /{length} bebas ({rest})")


def _transfer_prefix(r: _Result, survey: Survey) -> None:
    if not survey.transfer_pools:
        r.add("prefix", False, "tidak ada pool transfer (/30) di NetBox")
        return
    hit = _first_fit_in(survey.transfer_pools, 30)
    if hit is not None:
        pool, tnet = hit
        r.candidate["transfer_prefix"] = tnet
        r.add("prefix", True, f"jaringan transfer tersedia: {tnet} dari pool {pool.prefix}")
        return
    names = ", ".join(str(p.prefix) for p in survey.transfer_pools)
    r.add("prefix", False, f"pool transfer {names} tidak punya /30 bebas")


def _port(r: _Result, survey: Survey) -> None:
    link = survey.link
    if survey.site is not None and link is None:
        r.add("port", False, f"lokasi {survey.site.name} belum punya port terkabel ke router distribusi")
        return
    if link is None:
        return
    r.candidate.update(
        dist_device=link.dist_device, dist_interface=link.dist_interface, cpe_device=link.cpe_device
    )
    if link.dist_mark and link.dist_mark != survey.request_id:
        r.add(
            "port",
            False,
            f"port {link.dist_device} {link.dist_interface} sudah dipakai permohonan {link.dist_mark}",
        )
    else:
        r.add(
            "port",
            True,
            f"port tersedia: {link.dist_device} {link.dist_interface} -> "
            f"{link.cpe_device} {link.cpe_interface}",
        )


def _vlan(r: _Result, survey: Survey) -> None:
    link, group = survey.link, survey.vlan_group
    if link is not None and group is None:
        r.add("vlan", False, f"tidak ada VLAN group untuk {link.dist_device}")
        return
    if group is None:
        return
    if group.port_vlan_holder and group.port_vlan_holder != survey.request_id:
        r.add(
            "vlan",
            False,
            f"VLAN lokasi ini di {group.name} sudah dipakai permohonan {group.port_vlan_holder}",
        )
    elif group.first_free_vid is None:
        r.add("vlan", False, f"VLAN group {group.name} penuh")
    else:
        r.candidate["vlan_id"] = group.first_free_vid
        r.add("vlan", True, f"VLAN {group.first_free_vid} tersedia di {group.name}")


def _bandwidth(r: _Result, survey: Survey, letter: Letter) -> None:
    if not survey.uplinks:
        # an area-scoped uplink is only known once the site's link is
        if survey.link is not None or survey.uplink_scope == "global":
            r.add(
                "bandwidth",
                False,
                f"kapasitas uplink layanan {letter.service} tidak tercatat di NetBox "
                "(custom field uplink_capacity_mbps)",
            )
        return
    capacity = sum(u.capacity_mbps for u in survey.uplinks)
    first = survey.uplinks[0]
    r.uplink = up = UplinkHeadroom(
        device=first.device,
        interface=first.interface,
        capacity_mbps=capacity,
        committed_mbps=survey.committed_mbps,
        requested_mbps=letter.bandwidth_mbps,
    )
    where = f"{first.device} {first.interface}"
    used = f"uplink {where} {capacity} Mbps, terpakai {survey.committed_mbps} Mbps"
    if up.headroom_mbps >= letter.bandwidth_mbps:
        r.add(
            "bandwidth",
            True,
            f"bandwidth cukup: {used}, sisa {up.headroom_mbps} Mbps >= {letter.bandwidth_mbps} Mbps",
        )
    else:
        r.add(
            "bandwidth",
            False,
            f"bandwidth tidak cukup: {used}, sisa {up.headroom_mbps} Mbps < "
            f"diminta {letter.bandwidth_mbps} Mbps",
        )


def evaluate(survey: Survey, letter: Letter) -> Feasibility:
    """Turn a survey into the step-4 result: one finding per check, candidates, headroom."""
    r = _Result()
    length = lan_prefix_length(letter.hosts)
    _opd(r, survey, letter)
    _site(r, survey, letter)
    _specification(r, letter, length)
    _lan_prefix(r, survey, letter, length)
    _transfer_prefix(r, survey)
    _port(r, survey)
    _vlan(r, survey)
    _bandwidth(r, survey, letter)
    for problem in survey.problems:
        r.add("specification", False, problem)
    return Feasibility(
        feasible=all(f.ok for f in r.findings),
        service=letter.service,
        hosts=letter.hosts,
        bandwidth_mbps=letter.bandwidth_mbps,
        prefix_length=length,
        findings=r.findings,
        candidate=Candidate.model_validate(r.candidate),
        uplink=r.uplink,
        source="netbox",
    )
