"""The custom fields netprov adds to NetBox (request, bandwidth, service, uplink, SSH)."""

from __future__ import annotations

from typing import Any

from netprov.netbox import naming as nm

CUSTOM_FIELDS: list[dict[str, Any]] = [
    {
        "name": nm.CF_REQUEST,
        "label": "netprov request",
        "type": "text",
        "filter_logic": "exact",
        "object_types": ["ipam.prefix", "ipam.ipaddress", "ipam.vlan", "dcim.interface"],
        "description": "Request (Permohonan Jaringan Baru) that reserved this object",
    },
    {
        "name": nm.CF_REGISTER,
        "label": "netprov register",
        "type": "text",
        "filter_logic": "exact",
        "object_types": ["ipam.prefix", "ipam.ipaddress", "ipam.vlan", "dcim.interface"],
        "description": "Identity (uuid) of the netprov register that made this object",
    },
    {
        "name": nm.CF_BANDWIDTH,
        "label": "Bandwidth (Mbps)",
        "type": "integer",
        "object_types": ["ipam.prefix"],
        "description": "Committed bandwidth of the link",
    },
    {
        "name": nm.CF_SERVICE,
        "label": "netprov service",
        "type": "text",
        "filter_logic": "exact",
        "object_types": ["ipam.prefix", "dcim.interface"],
        "description": "intranet or internet",
    },
    {
        "name": nm.CF_UPLINK_CAPACITY,
        "label": "Uplink capacity (Mbps)",
        "type": "integer",
        "object_types": ["dcim.interface"],
        "description": "Capacity that requests of this service may commit (step 4 headroom)",
    },
    {
        "name": nm.CF_SSH_PORT,
        "label": "SSH port",
        "type": "integer",
        "object_types": ["dcim.device"],
        "description": "Management SSH port",
    },
    {
        "name": nm.CF_SSH_HOST,
        "label": "SSH host",
        "type": "text",
        "filter_logic": "exact",
        "object_types": ["dcim.device"],
        "description": "Management host (the lab exposes devices on 127.0.0.1)",
    },
]
NAPALM_DRIVER_CF = {
    "name": nm.CF_NAPALM_DRIVER,
    "label": "NAPALM driver",
    "type": "text",
    "object_types": ["dcim.platform"],
    "description": "NAPALM driver name (NetBox 4 has no platform field)",
}
