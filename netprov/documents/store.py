"""Where documents live: ``<documents_dir>/<request_id>/<kind>-v<N>.<ext>``, never overwritten.

A :class:`StoredDocument` is what the SOP service records in the step's event
(``model_dump(mode="json")``): kind, step, version, letter number and, per file, its path and
SHA-256. :func:`check_files` says whether the files on disk still match.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from netprov.documents.context import DocumentKind
from netprov.domain.letters import REQUEST_ID_RE
from netprov.errors import DocumentError, InputError, NotFoundError

FileState = Literal["ok", "changed", "missing"]
_VERSIONED = re.compile(r"^(?P<kind>[a-z-]+)-v(?P<version>\d+)\.html$")


class StoredFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    path: str  # absolute, as written
    name: str  # relative to the documents dir: "<request_id>/<file>"
    sha256: str
    size: int


class StoredDocument(BaseModel):
    """One rendered paper: the record the step's event keeps."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    request_id: str
    kind: DocumentKind
    step: int
    version: int
    letter_number: str
    generated_at: AwareDatetime
    files: dict[str, StoredFile]  # "html", "pdf", and "yaml" for the form twin
    agenda: dict[str, str | int] | None = None  # the register's agenda entry: kind, year, seq

    @property
    def html_path(self) -> Path:
        return Path(self.files["html"].path)

    @property
    def pdf_path(self) -> Path:
        return Path(self.files["pdf"].path)

    def to_event(self) -> dict[str, Any]:
        """The JSON the step's event records: the full record plus flat keys
        (``html``, ``pdf``, ``yaml`` paths and ``sha256_<format>``) for quick display."""
        out: dict[str, Any] = self.model_dump(mode="json")
        for fmt, f in self.files.items():
            out[fmt] = f.path
            out[f"sha256_{fmt}"] = f.sha256
        return out

    @classmethod
    def from_event(cls, data: Mapping[str, Any]) -> StoredDocument:
        """Read back what :meth:`to_event` produced (extra keys such as ``event_seq`` ignored)."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise DocumentError(f"a recorded document is malformed: {exc.errors()[0]['msg']}") from exc


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def request_dir(documents_dir: Path, request_id: str) -> Path:
    """The request's folder; the id is validated so it cannot leave the documents dir."""
    if not REQUEST_ID_RE.match(request_id):
        raise InputError([f"{request_id!r} is not a request id such as 'PJB-2026-0001'"], source="request id")
    return documents_dir / request_id


def existing_versions(folder: Path, kind: DocumentKind) -> list[int]:
    if not folder.is_dir():
        return []
    out = []
    for p in folder.iterdir():
        m = _VERSIONED.match(p.name)
        if m and m.group("kind") == kind.value:
            out.append(int(m.group("version")))
    return sorted(out)


def claim_version(folder: Path, kind: DocumentKind) -> tuple[int, Path]:
    """Reserve the next version by creating its HTML file exclusively (safe against races)."""
    folder.mkdir(parents=True, exist_ok=True)
    version = max(existing_versions(folder, kind), default=0) + 1
    for _ in range(1000):
        path = folder / f"{kind.value}-v{version}.html"
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            version += 1
            continue
        os.close(fd)
        return version, path
    raise DocumentError(f"cannot find a free version for {kind.value} in {folder}")


def write_file(path: Path, data: bytes, documents_dir: Path) -> StoredFile:
    """Write ``data`` atomically (temp name, then rename) and describe it."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.chmod(0o644)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DocumentError(f"cannot write {path}: {exc.strerror}") from exc
    return StoredFile(
        path=str(path),
        name=path.relative_to(documents_dir).as_posix(),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )


def locate(f: StoredFile, documents_dir: Path | None = None) -> Path:
    """The file on disk: its recorded path, or its name under ``documents_dir`` if moved."""
    p = Path(f.path)
    if not p.exists() and documents_dir is not None:
        return documents_dir / f.name
    return p


def file_state(f: StoredFile, documents_dir: Path | None = None) -> FileState:
    p = locate(f, documents_dir)
    if not p.is_file():
        return "missing"
    return "ok" if sha256_file(p) == f.sha256 else "changed"


def check_files(doc: StoredDocument, documents_dir: Path | None = None) -> dict[str, FileState]:
    """Per format, whether the file on disk still matches the recorded hash."""
    return {fmt: file_state(f, documents_dir) for fmt, f in doc.files.items()}


def latest(docs: list[StoredDocument], kind: DocumentKind) -> StoredDocument:
    hits = [d for d in docs if d.kind is kind]
    if not hits:
        raise NotFoundError(f"no {kind.value} document has been produced for this request")
    return max(hits, key=lambda d: d.version)


def discard_documents(produced: Iterable[Mapping[str, Any]]) -> None:
    """Remove the files of documents whose event was then not recorded (best effort)."""
    for data in produced:
        for f in (data.get("files") or {}).values():
            path = f.get("path") if isinstance(f, Mapping) else None
            if path:
                Path(path).unlink(missing_ok=True)
