"""Documents: the SOP's official papers (Indonesian format) as HTML and PDF.

Public API::

    from netprov.documents import DocumentContext, DocumentKind, render_document, html_for
    doc = render_document("berita-acara", ctx, settings)   # -> StoredDocument (paths, sha256)
    form_twin_yaml(request_id, letter)                       # the form's YAML twin
    ctx = context_from_record(record, directory, extra)      # from a register record
"""

from __future__ import annotations

from netprov.documents.context import (
    DeviceChange,
    DocumentContext,
    DocumentKind,
    ManualEvidence,
    MonitoringRegistration,
    Person,
    ProvisioningEvidence,
    TimelineEntry,
    VerificationResult,
)
from netprov.documents.from_record import context_from_record, evidence_from_outputs
from netprov.documents.masking import mask_secrets
from netprov.documents.people import people_by_role
from netprov.documents.render import html_for, pdf_from_html, render_document
from netprov.documents.store import (
    StoredDocument,
    StoredFile,
    check_files,
    discard_documents,
    latest,
)
from netprov.documents.twin import form_twin_yaml

__all__ = [
    "DeviceChange",
    "DocumentContext",
    "DocumentKind",
    "ManualEvidence",
    "MonitoringRegistration",
    "Person",
    "ProvisioningEvidence",
    "StoredDocument",
    "StoredFile",
    "TimelineEntry",
    "VerificationResult",
    "check_files",
    "context_from_record",
    "discard_documents",
    "evidence_from_outputs",
    "form_twin_yaml",
    "html_for",
    "latest",
    "mask_secrets",
    "pdf_from_html",
    "people_by_role",
    "render_document",
]
