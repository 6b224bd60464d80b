"""The Nornir object the pipeline runs on: NetBox inventory when NetBox is configured, else the
plain YAML inventory in ``inventory/``; credentials injected from settings, never from files."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.filter import F

from netprov.errors import ConfigError, UnknownPlatform
from netprov.platforms import get_platform
from netprov.settings import Settings, lab_state


def build_nornir(
    settings: Settings,
    *,
    dry_run: bool = False,
    use_netbox: bool | None = None,
    num_workers: int = 12,
) -> Nornir:
    """A threaded Nornir with the device inventory and credentials from settings.

    Args:
        use_netbox: force the NetBox inventory (True) or the YAML one (False); default: NetBox
            when ``NETPROV_NETBOX_URL`` is set.
        num_workers: threads of the runner.
    """
    if use_netbox is None:
        use_netbox = bool(settings.netbox_url and settings.netbox_token)
    if use_netbox:
        inventory: dict[str, Any] = {"plugin": "NetBoxInventoryNetprov", "options": {"cache_ttl": 0}}
    else:
        inv = settings.inventory_dir
        hosts = inv / "hosts.yaml"
        if not hosts.is_file():
            raise ConfigError(f"no Nornir inventory: {hosts} is missing (or set NETPROV_NETBOX_URL)")
        inventory = {
            "plugin": "SimpleInventory",
            "options": {
                "host_file": str(hosts),
                "group_file": str(inv / "groups.yaml"),
                "defaults_file": str(inv / "defaults.yaml"),
            },
        }
    nr = InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": num_workers}},
        inventory=inventory,
        logging={"enabled": False},
        dry_run=dry_run,
    )
    inject_credentials(nr, settings)
    return nr


def _lab_credentials(settings: Settings) -> dict[str, dict[str, Any]]:
    """Per-device credentials the device lab recorded (username + key file or password file)."""
    devices = lab_state(settings.lab_dir).get("devices", {}).get("devices", {})
    return devices if isinstance(devices, dict) else {}


def inject_credentials(nr: Nornir, settings: Settings) -> None:
    """Give every host its credentials: each host's platform decides how (settings first,
    then what the local lab recorded). Hosts of an unknown platform are left alone; a task on
    them fails with the registry's error.

    Each host gets its own ``optional_args`` dict (nornir-napalm writes ``port`` into it).
    """
    lab = _lab_credentials(settings)
    for host in nr.inventory.hosts.values():
        try:
            platform = get_platform(host.platform)
        except UnknownPlatform:
            continue
        rec = lab.get(host.name, {})
        platform.inject_credentials(host, settings, rec if isinstance(rec, dict) else {})


def only(nr: Nornir, devices: Iterable[str]) -> Nornir:
    names = sorted(set(devices))
    missing = [n for n in names if n not in nr.inventory.hosts]
    if missing:
        raise ConfigError(f"device(s) not in the Nornir inventory: {', '.join(missing)}")
    return nr.filter(F(name__any=names))
