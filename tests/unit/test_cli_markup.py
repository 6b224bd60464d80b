"""Strings from users, files and the lab are printed as text: rich markup in them is shown, not
interpreted (no MarkupError traceback), and long values are folded at 80 columns, never cut."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from netprov.cli import lab as lab_cli


def test_lab_status_values_are_escaped_and_folded(monkeypatch: pytest.MonkeyPatch) -> None:
    buf = io.StringIO()
    monkeypatch.setattr(lab_cli, "console", Console(file=buf, width=80))
    path = "/srv/lab/[/]state/" + "x" * 90 + "/token"
    lab_cli._print_status({"netbox": {"token_file": path, "[bold]key": "[red]v"}})
    out = buf.getvalue()
    assert "…" not in out and all(len(line) <= 80 for line in out.splitlines())
    joined = "".join(line.strip(" │┃") for line in out.splitlines())
    assert path.replace(" ", "") in joined.replace(" ", "")
    assert "[bold]key" in out and "[red]v" in out


def test_a_request_list_opd_with_markup_is_shown_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from netprov.cli import request_views
    from netprov.sop.record import build_record
    from netprov.store.records import StoredRequest

    letter = {"opd": "Dinas [/] [red]Kota[/red]", "service": "intranet", "bandwidth_mbps": 50}
    now = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
    req = StoredRequest("PJB-2026-0001", 2026, 1, letter["opd"], "intranet", letter, "{}", now, now)
    buf = io.StringIO()
    monkeypatch.setattr(request_views, "console", Console(file=buf, width=80))
    request_views.print_table([build_record(req, [], "Asia/Jakarta", now)])
    out = buf.getvalue()
    assert "Dinas [/]" in out and "[red]Kota[/red]" in out  # wrapped between words, shown as written
