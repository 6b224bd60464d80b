"""Who signs: from the users directory and the request's timeline. Pure.

A paper is signed by the person who did the step that produced it (the *doer*: the actor of
that step's latest event), never by an earlier actor of the same role nor by the first user
of that role in the users file. The other roles on a paper (the kasi who "knows", the kabid,
the kadis) are whoever of that role acted last on the request, else the users file's user of
that role.
"""

from __future__ import annotations

from collections.abc import Sequence

from netprov.documents.context import Person, TimelineEntry
from netprov.domain.sop import ROLE_TITLES, Role
from netprov.domain.users import Directory, User


def person_of(user: User) -> Person:
    return Person(
        name=user.name,
        nip=user.nip or None,
        pangkat=user.pangkat or None,
        title=user.title or None,
        section=user.section or None,
        username=user.username,
    )


def person_for(entry: TimelineEntry, directory: Directory | None) -> Person:
    """The person behind one timeline entry (the users file's data when the user is known)."""
    user = directory.find(entry.actor) if directory is not None else None
    if user is not None and user.role is entry.role:
        return person_of(user)
    return Person(name=entry.actor_name or entry.actor.removeprefix("opd:"), username=entry.actor)


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
        out[entry.role] = person_for(entry, directory)
    for user in directory.all() if directory is not None else []:
        if user.role is Role.OPD and (opd is None or user.opd != opd):
            continue
        out.setdefault(user.role, person_of(user))
    return out


def title_of(role: Role, person: Person | None) -> str:
    """The signer's title (jabatan): the person's own, else the role's (a kasi with a
    section: ``Kepala Seksi <section>``)."""
    if person is not None and person.title:
        return person.title
    if role is Role.KASI and person is not None and person.section:
        return f"{ROLE_TITLES[role]} {person.section}"
    return ROLE_TITLES[role]
