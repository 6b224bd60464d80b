"""Seeding the network proper: interfaces, cables, addresses and primary IPs."""

from __future__ import annotations

import ipaddress
from typing import Any

from netprov.netbox import naming as nm
from netprov.netbox.client import netbox_errors
from netprov.netbox.seed_sync import PAGE, SyncBase, _ref


class NetworkSeeder(SyncBase):
    """The network kinds of the seed (organisation, catalogue and prefixes are in ``seed.py``)."""

    def _interfaces(self, dev_ids: dict[str, int]) -> dict[tuple[str, str], int]:
        topo = self.topo
        want: dict[tuple[str, str], dict[str, Any]] = {}

        def add(device: str, name: str, **extra: Any) -> None:
            key = (device, name)
            if key not in want:
                kind = (
                    "virtual"
                    if name == "lo"
                    else ("100base-tx" if name.startswith("FastEthernet") else "1000base-t")
                )
                want[key] = {"device": dev_ids[device], "name": name, "type": kind}
            want[key].update(extra)

        for d in topo.devices:
            if d.loopback is not None:
                add(d.name, "lo", description="Loopback")
            if d.lan_interface:
                add(d.name, d.lan_interface, label=nm.LAN_LABEL)
        for b in topo.backbone_links:
            add(b.a.device, b.a.interface, description=f"ke {b.b.device} {b.b.interface}")
            add(b.b.device, b.b.interface, description=f"ke {b.a.device} {b.a.interface}")
        for c in topo.cpe_links:
            add(c.dist.device, c.dist.interface)
            add(c.cpe.device, c.cpe.interface, description=f"ke {c.dist.device} {c.dist.interface}")
        for a in topo.access_links:
            add(a.cpe.device, a.cpe.interface, label=nm.LAN_LABEL)
            add(
                a.switch.device, a.switch.interface, description=f"uplink ke {a.cpe.device} {a.cpe.interface}"
            )
            for port in a.access_ports:
                add(a.switch.device, port, description="port akses OPD")
        add(topo.probe.core.device, topo.probe.core.interface, description="probe monitoring")
        for u in topo.uplinks:
            add(
                u.device,
                u.interface,
                description=u.description,
                custom_fields={nm.CF_UPLINK_CAPACITY: u.capacity_mbps, nm.CF_SERVICE: u.service},
            )
        name_of = {v: k for k, v in dev_ids.items()}
        ids = self.sync(
            "interfaces",
            self.api.dcim.interfaces,
            list(want.values()),
            key=lambda r: (name_of.get(_ref(r["device"]) or 0, str(r["device"])), r["name"]),
            device_id=list(dev_ids.values()),
        )
        return {(str(k[0]), str(k[1])): v for k, v in ids.items() if isinstance(k, tuple)}

    def _cables(self, ifaces: dict[tuple[str, str], int]) -> None:
        topo = self.topo
        pairs = [(b.a.device, b.a.interface, b.b.device, b.b.interface) for b in topo.backbone_links]
        pairs += [(c.dist.device, c.dist.interface, c.cpe.device, c.cpe.interface) for c in topo.cpe_links]
        pairs += [
            (a.cpe.device, a.cpe.interface, a.switch.device, a.switch.interface) for a in topo.access_links
        ]
        with netbox_errors("reading cabled interfaces"):
            cabled = {
                int(r.id): dict(r)
                for r in self.api.dcim.interfaces.filter(limit=PAGE, id=list(ifaces.values()), cabled=True)
            }
        creates = []
        unchanged = conflicts = 0
        for ad, ai, bd, bi in pairs:
            a, b = ifaces[(ad, ai)], ifaces[(bd, bi)]
            have_a, have_b = cabled.get(a), cabled.get(b)
            if have_a is None and have_b is None:
                creates.append(
                    {
                        "a_terminations": [{"object_type": "dcim.interface", "object_id": a}],
                        "b_terminations": [{"object_type": "dcim.interface", "object_id": b}],
                        "status": "connected",
                        "label": f"{ad}:{ai}-{bd}:{bi}"[:100],
                    }
                )
            elif have_a is not None and any(_ref(p) == b for p in have_a.get("link_peers") or []):
                unchanged += 1
            else:
                conflicts += 1
                self.progress(f"cable {ad} {ai} - {bd} {bi}: ports cabled elsewhere, left as is")
        if creates:
            with netbox_errors("creating cables"):
                self.api.dcim.cables.create(creates)
            self.progress(f"cables: {len(creates)} created")
        self.counts.add("cables", len(creates), 0, unchanged + conflicts)

    def _addresses(self, tag_id: int, ifaces: dict[tuple[str, str], int]) -> dict[str, int]:
        topo = self.topo
        want: list[dict[str, Any]] = []

        def add(
            address: ipaddress.IPv4Interface, device: str, iface: str, desc: str, role: str | None = None
        ) -> None:
            body: dict[str, Any] = {
                "address": str(address),
                "status": "active",
                "description": desc,
                "assigned_object_type": "dcim.interface",
                "assigned_object_id": ifaces[(device, iface)],
                "tags": [tag_id],
            }
            if role:
                body["role"] = role
            want.append(body)

        for d in topo.devices:
            if d.loopback is not None:
                add(d.loopback, d.name, "lo", f"loopback {d.name}", role="loopback")
        for b in topo.backbone_links:
            for end, other in ((b.a, b.b), (b.b, b.a)):
                if end.address is not None:
                    add(end.address, end.device, end.interface, f"ke {other.device}")
        core = topo.probe.core
        if core.address is not None:
            add(core.address, core.device, core.interface, "probe monitoring")
        ids = self.sync(
            "IP addresses",
            self.api.ipam.ip_addresses,
            want,
            key=lambda r: str(r["address"]),
            address=[w["address"] for w in want],
        )
        return {str(k): v for k, v in ids.items()}

    def _primary_ips(self, dev_ids: dict[str, int], ips: dict[str, int]) -> None:
        want = []
        for d in self.topo.devices:
            if d.loopback is not None:
                want.append({"name": d.name, "primary_ip4": ips[str(d.loopback)]})
        self.sync(
            "primary IPs",
            self.api.dcim.devices,
            want,
            key=lambda r: r["name"],
            name=[w["name"] for w in want],
        )
