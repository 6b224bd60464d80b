"""Scans held between reading and submitting: the person checks the proposed fields first.

An uploaded scan is kept under ``DATA_DIR/web-scans/TOKEN/`` (a random token, the owner's
user name and the proposal beside it) until its letter is submitted or it is a day old.
Only its owner gets it back: every web process of the register shares the folder, and two
people (or two tabs) each hold their own scan.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netprov.errors import NotFoundError
from netprov.sop.intake import confined

FOLDER = "web-scans"
MAX_AGE_S = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass(frozen=True)
class Held:
    token: str
    path: Path  # the scan itself

    @property
    def folder(self) -> Path:
        return self.path.parent


def _root(data_dir: Path) -> Path:
    return data_dir / FOLDER


def safe_name(name: str, suffix: str) -> str:
    """The browser's file name reduced to ASCII letters, digits and ``._-`` with ``suffix``.

    >>> safe_name("Surat Dinas (1).PDF", ".pdf"), safe_name("../../x", ".png"), safe_name("", ".jpg")
    ('Surat_Dinas__1_.pdf', 'x.png', 'pindaian.jpg')
    """
    stem = Path(name).stem if name else ""
    clean = "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in stem)[:60]
    return (clean if clean.strip("_.") else "pindaian") + suffix


def hold(data_dir: Path, owner: str, upload: Path, name: str) -> Held:
    """Keep ``upload`` (already checked by content and size) for ``owner``; old ones are swept."""
    sweep(data_dir)
    token = secrets.token_urlsafe(24)
    folder = confined(_root(data_dir), token)
    folder.mkdir(parents=True, mode=0o700)
    (folder / "owner").write_text(owner, encoding="utf-8")
    path = folder / safe_name(name, upload.suffix)
    shutil.copyfile(upload, path)
    return Held(token, path)


def get(data_dir: Path, token: str, owner: str) -> Held:
    """``owner``'s held scan ``token``; NotFoundError (one sentence) when it is not theirs."""
    gone = NotFoundError(
        "scan_token: the scan is no longer held (submitted, expired or not yours); upload it again"
    )
    if not _TOKEN.match(token):
        raise gone
    folder = confined(_root(data_dir), token)
    try:
        if (folder / "owner").read_text(encoding="utf-8") != owner:
            raise gone
    except OSError:
        raise gone from None
    scans = [p for p in folder.iterdir() if p.name not in ("owner", "proposal.json")]
    if len(scans) != 1:
        raise gone
    return Held(token, scans[0])


def save_proposal(held: Held, data: dict[str, Any]) -> None:
    (held.folder / "proposal.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def proposal_of(held: Held) -> dict[str, Any]:
    try:
        data = json.loads((held.folder / "proposal.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def drop(held: Held) -> None:
    shutil.rmtree(held.folder, ignore_errors=True)


def sweep(data_dir: Path, max_age_s: float = MAX_AGE_S) -> None:
    """Remove held scans older than ``max_age_s`` (abandoned forms)."""
    root = _root(data_dir)
    if not root.is_dir():
        return
    cutoff = time.time() - max_age_s
    for folder in root.iterdir():
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
