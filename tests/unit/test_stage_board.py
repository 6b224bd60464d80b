"""Progress of long work: a live stage board on a terminal, the plain lines everywhere else."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console
from rich.text import Text

from netprov.cli import lab as lab_cli
from netprov.cli import provision as provision_cli
from netprov.cli.stage_board import StageBoard, live_wanted
from netprov.pipeline.link_stages import STAGES


def _terminal() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(force_terminal=True, file=buf, width=100), buf


def _plain() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=100), buf


def _last_frame(buf: io.StringIO) -> list[str]:
    """The board as last drawn (the text after the final cursor-up sequence), styles removed."""
    frames = re.split(r"\x1b\[\d*A", buf.getvalue())
    return [line.rstrip() for line in Text.from_ansi(frames[-1]).plain.splitlines() if line.strip()]


def test_live_only_on_a_terminal_and_not_quiet() -> None:
    assert live_wanted(_terminal()[0], quiet=False)
    assert not live_wanted(_terminal()[0], quiet=True)
    assert not live_wanted(_plain()[0], quiet=False)


def test_the_board_shows_one_line_per_stage_with_seconds_and_a_bar() -> None:
    console, buf = _terminal()
    with StageBoard(console, STAGES, "PJB-2026-0001") as board:
        board.report("run", "", "run 0a1b")
        board.report("allocate", "", "LAN 10.20.0.0/26 [red]not markup[/red]")
        board.report("allocate", "", "done in 0.2s")
        board.report("render", "", "2 configs")
        board.report("push", "dist1", "committed")
        board.report("verify", "", "FAILED: ping cpe1 -> 10.20.0.1")
    lines = _last_frame(buf)
    assert lines[0].startswith("PJB-2026-0001  run: run 0a1b") and f"3/{len(STAGES)}" in lines[0]
    by_stage = {line.split()[1]: line for line in lines[1:]}
    assert list(by_stage) == STAGES  # one line per stage, in the pipeline's order
    assert by_stage["allocate"].startswith("✓") and "[red]not markup[/red]" in by_stage["allocate"]
    assert re.search(r"\d+\.\ds$", by_stage["allocate"])  # its elapsed seconds
    assert "dist1: committed" in by_stage["push"] and by_stage["push"].startswith("✓")
    assert by_stage["verify"].startswith("✗") and "FAILED" in by_stage["verify"]
    assert by_stage["record"].startswith("·") and not re.search(r"\ds$", by_stage["record"])  # not run


def test_lab_parts_get_a_line_each_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    console, buf = _terminal()
    monkeypatch.setattr(lab_cli, "console", console)

    class Ctx:
        def find_root(self) -> Ctx:
            return self

        obj = None

    with lab_cli._parts_progress(Ctx(), ["netbox", "devices"], "lab up") as progress:  # type: ignore[arg-type]
        progress("netbox")("starting NetBox")
        progress("netbox")("up at http://127.0.0.1:8001")
        progress("devices")("6 routers")
    lines = _last_frame(buf)
    assert lines[0].startswith("lab up") and "2/2" in lines[0]
    assert lines[1].startswith("✓ netbox") and "up at http://127.0.0.1:8001" in lines[1]
    assert lines[2].startswith("✓ devices") and "6 routers" in lines[2]


def test_not_a_terminal_prints_the_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    console, buf = _plain()
    monkeypatch.setattr(provision_cli, "console", console)
    with provision_cli._board(quiet=False, title="PJB-2026-0001", stages=STAGES) as board:
        assert board is None
        report = provision_cli._progress(None, quiet=False, board=board)
        report("allocate", "", "LAN 10.20.0.0/26 [b]x[/b]")
        report("push", "dist1", "committed")
    assert buf.getvalue().splitlines() == [
        "   0.0s allocate: LAN 10.20.0.0/26 [b]x[/b]",
        "   0.0s push dist1: committed",
    ]
    monkeypatch.setattr(lab_cli, "console", console)
    buf.truncate(0)
    buf.seek(0)
    lab_cli._progress("netbox")("starting [x]")
    assert buf.getvalue() == "   0.0s netbox starting [x]\n"


def test_quiet_on_a_terminal_prints_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    console, buf = _terminal()
    monkeypatch.setattr(provision_cli, "console", console)
    with provision_cli._board(quiet=True, title="PJB-2026-0001", stages=STAGES) as board:
        assert board is None
        provision_cli._progress(None, quiet=True, board=board)("allocate", "", "x")
    assert buf.getvalue() == ""
