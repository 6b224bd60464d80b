"""After allocation: release, activate (reserved -> active), journal, audit, announced LANs."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from netprov.domain.resources import Allocation
from netprov.errors import ConfigError, NetBoxError
from netprov.netbox import naming as nm
from netprov.netbox.bandwidth import NetBoxSurvey
from netprov.netbox.client import netbox_errors
from netprov.netbox.records import ACTIVE_STATUSES, net, obj_id


class NetBoxLifecycle(NetBoxSurvey):
    """What happens to a request's objects after step 7 reserved them."""

    def _clear_marks(self, interface_ids: Iterable[int]) -> None:
        ids = list(interface_ids)
        if not ids:
            return
        try:
            keep = [self._netprov_tag()]
        except ConfigError:  # no netprov tag to keep
            keep = []
        # a free port belongs to no register either (whichever adapter frees it)
        cleared = {nm.CF_REQUEST: None, nm.CF_REGISTER: None}
        with netbox_errors("clearing port marks"):
            self._api.dcim.interfaces.update(
                [{"id": i, "description": "", "tags": keep, "custom_fields": cleared} for i in ids]
            )

    def release(self, request_id: str) -> list[str]:
        """Delete the request's addresses, prefixes and VLAN, clear its port mark, drop its tag."""
        objs = self._request_objects(request_id)
        done: list[str] = []
        api = self._api
        with netbox_errors(f"releasing {request_id}"):
            if objs["ip"]:
                api.ipam.ip_addresses.delete([int(i["id"]) for i in objs["ip"]])
                done += [f"ip {i['address']}" for i in objs["ip"]]
            if objs["prefix"]:
                api.ipam.prefixes.delete([int(p["id"]) for p in objs["prefix"]])
                done += [f"prefix {p['prefix']}" for p in objs["prefix"]]
            if objs["vlan"]:
                api.ipam.vlans.delete([int(v["id"]) for v in objs["vlan"]])
                done += [f"vlan {v['vid']} {v['name']}" for v in objs["vlan"]]
        if objs["interface"]:
            self._clear_marks(int(i["id"]) for i in objs["interface"])
            done += [f"interface {i['device']['name']} {i['name']} (mark cleared)" for i in objs["interface"]]
        tags = self._list(api.extras.tags, "reading tags", slug=nm.request_tag_slug(request_id))
        if tags:
            with netbox_errors(f"deleting tag {request_id}"):
                api.extras.tags.delete([int(t["id"]) for t in tags])
            done.append(f"tag {request_id}")
        return done

    def _ip_updates(self, a: Allocation, ips: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """reserved -> active, each address assigned to its interface (one read of the link's ports)."""
        ifaces = self._list(
            self._api.dcim.interfaces,
            "reading link interfaces",
            device=[a.dist_device, a.cpe_device],
            name=[a.dist_interface, a.cpe_interface, a.cpe_lan_interface],
        )
        by_name = {(str(i["device"]["name"]), str(i["name"])): int(i["id"]) for i in ifaces}
        where = {
            str(a.dist_address): by_name.get((a.dist_device, a.dist_interface)),
            str(a.cpe_address): by_name.get((a.cpe_device, a.cpe_interface)),
            str(a.lan_gateway): by_name.get((a.cpe_device, a.cpe_lan_interface)),
        }
        return [_ip_update(int(ip["id"]), where.get(str(ip["address"]))) for ip in ips]

    def activate(self, allocation: Allocation, step: int, note: str) -> None:
        """reserved -> active, addresses assigned to the interfaces, a journal entry on each.

        An allocation made (or found) by :meth:`allocate` carries the ids of its objects and of
        the ports its addresses go on (``netbox_ids``): they were created by this register or
        checked against it then, and NetBox never reuses an id, so they are written by id
        (4 calls: 3 list-PATCHes and the journal). Without them the objects are read first.
        """
        a = allocation
        ids = {k: list(v) for k, v in a.netbox_ids.items() if k in self._KIND_TYPES}
        ports = list(a.netbox_ids.get(nm.IP_PORTS_KEY, []))
        if _complete_ids(ids) and len(ports) == len(ids["ip"]):
            ip_updates = [_ip_update(i, port or None) for i, port in zip(ids["ip"], ports, strict=True)]
        else:
            objs = self._request_objects(a.request_id)
            if not self._complete(objs):
                raise NetBoxError(f"{a.request_id} holds no complete allocation to activate")
            ids = {k: [int(o["id"]) for o in v] for k, v in objs.items()}
            ip_updates = self._ip_updates(a, objs["ip"])
        with netbox_errors(f"activating {a.request_id}"):
            self._api.ipam.ip_addresses.update(ip_updates)
            self._api.ipam.prefixes.update([{"id": i, "status": "active"} for i in ids["prefix"]])
            self._api.ipam.vlans.update([{"id": i, "status": "active"} for i in ids["vlan"]])
        self._journal_ids(ids, f"{a.request_id} · langkah {step}: aktif · {note}")

    def set_bandwidth(self, request_id: str, mbps: int, note: str) -> None:
        """The request's committed bandwidth (its prefixes' bandwidth field) set to ``mbps``,
        with a journal entry on every object of the request (a bandwidth change, step 7)."""
        objs = self._request_objects(request_id)
        rows = [p for p in objs["prefix"] if (p.get("custom_fields") or {}).get(nm.CF_BANDWIDTH) is not None]
        if not rows:
            raise NetBoxError(f"NetBox holds no prefix with a committed bandwidth for {request_id}")
        with netbox_errors(f"setting the bandwidth of {request_id}"):
            self._api.ipam.prefixes.update(
                [{"id": int(p["id"]), "custom_fields": {nm.CF_BANDWIDTH: int(mbps)}} for p in rows]
            )
        ids = {k: [int(o["id"]) for o in v] for k, v in objs.items()}
        self._journal_ids(ids, f"{request_id} · langkah 7: {note}")

    def journal(self, request_id: str, step: int, message: str) -> None:
        """A journal entry naming the request and the step on every object of the request."""
        objs = self._request_objects(request_id)
        ids = {k: [int(o["id"]) for o in v] for k, v in objs.items()}
        self._journal_ids(ids, f"{request_id} · langkah {step}: {message}")

    def tagged_objects(self, request_id: str) -> list[dict[str, object]]:
        """The request's objects for the audit: kind, id, display, url, journaled."""
        objs = self._request_objects(request_id)
        entries = self._list(self._api.extras.journal_entries, "reading journal entries", q=request_id)
        journaled = {
            (str(e.get("assigned_object_type")), obj_id({"id": e.get("assigned_object_id")})) for e in entries
        }
        return [
            {
                "kind": kind,
                "id": int(r["id"]),
                "display": str(r.get("display") or ""),
                "url": str(r.get("display_url") or r.get("url") or ""),
                "journaled": (self._KIND_TYPES[kind], int(r["id"])) in journaled,
            }
            for kind, rows in objs.items()
            for r in rows
        ]

    def active_prefixes(self, service: str) -> list[ipaddress.IPv4Network]:
        """LAN prefixes of ``service`` that are reserved or active (what the border announces
        for a playbook with ``announce: provider``), sorted."""
        rows = self._list(
            self._api.ipam.prefixes,
            f"reading {service} prefixes",
            **{f"cf_{nm.CF_SERVICE}": service},
            status=ACTIVE_STATUSES,
        )
        nets = {net(r["prefix"]) for r in rows}
        return sorted(nets, key=lambda n: (int(n.network_address), n.prefixlen))


def _ip_update(ip_id: int, port: int | None) -> dict[str, Any]:
    upd: dict[str, Any] = {"id": ip_id, "status": "active"}
    if port is not None:
        upd.update(assigned_object_type="dcim.interface", assigned_object_id=port)
    return upd


def _complete_ids(ids: dict[str, list[int]]) -> bool:
    return (
        len(ids.get("prefix", [])) == 2
        and len(ids.get("ip", [])) == 3
        and len(ids.get("vlan", [])) == 1
        and len(ids.get("interface", [])) == 1
    )
