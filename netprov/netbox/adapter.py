"""NetBox as netprov's IPAM: step-4 check, race-free allocation, release, journal, audit.

The adapter is split by job; this module composes them and builds one from the settings:

- :mod:`netprov.netbox.base`: the API handle, per-service rules, paged reads, journal;
- :mod:`netprov.netbox.reads`: tenants, sites, cabled links, pools, VLANs, a request's objects;
- :mod:`netprov.netbox.bandwidth`: uplinks, committed bandwidth, the survey, check and plan;
- :mod:`netprov.netbox.lifecycle`: release, activate, journal, audit, announced prefixes;
- :mod:`netprov.netbox.allocation`: allocate with undo.

The pure logic (feasibility, address planning) is in :mod:`netprov.domain.feasibility` and
:mod:`netprov.domain.planning`. What differs between services comes from the playbooks
(``pool``, ``uplink``, ``announce``), never from a service name.
"""

from __future__ import annotations

import contextlib
import logging

from netprov.domain.planning import ServiceRule
from netprov.domain.topology import Topology, load_topology
from netprov.errors import ConfigError
from netprov.netbox.batch import NetBoxBatch
from netprov.netbox.client import connect, credentials
from netprov.netbox.records import ACTIVE_STATUSES, PAGE, raw
from netprov.render.playbook import Playbook, load_playbooks
from netprov.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["ACTIVE_STATUSES", "PAGE", "NetBoxIpam", "raw", "service_rules"]


def service_rules(playbooks: dict[str, Playbook], topology: Topology | None) -> dict[str, ServiceRule]:
    """The IPAM rule of each service: its pool's NetBox role, uplink scope and tag.

    Without a topology the pool role is the pool name (the seed's convention is the
    topology's ``role``; a warning is logged by the caller).
    """
    out: dict[str, ServiceRule] = {}
    for service, pb in playbooks.items():
        role = pb.lan_pool
        if topology is not None:
            if pb.lan_pool not in topology.pools:
                raise ConfigError(
                    f"playbook {service}: pool {pb.lan_pool!r} is not in the topology "
                    f"(pools: {', '.join(topology.pools.names())})"
                )
            role = topology.pools[pb.lan_pool].role
        out[service] = ServiceRule(
            pool_role=role,
            uplink_scope=pb.uplink.scope,
            uplink_service=pb.uplink_service,
            announced=pb.announced,
        )
    return out


class NetBoxIpam(NetBoxBatch):
    """The IPAM port (:class:`netprov.netbox.port.Ipam`) implemented with NetBox."""

    @classmethod
    def from_settings(cls, settings: Settings, register_id: str = "") -> NetBoxIpam:
        """Connect with ``NETPROV_NETBOX_URL``/``NETPROV_NETBOX_TOKEN`` (or the lab's).

        ``register_id``: the register's identity, stamped on what the adapter creates.
        """
        url, token = credentials(settings)
        topo: Topology | None = None
        transfer_role, transfer_length = "transfer", 30
        try:
            topo = load_topology(settings.topology_file)
            transfer_role = topo.pools.transfer.role
            transfer_length = topo.pools.transfer.prefix_length or 30
        except ConfigError:
            log.warning("topology file unreadable; pool roles are the pool names")
        rules = service_rules(load_playbooks(settings.playbooks_dir), topo)
        api, counter = connect(url, token)
        ipam = cls(
            api, counter, rules=rules, transfer_role=transfer_role, transfer_length=transfer_length, url=url
        )
        ipam.register_id = register_id
        return ipam

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._api.http_session.close()
