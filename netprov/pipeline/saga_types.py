"""The saga's vocabulary: the port it journals through, a stage, its results and errors.

Kept apart from the engine (:mod:`netprov.pipeline.saga`, which re-exports every name here) so
another executor (a batch runner, a workflow engine) can share the stages and the port.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from netprov.errors import PipelineError

JournalData = dict[str, Any]
Progress = Callable[[str, str, str], None]  # (stage, device or "", message)

#: The phases of the ``run`` pseudo-stage that end a run; a run with neither is interrupted.
RUN = "run"
ENDS = frozenset({"finished", "rolled-back"})


# --- the port and the stage ---------------------------------------------------------------------
class JournalRecord(Protocol):
    """One journal entry as the port hands it back (``netprov.store.db.JournalEntry`` fits)."""

    @property
    def run_id(self) -> str: ...

    @property
    def stage(self) -> str: ...

    @property
    def phase(self) -> str: ...

    @property
    def data(self) -> JournalData: ...


class SagaPort(Protocol):
    """Where the engine keeps its journal and its lock (the register, or a fake in tests)."""

    def journal(
        self, subject_id: str, run_id: str, stage: str, phase: str, data: JournalData | None = None
    ) -> None:
        """Append one entry; never rewrite one."""

    def entries(self, subject_id: str) -> Sequence[JournalRecord]:
        """Every entry of the subject, oldest first."""

    def acquire_lock(self, subject_id: str, holder: str) -> str:
        """Take the subject's lock and return its token, or raise ``ConcurrencyError``."""

    def release_lock(self, subject_id: str, token: str | None = None) -> None:
        """Drop the lock (only if ``token`` still holds it; ``None``: whoever holds it)."""

    def lock_holder(self, subject_id: str) -> str | None:
        """Who holds the subject's lock now (``actor@host:pid``), if anyone."""


class Timed(Protocol):
    """A saga context: the engine writes each stage's seconds into ``seconds`` as it goes."""

    seconds: dict[str, float]


C = TypeVar("C", bound=Timed)


@dataclass(frozen=True)
class Stage(Generic[C]):
    """One step of a saga.

    Attributes:
        name: journal name of the stage (unique within a saga).
        do: does the work on the context; returns the ``done`` data (JSON-able).
        undo: takes the work back out; ``None`` when there is nothing to undo.
        begin: the ``begin`` data (what an undo needs even if ``do`` dies midway).
        reload: rebuilds on a fresh context, from this stage's ``done`` data, what ``undo`` needs
            when a killed run is rolled back by another process.
    """

    name: str
    do: Callable[[C], JournalData]
    undo: Callable[[C], None] | None = None
    begin: Callable[[C], JournalData] | None = None
    reload: Callable[[C, JournalData], None] | None = None


class SagaListener(Protocol):
    """Told what the journal says, for a trail outside the journal (the register's events)."""

    def failed(self, subject_id: str, run_id: str, stage: str, error: str, undo_errors: list[str]) -> None:
        """A run failed at ``stage`` and was rolled back (fully when ``undo_errors`` is empty)."""

    def rolled_back(self, subject_id: str, run_id: str, undone: list[str], undo_errors: list[str]) -> None:
        """An interrupted (or finished) run was rolled back from its journal."""


class NoListener:
    """Keeps no trail beyond the journal."""

    def failed(self, subject_id: str, run_id: str, stage: str, error: str, undo_errors: list[str]) -> None:
        return None

    def rolled_back(self, subject_id: str, run_id: str, undone: list[str], undo_errors: list[str]) -> None:
        return None


@dataclass(frozen=True)
class SagaResult:
    """What :meth:`Saga.run` did: ``status`` is ``"finished"`` or ``"already-finished"``."""

    subject_id: str
    run_id: str
    status: str
    seconds: dict[str, float] = field(default_factory=dict)


# --- errors ---------------------------------------------------------------------------------------
class SagaError(PipelineError):
    """The saga could not run, or a run failed (see the subclasses)."""


class StageFailed(SagaError):
    """A stage raised; the run was rolled back (``undo_errors`` lists the undos that failed)."""

    def __init__(self, subject_id: str, run_id: str, stage: str, error: str, undo_errors: list[str]) -> None:
        self.subject_id, self.run_id, self.stage = subject_id, run_id, stage
        self.error, self.undo_errors = error, list(undo_errors)
        self.seconds: dict[str, float] = {}  # the stages' seconds, when the runner knows them
        tail = (
            "; everything was rolled back"
            if not undo_errors
            else "; ROLLBACK INCOMPLETE: " + "; ".join(undo_errors)
        )
        super().__init__(f"{subject_id}: stage {stage} failed: {error}{tail}")


class RunInterrupted(SagaError):
    """An earlier run neither finished nor rolled back; only a resume may proceed."""

    def __init__(self, subject_id: str, run_id: str) -> None:
        self.subject_id, self.run_id = subject_id, run_id
        super().__init__(
            f"{subject_id}: run {run_id} was interrupted; use --resume to roll it back and run again"
        )


class RollbackFailed(SagaError):
    """Undoing a run from its journal left something behind (the journal says what)."""

    def __init__(self, subject_id: str, run_id: str, undo_errors: list[str]) -> None:
        self.subject_id, self.run_id, self.undo_errors = subject_id, run_id, list(undo_errors)
        super().__init__(f"{subject_id}: rolling back run {run_id} failed: " + "; ".join(undo_errors))


class NoFinishedRun(SagaError):
    """There is no finished run to undo."""


# --- lock holders ---------------------------------------------------------------------------------
def holder_id(actor: str) -> str:
    """``actor@host:pid`` of this process, as the lock records its holder."""
    return f"{actor}@{socket.gethostname()}:{os.getpid()}"


def holder_dead(holder: str) -> bool:
    """True when the lock holder was a process on this machine that no longer runs.

    >>> holder_dead("garbage"), holder_dead(holder_id("staff1"))
    (False, False)
    """
    try:
        host, pid = holder.rsplit("@", 1)[1].rsplit(":", 1)
    except (IndexError, ValueError):
        return False
    if host != socket.gethostname():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError, OverflowError):
        return False
    return False
