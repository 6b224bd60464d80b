"""Rendering speed: configs per second through netprov's safe layer, against a raw peer.

Measured in the same run, on the same samples and the same templates:

* netprov: ``build_template_data`` (validation, safe text) + the strict environment
  (StrictUndefined, the finalize gate on every printed value) for every device of the link;
* peer "raw Jinja2": the same template files in a plain ``jinja2.Environment`` (no
  finalize, default Undefined) with the same pre-built data (no data building);
* peer "str.format": a hand-written FRR distribution fragment with ``str.format`` (the
  floor: what string formatting alone costs).

Usage: ``.venv/bin/python benchmarks/bench_render.py [--seconds 2] [--json]``
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import jinja2

from netprov.domain.topology import load_topology
from netprov.render.check import platform_overrides
from netprov.render.data import build_template_data
from netprov.render.link import DEFAULT_TEMPLATES_DIR, render_targets
from netprov.render.playbook import load_playbook, plan_devices
from netprov.settings import load_settings
from netprov_lab.samples import load_samples


def _rate(fn: Callable[[], int], seconds: float) -> tuple[float, int]:
    fn()  # warm up (template compilation, caches)
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        n += fn()
    return n / (time.perf_counter() - t0), n


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()

    settings = load_settings()
    topo = load_topology(settings.topology_file)
    playbooks = {s: load_playbook(settings, s) for s in ("intranet", "internet")}
    samples = load_samples()
    jobs = []
    for s in samples:
        targets = {}
        for override in platform_overrides():
            for t in plan_devices(playbooks[s.allocation.service], s.allocation, topo, override):
                targets.setdefault(t.template, t)
        jobs.append((s, list(targets.values())))
    n_configs = sum(len(t) for _, t in jobs)

    def netprov_render() -> int:
        count = 0
        for s, targets in jobs:
            data = build_template_data(
                s.request_id, s.letter, s.allocation, topo, form=s.form, internet_prefixes=s.internet_prefixes
            )
            count += len(render_targets(data, targets, DEFAULT_TEMPLATES_DIR))
        return count

    raw_env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(DEFAULT_TEMPLATES_DIR)),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    prebuilt = [
        (
            build_template_data(
                s.request_id, s.letter, s.allocation, topo, form=s.form, internet_prefixes=s.internet_prefixes
            ).variables(),
            targets,
        )
        for s, targets in jobs
    ]

    def raw_jinja() -> int:
        count = 0
        for variables, targets in prebuilt:
            for t in targets:
                raw_env.get_template(t.template).render(**variables)
                count += 1
        return count

    fmt = (
        "interface {iface}\n description {desc}\n ip address {addr}\n bandwidth {bw}\n"
        "exit\n!\nrouter ospf\n network {net} area 0\nexit\n"
    )
    plain = [(s.request_id, s.allocation) for s in samples]

    def str_format() -> int:
        for rid, al in plain:
            fmt.format(
                iface=al.dist_interface,
                desc=f"{rid} {al.opd_name}",
                addr=al.dist_address,
                bw=al.bandwidth_mbps,
                net=al.transfer_prefix,
            )
        return len(plain)

    ours, n1 = _rate(netprov_render, a.seconds)
    raw, n2 = _rate(raw_jinja, a.seconds)
    floor, n3 = _rate(str_format, a.seconds)
    result = {
        "samples": len(samples),
        "configs_per_pass": n_configs,
        "netprov_configs_per_s": round(ours),
        "raw_jinja2_configs_per_s": round(raw),
        "str_format_configs_per_s": round(floor),
        "netprov_vs_raw_jinja2": round(ours / raw, 3),
        "netprov_vs_str_format": round(ours / floor, 4),
        "renders": {"netprov": n1, "raw_jinja2": n2, "str_format": n3},
    }
    if a.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{len(samples)} samples, {n_configs} configs per pass, {a.seconds:.1f} s per measure")
    print(f"netprov (data + safe env) : {ours:10.0f} configs/s")
    print(f"raw Jinja2 (same templates): {raw:10.0f} configs/s   ratio netprov/raw = {ours / raw:.2f}")
    print(
        f"str.format (FRR dist only): {floor:10.0f} configs/s   ratio netprov/str.format = {ours / floor:.3f}"
    )


if __name__ == "__main__":
    main()
