"""The Nornir object the pipeline runs on: NetBox inventory when NetBox is configured, else the
plain YAML inventory in ``inventory/``; credentials injected from settings, never from files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.filter import F
from nornir.core.inventory import ConnectionOptions

from netprov.errors import ConfigError
from netprov.settings import Settings, lab_state

NETMIKO_PLATFORMS = {"ios"}


def build_nornir(settings: Settings, *, dry_run: bool = False, use_netbox: bool | None = None) -> Nornir:
    """A threaded Nornir with the device inventory and credentials from settings.

    Args:
        use_netbox: force the NetBox inventory (True) or the YAML one (False); default: NetBox
            when ``NETPROV_NETBOX_URL`` is set.
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
        runner={"plugin": "threaded", "options": {"num_workers": 12}},
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
    """Give every host its credentials: settings first, then what the local lab recorded.

    Each host gets its own ``optional_args`` dict (nornir-napalm writes ``port`` into it).
    """
    lab = _lab_credentials(settings)
    for host in nr.inventory.hosts.values():
        rec = lab.get(host.name, {})
        if host.platform in NETMIKO_PLATFORMS:
            if rec.get("username"):
                host.username = str(rec["username"])
            secret_file = rec.get("password_file")
            if secret_file and Path(str(secret_file)).is_file():
                host.password = Path(str(secret_file)).read_text(encoding="utf-8").strip()
                # the lab switches' enable secret is their login password
                nm = host.connection_options.get("netmiko")
                if nm is None:
                    nm = host.connection_options["netmiko"] = ConnectionOptions()
                nm.extras = {**(nm.extras or {}), "secret": host.password, "fast_cli": False}
            if host.port is None and rec.get("port"):
                host.port = int(rec["port"])
            continue
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
                if host.platform == "bird2":
                    # napalm-bird2 checks paths on the client unless told (LAB.md)
                    optional.setdefault("bird_config_path", "/etc/bird/bird.conf")
                extras["optional_args"] = optional
                opts.extras = extras


def only(nr: Nornir, devices: Iterable[str]) -> Nornir:
    names = sorted(set(devices))
    missing = [n for n in names if n not in nr.inventory.hosts]
    if missing:
        raise ConfigError(f"device(s) not in the Nornir inventory: {', '.join(missing)}")
    return nr.filter(F(name__any=names))
