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
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StrictFloat,
    StrictInt,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from netprov.domain.services import ServiceName
from netprov.domain.text import clean_text, shown
from netprov.errors import InputError
from netprov.inputs import load_yaml, parse_yaml, source_name

#: A service name, checked against the playbooks found (kept as ``Service`` for imports).
Service = ServiceName


def _text(max_length: int, multiline: bool = False, required: bool = True) -> AfterValidator:
    """Hostile-text checks on input (context ``input``); records already stored load as they are."""

    def check(v: str, info: ValidationInfo) -> str:
        if isinstance(info.context, dict) and info.context.get("input"):
            return clean_text(v, max_length, multiline, required)
        v = v.strip()
        if required and not v:
            raise ValueError("is required and may not be empty")
        return v

    return AfterValidator(check)


#: Free text: real characters (see ``netprov.domain.text``), invisible ends stripped, capped.
Text = Annotated[str, Field(max_length=500), _text(500, multiline=True)]
ShortText = Annotated[str, Field(max_length=200), _text(200)]
Notes = Annotated[str, Field(max_length=2_000), _text(2_000, multiline=True, required=False)]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^\+?[0-9][0-9 ()\-.]{5,24}$")
]
Email = Annotated[EmailStr, Field(max_length=254)]
# NIP (Nomor Induk Pegawai): 18 ASCII digits, usually written 8 6 1 3.
NIP_RE = re.compile(r"^[0-9]{8} ?[0-9]{6} ?[0-9] ?[0-9]{3}\Z")
REQUEST_ID_RE = re.compile(r"^[A-Z]{2,8}-[0-9]{4}-[0-9]{4,6}\Z")


def _no_number(v: object) -> object:
    if isinstance(v, bool | int | float):
        raise ValueError("must be a date such as 2026-11-20, not a number")
    return v


#: A date written as a date (YAML's 2026-11-20 or the text "2026-11-20"), never a number.
Date = Annotated[dt.date, BeforeValidator(_no_number)]
#: At most this many problems are listed; the rest are counted ("and N more").
MAX_PROBLEMS = 10


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class LetterRef(_Strict):
    number: ShortText
    date: Date
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
    email: Email


#: What a letter asks for: a new link (the default), or a change of a link already built.
Kind = Literal["new-link", "decommission", "bandwidth-change"]
CHANGE_KINDS: frozenset[str] = frozenset({"decommission", "bandwidth-change"})
RequestId = Annotated[str, StringConstraints(max_length=40, pattern=r"^[A-Z]{2,8}-[0-9]{4}-[0-9]{4,6}$")]


class Letter(_Strict):
    """A request letter from a department (OPD).

    ``kind`` is ``new-link`` (the default) or a change of the link of request ``of``: a
    ``decommission`` (with a ``reason``) or a ``bandwidth-change`` (the new ``bandwidth_mbps``).
    A change letter as registered carries the changed link's service, hosts, purpose and site
    (:func:`netprov.sop.changes.resolve_change` fills them in from the original).
    """

    letter: LetterRef
    opd: ShortText
    service: Service
    bandwidth_mbps: StrictInt = Field(gt=0, le=10_000)
    hosts: StrictInt = Field(gt=0, le=65_000)
    purpose: Text
    site: SiteRef
    contact: Contact
    kind: Kind = "new-link"
    of: RequestId | None = None
    reason: Text | None = None

    @model_validator(mode="after")
    def _kind_fields(self) -> Letter:
        check_kind_fields(self.kind, self.of, self.reason)
        return self


def check_kind_fields(kind: str, of: str | None, reason: str | None) -> None:
    """``of`` only on a change, and required there; ``reason`` required on a decommission."""
    if kind == "new-link":
        if of is not None:
            raise ValueError("of: only a change (kind decommission or bandwidth-change) names a link")
        return
    if of is None:
        raise ValueError(f"of: a {kind} letter must name the request of the link it changes")
    if kind == "decommission" and not reason:
        raise ValueError("reason: a decommission letter must say why the link ends")


class ChangeLetter(_Strict):
    """A change letter as a department writes it: the link (``of``) and what changes.

    ``bandwidth_mbps`` is the new rate (required for a bandwidth change, refused on a
    decommission); the rest of the link (service, site, hosts) is the original's.
    """

    letter: LetterRef
    opd: ShortText
    contact: Contact
    kind: Literal["decommission", "bandwidth-change"]
    of: RequestId
    reason: Text | None = None
    bandwidth_mbps: StrictInt | None = Field(default=None, gt=0, le=10_000)
    purpose: Text | None = None

    @model_validator(mode="after")
    def _fields(self) -> ChangeLetter:
        check_kind_fields(self.kind, self.of, self.reason)
        if self.kind == "bandwidth-change" and self.bandwidth_mbps is None:
            raise ValueError("bandwidth_mbps: a bandwidth-change letter must give the new rate")
        if self.kind == "decommission" and self.bandwidth_mbps is not None:
            raise ValueError("bandwidth_mbps: a decommission letter changes no rate")
        return self


class Pic(_Strict):
    name: ShortText
    nip: str
    phone: Phone
    email: Email

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
    latitude: StrictFloat | StrictInt = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: StrictFloat | StrictInt = Field(ge=-180, le=180, allow_inf_nan=False)


class Equipment(_Strict):
    devices: StrictInt = Field(ge=0, le=65_000)
    notes: Notes = ""


class Schedule(_Strict):
    preferred_date: Date


class CompletenessForm(_Strict):
    """The completeness form the department returns at step 6."""

    request: Annotated[str, Field(max_length=40)]
    pic: Pic
    location: Location
    equipment: Equipment
    schedule: Schedule

    @field_validator("request")
    @classmethod
    def _request_id(cls, v: str) -> str:
        if not REQUEST_ID_RE.fullmatch(v.strip()):
            raise ValueError("must be a request id such as 'PJB-2026-0001'")
        return v.strip()


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(shown(p, 40).strip("'") if isinstance(p, str) else str(p) for p in loc) or "(document)"


def _problems(exc: ValidationError) -> list[str]:
    """One line per problem, each naming the field; at most :data:`MAX_PROBLEMS` of them."""
    out = []
    for err in exc.errors(include_url=False, include_input=False):
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "is required"
        elif err["type"] == "extra_forbidden":
            msg = "is not a known field"
        elif msg.startswith("Value error, "):
            msg = msg.removeprefix("Value error, ")
        where = _where(err["loc"])
        named = not err["loc"] and re.match(r"^[a-z_]+: ", msg)  # a model check names its field
        line = msg if named else f"{where}: {msg}"
        out.append(line if len(line) <= 300 else line[:300] + "…")
    return bounded(out)


def bounded(problems: list[str]) -> list[str]:
    """The first :data:`MAX_PROBLEMS` problems, then "and N more"."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return [*problems[:MAX_PROBLEMS], f"and {len(problems) - MAX_PROBLEMS} more problems"]


def _load_yaml(path: Path, what: str) -> Any:
    data = load_yaml(path, what)
    if not isinstance(data, dict):
        raise InputError(["must be a YAML mapping of fields"], source=source_name(what, path))
    return data


def parse_yaml_text(text: str, source: str) -> Any:
    """Strictly parse YAML text (see ``netprov.inputs``) that must be a mapping."""
    data = parse_yaml(text, source)
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
    context: dict[str, Any] = {"input": True}
    if services is not None:
        context["services"] = services
    try:
        return Letter.model_validate(data, context=context)
    except ValidationError as exc:
        raise InputError(_problems(exc), source=source) from exc


def parse_request_letter(
    data: Any, source: str = "letter", services: Collection[str] | None = None
) -> Letter | ChangeLetter:
    """A letter of any kind: a :class:`ChangeLetter` when ``kind`` names a change."""
    if isinstance(data, dict) and data.get("kind") in CHANGE_KINDS:
        try:
            return ChangeLetter.model_validate(data, context={"input": True})
        except ValidationError as exc:
            raise InputError(_problems(exc), source=source) from exc
    return parse_letter(data, source, services)


def load_request_letter(path: Path, services: Collection[str] | None = None) -> Letter | ChangeLetter:
    """Read and validate a letter file of any kind (see :func:`parse_request_letter`)."""
    source = source_name("letter", path)
    return parse_request_letter(_load_yaml(path, "letter"), source=source, services=services)


def parse_form(data: Any, source: str = "form") -> CompletenessForm:
    try:
        return CompletenessForm.model_validate(data, context={"input": True})
    except ValidationError as exc:
        raise InputError(_problems(exc), source=source) from exc


def load_letter(path: Path, services: Collection[str] | None = None) -> Letter:
    """Read and validate a letter file (see :func:`parse_letter`)."""
    source = source_name("letter", path)
    return parse_letter(_load_yaml(path, "letter"), source=source, services=services)


def load_form(path: Path) -> CompletenessForm:
    return parse_form(_load_yaml(path, "form"), source=source_name("form", path))
