"""Pipeline pieces that need no lab: lock holders, the journal's view of interrupted runs,
Nornir failures turned into one sentence (with NAPALM's mock driver), the audit's rules."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from nornir import InitNornir
from nornir.core.inventory import ConnectionOptions

from netprov.audit import audit_documents, audit_events
from netprov.domain.resources import Feasibility, Finding
from netprov.domain.users import load_directory
from netprov.errors import PipelineError
from netprov.pipeline import provision as pp
from netprov.pipeline.link_stages import LINK_STAGES, raise_failures
from netprov.pipeline.saga import Saga, holder_dead, holder_id
from netprov.settings import Settings
from netprov.sop.service import NoPapers, RequestService
from netprov.store.db import Store
from tests.letters import distinct_letter

DATA = Path(__file__).parent.parent / "data"


def test_lock_holder_liveness() -> None:
    me = holder_id("staff1")
    assert me.startswith("staff1@") and not holder_dead(me)
    dead_pid = 2**22 + 12345
    assert holder_dead(f"staff1@{socket.gethostname()}:{dead_pid}")
    assert not holder_dead(f"staff1@another-host:{dead_pid}")  # can't tell: not dead
    assert not holder_dead("garbage")


def _svc(tmp_path: Path, settings: Settings) -> RequestService:
    return RequestService(
        Store(f"sqlite:///{tmp_path / 'r.sqlite3'}"), load_directory(None), settings, NoPapers()
    )


def test_interrupted_run_is_found_from_the_journal(tmp_path: Path, settings: Settings) -> None:
    svc = _svc(tmp_path, settings)
    rid = svc.submit(distinct_letter()).id
    prov = Saga(svc.runs, LINK_STAGES)
    assert prov.interrupted_run(rid) is None
    svc.store.journal(rid, "run1", "run", "start")
    svc.store.journal(rid, "run1", "allocate", "begin")
    svc.store.journal(rid, "run1", "allocate", "done", {"allocation": {}})
    svc.store.journal(rid, "run1", "render", "begin")
    assert prov.interrupted_run(rid) == "run1"
    svc.store.journal(rid, "run1", "run", "rolled-back")
    assert prov.interrupted_run(rid) is None
    svc.store.journal(rid, "run2", "run", "start")
    svc.store.journal(rid, "run2", "run", "finished")
    assert prov.interrupted_run(rid) is None


def test_device_failure_becomes_one_sentence(tmp_path: Path) -> None:
    """NAPALM's mock driver raising ConnectionException, as a commit would on a dead router."""
    mock_dir = tmp_path / "mock" / "r1"
    mock_dir.mkdir(parents=True)
    (mock_dir / "get_facts.1").write_text(
        json.dumps(
            {"exception": "napalm.base.exceptions.ConnectionException", "args": ["router r1 refused ssh"]}
        )
    )
    hosts = tmp_path / "hosts.yaml"
    hosts.write_text("r1: {hostname: 127.0.0.1, platform: mock}\n")
    nr = InitNornir(
        inventory={"plugin": "SimpleInventory", "options": {"host_file": str(hosts)}},
        logging={"enabled": False},
        runner={"plugin": "serial"},
    )
    nr.inventory.hosts["r1"].connection_options["napalm"] = ConnectionOptions(
        extras={"optional_args": {"path": str(mock_dir)}}
    )

    def facts(task):  # type: ignore[no-untyped-def]
        return task.host.get_connection("napalm", task.nornir.config).get_facts()

    res = nr.run(task=facts)
    with pytest.raises(PipelineError, match="facts failed on r1: router r1 refused ssh"):
        raise_failures(res, "facts")
    nr.close_connections()


def test_not_ready_message_names_the_state(tmp_path: Path, settings: Settings) -> None:
    svc = _svc(tmp_path, settings)
    rec = svc.submit(distinct_letter())
    assert "received" in pp.not_ready(rec) and "form_complete" in pp.not_ready(rec)


def test_audit_events_and_documents(tmp_path: Path, settings: Settings) -> None:
    svc = _svc(tmp_path, settings)
    rid = svc.submit(distinct_letter()).id
    svc.dispose(rid, "kadis", "kabid")
    svc.assign(rid, "kabid", "staff1")
    svc.check(
        rid,
        "staff1",
        Feasibility(
            feasible=False,
            service="intranet",
            hosts=20,
            bandwidth_mbps=50,
            prefix_length=27,
            source="manual",
            findings=[Finding(check="bandwidth", ok=False, detail="x")],
        ),
    )
    svc.reject(rid, "staff1", "no bandwidth")
    rec = svc.sign_reply(rid, "kadis")
    items = audit_events(rec)
    assert all(i.ok for i in items), items
    docs = audit_documents(rec)  # NoPapers: nothing produced, and the audit says so
    assert {i.record for i in docs if not i.ok} == {"document laporan-pemeriksaan", "document surat-balasan"}
