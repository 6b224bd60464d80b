"""A ``netprov worker`` process with fake stages, for the tests that stop or kill a worker.

``python -m tests.integration.engine_worker ADDRESS QUEUE DB ROUTER`` serves the real
workflow and activities (:func:`netprov.engine.worker.serve`) over the register ``DB``; the
stages are fakes whose device is the file ``ROUTER``: ``push`` writes ``STEPS`` lines, one
every ``STEP_S`` seconds, calling the run's fence before each (as the real push does before
each device's commit), its undo writes one ``undo`` line. It prints ``ready`` and then every
progress line, so the test can see a run abandoned.
"""

from __future__ import annotations

import asyncio
import fcntl
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from netprov.pipeline.device_locks import LocalDeviceLocks
from netprov.pipeline.link_run import LinkRun
from netprov.pipeline.provision import Provisioner
from netprov.pipeline.saga import JournalData, Stage
from netprov.settings import load_settings
from tests.unit.test_pipeline_units import _svc

STEPS, STEP_S = 6, 0.5


def write(router: Path, line: str) -> None:
    with router.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(line + "\n")


def stages(router: Path) -> Sequence[Stage[LinkRun]]:
    def push(run: LinkRun) -> JournalData:
        for i in range(STEPS):
            run.fence()
            write(router, f"{run.run_id} push {i}")
            time.sleep(STEP_S)
        return {"devices": ["r1"]}

    def record(run: LinkRun) -> JournalData:
        run.deps.service.record_provisioned(run.record.id, run.actor, {"run_id": run.run_id})
        return {}

    return (
        Stage("allocate", lambda run: {"allocation": run.record.id}, undo=lambda run: None),
        Stage("push", push, undo=lambda run: write(router, f"{run.run_id} undo")),
        Stage("verify", lambda run: {"ok": True}),
        Stage("record", record),
    )


def main(address: str, queue: str, db: str, router: str) -> None:
    from netprov.engine.worker import serve

    data = Path(db).parent
    settings = load_settings(
        data_dir=data, lab_dir=data / "lab", temporal_address=address, temporal_task_queue=queue
    )
    svc = _svc(data, settings)  # the register r.sqlite3 next to ``db``
    locks = LocalDeviceLocks()

    def progress(stage: str, device: str, message: str) -> None:
        print(f"{stage} {message}", flush=True)

    class Fake(Provisioner):
        def stages(self) -> Sequence[Stage[LinkRun]]:
            return stages(Path(router))

    def provisioner_for(rid: str) -> Provisioner:
        return Fake(settings, svc, ipam=None, monitors=[], progress=progress, device_locks=locks)  # type: ignore[arg-type]

    asyncio.run(serve(settings, provisioner_for, 2, on_ready=lambda q: print("ready", flush=True)))


if __name__ == "__main__":
    main(*sys.argv[1:5])
