"""Per-call times of napalm_frr against a lab router, next to peers doing the same work.

Peers: plain paramiko + vtysh (the least a client can do over SSH) and Netmiko ``linux``
(a shell session, commands typed into it). Needs the device lab (``netprov lab up devices``).

    .venv/bin/python benchmarks/bench_frr_driver.py [--device cpe-camat-bk] [-n 5]

Prints the median of n runs per operation (ms) and the ratio driver / peer.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import time
from collections.abc import Callable
from typing import Any

import paramiko
from netmiko import ConnectHandler

from netprov.devices.connection import driver_for, napalm_args
from netprov.settings import load_settings

FRAGMENT = (
    "interface lan1\n description bench\n ip address 10.100.250.1/24\nexit\n"
    "router ospf\n network 10.100.250.0/24 area 0\nexit\n"
)


def timed(fn: Callable[[], Any], n: int) -> float:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpe-camat-bk")
    ap.add_argument("-n", type=int, default=5)
    a = ap.parse_args()
    s = load_settings()
    _, kw = napalm_args(s, a.device)
    port, key = int(kw["optional_args"]["port"]), kw["optional_args"].get("key_file")
    rows: list[tuple[str, float, str, float | None]] = []

    # --- napalm_frr ---------------------------------------------------------------------------
    def open_close() -> None:
        with driver_for(s, a.device):
            pass

    rows.append(("open+close", timed(open_close, a.n), "paramiko connect+close", None))
    with driver_for(s, a.device) as d:
        before = d.get_config(retrieve="running")["running"]
        drv = {
            "get_facts": timed(d.get_facts, a.n),
            "get_interfaces": timed(d.get_interfaces, a.n),
            "get_interfaces_ip": timed(d.get_interfaces_ip, a.n),
            "get_route_to": timed(lambda: d.get_route_to("10.254.0.1"), a.n),
            "get_bgp_neighbors": timed(d.get_bgp_neighbors, a.n),
            "get_config(running)": timed(lambda: d.get_config(retrieve="running"), a.n),
            "ping(count=1)": timed(lambda: d.ping("10.254.0.1", count=1, timeout=1), a.n),
            "load_merge_candidate": timed(lambda: d.load_merge_candidate(config=FRAGMENT), a.n),
        }
        drv["compare_config(merge)"] = timed(d.compare_config, a.n)
        commit, rollback = [], []
        for _ in range(a.n):
            d.load_merge_candidate(config=FRAGMENT)
            t0 = time.perf_counter()
            d.commit_config(message="bench")
            commit.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            d.rollback()
            rollback.append((time.perf_counter() - t0) * 1000)
        drv["commit_config(merge)"] = statistics.median(commit)
        drv["rollback"] = statistics.median(rollback)
        if d.get_config(retrieve="running")["running"] != before:
            print("warning: running config differs after the bench (someone else changed it?)")

    # --- peers ---------------------------------------------------------------------------------------
    def pm_connect() -> paramiko.SSHClient:
        c = paramiko.SSHClient()
        c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        c.connect(
            "127.0.0.1",
            port=port,
            username=kw["username"],
            key_filename=key,
            allow_agent=False,
            look_for_keys=False,
        )
        return c

    def pm_open_close() -> None:
        pm_connect().close()

    rows[0] = ("open+close", rows[0][1], "paramiko connect+close", timed(pm_open_close, a.n))
    c = pm_connect()

    def pm(cmd: str, stdin: str | None = None) -> str:
        i, o, _ = c.exec_command(cmd)
        if stdin is not None:
            i.write(stdin)
        i.channel.shutdown_write()
        out = o.read().decode()
        o.channel.recv_exit_status()
        return out

    peer = {
        "get_config(running)": (
            "paramiko vtysh show run",
            timed(lambda: pm("vtysh -c 'show running-config'"), a.n),
        ),
        "get_interfaces_ip": ("paramiko ip -j addr", timed(lambda: pm("ip -j addr show"), a.n)),
        "get_route_to": (
            "paramiko vtysh show ip route json",
            timed(lambda: pm("vtysh -c 'show ip route 10.254.0.1 json'"), a.n),
        ),
        "ping(count=1)": ("paramiko ping -c1", timed(lambda: pm("ping -c1 -W1 10.254.0.1"), a.n)),
    }
    merge, undo = [], []
    for _ in range(a.n):
        t0 = time.perf_counter()
        pm("cat > /tmp/bench.conf && vtysh -f /tmp/bench.conf && vtysh -c 'write memory'", FRAGMENT)
        merge.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        pm(
            "cat > /tmp/bench-before.conf && /usr/lib/frr/frr-reload.py --reload "
            "/tmp/bench-before.conf && vtysh -c 'write memory'",
            before,
        )
        undo.append((time.perf_counter() - t0) * 1000)
    peer["commit_config(merge)"] = ("paramiko vtysh -f (no snapshot/validation)", statistics.median(merge))
    peer["rollback"] = ("paramiko frr-reload.py --reload", statistics.median(undo))
    c.close()

    nm = ConnectHandler(
        device_type="linux",
        host="127.0.0.1",
        port=port,
        username=kw["username"],
        use_keys=True,
        key_file=key,
        allow_agent=False,
    )
    peer["get_facts"] = (
        "netmiko linux: hostname+show version",
        timed(lambda: (nm.send_command("hostname"), nm.send_command("vtysh -c 'show version'")), a.n),
    )
    peer["get_bgp_neighbors"] = (
        "netmiko linux: vtysh show bgp neighbors json",
        timed(lambda: nm.send_command(shlex.join(["vtysh", "-c", "show bgp vrf all neighbors json"])), a.n),
    )
    nm.disconnect()

    for name, ms in drv.items():
        pname, pms = peer.get(name, ("", None))
        rows.append((name, ms, pname, pms))
    print(f"napalm_frr on {a.device} (127.0.0.1:{port}), median of {a.n} runs")
    print(f"{'operation':24} {'driver ms':>10} {'peer ms':>9} {'ratio':>6}  peer")
    for name, ms, pname, pms in rows:
        ratio = f"{ms / pms:6.2f}" if pms else "     -"
        pm_s = f"{pms:9.1f}" if pms else "        -"
        print(f"{name:24} {ms:10.1f} {pm_s} {ratio}  {pname}")


if __name__ == "__main__":
    main()
