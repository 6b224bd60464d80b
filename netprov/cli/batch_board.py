"""Progress of a batch on a terminal: one line per request, its stage, message and seconds.

``netprov provision ID ID ...`` (and ``--ready``) runs many sagas at once; :class:`BatchBoard`
shows each request as one live line: a spinner while it runs (a tick when provisioned, a cross
when it failed), its id, a bar over the pipeline's stages, the stage it is in with the latest
message, and its seconds. Off a terminal the command prints plain timestamped lines, each
starting with the request id (:func:`plain_reporter`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.markup import escape

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from netprov.pipeline.batch import BatchEntry

Report = Callable[[str, str, str], None]


def plain_reporter(console: Console, request_id: str, t0: float) -> Report:
    """Timestamped lines ``  12.3s PJB-2026-0001 push dist-x: committed`` (CI logs, pipes)."""

    def report(stage: str, device: str, message: str) -> None:
        where = f" {device}" if device else ""
        console.print(
            f"[dim]{time.monotonic() - t0:6.1f}s[/dim] {escape(request_id)} [bold]{escape(stage)}[/bold]"
            f"{escape(where)}: {escape(message)}",
            highlight=False,
        )

    return report


def _columns() -> list[Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn

    from netprov.cli.stage_board import state_and_seconds

    status, seconds = state_and_seconds()
    return [
        status,
        TextColumn("[bold]{task.fields[rid]}[/bold]"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        seconds,
    ]


class BatchBoard:
    """A live display of a batch; :meth:`reporter` gives each request's progress callback.

    Args:
        console: a terminal console.
        request_ids: the batch's requests, one line each, in this order.
        stages: the pipeline's stages (the bar counts those done).
    """

    def __init__(self, console: Console, request_ids: Sequence[str], stages: Sequence[str]) -> None:
        from rich.progress import Progress as RichProgress

        self._stages = list(stages)
        self._progress: Progress = RichProgress(*_columns(), console=console, transient=False)
        self._tasks: dict[str, TaskID] = {}
        for rid in request_ids:
            self._tasks[rid] = self._progress.add_task(
                "[dim]waiting[/dim]", rid=escape(rid), start=False, total=len(self._stages), failed=None
            )
        self._done: dict[str, set[str]] = {rid: set() for rid in request_ids}

    def reporter(self, request_id: str) -> Report:
        """The progress callback of one request: its line shows the stage and message."""

        def report(stage: str, device: str, message: str) -> None:
            task = self._tasks[request_id]
            if stage in self._stages and message.startswith("done in ") and not device:
                self._done[request_id].add(stage)
            where = f"{escape(device)}: " if device else ""
            self._progress.update(
                task,
                completed=len(self._done[request_id]),
                description=f"[bold]{escape(stage)}[/bold] {where}{escape(message)}",
            )

        return report

    def update(self, entry: BatchEntry) -> None:
        """A request's status changed (running, provisioned, failed, ...)."""
        task = self._tasks.get(entry.request_id)
        if task is None:
            return
        if entry.status == "running":
            self._progress.start_task(task)
            return
        if not self._progress.tasks[self._index(task)].started:
            self._progress.start_task(task)
        if entry.ok:
            self._progress.update(
                task, completed=len(self._stages), description=f"[green]{entry.status}[/green]"
            )
        else:
            what = f"{entry.status} at {entry.stage}" if entry.stage else entry.status
            self._progress.update(task, failed=True, description=f"[red]{escape(what)}[/red]")
        self._progress.stop_task(task)

    def _index(self, task: TaskID) -> int:
        return next(i for i, t in enumerate(self._progress.tasks) if t.id == task)

    def __enter__(self) -> BatchBoard:
        self._progress.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.__exit__(kind, exc, tb)
