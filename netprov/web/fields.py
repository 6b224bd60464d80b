"""Web form fields turned into the register's inputs (the same models the YAML files fill)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from netprov.domain.letters import CompletenessForm, Letter, parse_form, parse_letter
from netprov.errors import InputError


def text(form: FormData, name: str, limit: int = 4000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def flag(form: FormData, name: str) -> bool:
    return text(form, name) in ("1", "on", "yes", "true")


def _number(form: FormData, name: str, kind: type[int] | type[float]) -> int | float | str:
    raw = text(form, name, 40).strip()
    try:
        return kind(raw)
    except ValueError:
        raise InputError([f"{name}: {raw[:20]!r} is not a number"], source="form") from None


def letter_from(form: FormData, opd: str) -> Letter:
    """The request letter of the submit page (the department is the signed-in one's)."""
    data: dict[str, Any] = {
        "letter": {
            "number": text(form, "letter.number"),
            "date": text(form, "letter.date"),
            "subject": text(form, "letter.subject"),
        },
        "opd": opd,
        "service": text(form, "service"),
        "bandwidth_mbps": _number(form, "bandwidth_mbps", int),
        "hosts": _number(form, "hosts", int),
        "purpose": text(form, "purpose"),
        "site": {"name": text(form, "site.name"), "address": text(form, "site.address")},
        "contact": {
            "name": text(form, "contact.name"),
            "phone": text(form, "contact.phone"),
            "email": text(form, "contact.email"),
        },
    }
    return parse_letter(data, source="letter")


def completeness_from(form: FormData, request_id: str) -> CompletenessForm:
    """The completeness form filled in the browser (validated as its YAML twin is)."""
    data: dict[str, Any] = {
        "request": request_id,
        "pic": {
            "name": text(form, "pic.name"),
            "nip": text(form, "pic.nip"),
            "phone": text(form, "pic.phone"),
            "email": text(form, "pic.email"),
        },
        "location": {
            "building": text(form, "location.building"),
            "room": text(form, "location.room"),
            "latitude": _number(form, "location.latitude", float),
            "longitude": _number(form, "location.longitude", float),
        },
        "equipment": {
            "devices": _number(form, "equipment.devices", int),
            "notes": text(form, "equipment.notes"),
        },
        "schedule": {"preferred_date": text(form, "schedule.preferred_date")},
    }
    return parse_form(data, source="form")
