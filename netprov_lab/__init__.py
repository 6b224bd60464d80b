"""The local lab: NetBox, the device network and monitoring, brought up on this machine.

A top-level package beside the product: it imports :mod:`netprov`, never the other way round
(``tests/unit/test_architecture.py`` checks that); the CLI loads it lazily for ``netprov lab``
and ``netprov demo``.

Each part is a module with the same three functions, so ``netprov lab up|down|status`` treats
them alike::

    def up(settings: Settings, progress: Progress) -> dict[str, object]   # idempotent; returns status
    def down(settings: Settings, progress: Progress) -> None               # idempotent
    def status(settings: Settings) -> dict[str, object]                    # never raises for "down"

``up`` records what other commands need (URLs, token files, ports) in
``<lab dir>/state/<part>.json`` (see ``netprov.settings.lab_state``). State lives under the
git-ignored lab dir; only loopback addresses and the lab's own namespaces are used.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

from netprov.errors import LabError
from netprov.progress import Progress

PARTS: dict[str, str] = {
    "netbox": "netprov_lab.netbox",
    "devices": "netprov_lab.devices",
    "monitoring": "netprov_lab.monitoring",
    "engine": "netprov_lab.engine",
    "web": "netprov_lab.web",
}

#: ``netprov lab up`` with no part: the engine (Temporal) and the web pages (the demo starts
#: them) only on request, ``lab up engine`` / ``lab up web``
DEFAULT_PARTS = ("netbox", "devices", "monitoring")

__all__ = ["DEFAULT_PARTS", "PARTS", "Progress", "clear_state", "part", "require_root", "write_state"]


def part(name: str) -> ModuleType:
    if name not in PARTS:
        raise LabError(f"unknown lab part {name!r}: choose one of {', '.join(PARTS)}")
    return importlib.import_module(PARTS[name])


def require_root(what: str) -> None:
    if os.geteuid() != 0:
        raise LabError(f"{what} needs root (network namespaces, daemons): run it with sudo")


def write_state(lab_dir: Path, name: str, data: dict[str, Any]) -> None:
    """Atomically record what a lab part exposes (no secrets inline: name token files)."""
    state_dir = lab_dir / "state"
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / f".{name}.json.tmp"
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str), encoding="utf-8")
    tmp.replace(state_dir / f"{name}.json")


def clear_state(lab_dir: Path, name: str) -> None:
    (lab_dir / "state" / f"{name}.json").unlink(missing_ok=True)
