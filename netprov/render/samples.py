"""Sample requests (a letter + an allocation, optionally a form) for checks and golden files.

A sample file is YAML with ``request_id``, ``letter``, ``allocation`` and optionally ``form``
and ``internet_prefixes`` (the other active internet LAN prefixes). The type and the loader are
product code (``netprov templates check --samples DIR``); the project's own samples and their
default folder live with the lab (:mod:`netprov_lab.samples`).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from netprov.domain.letters import (
    CompletenessForm,
    Letter,
    parse_form,
    parse_letter,
    parse_yaml_text,
)
from netprov.domain.resources import Allocation
from netprov.errors import InputError


class Sample(BaseModel):
    """One sample request: what the render and check stages need, without NetBox."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    request_id: str
    letter: Letter
    allocation: Allocation
    form: CompletenessForm | None = None
    internet_prefixes: tuple[ipaddress.IPv4Network, ...] = ()


def load_sample(path: Path) -> Sample:
    """Read one sample file; InputError names the file and the field."""
    source = f"sample {path}"
    data = parse_yaml_text(path.read_text(encoding="utf-8"), source)
    extra = set(data) - {"request_id", "letter", "allocation", "form", "internet_prefixes"}
    if extra:
        raise InputError([f"{k}: is not a known field" for k in sorted(extra)], source=source)
    letter = parse_letter(data.get("letter"), source=f"{source} letter")
    form = parse_form(data["form"], source=f"{source} form") if data.get("form") else None
    try:
        allocation = Allocation.model_validate(data.get("allocation"))
        return Sample(
            name=path.stem,
            request_id=str(data.get("request_id", "")),
            letter=letter,
            allocation=allocation,
            form=form,
            internet_prefixes=tuple(data.get("internet_prefixes") or ()),
        )
    except ValidationError as exc:
        raise InputError(
            [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()],
            source=source,
        ) from exc


def load_samples(directory: Path) -> list[Sample]:
    """Every ``*.yaml`` sample in a directory, sorted by name."""
    return [load_sample(p) for p in sorted(directory.glob("*.yaml"))]
