"""Run the Ansible peer (site.yml) for N requests on the lab, timed, and clean up after it.

The peer does the unguarded part of step 7 for N requests with 5 forks: NetBox (netbox.netbox),
an FRR snippet (frr.frr cliconf through ansible.netcommon.cli_config) and a Zabbix host
(community.zabbix over httpapi). It runs from its own venv (``ansible`` 10.7.0, the last release
that ships frr.frr) in ~/.cache/netprov, never from netprov's.

The lab's routers log in to bash; network_cli wants the router CLI. For the run, a throwaway key
whose authorized_keys line forces ``vtysh`` is added to the lab and removed afterwards.

Usage (root, lab up)::

    .venv/bin/python benchmarks/peers/ansible/peer.py -n 20 [--forks 5] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from netprov.settings import Settings, load_settings

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
ANSIBLE_VERSION = "10.7.0"
PEER_PREFIX = "peer-req-"
ZABBIX_GROUP = "Peer/ansible"
ROUTERS = ("dist-batamkota1", "dist-sekupang1")


def peer_venv(settings: Settings) -> Path:
    return Path(settings.cache_dir) / f"ansible-{ANSIBLE_VERSION}"


def ensure_ansible(settings: Settings) -> Path:
    """The peer's venv with ansible (+ pynetbox, paramiko, netaddr for its collections)."""
    venv = peer_venv(settings)
    if not (venv / "bin" / "ansible-playbook").exists():
        uv = shutil.which("uv") or "uv"
        subprocess.run([uv, "venv", "-q", "-p", "python3.11", str(venv)], check=True)
        subprocess.run(
            [
                uv,
                "pip",
                "install",
                "-q",
                f"ansible=={ANSIBLE_VERSION}",
                "pynetbox==7.4.1",
                "paramiko",
                "netaddr",
            ],
            check=True,
            env={**os.environ, "VIRTUAL_ENV": str(venv)},
        )
    return venv


def _router_ports() -> dict[str, int]:
    hosts = yaml.safe_load((REPO / "inventory" / "hosts.yaml").read_text(encoding="utf-8"))
    return {name: int(h["port"]) for name, h in hosts.items() if name in ROUTERS}


@contextmanager
def vtysh_key(settings: Settings, workdir: Path) -> Iterator[Path]:
    """A key pair whose login is the router CLI, allowed on the lab routers during the run."""
    key = workdir / "peer_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    line = f'command="/usr/bin/vtysh" {(workdir / "peer_ed25519.pub").read_text().strip()}\n'
    auth = Path(settings.lab_dir) / "devices" / "authorized_keys"
    before = auth.read_text(encoding="utf-8")
    auth.write_text(before + line, encoding="utf-8")
    try:
        yield key
    finally:
        now = auth.read_text(encoding="utf-8")
        auth.write_text(now.replace(line, ""), encoding="utf-8")


def inventory(settings: Settings, n: int, key: Path, venv: Path) -> dict[str, Any]:
    """One host per request, the two distribution routers, and the Zabbix API."""
    ports = _router_ports()
    zabbix = str(settings.zabbix_url or "http://127.0.0.1:8081")
    zhost, _, zport = zabbix.split("://", 1)[1].partition(":")
    requests = {f"{PEER_PREFIX}{i:02d}": {"router": ROUTERS[i % len(ROUTERS)]} for i in range(1, n + 1)}
    return {
        "all": {
            "children": {
                "requests": {
                    "hosts": requests,
                    "vars": {
                        "ansible_connection": "local",
                        "ansible_python_interpreter": str(venv / "bin" / "python"),
                        "pool": "10.100.0.0/16",
                        "zabbix_group": ZABBIX_GROUP,
                    },
                },
                "routers": {
                    "hosts": {r: {"ansible_host": "127.0.0.1", "ansible_port": p} for r, p in ports.items()},
                    "vars": {
                        "ansible_connection": "ansible.netcommon.network_cli",
                        "ansible_network_os": "frr.frr.frr",
                        "ansible_user": "root",
                        "ansible_ssh_private_key_file": str(key),
                        "ansible_network_cli_ssh_type": "paramiko",
                    },
                },
                "zabbix": {
                    "hosts": {
                        "zabbix-lab": {"ansible_host": zhost, "ansible_httpapi_port": int(zport or 80)}
                    },
                    "vars": {
                        "ansible_connection": "httpapi",
                        "ansible_network_os": "community.zabbix.zabbix",
                        "ansible_httpapi_use_ssl": False,
                        "ansible_zabbix_url_path": "",
                        "ansible_zabbix_auth_key": "{{ lookup('ansible.builtin.env', 'PEER_ZABBIX_TOKEN') }}",
                    },
                },
            }
        }
    }


def _env(settings: Settings, workdir: Path) -> dict[str, str]:
    token = settings.netbox_token.get_secret_value() if settings.netbox_token else ""
    ztoken = settings.zabbix_token.get_secret_value() if settings.zabbix_token else ""
    return {
        **os.environ,
        "PEER_NETBOX_URL": str(settings.netbox_url),
        "PEER_NETBOX_TOKEN": token,
        "PEER_ZABBIX_TOKEN": ztoken,
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_LOCAL_TEMP": str(workdir / "tmp"),
        "ANSIBLE_PERSISTENT_CONNECT_TIMEOUT": "30",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_PYTHON_INTERPRETER": "auto_silent",
    }


def ensure_group(settings: Settings) -> None:
    """The Zabbix host group the peer's hosts go to (zabbix_host needs it to exist)."""
    from netprov.app import App

    for backend in App(settings).monitors:
        if backend.name != "zabbix":
            continue
        api: Any = backend
        if not api.call("hostgroup.get", {"filter": {"name": [ZABBIX_GROUP]}}):
            api.call("hostgroup.create", {"name": ZABBIX_GROUP})


def run_peer(settings: Settings, n: int, forks: int = 5) -> float:
    """Run the playbook for ``n`` requests; its wall time in seconds (setup not counted)."""
    venv = ensure_ansible(settings)
    ensure_group(settings)
    with tempfile.TemporaryDirectory(prefix="netprov-peer-") as tmp:
        work = Path(tmp)
        (work / "tmp").mkdir()
        with vtysh_key(settings, work) as key:
            inv = work / "inventory.yaml"
            inv.write_text(yaml.safe_dump(inventory(settings, n, key, venv)), encoding="utf-8")
            cmd = [
                str(venv / "bin" / "ansible-playbook"),
                "-i",
                str(inv),
                "-f",
                str(forks),
                str(HERE / "site.yml"),
            ]
            t0 = time.monotonic()
            proc = subprocess.run(cmd, env=_env(settings, work), capture_output=True, text=True)
            seconds = time.monotonic() - t0
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-40:])
        raise RuntimeError(f"ansible-playbook exited {proc.returncode}:\n{tail}\n{proc.stderr[-2000:]}")
    return seconds


def vtysh(key: Path, port: int, script: str, check: bool) -> None:
    """Run ``script`` in vtysh on the lab router whose SSH is on 127.0.0.1:``port``."""
    ssh = ["ssh", "-q", "-i", str(key), "-p", str(port), "-o", "StrictHostKeyChecking=no"]
    ssh += ["-o", "UserKnownHostsFile=/dev/null", "root@127.0.0.1", "vtysh"]
    subprocess.run(ssh, input=script, text=True, capture_output=True, check=check)


def cleanup(settings: Settings) -> dict[str, int]:
    """Remove what the peer made: NetBox prefixes and IPs, Zabbix hosts, routes on the routers."""
    import pynetbox

    nb = pynetbox.api(
        str(settings.netbox_url),
        token=settings.netbox_token.get_secret_value() if settings.netbox_token else None,
    )
    ips = [
        ip for ip in nb.ipam.ip_addresses.filter(q=PEER_PREFIX) if str(ip.description).startswith(PEER_PREFIX)
    ]
    prefixes = [
        p for p in nb.ipam.prefixes.filter(q=PEER_PREFIX) if str(p.description).startswith(PEER_PREFIX)
    ]
    lans = [str(p.prefix) for p in prefixes]
    for obj in ips + prefixes:
        obj.delete()
    key = Path(settings.lab_dir) / "devices" / "id_ed25519"
    for port in _router_ports().values():
        script = "\n".join(
            ["configure terminal", *[f"no ip route {lan} Null0 tag 29" for lan in lans], "end"]
        )
        vtysh(key, port, script, check=False)
    hosts = 0
    from netprov.app import App

    for backend in App(settings).monitors:
        if backend.name != "zabbix":
            continue
        api: Any = backend
        found = api.call("host.get", {"search": {"host": PEER_PREFIX}, "output": ["hostid"]})
        if found:
            api.call("host.delete", [h["hostid"] for h in found])
            hosts += len(found)
    return {"ips": len(ips), "prefixes": len(prefixes), "zabbix_hosts": hosts}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--forks", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="leave what the peer made (for a look)")
    args = ap.parse_args()
    settings = load_settings()
    cleanup(settings)
    seconds = run_peer(settings, args.n, args.forks)
    print(f"ansible peer: {args.n} requests, {args.forks} forks: {seconds:.1f} s")
    if not args.keep:
        print(f"cleaned up: {cleanup(settings)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
