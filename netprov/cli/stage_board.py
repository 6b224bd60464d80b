"""Progress of long work on a terminal: one spinner line per stage, its elapsed seconds, a bar.

``netprov provision`` (the pipeline's stages) and ``netprov lab up`` (the lab's parts) report
through a callback; :class:`StageBoard` shows those reports as a live rich display when the
output is a terminal (and not ``--quiet``). Elsewhere (CI logs, pipes) the commands keep
printing their plain timestamped lines; :func:`live_wanted` is that decision.

Each stage is a line: a spinner while it runs (a tick when done, a cross when it failed), its
name, the latest message and the seconds it took. The top line is a bar over the stages
known in advance.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.markup import escape

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, Task, TaskID

_FAILED = ("FAILED", "failed")


def live_wanted(console: Console, quiet: bool) -> bool:
    """A live board only on a terminal, and not with ``--quiet``."""
    return console.is_terminal and not quiet


def state_and_seconds() -> tuple[Any, Any]:
    """The two columns every board ends a line with: a spinner (a tick when done, a cross when
    the task's ``failed`` field is set, a dot before it starts) and its elapsed seconds."""
    from rich.progress import ProgressColumn, SpinnerColumn
    from rich.text import Text

    class Seconds(ProgressColumn):
        def render(self, task: Task) -> Text:
            elapsed = task.finished_time if task.finished else task.elapsed
            return Text("" if elapsed is None else f"{elapsed:6.1f}s", style="dim")

    class Status(SpinnerColumn):
        def render(self, task: Task) -> Any:
            if task.fields.get("failed"):
                return Text("✗", style="red")
            if not task.started:
                return Text("·", style="dim")
            return super().render(task)

    return Status(finished_text=Text("✓", style="green")), Seconds()


def _columns() -> list[Any]:
    from rich.progress import TextColumn

    status, seconds = state_and_seconds()
    return [status, TextColumn("[bold]{task.fields[name]}[/bold]"), TextColumn("{task.description}"), seconds]


class StageBoard:
    """A live display of stages; ``report(stage, device, message)`` is the pipeline's callback.

    Args:
        console: where to draw (a terminal console).
        stages: the stages known in advance, shown as waiting lines and counted by the bar.
        title: the bar's label (e.g. the request id).
    """

    def __init__(self, console: Console, stages: Iterable[str] = (), title: str = "") -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
        from rich.progress import Progress as RichProgress

        self._known = list(dict.fromkeys(stages))
        self._progress: Progress = RichProgress(*_columns(), console=console, transient=False)
        self._bar: Progress = RichProgress(
            TextColumn("[bold]{task.description}[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
        )
        self._tasks: dict[str, TaskID] = {}
        self._current: str | None = None
        self._overall: TaskID | None = None
        self._title = title
        self._live: Any = None

    # --- the callback ---------------------------------------------------------------------
    def report(self, stage: str, device: str, message: str) -> None:
        """Show ``message`` on ``stage``'s line (starting it, and ending the one before).

        With stages known in advance, a report of another name (the run's id, a resume) goes
        to the bar's label; "done in ..." ends the stage and keeps its last message.
        """
        if self._overall is not None and stage not in self._known:
            label = f"{escape(self._title)}  {escape(stage)}: {escape(message)}".strip()
            self._bar.update(self._overall, description=label)
            return
        task = self._task(stage)
        if self._current is not None and self._current != stage:
            self._finish(self._current)
        self._current = stage
        if not self._progress.tasks[self._index(task)].started:
            self._progress.start_task(task)
        if message.startswith("done in ") and not device:
            self._finish(stage)
            return
        where = f"{escape(device)}: " if device else ""
        failed = message.startswith(_FAILED)
        self._progress.update(task, description=where + escape(message), failed=failed or None)
        if failed:
            self._finish(stage)

    def part(self, name: str) -> Any:
        """A one-argument callback for lab part ``name`` (``netprov.progress.Progress``)."""

        def report(message: str) -> None:
            self.report(name, "", message)

        return report

    def done(self, stage: str) -> None:
        """Mark ``stage`` finished (its line keeps its time)."""
        self._task(stage)
        self._finish(stage)

    # --- internals --------------------------------------------------------------------------
    def _index(self, task: TaskID) -> int:
        return next(i for i, t in enumerate(self._progress.tasks) if t.id == task)

    def _task(self, stage: str) -> TaskID:
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task("", name=stage, start=False, total=1, failed=None)
        return self._tasks[stage]

    def _finish(self, stage: str) -> None:
        task = self._tasks[stage]
        t = self._progress.tasks[self._index(task)]
        if t.finished:
            return
        if not t.started:
            self._progress.start_task(task)
        self._progress.update(task, completed=1)
        if self._overall is not None and stage in self._known:
            done = sum(1 for s in self._known if self._is_finished(s) and not self._failed(s))
            self._bar.update(self._overall, completed=done)
        if self._current == stage:
            self._current = None

    def _is_finished(self, stage: str) -> bool:
        return stage in self._tasks and self._progress.tasks[self._index(self._tasks[stage])].finished

    def _failed(self, stage: str) -> bool:
        return bool(self._progress.tasks[self._index(self._tasks[stage])].fields.get("failed"))

    # --- context manager ----------------------------------------------------------------------
    def __enter__(self) -> StageBoard:
        from rich.console import Group
        from rich.live import Live

        if self._known:
            self._overall = self._bar.add_task(escape(self._title or "stages"), total=len(self._known))
        for stage in self._known:
            self._task(stage)
        parts = [self._bar, self._progress] if self._known else [self._progress]
        self._live = Live(Group(*parts), console=self._progress.console, refresh_per_second=8)
        self._live.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None and self._current is not None:
            self._finish(self._current)
        self._live.__exit__(kind, exc, tb)
