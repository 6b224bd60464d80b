"""Who signs: one person per role, from the users directory and the request's timeline."""

from __future__ import annotations

from collections.abc import Sequence

from netprov.documents.context import Person, TimelineEntry
from netprov.domain.sop import ROLE_TITLES, Role
from netprov.domain.users import Directory, User


def person_of(user: User) -> Person:
    return Person(name=user.name, nip=user.nip or None, username=user.username)


def people_by_role(
    directory: Directory | None, timeline: Sequence[TimelineEntry] = (), opd: str | None = None
) -> dict[Role, Person]:
    """One signer per role: whoever of that role acted last on the request, else the first
    user of that role in the users file. For the department (role ``opd``) only a user whose
    ``opd`` is the requesting department counts."""
    out: dict[Role, Person] = {}
    for entry in sorted(timeline, key=lambda e: e.at, reverse=True):
        if entry.role in out or entry.role is Role.OPD:
            continue
        user = directory.find(entry.actor) if directory is not None else None
        if user is not None and user.role is entry.role:
            out[entry.role] = person_of(user)
        elif entry.actor_name:
            out[entry.role] = Person(name=entry.actor_name, username=entry.actor)
    for user in directory.all() if directory is not None else []:
        if user.role is Role.OPD and (opd is None or user.opd != opd):
            continue
        out.setdefault(user.role, person_of(user))
    return out


def title_of(role: Role, person: Person | None) -> str:
    """The signer's title (jabatan): the person's own, else the role's."""
    if person is not None and person.title:
        return person.title
    return ROLE_TITLES[role]
