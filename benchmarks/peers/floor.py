"""The floor of issue 13's batch benchmark: the same unguarded job as the Ansible peer, in direct
API calls. One list-POST of N /29s to NetBox's available-prefixes, one bulk POST of the 2N
addresses, one SSH ``vtysh`` session per router in parallel carrying every route for it, one
Zabbix ``host.create`` with an array. Nothing checked, nothing undone: no tool can be faster.

Usage (root, lab up)::

    .venv/bin/python benchmarks/peers/floor.py -n 20
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent / "ansible"))

from peer import PEER_PREFIX, ROUTERS, ZABBIX_GROUP, _router_ports, cleanup, ensure_group, vtysh

from netprov.settings import Settings, load_settings

POOL = "10.100.0.0/16"


def _nb(settings: Settings) -> tuple[str, dict[str, str]]:
    token = settings.netbox_token.get_secret_value() if settings.netbox_token else ""
    return str(settings.netbox_url).rstrip("/"), {
        "Authorization": f"Token {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


def _zabbix(settings: Settings) -> Any:
    from netprov.app import App

    return next(b for b in App(settings).monitors if b.name == "zabbix")


def run_floor(settings: Settings, n: int) -> tuple[float, int]:
    """The floor for ``n`` requests: wall seconds and API/SSH calls made."""
    url, headers = _nb(settings)
    zbx = _zabbix(settings)
    ensure_group(settings)
    group = zbx.call("hostgroup.get", {"filter": {"name": [ZABBIX_GROUP]}})[0]["groupid"]
    template = zbx.call("template.get", {"filter": {"host": "ICMP Ping"}, "output": ["templateid"]})[0][
        "templateid"
    ]
    with requests.Session() as http:
        http.headers.update(headers)
        pool = http.get(f"{url}/api/ipam/prefixes/", params={"prefix": POOL}, timeout=30).json()["results"][0]
        names = [f"{PEER_PREFIX}{i:02d}" for i in range(1, n + 1)]
        t0 = time.monotonic()
        got = http.post(
            f"{url}/api/ipam/prefixes/{pool['id']}/available-prefixes/",
            json=[{"prefix_length": 29, "description": name} for name in names],
            timeout=60,
        )
        got.raise_for_status()
        lans = [ipaddress.ip_network(p["prefix"]) for p in got.json()]
        addresses = []
        for name, lan in zip(names, lans, strict=True):
            hosts = list(lan.hosts())
            addresses += [
                {"address": f"{hosts[0]}/{lan.prefixlen}", "description": f"{name} gateway"},
                {"address": f"{hosts[1]}/{lan.prefixlen}", "description": f"{name} cpe"},
            ]
        http.post(f"{url}/api/ipam/ip-addresses/", json=addresses, timeout=60).raise_for_status()
    per_router: dict[str, list[str]] = {r: [] for r in ROUTERS}
    for i, lan in enumerate(lans, start=1):
        per_router[ROUTERS[i % len(ROUTERS)]].append(f"ip route {lan} Null0 tag 29")
    key = Path(settings.lab_dir) / "devices" / "id_ed25519"
    ports = _router_ports()

    def push(router: str) -> None:
        script = "\n".join(["configure terminal", *per_router[router], "end"])
        vtysh(key, ports[router], script, check=True)

    with ThreadPoolExecutor(len(ROUTERS)) as pool_exec:
        list(pool_exec.map(push, [r for r in ROUTERS if per_router[r]]))
    zbx.call(
        "host.create",
        [
            {
                "host": name,
                "groups": [{"groupid": group}],
                "templates": [{"templateid": template}],
                "interfaces": [
                    {
                        "type": 1,
                        "main": 1,
                        "useip": 1,
                        "ip": str(next(lan.hosts())),
                        "dns": "",
                        "port": "10050",
                    }
                ],
            }
            for name, lan in zip(names, lans, strict=True)
        ],
    )
    return time.monotonic() - t0, 2 + len([r for r in ROUTERS if per_router[r]]) + 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=20)
    args = ap.parse_args()
    settings = load_settings()
    cleanup(settings)
    seconds, calls = run_floor(settings, args.n)
    print(f"floor: {args.n} requests in {seconds:.2f} s, {calls} calls")
    print(f"cleaned up: {cleanup(settings)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
