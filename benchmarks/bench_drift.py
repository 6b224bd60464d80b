"""Wall time of ``netprov drift --all``: with one provisioned link, then with every demo link.

Needs the lab, and the lab lock (others share it)::

    NETPROV_LAB_DIR=/work/main/.lab flock /tmp/netprov-lab.lock \\
      .venv/bin/python benchmarks/bench_drift.py [REPEATS]

Starts from the seed and the baseline (like bench_provision), provisions the demo's three
accepted links (intranet Camat, internet Bappeda, intranet Disdik) in a fresh register, times
the CLI as a user runs it (its own process: imports, NetBox, one SSH read per device, the
trail) after the first and after the third, then takes every link back out.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from netprov.app import App
from netprov.domain.letters import load_letter
from netprov.settings import load_settings
from netprov_lab.demo.scenario import LETTERS, sample_form
from netprov_lab.reset import reset_devices, reset_netbox

LINKS = ["4-intranet-camat.yaml", "2-internet-bappeda.yaml", "1-intranet-disdik.yaml"]
NETPROV = str(Path(sys.executable).with_name("netprov"))


def drift_all(data_dir: Path, repeats: int) -> tuple[list[float], dict[str, object]]:
    env = {**os.environ, "NETPROV_DATA_DIR": str(data_dir), "NETPROV_ID_PREFIX": "BEN"}
    times, out = [], {}
    for _ in range(repeats):
        t0 = time.monotonic()
        res = subprocess.run(
            [NETPROV, "--as", "staff1", "drift", "--all", "--json"], env=env, capture_output=True, text=True
        )
        times.append(time.monotonic() - t0)
        assert res.returncode == 0, res.stdout + res.stderr
        out = json.loads(res.stdout)
    return times, out


def main(repeats: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="netprov-bench-drift-"))
    reset_netbox(load_settings(), lambda msg: None)
    reset_devices(load_settings(), lambda msg: None)
    s = load_settings(data_dir=tmp, id_prefix="BEN")
    app = App(s)
    svc, ipam, prov = app.service, app.ipam, app.provisioner()
    ids: list[str] = []
    try:
        for n, name in enumerate(LINKS, 1):
            letter = load_letter(LETTERS / name)
            rid = svc.submit(letter).id
            svc.dispose(rid, "kadis", "kabid")
            svc.assign(rid, "kabid", "staff1")
            svc.check(rid, "staff1", ipam.check(rid, letter))
            svc.accept(rid, "staff1")
            svc.fill_form(rid, "staff1", sample_form(rid))
            prov.run(rid, "staff1")
            ids.append(rid)
            if n not in (1, len(LINKS)):
                continue
            times, out = drift_all(tmp, repeats)
            links = out["links"]
            assert isinstance(links, list)
            devices = {d["device"] for link in links for d in link["devices"]}
            print(
                f"drift --all, {len(links)} link(s), {len(devices)} devices: "
                f"median {statistics.median(times):.2f}s, min {min(times):.2f}s, max {max(times):.2f}s "
                f"({repeats} runs)",
                flush=True,
            )
    finally:
        for rid in reversed(ids):
            prov.undo_finished_run(rid, "staff1")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
