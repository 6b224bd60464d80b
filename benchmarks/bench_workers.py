"""Step 7 on Temporal workers (issue 17): N requests with 1, 2 and 3 worker processes.

A real Temporal dev server (the lab's engine part, on its own port and dir), real
``netprov.engine`` workers in separate processes, a real register (SQLite, shared by every
process), the real follower (:class:`netprov.engine.client.TemporalRunner`, one thread per
request, as ``netprov provision A B ...`` does). The stages are *modelled*: the lab has five
department links (the e2e uses four at once; 20 real requests would need 20), so each of the
saga's stages waits ``--wait`` seconds (devices, NetBox, first probes: most of a real run) and
burns ``--cpu`` seconds of CPU (rendering, validating, parsing). Each worker holds
``--concurrency`` runs at once. It uses no part of the lab (its own Temporal dev server on
``--port``, +1, +2; its own register in a temp dir, removed at the end). "cores busy" is the
whole machine's CPU during a round, from /proc/stat (other jobs on it included).

    .venv/bin/python benchmarks/bench_workers.py                 # 20 requests, 1/2/3 workers
    .venv/bin/python benchmarks/bench_workers.py -n 8 --wait 0.1 # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from netprov.domain.resources import Feasibility, Finding  # noqa: E402
from netprov.pipeline.device_locks import LocalDeviceLocks  # noqa: E402
from netprov.pipeline.link_run import LinkRun  # noqa: E402
from netprov.pipeline.link_stages import STAGES  # noqa: E402
from netprov.pipeline.provision import Provisioner  # noqa: E402
from netprov.pipeline.saga import JournalData, Stage  # noqa: E402
from netprov.settings import Settings, load_settings  # noqa: E402
from netprov.sop.service import RequestService  # noqa: E402


def _burn(seconds: float) -> None:
    end = time.process_time() + seconds
    x = 0
    while time.process_time() < end:
        x += 1


class ModelProvisioner(Provisioner):
    """The real provisioner with the 13 stages modelled (wait + CPU each; record is real)."""

    wait, cpu = 0.2, 0.03

    def stages(self) -> Sequence[Stage[LinkRun]]:
        def model(name: str) -> Stage[LinkRun]:
            def do(run: LinkRun) -> JournalData:
                time.sleep(self.wait)
                _burn(self.cpu)
                if name == "record":
                    run.deps.service.record_provisioned(run.record.id, run.actor, {"run_id": run.run_id})
                return {}

            return Stage(name, do, undo=(lambda run: None) if name in ("allocate", "push") else None)

        return [model(n) for n in STAGES]


def _service(settings: Settings) -> RequestService:
    from netprov.domain.users import load_directory
    from netprov.sop.service import NoPapers
    from netprov.store.db import Store

    return RequestService(Store(settings.effective_database_url), load_directory(None), settings, NoPapers())


def _ready(svc: RequestService) -> str:
    from netprov_lab.demo.scenario import sample_form
    from tests.letters import distinct_letter

    rid = svc.submit(distinct_letter()).id
    svc.dispose(rid, "kadis", "kabid")
    svc.assign(rid, "kabid", "staff1")
    finding = Finding(check="bandwidth", ok=True, detail="ok")
    feas = Feasibility(
        feasible=True,
        service="intranet",
        hosts=20,
        bandwidth_mbps=50,
        prefix_length=27,
        source="manual",
        findings=[finding],
    )
    svc.check(rid, "staff1", feas)
    svc.accept(rid, "staff1")
    svc.fill_form(rid, "staff1", sample_form(rid))
    return rid


def serve(args: argparse.Namespace) -> None:
    """One worker process (``--serve``)."""
    from netprov.engine.worker import serve as run_worker

    settings = _settings(args)
    svc = _service(settings)
    ModelProvisioner.wait, ModelProvisioner.cpu = args.wait, args.cpu
    locks = LocalDeviceLocks()

    def provisioner_for(rid: str) -> Provisioner:
        return ModelProvisioner(settings, svc, ipam=None, monitors=[], device_locks=locks)  # type: ignore[arg-type]

    def ready(queue: str) -> None:
        print("ready", flush=True)

    asyncio.run(run_worker(settings, provisioner_for, args.concurrency, on_ready=ready))


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        data_dir=Path(args.data),
        lab_dir=Path(args.data) / "lab",
        temporal_address=f"127.0.0.1:{args.port}",
        temporal_task_queue=args.queue,
    )


def _busy() -> tuple[float, float]:
    """(busy, total) CPU jiffies of the whole machine so far (/proc/stat; every process on it)."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _round(args: argparse.Namespace, workers: int) -> tuple[float, float]:
    from netprov.engine.client import TemporalRunner

    args.queue = f"bench-{workers}-{os.getpid()}-{int(time.time())}"
    settings = _settings(args)
    svc = _service(settings)
    rids = [_ready(svc) for _ in range(args.requests)]
    argv = [
        sys.executable,
        __file__,
        "--serve",
        "--data",
        args.data,
        "--port",
        str(args.port),
        "--queue",
        args.queue,
    ]
    argv += ["--wait", str(args.wait), "--cpu", str(args.cpu), "--concurrency", str(args.concurrency)]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) for _ in range(workers)]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        results: dict[str, Any] = {}

        def follow(rid: str) -> None:
            results[rid] = TemporalRunner(settings, svc, lambda s, d, m: None).run(rid, "staff1").status

        threads = [threading.Thread(target=follow, args=(rid,)) for rid in rids]
        b0, n0 = _busy()
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        b1, n1 = _busy()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
    assert set(results.values()) == {"provisioned"}, results
    return wall, (b1 - b0) / max(n1 - n0, 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--requests", type=int, default=20)
    ap.add_argument("-w", "--workers", default="1,2,3", help="worker counts to measure")
    ap.add_argument("-c", "--concurrency", type=int, default=2, help="runs per worker at once")
    ap.add_argument("--wait", type=float, default=0.2, help="seconds each stage waits (I/O)")
    ap.add_argument("--cpu", type=float, default=0.03, help="CPU seconds each stage burns")
    ap.add_argument("--port", type=int, default=17233)
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--data", default="", help=argparse.SUPPRESS)
    ap.add_argument("--queue", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args)
        return
    from netprov_lab import engine

    args.data = tempfile.mkdtemp(prefix="netprov-bench-workers-")
    lab = load_settings(lab_dir=Path(args.data) / "lab", lab_engine_port=args.port)
    engine.up(lab, lambda msg: None)
    try:
        counts = [int(x) for x in args.workers.split(",")]
        rounds = {w: _round(args, w) for w in counts}
    finally:
        engine.down(lab, lambda msg: None)
        shutil.rmtree(args.data, ignore_errors=True)
    per = len(STAGES) * (args.wait + args.cpu)
    print(
        f"{args.requests} requests x {len(STAGES)} modelled stages "
        f"({args.wait}s wait + {args.cpu}s CPU each, "
        f"{per:.1f}s per request), {args.concurrency} runs per worker, {os.cpu_count()} cores"
    )
    base = rounds[counts[0]][0]
    for w, (wall, busy) in rounds.items():
        ideal = per * -(-args.requests // (w * args.concurrency))
        print(
            f"  {w} worker(s): {wall:6.1f} s wall  x{base / wall:4.2f} vs {counts[0]}  "
            f"(no-overhead floor {ideal:.1f} s; cores busy {busy:.0%}, every process on the machine)"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
