"""Service kinds as data: a service is a playbook in the playbooks directory.

Nothing in the code names a service. The known services are the ``service:`` keys of the
playbooks found in ``playbooks/`` (``NETPROV_PLAYBOOKS_DIR``, or a directory the composition
root names with :func:`use_playbooks_dir`). Letters, allocations, feasibility results and
topology uplinks carry a service as a validated slug (:data:`ServiceName`) checked here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import AfterValidator, ValidationInfo

from netprov.settings import REPO_ROOT

SERVICE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_override: list[Path] = []


def playbooks_dir() -> Path:
    """The directory the known services are read from (override, env, or the repository's)."""
    if _override:
        return _override[-1]
    env = os.environ.get("NETPROV_PLAYBOOKS_DIR")
    return Path(env) if env else REPO_ROOT / "playbooks"


def use_playbooks_dir(path: Path | None) -> None:
    """Make ``path`` the playbooks directory services are checked against (None: default)."""
    _override.clear()
    if path is not None:
        _override.append(Path(path))


def files_stamp(directory: Path) -> tuple[tuple[str, int], ...]:
    """Names and mtimes of the ``*.yaml`` files (a cache key that changes with the files)."""
    try:
        return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in directory.glob("*.yaml")))
    except OSError:
        return ()


@lru_cache(maxsize=32)
def _scan(directory: str, stamp: tuple[tuple[str, int], ...]) -> frozenset[str]:
    out: set[str] = set()
    for name, _ in stamp:
        try:
            data = yaml.safe_load((Path(directory) / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        service = data.get("service") if isinstance(data, dict) else None
        if isinstance(service, str) and SERVICE_RE.fullmatch(service):
            out.add(service)
    return frozenset(out)


def known_services(directory: Path | None = None) -> frozenset[str]:
    """The ``service:`` names of the playbooks in ``directory`` (default :func:`playbooks_dir`).

    Unreadable or invalid files are skipped here; loading the playbook reports them.
    """
    d = directory or playbooks_dir()
    return _scan(str(d), files_stamp(d))


def check_service(value: str, services: Collection[str] | None = None) -> str:
    """``value`` if it is a known service, else ValueError naming the known ones.

    >>> check_service("wifi-ap", {"wifi-ap", "intranet"})
    'wifi-ap'
    >>> check_service("gopher", {"wifi-ap", "intranet"})
    Traceback (most recent call last):
    ...
    ValueError: unknown service 'gopher'; known services (playbooks): intranet, wifi-ap
    """
    if SERVICE_RE.fullmatch(value) is None:
        raise ValueError(f"service {value!r} must be a slug such as 'intranet'")
    known = known_services() if services is None else services
    if value not in known:
        names = ", ".join(sorted(known)) or "(none found)"
        raise ValueError(f"unknown service {value!r}; known services (playbooks): {names}")
    return value


def _validate(value: str, info: ValidationInfo) -> str:
    context = info.context if isinstance(info.context, dict) else {}
    services = context.get("services")
    return check_service(value, services if isinstance(services, Collection) else None)


#: A service name: a slug naming a playbook found in the playbooks directory.
ServiceName = Annotated[str, AfterValidator(_validate)]
