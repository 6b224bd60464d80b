"""Names netprov gives to what it puts in NetBox: tags, custom fields, descriptions (pure)."""

from __future__ import annotations

import re

from netprov.domain.planning import LinkRow

TAG = "netprov"
TAG_COLOR = "2196f3"
REQUEST_TAG_COLOR = "ff9800"

CF_REQUEST = "netprov_request"
CF_BANDWIDTH = "netprov_bandwidth_mbps"
CF_SERVICE = "netprov_service"
CF_REGISTER = "netprov_register"
# netbox_ids key: the port each address of "ip" goes on, in the same order (0 = none)
IP_PORTS_KEY = "ip_port"
CF_UPLINK_CAPACITY = "uplink_capacity_mbps"
CF_SSH_PORT = "netprov_ssh_port"
CF_SSH_HOST = "netprov_ssh_host"
CF_NAPALM_DRIVER = "napalm_driver"

LAN_LABEL = "LAN"
"""Interface label that marks a department router's LAN interface."""

_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """NetBox-style slug: lower case, ``-`` between words.

    >>> slugify("Dinas Pendidikan")
    'dinas-pendidikan'
    """
    return _SLUG_RE.sub("-", text.casefold()).strip("-")


def request_tag_slug(request_id: str) -> str:
    """The per-request tag's slug.

    >>> request_tag_slug("PJB-2026-0001")
    'req-pjb-2026-0001'
    """
    return "req-" + slugify(request_id)


def allocation_description(request_id: str, opd_name: str, site_name: str, what: str = "") -> str:
    """What NetBox users see in every list: request id, department and site.

    >>> allocation_description("PJB-2026-0001", "Dinas Pendidikan", "UPT Pendidikan Batam Kota")
    'PJB-2026-0001 · Dinas Pendidikan · UPT Pendidikan Batam Kota'
    """
    text = f"{request_id} · {opd_name} · {site_name}"
    if what:
        text += f" · {what}"
    return text[:200]


def vlan_name(site_slug: str) -> str:
    """The VLAN of a department link; unique per VLAN group, so it claims the port atomically.

    >>> vlan_name("upt-disdik-batamkota")
    'opd-upt-disdik-batamkota'
    """
    return f"opd-{site_slug}"[:64]


def ip_ports(link: LinkRow) -> list[int]:
    """The ports of a link's three addresses, in ``netbox_ids["ip"]`` order: distribution end,
    department end, LAN gateway (0 = no LAN port known).

    >>> from netprov.domain.planning import LinkRow
    >>> row = LinkRow(dist_device="d", dist_device_id=1, dist_site_id=None, dist_interface="e",
    ...     dist_interface_id=5, dist_mark="", cpe_device="c", cpe_device_id=2, cpe_interface="e1",
    ...     cpe_interface_id=6, cpe_lan_interface="lan1", cpe_lan_interface_id=None)
    >>> ip_ports(row)
    [5, 6, 0]
    """
    return [link.dist_interface_id, link.cpe_interface_id, link.cpe_lan_interface_id or 0]
