"""The saga's failures and rollbacks, written to the request's audit trail."""

from __future__ import annotations

import contextlib

from netprov.errors import NetprovError
from netprov.sop.service import RequestService


class RunTrail:
    """Appends the saga's failures and rollbacks to the request's audit trail."""

    def __init__(self, service: RequestService, actor: str) -> None:
        self.svc, self.actor = service, actor

    def failed(self, subject_id: str, run_id: str, stage: str, error: str, undo_errors: list[str]) -> None:
        with contextlib.suppress(NetprovError):
            self.svc.annotate(
                subject_id,
                self.actor,
                "provision-failed",
                f"Tahap {stage} gagal: {error}"[:2000],
                {
                    "run_id": run_id,
                    "stage": stage,
                    "error": error,
                    "rolled_back": not undo_errors,
                    "undo_errors": undo_errors,
                },
            )

    def rolled_back(self, subject_id: str, run_id: str, undone: list[str], undo_errors: list[str]) -> None:
        with contextlib.suppress(NetprovError):
            self.svc.annotate(
                subject_id,
                self.actor,
                "provision-resumed",
                f"Run {run_id} terputus; dibatalkan " + ("lengkap" if not undo_errors else "SEBAGIAN"),
                {"run_id": run_id, "undone": undone, "undo_errors": undo_errors},
            )
