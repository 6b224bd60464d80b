"""Measure the monitoring lab: `lab up` cold and warm, and register -> first successful probe.

Usage (root)::

    .venv/bin/python benchmarks/bench_monitoring_lab.py [--cold] [--target 10.254.0.1] [--runs 3]
    .venv/bin/python benchmarks/bench_monitoring_lab.py --probe-only --runs 5   # shared lab

``--cold`` first wipes the monitoring lab (stops it, drops database "zabbix", removes
.lab/monitoring) to time a start from nothing. The probe target must be reachable from the
probe namespace (the device lab up), e.g. core-dc1's loopback 10.254.0.1.
"""

from __future__ import annotations

import argparse
import ipaddress
import statistics
import time

from netprov.app import App
from netprov.monitoring import MonitoredLink
from netprov.settings import load_settings
from netprov_lab import monitoring as mon


def _quiet(msg: str) -> None:
    print(f"    {msg}")


def _timed_up(label: str) -> float:
    t0 = time.monotonic()
    mon.up(load_settings(), _quiet)
    dt = time.monotonic() - t0
    print(f"{label:<40} {dt:6.1f}s")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cold", action="store_true")
    ap.add_argument("--target", default="10.254.0.1")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bound", type=float, default=120.0)
    ap.add_argument(
        "--probe-only",
        action="store_true",
        help="only register -> first probe (the lab is left running as it is: for a shared lab)",
    )
    args = ap.parse_args()
    settings = load_settings()

    if not args.probe_only:
        if args.cold:
            mon.wipe(settings, _quiet)
            _timed_up("lab up monitoring (from nothing)")
        _timed_up("lab up monitoring (warm, all running)")
        mon.down(settings, _quiet)
        _timed_up("lab up monitoring (restart, DB kept)")

    backends = App(load_settings()).monitors
    times: dict[str, list[float]] = {b.name: [] for b in backends}
    for run in range(args.runs):
        rid = f"BENCH-2026-{9000 + run:04d}"
        link = MonitoredLink(
            request_id=rid,
            opd="bench",
            opd_name="Bench OPD",
            site="Bench site",
            service="intranet",
            bandwidth_mbps=10,
            circuit="bench:eth0 ↔ bench:eth1",
            address=ipaddress.IPv4Address(args.target),
            device="bench-cpe",
        )
        for b in backends:
            b.deregister(rid)
        for b in backends:
            t0 = time.monotonic()
            b.register(link)
            st = b.status(rid, args.bound)
            dt = time.monotonic() - t0
            print(f"run {run} {b.name:<11} register -> first success {dt:6.1f}s up={st.up}")
            if st.up:
                times[b.name].append(dt)
        for b in backends:
            b.deregister(rid)
    for name, values in times.items():
        if values:
            print(
                f"{name:<11} register->first success: min {min(values):.1f}s "
                f"median {statistics.median(values):.1f}s max {max(values):.1f}s "
                f"(n={len(values)})"
            )


if __name__ == "__main__":
    main()
