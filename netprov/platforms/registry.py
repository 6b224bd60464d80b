"""Platforms found by name, as NAPALM finds drivers and Nornir finds plugins.

Built-in and third-party platforms register through the entry-point group
``netprov.platforms`` (``name = "package.module:Class"``); tests and embedding code can also
register a class directly (:func:`register_platform`), as with Nornir's ``PluginRegister``.
"""

from __future__ import annotations

import threading
from importlib.metadata import entry_points

from netprov.errors import UnknownPlatform
from netprov.platforms.base import Platform

ENTRY_POINT_GROUP = "netprov.platforms"


class PlatformRegister:
    """Platform classes by name; entry points are read once, on first use."""

    def __init__(self, group: str = ENTRY_POINT_GROUP) -> None:
        self.group = group
        self._classes: dict[str, type[Platform]] = {}
        self._instances: dict[str, Platform] = {}
        self._loaded = False
        self._lock = threading.Lock()

    def _auto_register(self) -> None:
        with self._lock:
            if self._loaded:
                return
            for ep in entry_points(group=self.group):
                if ep.name not in self._classes:
                    self._add(ep.name, ep.load())
            self._loaded = True

    def _add(self, name: str, cls: object) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Platform)):
            raise UnknownPlatform(f"platform {name!r} is registered to {cls!r}, not a Platform class")
        if getattr(cls, "name", name) != name:
            raise UnknownPlatform(f"platform {name!r} is registered to a class named {cls.name!r}")
        self._classes[name] = cls
        self._instances.pop(name, None)

    def register(self, cls: type[Platform], name: str | None = None) -> None:
        """Register ``cls`` under ``name`` (default ``cls.name``).

        Raises:
            UnknownPlatform: another class already has that name, or ``cls`` is no Platform.
        """
        self._auto_register()
        key = name or cls.name
        existing = self._classes.get(key)
        if existing is not None and existing is not cls:
            raise UnknownPlatform(f"platform {key!r} is already registered to {existing.__name__}")
        with self._lock:
            self._add(key, cls)

    def deregister(self, name: str) -> None:
        """Forget a platform (no error when it was not registered)."""
        self._auto_register()
        with self._lock:
            self._classes.pop(name, None)
            self._instances.pop(name, None)

    def names(self) -> list[str]:
        """Every registered platform name, sorted."""
        self._auto_register()
        return sorted(self._classes)

    def get(self, name: str) -> Platform:
        """The (cached) platform instance called ``name``.

        Raises:
            UnknownPlatform: no such platform (the message lists the known ones).
        """
        self._auto_register()
        with self._lock:
            inst = self._instances.get(name)
            if inst is None:
                cls = self._classes.get(name)
                if cls is None:
                    known = ", ".join(sorted(self._classes)) or "none"
                    raise UnknownPlatform(f"unknown platform {name!r} (known: {known})")
                inst = self._instances[name] = cls()
            return inst


REGISTER = PlatformRegister()


def get_platform(name: str | None) -> Platform:
    """The platform called ``name`` (``host.platform``).

    Raises:
        UnknownPlatform: no such platform (the message lists the known ones).
    """
    return REGISTER.get(name or "")


def platform_names() -> list[str]:
    """Every registered platform name, sorted."""
    return REGISTER.names()


def register_platform(cls: type[Platform], name: str | None = None) -> None:
    """Register a platform class without an entry point (tests, embedding code)."""
    REGISTER.register(cls, name)


def deregister_platform(name: str) -> None:
    """Forget a programmatically registered platform."""
    REGISTER.deregister(name)


def netbox_model(platform: str) -> str:
    """The NetBox device-type model for devices of ``platform`` (unknown: the name itself).

    >>> netbox_model("frr"), netbox_model("vyos")
    ('FRR router (netns)', 'vyos')
    """
    try:
        return get_platform(platform).device_model()
    except UnknownPlatform:
        return platform
