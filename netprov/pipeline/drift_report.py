"""What ``netprov drift`` found: per link, per device, the missing and extra lines.

JSON and the trail's note come from here; every line is masked
(:func:`netprov.documents.masking.mask_line`) before it leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netprov.documents.masking import mask_line
from netprov.platforms.config_drift import LineDrift

if TYPE_CHECKING:
    from netprov.domain.resources import Allocation
    from netprov.render.link import RenderedConfig


@dataclass
class DeviceDrift:
    """One device of one link: what its running config lacks (and has beyond, where safe)."""

    device: str
    platform: str
    role: str
    mode: str
    missing: list[LineDrift] = field(default_factory=list)
    extra: list[LineDrift] = field(default_factory=list)
    extra_checked: bool = False
    busy: str = ""  # another run held the device's lock: not compared

    @property
    def drifted(self) -> bool:
        return bool(self.missing or self.extra)

    def to_json(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "platform": self.platform,
            "role": self.role,
            "mode": self.mode,
            "drifted": self.drifted,
            "missing": [_masked(m) for m in self.missing],
            "extra": [_masked(e) for e in self.extra],
            "extra_checked": self.extra_checked,
            "busy": self.busy,
        }


def _masked(line: LineDrift) -> dict[str, Any]:
    return {"section": [mask_line(s) for s in line.section], "line": mask_line(line.line)}


@dataclass
class LinkDrift:
    """One request's link: every device's drift, or the error that stopped its check."""

    request_id: str
    run_id: str = ""
    devices: list[DeviceDrift] = field(default_factory=list)
    error: str = ""
    configs: list[RenderedConfig] = field(default_factory=list, repr=False)
    allocation: Allocation | None = field(default=None, repr=False)

    def restorable(self) -> list[str]:
        """The drifted devices a push of the intended config mends: lines missing, or extra
        lines of a whole (``replace``) config. Extra lines in a merge fragment's sections stay
        (a merge push adds, never removes)."""
        return [d.device for d in self.devices if d.missing or (d.mode == "replace" and d.extra)]

    @property
    def drifted(self) -> bool:
        return any(d.drifted for d in self.devices)

    @property
    def busy(self) -> list[str]:
        return [d.device for d in self.devices if d.busy]

    @property
    def status(self) -> str:
        """``error``, ``drift``, ``busy`` (some device not compared) or ``clean``."""
        if self.error:
            return "error"
        return "drift" if self.drifted else "busy" if self.busy else "clean"

    def to_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "run_id": self.run_id,
            "status": self.status,
            "drifted": self.drifted,
            "error": self.error,
            "devices": [d.to_json() for d in self.devices],
        }

    def note(self) -> str:
        """The trail's one-line note (Indonesian, like the register's other notes)."""
        if not self.drifted:
            return "Pemeriksaan drift: konfigurasi perangkat sesuai" + (
                f" (tidak diperiksa, sedang diubah: {', '.join(self.busy)})" if self.busy else ""
            )
        parts = [
            f"{d.device} ({len(d.missing)} baris hilang, {len(d.extra)} baris lebih)"
            for d in self.devices
            if d.drifted
        ]
        return "Drift ditemukan: " + "; ".join(parts)
