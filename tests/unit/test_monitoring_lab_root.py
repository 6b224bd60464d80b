"""The monitoring lab refuses to run without root, with a LabError naming the need."""

from __future__ import annotations

import pytest

from netprov.errors import LabError
from netprov.settings import Settings
from netprov_lab import monitoring as mon


@pytest.mark.parametrize("action", ["up", "down"])
def test_not_root_is_a_lab_error(action: str, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(LabError, match="needs root"):
        getattr(mon, action)(settings, lambda _msg: None)


def test_status_never_raises_for_a_lab_that_is_not_there(settings: Settings) -> None:
    from netprov.settings import load_settings

    s = load_settings(data_dir=settings.data_dir, lab_dir=settings.data_dir / "no-lab")
    out = mon.status(s)
    assert out["zabbix_server"] == "down" and out["prometheus"] == "down"
    assert out["targets"] == 0
