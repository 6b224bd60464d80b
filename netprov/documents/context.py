"""What a document is made of: one frozen, typed context per request. Pure data.

The SOP service builds a :class:`DocumentContext` from the register (letter, form, step-4
feasibility, allocation, timeline, users) and from the pipeline's results
(:class:`ProvisioningEvidence`); the renderer turns it into HTML and PDF.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from netprov.documents.masking import mask_secrets
from netprov.documents.numbering import request_seq
from netprov.domain.letters import REQUEST_ID_RE, CompletenessForm, Letter
from netprov.domain.resources import Allocation, Feasibility
from netprov.domain.sop import Role


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DocumentKind(StrEnum):
    """The papers the SOP produces, named as files are (``<kind>-v<N>.pdf``)."""

    LAPORAN_PEMERIKSAAN = "laporan-pemeriksaan"  # step 4
    SURAT_BALASAN = "surat-balasan"  # step 5 (reply letter: a draft until the kadis signs)
    FORMULIR_KELENGKAPAN = "formulir-kelengkapan"  # step 6
    BERITA_ACARA = "berita-acara"  # step 8

    @property
    def step(self) -> int:
        return KIND_STEP[self]

    @property
    def code(self) -> str:
        """Short code used in the letter number (``{kind}``)."""
        return KIND_CODE[self]

    @property
    def label(self) -> str:
        return KIND_TITLE[self]


KIND_STEP = {
    DocumentKind.LAPORAN_PEMERIKSAAN: 4,
    DocumentKind.SURAT_BALASAN: 5,
    DocumentKind.FORMULIR_KELENGKAPAN: 6,
    DocumentKind.BERITA_ACARA: 8,
}
KIND_CODE = {
    DocumentKind.LAPORAN_PEMERIKSAAN: "LP",
    DocumentKind.SURAT_BALASAN: "SB",
    DocumentKind.FORMULIR_KELENGKAPAN: "FK",
    DocumentKind.BERITA_ACARA: "BA",
}
KIND_TITLE = {
    DocumentKind.LAPORAN_PEMERIKSAAN: "Laporan Pemeriksaan",
    DocumentKind.SURAT_BALASAN: "Surat Balasan",  # "Draft" until the head of agency signed
    DocumentKind.FORMULIR_KELENGKAPAN: "Formulir Isian Kelengkapan",
    DocumentKind.BERITA_ACARA: "Berita Acara Pekerjaan",
}


class _Record(BaseModel):
    """Step-7 records written by the pipeline: extra keys are ignored, not refused."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Person(_Frozen):
    """Someone who signs: from the users file (``users: {<username>: {role, name, nip}}``)."""

    name: str
    nip: str | None = None
    pangkat: str | None = None  # pangkat/golongan, e.g. "Pembina Tk. I (IV/b)"
    title: str | None = None  # jabatan; defaults to the role's title
    section: str | None = None  # seksi (for a kasi: "Kepala Seksi <section>")
    username: str | None = None


class TimelineEntry(_Frozen):
    """One SOP event of the request, as the register recorded it."""

    step: int
    action: str
    actor: str  # username
    actor_name: str | None = None
    role: Role
    at: AwareDatetime
    note: str | None = None


class DeviceChange(_Record):
    """A device step 7 changed, with its config diff (secrets are masked on the way in)."""

    name: str
    platform: str = ""
    diff: str = ""
    committed_at: AwareDatetime | None = None  # None: nothing changed on this device

    @field_validator("diff", mode="before")
    @classmethod
    def _mask(cls, v: Any) -> str:
        return mask_secrets(str(v)) if v is not None else ""


class VerificationResult(_Record):
    check: str
    ok: bool
    detail: str = ""

    @field_validator("detail", mode="before")
    @classmethod
    def _mask(cls, v: Any) -> str:
        return mask_secrets(str(v)) if v is not None else ""


class MonitoringRegistration(_Record):
    backend: str  # "zabbix", "prometheus"
    id: str  # host id / target name
    status: str  # e.g. "up", "down", "registered"
    waited_seconds: float | None = None
    detail: str = ""

    @field_validator("detail", mode="before")
    @classmethod
    def _mask(cls, v: Any) -> str:
        return mask_secrets(str(v)) if v is not None else ""


class ManualEvidence(_Frozen):
    """Step 7 done by hand: the evidence file the staff attached."""

    file_name: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    note: str | None = None


class ProvisioningEvidence(_Frozen):
    """What step 7 did: devices, checks, monitoring; or a manual evidence file."""

    devices: list[DeviceChange] = []
    verification: list[VerificationResult] = []
    monitoring: list[MonitoringRegistration] = []
    manual: ManualEvidence | None = None
    unreadable: list[str] = []  # step-7 outputs that were malformed (shown, not fatal)
    removed: dict[str, list[str]] = {}  # a decommission: the link's lines taken off, per device
    released: list[str] = []  # a decommission: the NetBox objects released
    bandwidth: dict[str, int] = {}  # a bandwidth change: from_mbps, to_mbps


class DocumentContext(_Frozen):
    """Everything any document of one request may show."""

    request_id: str
    seq: int = 0  # the paper's agenda number (from the register); else derived from request_id
    numbers: dict[str, str] | None = None  # letter numbers of the request's issued papers, by kind
    letter: Letter
    form: CompletenessForm | None = None
    feasibility: Feasibility | None = None
    allocation: Allocation | None = None
    rejection_reasons: list[str] = []
    timeline: list[TimelineEntry] = []
    people: dict[Role, Person] = {}
    doer: Person | None = None  # who did the step that produces the paper (signs it)
    doer_role: Role | None = None
    evidence: ProvisioningEvidence | None = None
    generated_at: AwareDatetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @model_validator(mode="before")
    @classmethod
    def _seq(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("seq") and isinstance(data.get("request_id"), str):
            with contextlib.suppress(ValueError):  # the request_id validator names the problem
                data = {**data, "seq": request_seq(data["request_id"])}
        return data

    @field_validator("request_id")
    @classmethod
    def _request_id(cls, v: str) -> str:
        if not REQUEST_ID_RE.match(v):
            raise ValueError("must be a request id such as 'PJB-2026-0001'")
        return v

    @property
    def accepted(self) -> bool | None:
        """The step-4 recommendation: True accepted, False rejected, None not checked."""
        if self.feasibility is not None:
            return self.feasibility.feasible
        if self.rejection_reasons:
            return False
        return None

    def has_action(self, action: str) -> bool:
        """Whether the timeline holds an event with ``action`` (e.g. ``sign-reply``)."""
        return any(e.action == action for e in self.timeline)

    def actor_for(self, step: int) -> TimelineEntry | None:
        """The latest timeline entry of ``step`` (who did it)."""
        hits = [e for e in self.timeline if e.step == step]
        return max(hits, key=lambda e: e.at) if hits else None
