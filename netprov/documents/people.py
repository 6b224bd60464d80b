"""Who signs: people per role from the users file and the request's timeline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from netprov.documents.context import Person, TimelineEntry
from netprov.domain.sop import ROLE_TITLES, Role
from netprov.errors import ConfigError


def parse_users(data: Any, source: str = "users file") -> dict[str, tuple[Role, Person]]:
    """``users: {<username>: {role, name, nip, title?}}`` -> ``{username: (role, person)}``."""
    users = data.get("users") if isinstance(data, dict) else None
    if not isinstance(users, dict):
        raise ConfigError(f"{source}: must hold a mapping 'users: {{<username>: {{role, name, nip}}}}'")
    out: dict[str, tuple[Role, Person]] = {}
    for username, entry in users.items():
        if not isinstance(entry, dict) or "role" not in entry:
            raise ConfigError(f"{source}: user {username!r} needs at least a role")
        try:
            role = Role(str(entry["role"]))
        except ValueError:
            raise ConfigError(f"{source}: user {username!r} has unknown role {entry['role']!r}") from None
        nip = entry.get("nip")
        out[str(username)] = (role, Person(
            name=str(entry.get("name") or username),
            nip=str(nip) if nip is not None else None,
            title=str(entry["title"]) if entry.get("title") else None,
            username=str(username),
        ))
    return out


def load_users(path: Path | None) -> dict[str, tuple[Role, Person]]:
    """Read the users file (setting ``users_file``); no file means no known people."""
    if path is None:
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"setting users_file {path}: cannot read: {exc}") from exc
    return parse_users(data, source=f"users file {path}")


def people_by_role(users: dict[str, tuple[Role, Person]],
                   timeline: Sequence[TimelineEntry] = ()) -> dict[Role, Person]:
    """One signer per role: whoever of that role acted last on the request, else the first
    user of that role in the users file."""
    out: dict[Role, Person] = {}
    for entry in sorted(timeline, key=lambda e: e.at, reverse=True):
        if entry.role in out:
            continue
        if entry.actor in users and users[entry.actor][0] is entry.role:
            out[entry.role] = users[entry.actor][1]
        elif entry.actor_name:
            out[entry.role] = Person(name=entry.actor_name, username=entry.actor)
    for role, person in users.values():
        out.setdefault(role, person)
    return out


def title_of(role: Role, person: Person | None) -> str:
    """The signer's title (jabatan): the person's own, else the role's."""
    if person is not None and person.title:
        return person.title
    return ROLE_TITLES[role]
