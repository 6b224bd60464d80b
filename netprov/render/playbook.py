"""Service playbooks (``playbooks/*.yaml``): what a service is and which devices it touches.

A playbook names its service (``service:``), where its LAN comes from (``pool:``), which
uplink its bandwidth counts against (``uplink:``), whether its LAN is announced to the
provider (``announce:``), per device role where the device comes from, which template it
gets and how the config is pushed (merge | replace), and which checks prove the link works.
The pipeline reads it; a new service is a new playbook, not new code: the services are the
playbooks found (:func:`available_services`).

Pure functions: :func:`plan_devices` (playbook + allocation + topology -> device targets) and
:func:`resolve_checks` (symbolic checks -> concrete ones). :func:`load_playbook` reads YAML.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from netprov.domain.resources import Allocation
from netprov.domain.services import files_stamp
from netprov.domain.services import playbooks_dir as services_dir
from netprov.domain.topology import Role, Topology
from netprov.errors import ConfigError, NotFoundError, RenderError
from netprov.render.safe import NAME_RE, SLUG_RE, check_name
from netprov.settings import Settings

Mode = Literal["merge", "replace"]
CheckKind = Literal["interface_address", "route", "ping", "bgp_announced"]
UplinkScope = Literal["area", "global"]
Announce = Literal["none", "provider"]

_ALLOCATION_DEVICE_FIELDS = ("dist_device", "cpe_device", "access_switch")
_TOPOLOGY_DEVICES = ("core", "provider")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Target(_Frozen):
    """One device role a playbook touches."""

    role: Role
    device: str  # "allocation.<field>" or "topology.core" / "topology.provider"
    template: str  # templates/devices/<platform>/<template>.j2
    mode: Mode = "merge"
    optional: bool = False

    @model_validator(mode="after")
    def _check(self) -> Target:
        source, _, name = self.device.partition(".")
        ok = (source == "allocation" and name in _ALLOCATION_DEVICE_FIELDS) or (
            source == "topology" and name in _TOPOLOGY_DEVICES
        )
        if not ok:
            raise ValueError(
                f"device {self.device!r} must be allocation.<"
                + "|".join(_ALLOCATION_DEVICE_FIELDS)
                + "> or topology.<core|provider>"
            )
        if SLUG_RE.fullmatch(self.template) is None:
            raise ValueError(f"template {self.template!r} must be a plain name such as 'cpe'")
        return self


class Check(_Frozen):
    """A check, with symbolic values (see :func:`symbols`)."""

    kind: CheckKind
    role: Role | None = None
    interface: str | None = None
    address: str | None = None
    prefix: str | None = None
    protocol: str | None = None
    from_: Role | None = Field(default=None, alias="from")
    source: str | None = None
    to: str | None = None


class Uplink(_Frozen):
    """Which uplink a service's committed bandwidth counts against (step-4 headroom).

    ``scope: area``: the uplink of the distribution router serving the site, bandwidth
    committed in the site's area (NetBox region). ``scope: global``: every uplink of the
    service, bandwidth committed anywhere. ``service``: the uplinks' service tag
    (topology ``uplinks[].service``, NetBox custom field); default: the playbook's service.
    """

    scope: UplinkScope = "area"
    service: str | None = None

    @model_validator(mode="after")
    def _slug(self) -> Uplink:
        if self.service is not None and SLUG_RE.fullmatch(self.service) is None:
            raise ValueError(f"uplink service {self.service!r} must be a slug")
        return self


class Playbook(_Frozen):
    """A service playbook: the service's rules, its device targets and its checks."""

    service: str
    description: str = ""
    pool: str | None = None  # topology pool / NetBox prefix role the LAN comes from
    uplink: Uplink = Uplink()
    announce: Announce = "none"
    targets: list[Target]
    checks: list[Check] = []

    @model_validator(mode="after")
    def _check(self) -> Playbook:
        if SLUG_RE.fullmatch(self.service) is None:
            raise ValueError(f"service {self.service!r} must be a slug such as 'intranet'")
        if self.pool is not None and SLUG_RE.fullmatch(self.pool) is None:
            raise ValueError(f"pool {self.pool!r} must be a topology pool name")
        roles = [t.role for t in self.targets]
        if len(set(roles)) != len(roles):
            raise ValueError("each role may appear once in targets")
        return self

    @property
    def lan_pool(self) -> str:
        """The topology pool the LAN comes from (``pool:``, default the service name)."""
        return self.pool or self.service

    @property
    def uplink_service(self) -> str:
        """The service tag of the uplinks this service's bandwidth counts against."""
        return self.uplink.service or self.service

    @property
    def announced(self) -> bool:
        """True when the LAN is announced to the provider (``announce: provider``)."""
        return self.announce == "provider"


class DeviceTarget(_Frozen):
    """A concrete device the link touches: what the pipeline renders and pushes."""

    device: str
    platform: str
    role: Role
    template: str  # path under templates/devices, e.g. "frr/cpe.j2"
    mode: Mode


class ResolvedCheck(_Frozen):
    """A check with device names, interfaces and addresses filled in."""

    kind: CheckKind
    device: str | None = None  # for interface_address, route, bgp_announced
    interface: str | None = None
    address: ipaddress.IPv4Interface | None = None
    prefix: ipaddress.IPv4Network | None = None
    protocol: str | None = None
    from_device: str | None = None  # for ping
    source: ipaddress.IPv4Address | None = None
    target: ipaddress.IPv4Address | None = None


def parse_playbook(data: object, source: str = "playbook") -> Playbook:
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(document)'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{source} is invalid: {problems}") from exc


def _read(path: Path) -> Playbook:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"playbook {path}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"playbook {path}: not valid YAML") from exc
    return parse_playbook(data, source=f"playbook {path}")


def load_playbooks(playbooks_dir: Path) -> dict[str, Playbook]:
    """Every playbook in ``playbooks_dir`` by service name.

    Raises:
        ConfigError: a file is invalid, or two playbooks claim one service.
    """
    out: dict[str, Playbook] = {}
    for path in sorted(playbooks_dir.glob("*.yaml")):
        pb = _read(path)
        if pb.service in out:
            raise ConfigError(f"playbook {path}: service {pb.service!r} is defined twice")
        out[pb.service] = pb
    return out


@lru_cache(maxsize=16)
def _cached_playbooks(directory: str, stamp: tuple[tuple[str, int], ...]) -> dict[str, Playbook]:
    del stamp  # part of the cache key: a changed file is read again
    return load_playbooks(Path(directory))


def default_playbook(service: str) -> Playbook:
    """The playbook of ``service`` in the default playbooks directory (cached per file mtime).

    Raises:
        NotFoundError: no playbook defines that service.
    """
    directory = services_dir()
    playbooks = _cached_playbooks(str(directory), files_stamp(directory))
    if service not in playbooks:
        known = ", ".join(sorted(playbooks)) or "(none)"
        raise NotFoundError(f"no playbook for service {service!r} in {directory} (services: {known})")
    return playbooks[service]


def available_services(settings: Settings) -> list[str]:
    """The services the playbooks in ``settings.playbooks_dir`` define, sorted."""
    return sorted(load_playbooks(settings.playbooks_dir))


def load_playbook(settings: Settings, service: str) -> Playbook:
    """The playbook whose ``service:`` is ``service`` (or, for old callers, by file stem).

    Raises:
        NotFoundError: no playbook defines that service (names the known ones).
        ConfigError: a file is not a valid playbook (names the field).
    """
    playbooks = load_playbooks(settings.playbooks_dir)
    if service in playbooks:
        return playbooks[service]
    if SLUG_RE.fullmatch(service) is not None:
        path = settings.playbooks_dir / f"{service}.yaml"
        if path.is_file():
            return _read(path)
    known = ", ".join(sorted(playbooks)) or "(none)"
    raise NotFoundError(
        f"no playbook for service {service!r} in {settings.playbooks_dir} (services: {known})"
    )


def _device_name(target: Target, allocation: Allocation, topology: Topology) -> str | None:
    source, _, name = target.device.partition(".")
    if source == "topology":
        return topology.core().name if name == "core" else topology.provider().name
    value = getattr(allocation, name)
    return str(value) if value else None


def plan_devices(
    playbook: Playbook,
    allocation: Allocation,
    topology: Topology,
    platforms: Mapping[str, str] | None = None,
) -> list[DeviceTarget]:
    """The devices one link touches, in playbook order.

    Args:
        playbook: the service playbook.
        allocation: what NetBox reserved (names the distribution, CPE and access devices).
        topology: the city network (core, provider, each device's platform).
        platforms: optional role -> platform override (render the same link for another
            vendor's hardware, e.g. ``{"cpe": "ios"}``); default: the device's platform.

    Raises:
        RenderError: a required device is missing from the allocation or the topology.
    """
    if playbook.service != allocation.service:
        raise RenderError(f"playbook is for {playbook.service} links, the allocation is {allocation.service}")
    out: list[DeviceTarget] = []
    for t in playbook.targets:
        name = _device_name(t, allocation, topology)
        if name is None:
            if t.optional:
                continue
            raise RenderError(f"allocation names no device for role {t.role} ({t.device})")
        check_name(name, f"{t.role} device", NAME_RE)
        try:
            platform = topology.device(name).platform
        except KeyError as exc:
            if platforms is None or t.role not in platforms:
                raise RenderError(f"device {name} ({t.role}) is not in the topology") from exc
            platform = platforms[t.role]
        if platforms and t.role in platforms:
            platform = platforms[t.role]
        check_name(platform, f"platform of {name}", SLUG_RE)
        out.append(
            DeviceTarget(
                device=name,
                platform=platform,
                role=t.role,
                template=f"{platform}/{t.template}.j2",
                mode=t.mode,
            )
        )
    return out


def symbols(allocation: Allocation, topology: Topology) -> dict[str, object]:
    """The values a check may name: allocation fields and topology addresses."""
    core, provider = topology.core(), topology.provider()
    out: dict[str, object] = dict(allocation)
    out.update(
        core_loopback=core.loopback,
        provider_loopback=provider.loopback,
        core_router_id=core.router_id,
        provider_router_id=provider.router_id,
    )
    return out


def resolve_checks(playbook: Playbook, allocation: Allocation, topology: Topology) -> list[ResolvedCheck]:
    """Turn a playbook's symbolic checks into concrete ones for this link.

    Roles become device names (from :func:`plan_devices`, or the topology for core and
    provider even when the playbook doesn't push to them); symbols become values.

    Raises:
        RenderError: a check names an unknown symbol or a role with no device.
    """
    devices = {t.role: t.device for t in plan_devices(playbook, allocation, topology)}
    devices.setdefault("core", topology.core().name)
    devices.setdefault("provider", topology.provider().name)
    sym = symbols(allocation, topology)

    def value(name: str | None, what: str) -> object:
        if name is None:
            return None
        if name not in sym:
            raise RenderError(f"check {what}: unknown symbol {name!r}")
        return sym[name]

    def device(role: Role | None) -> str | None:
        if role is None:
            return None
        if role not in devices:
            raise RenderError(f"check names role {role}, which this link has no device for")
        return devices[role]

    out: list[ResolvedCheck] = []
    for c in playbook.checks:
        addr = value(c.address, "address")
        to = value(c.to, "to")
        src = value(c.source, "source")
        out.append(
            ResolvedCheck(
                kind=c.kind,
                device=device(c.role),
                interface=str(value(c.interface, "interface")) if c.interface else None,
                address=ipaddress.IPv4Interface(str(addr)) if addr is not None else None,
                prefix=ipaddress.IPv4Network(str(value(c.prefix, "prefix"))) if c.prefix else None,
                protocol=c.protocol,
                from_device=device(c.from_),
                source=_ip(src),
                target=_ip(to),
            )
        )
    return out


def _ip(value: object) -> ipaddress.IPv4Address | None:
    if value is None:
        return None
    if isinstance(value, ipaddress.IPv4Interface):
        return value.ip
    return ipaddress.IPv4Address(str(value))
