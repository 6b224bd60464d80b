"""Who may act: users with a role, a name and a NIP (the users file)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from netprov.domain.sop import Role
from netprov.errors import ConfigError, NotFoundError


class User(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str
    role: Role
    name: str
    nip: str = ""
    opd: str | None = None  # for role opd: which department


# The team used when no users file is given (the lab and the demo). Fictional people.
DEFAULT_USERS: dict[str, dict[str, str]] = {
    "kadis": {"role": "kadis", "name": "Drs. Hendra Saputra, M.Si.", "nip": "19700512 199503 1 004"},
    "kabid": {"role": "kabid", "name": "Siti Rahmawati, S.Kom., M.T.", "nip": "19780823 200312 2 002"},
    "kasi": {"role": "kasi", "name": "Agus Salim, S.T.", "nip": "19820310 200604 1 003"},
    "staff1": {"role": "staff", "name": "Rizky Pratama, S.Kom.", "nip": "19900115 201503 1 001"},
    "staff2": {"role": "staff", "name": "Dewi Lestari, A.Md.", "nip": "19920704 201902 2 005"},
}


class Directory:
    """The users file, looked up by username."""

    def __init__(self, users: dict[str, User], source: str) -> None:
        self._users = users
        self.source = source

    def get(self, username: str) -> User:
        try:
            return self._users[username]
        except KeyError:
            raise NotFoundError(f"unknown user {username!r}: not in the users file ({self.source})") from None

    def find(self, username: str) -> User | None:
        return self._users.get(username)

    def with_role(self, role: Role) -> list[User]:
        return [u for u in self._users.values() if u.role is role]

    def all(self) -> list[User]:
        return list(self._users.values())


def _parse(raw: object, source: str) -> Directory:
    if not isinstance(raw, dict) or not isinstance(raw.get("users"), dict):
        raise ConfigError(f"users file {source}: must have a mapping 'users: {{name: {{role: ...}}}}'")
    users: dict[str, User] = {}
    for name, data in raw["users"].items():
        if not isinstance(data, dict):
            raise ConfigError(f"users file {source}: users.{name} must be a mapping")
        try:
            users[str(name)] = User(username=str(name), **data)
        except ValidationError as exc:
            problems = "; ".join(
                f"users.{name}.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"users file {source}: {problems}") from exc
    return Directory(users, source)


def load_directory(path: Path | None) -> Directory:
    """Read the users file; with no file, the built-in lab team."""
    if path is None:
        return _parse({"users": DEFAULT_USERS}, "built-in lab team")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"users file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"users file {path}: not valid YAML") from exc
    return _parse(raw, str(path))
