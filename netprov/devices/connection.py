"""Connections to devices: a NAPALM driver for one device, or Nornir over the YAML inventory.

Connection facts (host, port, platform, optional_args) come from the Nornir inventory in
``settings.inventory_dir``; credentials come from settings (``device_username``,
``device_key_file``, ``device_password``; ``netprov lab up devices`` records the lab's) and
are injected at run time, never written to files or logs. Devices with their own lab
credentials (the fake-switches, user ``admin`` + a password file) use those.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from netprov.errors import ConfigError, DeviceUnreachable, NotFoundError, UnknownPlatform
from netprov.settings import Settings, lab_state

# napalm-bird2 asks pypi.org for a newer version on open(); netprov sends no packet outside
# the machine and the lab, so switch that off for every process that imports this module.
os.environ.setdefault("NAPALM_BIRD2_DISABLE_UPDATE_CHECK", "1")


@dataclass(frozen=True)
class Credentials:
    """Who logs in; ``password`` and ``key_file`` are never printed."""

    username: str
    password: str | None = None
    key_file: str | None = None

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, key_file={self.key_file!r})"


@dataclass(frozen=True)
class DeviceTarget:
    """Where and how to reach one device (from the inventory)."""

    name: str
    hostname: str
    port: int
    platform: str
    optional_args: dict[str, Any]


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"inventory file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"inventory file {path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"inventory file {path}: must be a mapping")
    return data


def inventory_hosts(settings: Settings) -> dict[str, dict[str, Any]]:
    """The ``hosts.yaml`` of the inventory, as a mapping of host name to its entry."""
    return _load_yaml(settings.inventory_dir / "hosts.yaml")


def target_for(settings: Settings, device_name: str) -> DeviceTarget:
    hosts = inventory_hosts(settings)
    if device_name not in hosts:
        raise NotFoundError(f"device {device_name!r} is not in {settings.inventory_dir}/hosts.yaml")
    entry = hosts[device_name] or {}
    platform = str(entry.get("platform") or "")
    if not platform:
        groups = _load_yaml(settings.inventory_dir / "groups.yaml")
        for g in entry.get("groups", []):
            platform = str((groups.get(g) or {}).get("platform") or "")
            if platform:
                break
    napalm_opts = (entry.get("connection_options") or {}).get("napalm") or {}
    extras = napalm_opts.get("extras") or {}
    optional_args = dict(extras.get("optional_args") or {})
    port = int(entry.get("port") or optional_args.get("port") or 22)
    optional_args.setdefault("port", port)
    return DeviceTarget(device_name, str(entry.get("hostname") or device_name), port, platform, optional_args)


def credentials_for(settings: Settings, device_name: str) -> Credentials:
    """Credentials for a device: its own lab credentials if it has some, else settings'."""
    dev = (lab_state(settings.lab_dir).get("devices", {}).get("devices") or {}).get(device_name)
    if isinstance(dev, dict) and dev.get("password_file"):
        try:
            pw = Path(dev["password_file"]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read the password file of {device_name}: {exc.strerror}") from exc
        return Credentials(str(dev.get("username") or "admin"), pw, None)
    if not settings.device_username:
        raise ConfigError(
            "device_username is not set (NETPROV_DEVICE_USERNAME, or run `netprov lab up devices`)"
        )
    password = settings.device_password.get_secret_value() if settings.device_password else None
    key = str(settings.device_key_file) if settings.device_key_file else None
    if password is None and key is None:
        raise ConfigError("neither device_password nor device_key_file is set")
    return Credentials(settings.device_username, password, key)


def napalm_args(settings: Settings, device_name: str) -> tuple[str, dict[str, Any]]:
    """``(driver name, keyword arguments for the driver class)`` for one device."""
    target = target_for(settings, device_name)
    creds = credentials_for(settings, device_name)
    optional_args = dict(target.optional_args)
    if creds.key_file:
        optional_args.setdefault("key_file", creds.key_file)
    kwargs = {
        "hostname": target.hostname,
        "username": creds.username,
        "password": creds.password or "",
        "timeout": 60,
        "optional_args": optional_args,
    }
    return target.platform, kwargs


@contextmanager
def driver_for(settings: Settings, device_name: str) -> Iterator[Any]:
    """An open NAPALM driver for ``device_name`` (closed on exit).

    Raises:
        NotFoundError: the device is not in the inventory.
        UnknownPlatform: NAPALM has no driver for its platform.
        DeviceUnreachable: it cannot be reached or refuses the login.
    """
    import napalm
    from napalm.base.exceptions import ConnectionException, ModuleImportError

    platform, kwargs = napalm_args(settings, device_name)
    try:
        driver_cls = napalm.get_network_driver(platform)
    except ModuleImportError as exc:
        raise UnknownPlatform(f"{device_name}: no NAPALM driver for platform {platform!r}") from exc
    driver = driver_cls(**kwargs)
    try:
        driver.open()
    except ConnectionException as exc:
        raise DeviceUnreachable(f"{device_name}: cannot connect: {exc}") from exc
    except OSError as exc:
        raise DeviceUnreachable(f"{device_name}: cannot connect: {exc.strerror or exc}") from exc
    try:
        yield driver
    finally:
        driver.close()


def nornir_for_lab(settings: Settings, num_workers: int = 10) -> Any:
    """Nornir over the YAML inventory in ``settings.inventory_dir``, credentials injected.

    The pipeline's own Nornir (:func:`netprov.pipeline.nornir_setup.build_nornir` with
    ``use_netbox=False``): each host's platform injects its credentials.
    """
    from netprov.pipeline.nornir_setup import build_nornir

    return build_nornir(settings, use_netbox=False, num_workers=num_workers)
