"""The completeness form as a fillable PDF: its field names, and the reader that takes a
filled PDF back into :class:`~netprov.domain.letters.CompletenessForm`.

The blank form's PDF (step 6) carries one AcroForm text field per value (WeasyPrint turns the
template's ``<input>`` elements into PDF form fields); the department fills it in any PDF
reader and returns it. :func:`load_filled_pdf` reads it with the same validation as the
YAML twin (:func:`netprov.domain.letters.parse_form`): the same field names in the errors.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from netprov.domain.letters import CompletenessForm, parse_form
from netprov.errors import InputError
from netprov.inputs import read_input, source_name

#: A filled form PDF is read only up to this size.
PDF_FORM_LIMIT = 5 * 1024 * 1024

#: PDF field name -> (path in the form model, how to read the text).
FIELDS: dict[str, tuple[tuple[str, ...], str]] = {
    "request": (("request",), "text"),
    "pic_name": (("pic", "name"), "text"),
    "pic_nip": (("pic", "nip"), "text"),
    "pic_phone": (("pic", "phone"), "text"),
    "pic_email": (("pic", "email"), "text"),
    "location_building": (("location", "building"), "text"),
    "location_room": (("location", "room"), "text"),
    "location_latitude": (("location", "latitude"), "number"),
    "location_longitude": (("location", "longitude"), "number"),
    "equipment_devices": (("equipment", "devices"), "integer"),
    "equipment_notes": (("equipment", "notes"), "text"),
    "schedule_preferred_date": (("schedule", "preferred_date"), "text"),
}


def _value(text: str, how: str) -> Any:
    """A field's text as the model expects it; text that is no number stays text, so the
    model's own check names the field.

    >>> _value(" 1,1301 ", "number"), _value("18", "integer"), _value("", "text")
    (1.1301, 18, None)
    >>> _value("delapan", "integer")
    'delapan'
    """
    text = text.strip()
    if not text:
        return None
    try:
        if how == "integer":
            return int(text)
        if how == "number":
            return float(text.replace(",", "."))
    except ValueError:
        return text
    return text


def form_data(values: dict[str, str]) -> dict[str, Any]:
    """The form model's nested mapping from PDF field values (unknown fields ignored; a
    blank field is left out, so the model reports it missing)."""
    out: dict[str, Any] = {}
    for name, (path, how) in FIELDS.items():
        value = _value(values.get(name) or "", how)
        if value is None:
            continue
        node = out
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return out


def pdf_field_values(data: bytes, source: str) -> dict[str, str]:
    """The text values of a PDF's form fields; InputError when it is not a readable PDF form."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        fields = reader.get_fields() or {}
    except (PyPdfError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise InputError([f"is not a readable PDF ({type(exc).__name__})"], source=source) from None
    if not any(name in fields for name in FIELDS):
        raise InputError(["is not the fillable completeness form (no form fields)"], source=source)
    out: dict[str, str] = {}
    for name in FIELDS:
        field = fields.get(name)
        raw = field.get("/V") if field is not None else None
        out[name] = str(raw)[:2_000] if raw is not None else ""
    return out


def load_filled_pdf(path: Path) -> CompletenessForm:
    """Read a filled completeness-form PDF and validate it like the YAML twin."""
    source = source_name("form", path)
    data = read_input(path, "form", PDF_FORM_LIMIT)
    return parse_form(form_data(pdf_field_values(data, source)), source=source)


def load_form_file(path: Path) -> CompletenessForm:
    """The completeness form from its YAML twin, or from the filled PDF (a ``.pdf`` file)."""
    from netprov.domain.letters import load_form

    if path.suffix.lower() == ".pdf":
        return load_filled_pdf(path)
    return load_form(path)
