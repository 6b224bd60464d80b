"""Issue 13's batch benchmark: netprov's batch against the Ansible peer and the floor, one run.

Three ways, side by side, for each N given, every number measured in this run, each way started
from the same lab state (NetBox reset to its seed, routers restarted at their baseline, the
peer's leftovers and netprov's monitoring entries removed; the reset is not timed):

(a) netprov batch, the whole pipeline (allocate, render, validate, lock, snapshot, diff,
    commit-confirm push, monitoring registration, verification with pings, first good probe,
    confirm, NetBox record): the real ``netprov --as staff1 provision ID [ID ...] --json`` CLI in
    a subprocess (for N = 1 that is the single-request path of the same command). The requests
    are first walked to step 7 (submitted, disposed, assigned, checked against NetBox, accepted,
    form filled; not timed) in a temporary register with its own id prefix (``BCH``). The time
    is the subprocess's wall time (Python start included). Its requests are undone afterwards.
(b) the Ansible peer (``benchmarks/peers/ansible/``, ``ansible`` 10.7.0, 5 forks): the
    *unguarded* part of step 7 only (a /29 and two addresses from NetBox, one FRR route line, a
    Zabbix host), no lock, no snapshot, no check, no rollback. ``ansible-playbook`` wall time.
(c) the floor (``benchmarks/peers/floor.py``): the same job as the peer in the fewest direct
    API calls. Nothing checked, nothing undone.

N: the lab has five department links (disdik, bappeda, camat on dist-batamkota1; dinkes,
dishub on dist-sekupang1), and netprov provisions a real link per request, so netprov runs for
N <= 5 only. For a larger N (the issue asks for 20) netprov is NOT run, and the output says so:
only the peer and the floor run, since they just write /29s, route lines and Zabbix hosts.
No ratio against netprov is printed for such an N; nothing is extrapolated.

Ratios printed per N: peer/netprov (whole netprov pipeline against the peer's unguarded part;
>= 1 means netprov is faster) and netprov push stage/floor. In a batch the requests run side by
side, each with its own push stage; "push" below is the longest push stage of the batch (the
per-request push seconds from netprov's JSON, each waiting on the per-device locks), and the
sum is printed too. The floor does NetBox + routers + Zabbix; netprov's push stage is the device
commit only, so the unguarded part of netprov (allocate + push + monitor-register, longest per
request) against the floor is printed as well.

Needs the lab up, root, and the lab lock (it resets NetBox and the routers)::

    flock /tmp/netprov-lab.lock .venv/bin/python benchmarks/bench_batch.py --n 1 5 [--skip-peer]

The first peer run installs ansible into ~/.cache/netprov (a minute or two, not timed).
Not a test: nothing in tests/ runs it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "peers"))
sys.path.insert(0, str(HERE / "peers" / "ansible"))

from floor import run_floor  # noqa: E402
from peer import cleanup as peer_cleanup  # noqa: E402
from peer import ensure_ansible, run_peer  # noqa: E402

from netprov.domain.letters import load_letter  # noqa: E402
from netprov.monitoring.factory import backends_from_settings, deregister_all  # noqa: E402
from netprov.settings import Settings, load_settings  # noqa: E402
from netprov_lab.demo.scenario import LETTERS, sample_form  # noqa: E402
from netprov_lab.reset import reset_devices, reset_netbox  # noqa: E402

ID_PREFIX = "BCH"
# the lab's five department links, one request each (N = 1 takes the first)
LINKS = [
    LETTERS / "1-intranet-disdik.yaml",  # dist-batamkota1 eth2, cpe-disdik-bk, sw-disdik-bk (IOS)
    HERE / "letters" / "intranet-dishub.yaml",  # dist-sekupang1 eth3, cpe-dishub
    LETTERS / "4-intranet-camat.yaml",  # dist-batamkota1 eth4, cpe-camat-bk
    HERE / "letters" / "intranet-dinkes.yaml",  # dist-sekupang1 eth2, cpe-dinkes-sk, sw-dinkes-sk
    LETTERS / "2-internet-bappeda.yaml",  # dist-batamkota1 eth3, cpe-bappeda, core-dc1, isp-pe1
]
MAX_NETPROV = len(LINKS)


@dataclass
class Row:
    n: int
    netprov: float | None = None
    netprov_push: float | None = None
    netprov_push_sum: float | None = None
    netprov_unguarded: float | None = None
    netprov_stages: dict[str, float] = field(default_factory=dict)
    netbox_calls: int | None = None
    peer: float | None = None
    floor: float | None = None
    floor_calls: int | None = None
    notes: list[str] = field(default_factory=list)


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def fresh(base: Settings) -> None:
    """The same starting state for every way (not timed)."""
    t0 = time.monotonic()
    reset_netbox(base, lambda msg: None)
    reset_devices(base, lambda msg: None)
    peer_cleanup(base)  # its Zabbix hosts (NetBox is fresh; routes went with the restart)
    leftovers = backends_from_settings(base)  # no register id: sees every entry
    year = dt.date.today().year
    for i in range(1, MAX_NETPROV + 1):
        deregister_all(leftovers, f"{ID_PREFIX}-{year}-{i:04d}")
    say(f"lab reset to the seed and baselines ({time.monotonic() - t0:.0f} s, not timed)")


def walk(settings: Settings, n: int) -> list[str]:
    """``n`` requests at step 7 with a complete form, one per department link (not timed)."""
    from netprov.app import App

    app = App(settings)
    svc, ipam = app.service, app.ipam
    ids = []
    for path in LINKS[:n]:
        letter = load_letter(path)
        rid = svc.submit(letter).id
        svc.dispose(rid, "kadis", "kabid")
        svc.assign(rid, "kabid", "staff1")
        svc.check(rid, "staff1", ipam.check(rid, letter))
        svc.accept(rid, "staff1")
        svc.fill_form(rid, "staff1", sample_form(rid))
        ids.append(rid)
    return ids


def netprov_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NETPROV_DATA_DIR": str(settings.data_dir),
        "NETPROV_ID_PREFIX": ID_PREFIX,
        "NETPROV_LAB_DIR": str(settings.lab_dir),
    }
    exe = str(Path(sys.executable).parent / "netprov")
    return subprocess.run(
        [exe, "--as", "staff1", *args], env=env, capture_output=True, text=True, timeout=900
    )


def undo(settings: Settings, ids: list[str]) -> None:
    """netprov's requests taken back out (devices, NetBox, monitoring), whatever happened."""
    from netprov.app import App

    app = App(settings)
    prov = app.provisioner()
    for rid in ids:
        try:
            prov.undo_finished_run(rid, "staff1")
        except Exception as exc:  # a request that never finished: release what it holds
            say(f"  undo {rid}: {exc}; releasing its NetBox objects")
            app.ipam.release(rid)


def way_netprov(base: Settings, row: Row) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="netprov-bench-batch-"))
    settings = load_settings(data_dir=tmp, lab_dir=base.lab_dir, id_prefix=ID_PREFIX)
    ids = walk(settings, row.n)
    say(f"(a) netprov: {len(ids)} requests walked to step 7: {' '.join(ids)}")
    try:
        t0 = time.monotonic()
        proc = netprov_cli(settings, "provision", *ids, "--json")
        wall = time.monotonic() - t0
        if proc.returncode != 0:
            raise RuntimeError(
                f"netprov provision exited {proc.returncode}: {proc.stderr[-1500:]}{proc.stdout[-1500:]}"
            )
        # the JSON document; a driver may print a line of its own before it (napalm-bird2 does)
        lines = proc.stdout.splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith("{")), None)
        if start is None:
            raise RuntimeError(f"netprov printed no JSON ({wall:.1f} s): {proc.stdout[-1500:]}")
        out = json.loads("\n".join(lines[start:]))
        runs = out.get("requests", [out])  # one id: the single-request JSON
        if {r["status"] for r in runs} != {"provisioned"}:
            raise RuntimeError(
                f"netprov: not all provisioned: {[(r['request_id'], r['status']) for r in runs]}"
            )
        row.netprov = wall
        pushes = [float(r["seconds"].get("push", 0.0)) for r in runs]
        row.netprov_push, row.netprov_push_sum = max(pushes), sum(pushes)
        unguarded = ("allocate", "push", "monitor-register")
        row.netprov_unguarded = max(sum(float(r["seconds"].get(s, 0.0)) for s in unguarded) for r in runs)
        for r in runs:
            for st, sec in r["seconds"].items():
                row.netprov_stages[st] = max(row.netprov_stages.get(st, 0.0), float(sec))
        row.netbox_calls = out.get("netbox_calls")
        say(f"(a) netprov batch of {row.n}: {wall:.2f} s wall (CLI subprocess)")
        for r in runs:
            stages = ", ".join(f"{k} {float(v):.1f}" for k, v in r["seconds"].items())
            say(f"    {r['request_id']}: {stages}")
    finally:
        t1 = time.monotonic()
        undo(settings, ids)
        say(f"    undone ({time.monotonic() - t1:.0f} s, not timed)")


def way_peer(base: Settings, row: Row) -> None:
    try:
        row.peer = run_peer(base, row.n)
        say(f"(b) ansible peer, {row.n} requests, 5 forks: {row.peer:.2f} s")
    finally:
        say(f"    peer cleanup: {peer_cleanup(base)}")


def way_floor(base: Settings, row: Row) -> None:
    try:
        row.floor, row.floor_calls = run_floor(base, row.n)
        say(f"(c) floor, {row.n} requests: {row.floor:.2f} s ({row.floor_calls} calls)")
    finally:
        say(f"    floor cleanup: {peer_cleanup(base)}")


def attempt(way: Callable[[Settings, Row], None], base: Settings, row: Row, name: str) -> None:
    """One way; a failure is noted (no number for it) and the others still run."""
    try:
        way(base, row)
    except Exception as exc:
        note = f"{name} FAILED, no number: {exc}"
        row.notes.append(note[:600])
        say(note)


def fmt(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def report(rows: list[Row], skip_peer: bool) -> None:
    print("\n== bench_batch: wall seconds, every number from this run ==")
    print(
        f"{'N':>3s} {'(a) netprov':>12s} {'push max':>9s} {'push sum':>9s} {'(b) peer':>9s}"
        f" {'(c) floor':>10s}"
        f" {'peer/netprov':>13s} {'push/floor':>11s} {'unguarded/floor':>16s}"
    )
    for r in rows:
        print(
            f"{r.n:>3d} {fmt(r.netprov):>12s} {fmt(r.netprov_push):>9s} {fmt(r.netprov_push_sum):>9s}"
            f" {fmt(r.peer):>9s} {fmt(r.floor):>10s} {ratio(r.peer, r.netprov):>13s}"
            f" {ratio(r.netprov_push, r.floor):>11s} {ratio(r.netprov_unguarded, r.floor):>16s}"
        )
    for r in rows:
        if r.netprov is not None:
            stages = ", ".join(f"{k} {v:.1f}" for k, v in r.netprov_stages.items())
            per = f" ({r.netbox_calls / r.n:.1f} per request)" if r.netbox_calls is not None else ""
            print(f"N={r.n} netprov, longest per stage over the batch: {stages}")
            print(f"N={r.n} netprov NetBox calls: {r.netbox_calls}{per}; floor calls: {r.floor_calls}")
        for note in r.notes:
            print(f"N={r.n}: {note}")
    if skip_peer:
        print("the Ansible peer was skipped (--skip-peer)")
    print(
        "peer/netprov: the peer's unguarded part against netprov's whole pipeline (>= 1: netprov "
        "faster). push/floor: netprov's longest push stage (device commits only) against the "
        "floor's NetBox + routers + Zabbix; unguarded/floor: netprov's allocate + push + "
        "monitor-register (longest request) against the floor."
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1, 5], help="batch sizes (netprov runs for N <= 5)")
    ap.add_argument("--skip-peer", action="store_true", help="do not run the Ansible peer")
    args = ap.parse_args()
    if any(n < 1 for n in args.n):
        ap.error("--n: every N must be at least 1")
    base = load_settings()
    if not args.skip_peer:
        t0 = time.monotonic()
        ensure_ansible(base)
        say(f"ansible {base.cache_dir} ready ({time.monotonic() - t0:.0f} s, not timed)")
    rows: list[Row] = []
    t_all = time.monotonic()
    for n in args.n:
        row = Row(n)
        rows.append(row)
        say(f"== N = {n} ==")
        if n <= MAX_NETPROV:
            fresh(base)
            attempt(way_netprov, base, row, "(a) netprov")
        else:
            note = (
                f"netprov NOT run: the lab has {MAX_NETPROV} department links and netprov provisions "
                f"a real link per request; only the peer and the floor run for N = {n}"
            )
            row.notes.append(note)
            say(note)
        if args.skip_peer:
            row.notes.append("Ansible peer skipped (--skip-peer)")
        else:
            fresh(base)
            attempt(way_peer, base, row, "(b) ansible peer")
        fresh(base)
        attempt(way_floor, base, row, "(c) floor")
    say(f"all done in {time.monotonic() - t_all:.0f} s")
    report(rows, args.skip_peer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
