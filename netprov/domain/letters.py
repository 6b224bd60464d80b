"""The request letter (step 1) and the completeness form (step 6), validated.

These YAML formats are a contract: optional fields may be added, the documented ones must
keep working. Free text (purpose, notes, names) is stored as given; it is *unsafe* for device
configs, and the renderer reduces it to a safe description (see ``netprov.render.safe``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from netprov.domain.services import ServiceName
from netprov.errors import InputError

#: A service name, checked against the playbooks found (kept as ``Service`` for imports).
Service = ServiceName

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ()\-.]{5,24}$")]
# NIP (Nomor Induk Pegawai): 18 digits, usually written 8 6 1 3.
NIP_RE = re.compile(r"^\d{8} ?\d{6} ?\d ?\d{3}$")
REQUEST_ID_RE = re.compile(r"^[A-Z]{2,8}-\d{4}-\d{4}$")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class LetterRef(_Strict):
    number: ShortText
    date: dt.date
    subject: ShortText

    @field_validator("date")
    @classmethod
    def _not_future(cls, v: dt.date) -> dt.date:
        if v > dt.date.today() + dt.timedelta(days=1):
            raise ValueError("is in the future")
        if v.year < 2000:
            raise ValueError("is before 2000")
        return v


class SiteRef(_Strict):
    name: ShortText
    address: Text


class Contact(_Strict):
    name: ShortText
    phone: Phone
    email: EmailStr


class Letter(_Strict):
    """A request letter from a department (OPD)."""

    letter: LetterRef
    opd: ShortText
    service: Service
    bandwidth_mbps: int = Field(gt=0, le=10_000)
    hosts: int = Field(gt=0, le=65_000)
    purpose: Text
    site: SiteRef
    contact: Contact


class Pic(_Strict):
    name: ShortText
    nip: str
    phone: Phone
    email: EmailStr

    @field_validator("nip")
    @classmethod
    def _nip(cls, v: str) -> str:
        v = v.strip()
        if not NIP_RE.match(v):
            raise ValueError("must be an 18-digit NIP such as '19800101 200501 1 001'")
        return v


class Location(_Strict):
    building: ShortText
    room: ShortText
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class Equipment(_Strict):
    devices: int = Field(ge=0, le=65_000)
    notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class Schedule(_Strict):
    preferred_date: dt.date


class CompletenessForm(_Strict):
    """The completeness form the department returns at step 6."""

    request: str
    pic: Pic
    location: Location
    equipment: Equipment
    schedule: Schedule

    @field_validator("request")
    @classmethod
    def _request_id(cls, v: str) -> str:
        if not REQUEST_ID_RE.match(v.strip()):
            raise ValueError("must be a request id such as 'PJB-2026-0001'")
        return v.strip()


def _problems(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(document)"
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "is required"
        elif err["type"] == "extra_forbidden":
            msg = "is not a known field"
        elif msg.startswith("Value error, "):
            msg = msg.removeprefix("Value error, ")
        out.append(f"{loc}: {msg}")
    return out


def _load_yaml(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError([f"cannot read file: {exc.strerror}"], source=f"{what} {path}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(["is not UTF-8 text"], source=f"{what} {path}") from exc
    return parse_yaml_text(text, f"{what} {path}")


def parse_yaml_text(text: str, source: str) -> Any:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError([f"is not valid YAML{where}"], source=source) from exc
    if not isinstance(data, dict):
        raise InputError(["must be a YAML mapping of fields"], source=source)
    return data


def parse_letter(data: Any, source: str = "letter", services: Collection[str] | None = None) -> Letter:
    """Validate a letter; raise InputError with one problem per bad field.

    Args:
        data: the parsed YAML/JSON mapping.
        source: what the errors name (e.g. the file).
        services: the known services; default: the playbooks found
            (:func:`netprov.domain.services.known_services`).
    """
    context = {"services": services} if services is not None else None
    try:
        return Letter.model_validate(data, context=context)
    except ValidationError as exc:
        raise InputError(_problems(exc), source=source) from exc


def parse_form(data: Any, source: str = "form") -> CompletenessForm:
    try:
        return CompletenessForm.model_validate(data)
    except ValidationError as exc:
        raise InputError(_problems(exc), source=source) from exc


def load_letter(path: Path, services: Collection[str] | None = None) -> Letter:
    """Read and validate a letter file (see :func:`parse_letter`)."""
    return parse_letter(_load_yaml(path, "letter"), source=f"letter {path}", services=services)


def load_form(path: Path) -> CompletenessForm:
    return parse_form(_load_yaml(path, "form"), source=f"form {path}")
