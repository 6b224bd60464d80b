"""NetBox API calls and time per step-4 check, plan, allocation, activation and release.

    .venv/bin/python benchmarks/bench_netbox_allocation.py            # against the running lab
    .venv/bin/python benchmarks/bench_netbox_allocation.py --rounds 5

Needs a seeded NetBox (``netprov lab up netbox && netprov lab seed``). Uses request ids
``BEN-2026-00NN`` and releases them, so it leaves NetBox as it found it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable
from typing import Any

from netprov.app import App
from netprov.domain.letters import Letter, parse_letter
from netprov.netbox.adapter import NetBoxIpam
from netprov.netbox.inventory import NetBoxInventory, clear_cache
from netprov.settings import load_settings

SITES = [
    ("Dinas Pendidikan", "UPT Pendidikan Batam Kota"),
    ("Bappeda", "Kantor Bappeda"),
    ("Kecamatan Batam Kota", "Kantor Camat Batam Kota"),
]


def letter(opd: str, site: str, service: str = "intranet") -> Letter:
    return parse_letter(
        {
            "letter": {
                "number": "001/BEN/2026",
                "date": dt.date.today().isoformat(),
                "subject": "Permohonan jaringan baru",
            },
            "opd": opd,
            "service": service,
            "bandwidth_mbps": 20,
            "hosts": 20,
            "purpose": "benchmark",
            "site": {"name": site, "address": "-"},
            "contact": {"name": "Ben", "phone": "0812 0000 0000", "email": "ben@example.org"},
        }
    )


def measure(ipam: NetBoxIpam, fn: Callable[[], Any]) -> tuple[float, int]:
    calls0, t0 = ipam.api_calls, time.perf_counter()
    fn()
    return time.perf_counter() - t0, ipam.api_calls - calls0


def one_round(ipam: NetBoxIpam, rid: str, lt: Letter, rows: dict[str, list[tuple[float, int]]]) -> None:
    ipam.release(rid)
    if not ipam.check(rid, lt).feasible:
        print(f"skipping {lt.site.name}: not feasible now (held by another request?)")
        return
    rows.setdefault("check", []).append(measure(ipam, lambda: ipam.check(rid, lt)))
    rows.setdefault("plan", []).append(measure(ipam, lambda: ipam.plan(rid, lt)))
    holder: dict[str, Any] = {}
    rows.setdefault("allocate (new)", []).append(
        measure(ipam, lambda: holder.setdefault("a", ipam.allocate(rid, lt)))
    )
    rows.setdefault("allocate (re-run)", []).append(measure(ipam, lambda: ipam.allocate(rid, lt)))
    rows.setdefault("activate", []).append(measure(ipam, lambda: ipam.activate(holder["a"], 7, "benchmark")))
    rows.setdefault("tagged_objects", []).append(measure(ipam, lambda: ipam.tagged_objects(rid)))
    rows.setdefault("release", []).append(measure(ipam, lambda: ipam.release(rid)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    settings = load_settings()
    ipam = App(settings).ipam
    rows: dict[str, list[tuple[float, int]]] = {}
    for r in range(args.rounds):
        opd, site = SITES[r % len(SITES)]
        one_round(ipam, f"BEN-2026-{r + 1:04d}", letter(opd, site), rows)
    print(f"{'operation':<20}{'API calls':>10}{'median ms':>11}{'max ms':>9}")
    for name, vals in rows.items():
        calls = sorted({c for _, c in vals})
        ms = [t * 1000 for t, _ in vals]
        print(f"{name:<20}{'/'.join(map(str, calls)):>10}{statistics.median(ms):>11.0f}{max(ms):>9.0f}")
    clear_cache()
    inv = NetBoxInventory(settings=settings, cache_ttl=0)
    t0 = time.perf_counter()
    hosts = inv.load().hosts
    print(
        f"{'nornir inventory':<20}{inv.api_calls:>10}{(time.perf_counter() - t0) * 1000:>11.0f}"
        f"{'':>9}  ({len(hosts)} hosts)"
    )


if __name__ == "__main__":
    main()
