"""Allocations under contention: N allocate+release cycles from P concurrent processes, a few of
them killed with SIGKILL midway and resumed, against the lab's NetBox (no device is touched).

Every worker loops over request ids of its own, picking a department site at random: allocate,
log what it got, release, log that. A site whose port and VLAN another live request holds is
refused (NotFeasibleError) and retried: the lab has five department sites, so at most five
allocations are live at once and the NetBox lock is busy all the time. After the kill, a resumed
worker first releases the request id it was working on (allocate and release are re-runnable)
and goes on.

At the end it prints allocations per second and proves: 0 duplicates (no prefix, transfer
network or VLAN+site held by two requests at overlapping times, from the workers' own logs) and
0 orphans (no object in NetBox carries one of the benchmark's request ids).

    .venv/bin/python benchmarks/bench_allocations.py                  # 1,000 from 20, 3 killed
    .venv/bin/python benchmarks/bench_allocations.py -n 60 -p 4 -k 1  # a quick look
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_netbox_allocation import letter

from netprov.app import App
from netprov.errors import NotFeasibleError
from netprov.netbox.naming import CF_REQUEST
from netprov.settings import load_settings

SITES = [
    ("Dinas Pendidikan", "UPT Pendidikan Batam Kota"),
    ("Bappeda", "Kantor Bappeda"),
    ("Kecamatan Batam Kota", "Kantor Camat Batam Kota"),
    ("Dinas Kesehatan", "Puskesmas Sekupang"),
    ("Dinas Perhubungan", "Kantor Dinas Perhubungan"),
]
ID_PREFIX = "BAL-2026-"


def _log(path: Path, **rec: Any) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(rec) + "\n")
        f.flush()
        os.fsync(f.fileno())


def worker(ids: list[str], log: Path, seed: int) -> None:
    """Allocate and release each id once; the first id may be left over from a killed run."""
    rng = random.Random(seed)
    ipam = App(load_settings()).ipam
    if ids:
        ipam.release(ids[0])  # resume: whatever a killed predecessor left for this id
        _log(log, id=ids[0], event="resumed", t=time.time())
    for rid in ids:
        while True:
            opd, site = rng.choice(SITES)
            try:
                a = ipam.allocate(rid, letter(opd, site))
                break
            except NotFeasibleError:
                time.sleep(rng.uniform(0.05, 0.3))
        _log(
            log,
            id=rid,
            event="allocated",
            t=time.time(),
            lan=str(a.lan_prefix),
            transfer=str(a.transfer_prefix),
            vlan=f"{a.vlan_id}@{site}",
        )
        ipam.release(rid)
        _log(log, id=rid, event="released", t=time.time(), calls=ipam.api_calls)


def _remaining(ids: list[str], log: Path) -> list[str]:
    done = {r["id"] for r in _records(log) if r["event"] == "released"}
    first = next((i for i, rid in enumerate(ids) if rid not in done), len(ids))
    return ids[first:]


def _records(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    out = []
    for line in log.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # a line cut by SIGKILL
            out.append(json.loads(line))
    return out


def duplicates(records: list[dict[str, Any]]) -> list[str]:
    """Resources held by two request ids at overlapping times."""
    spans: dict[str, tuple[float, dict[str, Any]]] = {}
    intervals: list[tuple[float, float, dict[str, Any]]] = []
    for r in sorted(records, key=lambda r: r["t"]):
        if r["event"] == "allocated":
            spans[r["id"]] = (r["t"], r)
        elif r["event"] == "released" and r["id"] in spans:
            t0, a = spans.pop(r["id"])
            intervals.append((t0, r["t"], a))
    intervals += [(t0, float("inf"), a) for t0, a in spans.values()]
    found = []
    for key in ("lan", "transfer", "vlan"):
        by: dict[str, list[tuple[float, float, str]]] = {}
        for t0, t1, a in intervals:
            by.setdefault(a[key], []).append((t0, t1, a["id"]))
        for value, held in by.items():
            held.sort()
            end, holder = float("-inf"), ""
            for start, stop, rid in held:
                if start < end and rid != holder:
                    found.append(f"{key} {value}: {holder} and {rid}")
                if stop > end:
                    end, holder = stop, rid
    return found


def orphans() -> int:
    ipam: Any = App(load_settings()).ipam
    api = ipam._api
    f = {f"cf_{CF_REQUEST}__isw": ID_PREFIX}
    return sum(len(list(ep.filter(**f))) for ep in (api.ipam.prefixes, api.ipam.ip_addresses, api.ipam.vlans))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=1000, help="allocations in all")
    ap.add_argument("-p", type=int, default=20, help="concurrent processes")
    ap.add_argument("-k", type=int, default=3, help="processes killed with SIGKILL midway")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/netprov-bench-allocations"))
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    for old in args.workdir.glob("*.jsonl"):
        old.unlink()
    ctx = mp.get_context("spawn")
    ids = [f"{ID_PREFIX}{i:04d}" for i in range(1, args.n + 1)]
    slices = [ids[w :: args.p] for w in range(args.p)]
    logs = [args.workdir / f"w{w:02d}.jsonl" for w in range(args.p)]
    t0 = time.monotonic()
    procs = [
        ctx.Process(target=worker, args=(s, log, w))
        for w, (s, log) in enumerate(zip(slices, logs, strict=True))
    ]
    for p in procs:
        p.start()
    victims = random.Random(7).sample(range(args.p), args.k)
    while True:  # kill when about a third of the work is done
        done = sum(1 for log in logs for r in _records(log) if r["event"] == "released")
        if done >= args.n // 3 or not any(p.is_alive() for p in procs):
            break
        time.sleep(0.5)
    killed = []
    for v in victims:
        pid = procs[v].pid
        if procs[v].is_alive() and pid is not None:
            os.kill(pid, signal.SIGKILL)
            killed.append(v)
    for v in killed:
        procs[v].join()
        rest = _remaining(slices[v], logs[v])
        procs[v] = ctx.Process(target=worker, args=(rest, logs[v], 1000 + v))
        procs[v].start()
    for p in procs:
        p.join()
    seconds = time.monotonic() - t0
    records = [r for log in logs for r in _records(log)]
    allocated = {r["id"] for r in records if r["event"] == "allocated"}
    dups = duplicates(records)
    left = orphans()
    bad_exit = [p.exitcode for p in procs if p.exitcode != 0]
    print(
        f"{len(allocated)} of {args.n} allocations from {args.p} processes ({len(killed)} killed and resumed)"
    )
    print(f"{seconds:.1f} s, {len(allocated) / seconds:.2f} allocations/s (allocate + release each)")
    print(f"duplicates: {len(dups)}  orphans: {left}  failed workers: {len(bad_exit)}")
    for d in dups[:10]:
        print(f"  duplicate {d}")
    return 0 if not dups and not left and not bad_exit and len(allocated) == args.n else 1


if __name__ == "__main__":
    sys.exit(main())
