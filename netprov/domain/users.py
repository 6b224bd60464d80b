"""Who may act: users with a role, a name and a NIP (the users file)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from netprov.domain.sop import Role
from netprov.domain.text import clean_text, shown
from netprov.errors import ConfigError, InputError, NotFoundError

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}\Z")
# an address for mail: ASCII, one @, no spaces or header characters (reserved domains such as
# .test allowed: the lab's team has addresses under diskominfo.batam.test)
_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+\Z"
)
_NIP_RE = re.compile(r"^[0-9]{8} ?[0-9]{6} ?[0-9] ?[0-9]{3}\Z")
_Name = Annotated[str, Field(max_length=2_000), AfterValidator(lambda v: clean_text(v, 200))]


def nip_spaced(nip: str) -> str:
    """A NIP in its usual printed form: birth date, appointment month, sex, serial.

    Any spacing (or none, or dots/dashes) is accepted; anything but 18 ASCII digits comes back
    unchanged (stripped), so a paper never shows a NIP other than the one entered.

    >>> nip_spaced("198001012005011001")
    '19800101 200501 1 001'
    >>> nip_spaced(" 19800101 200501 1 001 ")
    '19800101 200501 1 001'
    >>> nip_spaced("19800101-200501-1-001")
    '19800101 200501 1 001'
    >>> nip_spaced("12345")
    '12345'
    """
    digits = re.sub(r"[\s.\-]", "", nip)
    if len(digits) != 18 or not digits.isascii() or not digits.isdigit():
        return nip.strip()
    return f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}"


class User(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str
    role: Role
    name: _Name
    nip: Annotated[str, Field(max_length=40)] = ""
    opd: _Name | None = None  # for role opd: which department
    pangkat: _Name | None = None  # pangkat/golongan, e.g. "Pembina Tk. I (IV/b)"
    title: _Name | None = None  # jabatan, when not the role's own title
    section: _Name | None = None  # seksi, e.g. "Infrastruktur Jaringan" (for a kasi)
    email: Annotated[str, Field(max_length=254)] | None = None  # where `notify` sends mail

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        v = v.strip()
        if not _EMAIL_RE.fullmatch(v):
            raise ValueError("must be a mail address such as 'siti@diskominfo.batam.go.id'")
        return v

    @field_validator("nip")
    @classmethod
    def _nip(cls, v: str) -> str:
        v = v.strip()
        if v and not _NIP_RE.fullmatch(v):
            raise ValueError("must be an 18-digit NIP such as '19800101 200501 1 001' (ASCII digits)")
        return nip_spaced(v) if v else v


# The team used when no users file is given (the lab and the demo). Fictional people.
DEFAULT_USERS: dict[str, dict[str, str]] = {
    "kadis": {
        "role": "kadis",
        "email": "kadis@diskominfo.batam.test",
        "name": "Drs. Hendra Saputra, M.Si.",
        "nip": "19700512 199503 1 004",
        "pangkat": "Pembina Utama Muda (IV/c)",
    },
    "kabid": {
        "role": "kabid",
        "email": "kabid@diskominfo.batam.test",
        "name": "Siti Rahmawati, S.Kom., M.T.",
        "nip": "19780823 200312 2 002",
        "pangkat": "Pembina Tk. I (IV/b)",
    },
    "kasi": {
        "role": "kasi",
        "email": "kasi@diskominfo.batam.test",
        "name": "Agus Salim, S.T.",
        "nip": "19820310 200604 1 003",
        "pangkat": "Penata Tk. I (III/d)",
        "section": "Infrastruktur Jaringan",
    },
    "staff1": {
        "role": "staff",
        "email": "staff1@diskominfo.batam.test",
        "name": "Rizky Pratama, S.Kom.",
        "nip": "19900115 201503 1 001",
        "pangkat": "Penata Muda Tk. I (III/b)",
    },
    "staff2": {
        "role": "staff",
        "email": "staff2@diskominfo.batam.test",
        "name": "Dewi Lestari, A.Md.",
        "nip": "19920704 201902 2 005",
        "pangkat": "Pengatur (II/c)",
    },
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
            raise NotFoundError(
                f"unknown user {shown(username)}: not in the users file ({self.source})"
            ) from None

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
        if not isinstance(name, str) or not USERNAME_RE.fullmatch(name):
            raise ConfigError(
                f"users file {source}: users: {shown(name)} is not a user name (letters, digits, ._-)"
            )
        if not isinstance(data, dict):
            raise ConfigError(f"users file {source}: users.{name} must be a mapping")
        try:
            users[name] = User(username=name, **{str(k): v for k, v in data.items()})
        except ValidationError as exc:
            errs = exc.errors(include_url=False, include_input=False)
            problems = "; ".join(
                f"users.{name}.{'.'.join(shown(p, 40).strip(chr(39)) for p in e['loc'])}: {e['msg']}"
                for e in errs[:5]
            ) + (f"; and {len(errs) - 5} more" if len(errs) > 5 else "")
            raise ConfigError(f"users file {source}: {problems}") from None
    return Directory(users, source)


def load_directory(path: Path | None) -> Directory:
    """Read the users file; with no file, the built-in lab team."""
    from netprov.inputs import load_yaml

    if path is None:
        return _parse({"users": DEFAULT_USERS}, "built-in lab team")
    try:
        raw = load_yaml(path, "users file")
    except InputError as exc:
        raise ConfigError(f"users file {str(path)[:200]}: {'; '.join(exc.problems)}") from None
    return _parse(raw, str(path)[:200])
