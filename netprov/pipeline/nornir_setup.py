"""The Nornir object the pipeline runs on: NetBox inventory when NetBox is configured, else the
plain YAML inventory in ``inventory/``; credentials injected from settings, never from files."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.filter import F

from netprov.errors import ConfigError
from netprov.settings import Settings


def build_nornir(settings: Settings, *, dry_run: bool = False, use_netbox: bool | None = None) -> Nornir:
    """A threaded Nornir with the device inventory and credentials from settings.

    Args:
        use_netbox: force the NetBox inventory (True) or the YAML one (False); default: NetBox
            when ``NETPROV_NETBOX_URL`` is set.
    """
    if use_netbox is None:
        use_netbox = bool(settings.netbox_url and settings.netbox_token)
    if use_netbox:
        inventory: dict[str, Any] = {"plugin": "NetBoxInventoryNetprov", "options": {}}
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
        runner={"plugin": "threaded", "options": {"num_workers": 12}},
        inventory=inventory,
        logging={"enabled": False},
        dry_run=dry_run,
    )
    inject_credentials(nr, settings)
    return nr


def inject_credentials(nr: Nornir, settings: Settings) -> None:
    """Give every host the credentials from settings (per-host dicts: see LAB.md's gotcha)."""
    for host in nr.inventory.hosts.values():
        if host.platform in {"frr", "bird2"}:
            if settings.device_username and not host.username:
                host.username = settings.device_username
            if settings.device_password is not None and not host.password:
                host.password = settings.device_password.get_secret_value()
            opts = host.connection_options.get("napalm")
            if opts is not None:
                extras = dict(opts.extras or {})
                optional = dict(extras.get("optional_args") or {})
                if settings.device_key_file and "key_file" not in optional:
                    optional["key_file"] = str(settings.device_key_file)
                extras["optional_args"] = optional
                opts.extras = extras


def only(nr: Nornir, devices: Iterable[str]) -> Nornir:
    names = sorted(set(devices))
    missing = [n for n in names if n not in nr.inventory.hosts]
    if missing:
        raise ConfigError(f"device(s) not in the Nornir inventory: {', '.join(missing)}")
    return nr.filter(F(name__any=names))
