"""Two ``notify`` processes at once never send one mail twice: each mail is claimed by one
UPDATE before it is sent. Real processes, a real SMTP server, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from netprov.domain.users import load_directory
from netprov.settings import Settings
from netprov.sop.service import NoPapers, RequestService
from netprov.store.db import Store, verify_chain
from tests.letters import distinct_letter
from tests.mail import SmtpSink, free_port

REQUESTS = 10  # x 3 mails (kadis, kabid, staff1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'register.sqlite3'}"
        return
    if os.geteuid() != 0:
        pytest.skip("creating a PostgreSQL database needs root here")
    from tests.pg import create_database, drop_database

    url, name = create_database()
    yield url
    drop_database(name)


SCRIPT = """
import json, os, sys, time
from pathlib import Path
from netprov.app import App
from netprov.mail.notify import notify
from netprov.settings import load_settings
svc = App(load_settings()).service
svc.store.outbox()  # connected and migrated before the gate
gate = Path(sys.argv[1])
(gate / str(os.getpid())).touch()
while len(list(gate.iterdir())) < 2:
    time.sleep(0.002)
print(json.dumps(notify(svc).to_json()))
"""


def test_two_notify_processes_send_each_mail_once(db_url: str, settings: Settings, tmp_path: Path) -> None:
    svc = RequestService(Store(db_url), load_directory(None), settings, NoPapers())
    ids = []
    for _ in range(REQUESTS):
        rid = svc.submit(distinct_letter()).id
        svc.dispose(rid, "kadis", "kabid")
        svc.assign(rid, "kabid", "staff1")
        ids.append(rid)
    queued = svc.store.outbox(status="queued")
    assert len(queued) == 3 * REQUESTS
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETPROV_")}
    env.update(
        NETPROV_DATA_DIR=str(settings.data_dir),
        NETPROV_LAB_DIR=str(tmp_path / "lab"),
        NETPROV_DATABASE_URL=db_url,
        NETPROV_SMTP_HOST="127.0.0.1",
        NETPROV_SMTP_PORT=str(port),
        NETPROV_SMTP_STARTTLS="false",
    )
    gate = tmp_path / "gate"
    gate.mkdir()
    with SmtpSink(port) as sink:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", SCRIPT, str(gate)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=Path(__file__).parents[2],
            )
            for _ in range(2)
        ]
        outs = [p.communicate(timeout=180) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], [err[-600:] for _, err in outs]
        sink.wait_for(3 * REQUESTS)
        results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
        seen = Counter(str(m["X-Netprov-Mail"]).split()[0] for m in sink.mails())
    assert sorted(int(i) for i in seen) == sorted(m.id for m in queued)
    assert set(seen.values()) == {1}  # no mail twice
    sent = [m["id"] for r in results for m in r["sent"]]
    assert sorted(sent) == sorted(m.id for m in queued) and all(r["failed"] == [] for r in results)
    assert svc.store.outbox(status="queued") == []
    for rid in ids:
        rec = svc.get(rid)
        assert sum(e.action == "mail" for e in rec.events) == 3  # one trail entry per mail
        assert not verify_chain(rec.request, rec.events)
    print("sent per process:", [len(r["sent"]) for r in results])
