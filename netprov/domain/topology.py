"""The city network topology (``inventory/topology.yaml``), typed.

The device lab builds it and the NetBox seed loads it, so both read this one model.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, RootModel, ValidationError, model_validator

from netprov.domain.services import ServiceName
from netprov.errors import ConfigError

Role = Literal["core", "distribution", "cpe", "provider", "access"]
Service = ServiceName
#: Pools every topology must have (the LAN pools are named by the playbooks' ``pool:``).
INFRA_POOLS = ("transfer", "backbone", "loopback", "management")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Pool(_Frozen):
    prefix: ipaddress.IPv4Network
    role: str
    description: str = ""
    prefix_length: int | None = None


class Pools(RootModel[dict[str, Pool]]):
    """Pool name -> pool. The infra pools (:data:`INFRA_POOLS`) are required; the others
    are LAN pools a playbook names with ``pool:``. Attribute access (``pools.transfer``)
    keeps working for the infra pools.
    """

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="after")
    def _infra(self) -> Pools:
        missing = [n for n in INFRA_POOLS if n not in self.root]
        if missing:
            raise ValueError(f"pools {', '.join(missing)} are required")
        return self

    def __getitem__(self, name: str) -> Pool:
        try:
            return self.root[name]
        except KeyError:
            known = ", ".join(sorted(self.root))
            raise KeyError(f"no pool {name!r} in the topology (pools: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self.root

    def names(self) -> list[str]:
        return list(self.root)

    def lan_pools(self) -> dict[str, Pool]:
        """The pools that are not infrastructure (department LANs come from them)."""
        return {k: v for k, v in self.root.items() if k not in INFRA_POOLS}

    @property
    def transfer(self) -> Pool:
        return self.root["transfer"]

    @property
    def backbone(self) -> Pool:
        return self.root["backbone"]

    @property
    def loopback(self) -> Pool:
        return self.root["loopback"]

    @property
    def management(self) -> Pool:
        return self.root["management"]


class Uplink(_Frozen):
    device: str
    interface: str
    service: Service
    capacity_mbps: int
    description: str = ""


class Tenant(_Frozen):
    slug: str
    name: str


class Site(_Frozen):
    slug: str
    name: str
    tenant: str
    area: str | None = None
    address: str = ""


class VlanGroup(_Frozen):
    slug: str
    name: str
    site: str
    min_vid: int
    max_vid: int


class Platform(_Frozen):
    slug: str
    name: str
    napalm_driver: str
    manufacturer: str


class Device(_Frozen):
    name: str
    role: Role
    platform: str
    site: str
    ssh_port: int
    area: str | None = None
    loopback: ipaddress.IPv4Interface | None = None
    router_id: ipaddress.IPv4Address | None = None
    asn: int | None = None
    lan_interface: str | None = None
    model: str | None = None


class Endpoint(_Frozen):
    device: str
    interface: str
    address: ipaddress.IPv4Interface | None = None


class BackboneLink(_Frozen):
    a: Endpoint
    b: Endpoint
    ospf_area: int | None = None
    ebgp: bool = False


class CpeLink(_Frozen):
    site: str
    dist: Endpoint
    cpe: Endpoint


class AccessLink(_Frozen):
    site: str
    cpe: Endpoint
    switch: Endpoint
    access_ports: list[str]


class Probe(_Frozen):
    namespace: str
    core: Endpoint
    probe_address: ipaddress.IPv4Interface


class ExistingLink(_Frozen):
    opd: str
    site: str
    service: Service
    prefix: ipaddress.IPv4Network
    bandwidth_mbps: int
    description: str
    request: str


class Topology(_Frozen):
    organisation: str
    agency: str
    asn: int
    pools: Pools
    uplinks: list[Uplink]
    tenants: list[Tenant]
    sites: list[Site]
    vlan_groups: list[VlanGroup]
    platforms: list[Platform]
    devices: list[Device]
    backbone_links: list[BackboneLink]
    cpe_links: list[CpeLink]
    access_links: list[AccessLink]
    probe: Probe
    existing_links: list[ExistingLink] = []

    def device(self, name: str) -> Device:
        for d in self.devices:
            if d.name == name:
                return d
        raise KeyError(name)

    def site(self, slug: str) -> Site:
        for s in self.sites:
            if s.slug == slug:
                return s
        raise KeyError(slug)

    def site_by_name(self, name: str) -> Site | None:
        wanted = name.strip().casefold()
        for s in self.sites:
            if s.name.casefold() == wanted or s.slug == wanted:
                return s
        return None

    def tenant(self, slug: str) -> Tenant:
        for t in self.tenants:
            if t.slug == slug:
                return t
        raise KeyError(slug)

    def platform(self, slug: str) -> Platform:
        for p in self.platforms:
            if p.slug == slug:
                return p
        raise KeyError(slug)

    def devices_with_role(self, role: Role) -> list[Device]:
        return [d for d in self.devices if d.role == role]

    def cpe_link_for_site(self, site_slug: str) -> CpeLink | None:
        return next((c for c in self.cpe_links if c.site == site_slug), None)

    def access_link_for_site(self, site_slug: str) -> AccessLink | None:
        return next((a for a in self.access_links if a.site == site_slug), None)

    def core(self) -> Device:
        return self.devices_with_role("core")[0]

    def provider(self) -> Device:
        return self.devices_with_role("provider")[0]


def load_topology(path: Path) -> Topology:
    """Read and validate the topology file; errors name the file and the field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"topology file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"topology file {path}: not valid YAML: {exc}") from exc
    try:
        return Topology.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"topology file {path}: {problems}") from exc
