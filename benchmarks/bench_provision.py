"""Wall time of step 7: one provision, and N in a row, split by stage; against a bare push.

Needs the lab (sudo ./run demo once, or `netprov lab up` + `netprov lab seed`). Each request is
provisioned, timed, then taken back out (not timed) so the next one starts from the baseline.
The peer is the same rendered configs pushed by a bare Nornir + nornir_napalm `napalm_configure`
(no NetBox, no validation, no verification, no monitoring, no journal): the ratio shows what the
safety of the saga costs.

    sudo .venv/bin/python benchmarks/bench_provision.py [N]
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from nornir_napalm.plugins.tasks import napalm_configure

from netprov.app import App
from netprov.domain.letters import load_letter
from netprov.monitoring.factory import backends_from_settings, deregister_all
from netprov.pipeline import device_ops
from netprov.pipeline.link_stages import render_configs
from netprov.pipeline.nornir_setup import build_nornir, only
from netprov.pipeline.provision import STAGES
from netprov.platforms import get_platform
from netprov.render.playbook import load_playbook
from netprov.settings import load_settings
from netprov_lab.demo.scenario import LETTERS, sample_form
from netprov_lab.reset import reset_devices, reset_netbox

CYCLE = ["4-intranet-camat.yaml", "2-internet-bappeda.yaml", "1-intranet-disdik.yaml"]


def main(n: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="netprov-bench-"))
    reset_netbox(load_settings(), lambda msg: None)  # start from the seed and the baseline
    reset_devices(load_settings(), lambda msg: None)
    leftovers = backends_from_settings(load_settings())  # no register id: sees every entry
    for i in range(n):  # monitoring entries an earlier, crashed bench run left behind
        deregister_all(leftovers, f"BEN-{dt.date.today().year}-{i + 1:04d}")
    s = load_settings(data_dir=tmp, id_prefix="BEN")
    app = App(s)
    svc, ipam = app.service, app.ipam
    prov = app.provisioner()
    per_stage: dict[str, list[float]] = {st: [] for st in STAGES}
    totals: list[float] = []
    bare: list[float] = []
    t_all = time.monotonic()
    for i in range(n):
        letter = load_letter(LETTERS / CYCLE[i % len(CYCLE)])
        numbered = letter.letter.model_copy(update={"number": f"{letter.letter.number}-{i + 1}"})
        letter = letter.model_copy(update={"letter": numbered})  # the register refuses a letter twice
        rid = svc.submit(letter).id
        svc.dispose(rid, "kadis", "kabid")
        svc.assign(rid, "kabid", "staff1")
        svc.check(rid, "staff1", ipam.check(rid, letter))
        svc.accept(rid, "staff1")
        svc.fill_form(rid, "staff1", sample_form(rid))
        t0 = time.monotonic()
        result = prov.run(rid, "staff1")
        totals.append(time.monotonic() - t0)
        for st, sec in result.seconds.items():
            per_stage[st].append(sec)
        print(f"{rid} stages: " + ", ".join(f"{k} {v:.1f}" for k, v in result.seconds.items()), flush=True)
        for c in result.outputs.get("verification") or []:
            print(f"  verify {c.get('seconds', 0):5.2f}s {c['check']}", flush=True)
        for m in result.outputs.get("monitoring") or []:
            print(f"  monitor {m['backend']}: {m['status']} after {m['waited_seconds']}s", flush=True)
        rec = svc.get(rid)
        assert rec.allocation is not None
        configs = render_configs(prov._deps(), rec, rec.allocation, load_playbook(s, letter.service))
        prov.undo_finished_run(rid, "staff1")
        # the peer: the same configs, pushed bare, then restored (restore not timed)
        nr = build_nornir(s)
        snaps = {
            c.device: str(only(nr, [c.device]).run(task=device_ops.running_config)[c.device][0].result)
            for c in configs
        }
        t1 = time.monotonic()
        for c in configs:  # NAPALM where it works; IOS switches take lines through Netmiko
            if get_platform(c.platform).connection == "napalm":
                res = only(nr, [c.device]).run(
                    task=napalm_configure, configuration=c.text, replace=c.mode == "replace"
                )
            else:
                res = only(nr, [c.device]).run(
                    task=device_ops.push_config, config=c.text, mode=c.mode, message="", revert_in=None
                )
            assert not res.failed, res[c.device][0].exception
        bare.append(time.monotonic() - t1)
        for c in reversed(configs):
            only(nr, [c.device]).run(task=device_ops.restore, snapshot=snaps[c.device])
        nr.close_connections()
        print(
            f"{rid} {letter.service:8s} provision {totals[-1]:6.1f}s   bare push {bare[-1]:5.2f}s", flush=True
        )
    print(
        f"\n{n} requests in a row: {sum(totals):.1f}s of provisioning "
        f"({time.monotonic() - t_all:.0f}s wall with walking, undo and the peer)"
    )
    print(f"{'stage':14s} {'mean s':>8s} {'max s':>8s}")
    for st in STAGES:
        if per_stage[st]:
            print(f"{st:14s} {statistics.mean(per_stage[st]):8.2f} {max(per_stage[st]):8.2f}")
    mean_total, mean_bare = statistics.mean(totals), statistics.mean(bare)
    mean_push = statistics.mean(per_stage["push"])
    print(
        f"\none provision (mean): {mean_total:.1f}s; "
        f"bare napalm_configure of the same configs: {mean_bare:.2f}s"
    )
    print(
        f"ratio pipeline/bare (whole run): {mean_total / mean_bare:.1f}x; "
        f"push stage (commit-confirm + diff)/bare: {mean_push / mean_bare:.2f}x"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
