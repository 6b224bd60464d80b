"""The NetBox lab's restore/down/up cycle, on a second port and database.

The session's NetBox (port 8001, database ``netbox``) keeps serving the other tests: this test
brings up a second instance from the cached migrated dump on 127.0.0.1:8011 with database
``netbox_labtest``, stops it, starts it again, and drops that database at the end.
"""

from __future__ import annotations

import json
import socket
import stat
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netprov.settings import Settings, load_settings
from netprov_lab import netbox as nblab

pytestmark = [pytest.mark.lab, pytest.mark.netbox]

PORT = 8011
DB = "netbox_labtest"


def _drop_db() -> None:
    subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            "psql",
            "-X",
            "-q",
            "-d",
            "postgres",
            "-c",
            f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)",
        ],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def second_lab(
    netbox_lab: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", PORT)) == 0:
            pytest.skip(f"port {PORT} is in use")
    monkeypatch.setattr(nblab, "DB_NAME", DB)
    monkeypatch.setattr(nblab, "PORT", PORT)
    monkeypatch.setattr(nblab, "URL", f"http://127.0.0.1:{PORT}")
    _drop_db()
    settings = load_settings(lab_dir=tmp_path / "lab")
    try:
        yield settings
    finally:
        nblab.down(settings, lambda m: None)
        _drop_db()


def test_restore_down_up_cycle(second_lab: Settings) -> None:
    msgs: list[str] = []
    t0 = time.monotonic()
    st = nblab.up(second_lab, msgs.append)
    restore_s = time.monotonic() - t0
    print(f"up from the cached dump: {restore_s:.1f} s")
    assert any("restoring" in m for m in msgs), msgs
    assert not any("migrations" in m for m in msgs), msgs
    assert st["state"] == "up" and st["version"] == nblab.NETBOX_VERSION
    assert str(st["token"]).startswith("nbt_")
    token_file = Path(str(st["token_file"]))
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token_file.read_text().strip() == st["token"]
    secrets = second_lab.lab_dir / "netbox" / "secrets.json"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    state = json.loads((second_lab.lab_dir / "state" / "netbox.json").read_text())
    assert state == {"url": f"http://127.0.0.1:{PORT}", "token_file": str(token_file)}
    assert (
        str(st["token"])
        not in (second_lab.lab_dir / "netbox" / "root" / "conf" / "configuration.py").read_text()
    )
    assert restore_s < 120
    # the web UI is styled: static files are served
    static = second_lab.cache_dir / f"netbox-{nblab.NETBOX_VERSION}" / "static"
    css = next(static.rglob("*.css")).relative_to(static)
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/static/{css}", timeout=10) as resp:
        assert resp.status == 200

    nblab.down(second_lab, lambda m: None)
    assert nblab.status(second_lab)["state"] == "down"
    assert not (second_lab.lab_dir / "state" / "netbox.json").exists()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", PORT)) != 0

    msgs.clear()
    t0 = time.monotonic()
    st = nblab.up(second_lab, msgs.append)
    print(f"up with the database kept: {time.monotonic() - t0:.1f} s")
    assert st["state"] == "up"
    assert not any("restoring" in m or "migrations" in m for m in msgs), msgs
    nblab.down(second_lab, lambda m: None)
    nblab.down(second_lab, lambda m: None)  # idempotent
