"""The device lab: FRR and BIRD routers in network namespaces, fake-switches, the probe link.

``up`` builds the plan of :mod:`netprov_lab.devices_plan` from ``inventory/topology.yaml``:

* one network namespace ``np-<device>`` per router, plus private UTS and mount namespaces
  (``unshare --uts --mount``) in which the router's own directories are bind-mounted on
  ``/etc/frr`` + ``/run/frr`` (FRR) or ``/etc/bird`` + ``/run/bird`` (BIRD), so vtysh,
  frr-reload.py, ``write memory`` and birdc run with their default paths;
* zebra, staticd, ospfd, bgpd (bgpd on port 179: each namespace has its own stack) or bird;
* an sshd inside each namespace (root login with the lab's ed25519 key only, a bash login,
  SFTP), exposed on ``127.0.0.1:<ssh_port>`` by a socat in the root namespace;
* veth cables renamed to the routers' interface names; backbone links addressed by the
  baseline configs, department links (cpe_links) up but unaddressed; CPEs get a dummy ``lan1``;
* the probe namespace (``netprov-mon``) wired to the core: only lab prefixes routed, no default;
* fake-switches (Cisco IOS style) for the access switches, all in one process.

Nothing here adds a route in the root namespace, and no lab namespace gets a default route.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from netprov.domain.topology import load_topology
from netprov.errors import LabError
from netprov.settings import Settings
from netprov_lab import Progress, clear_state, require_root, write_state
from netprov_lab import devices_fs as fs
from netprov_lab.devices_plan import (
    FRR_DAEMONS,
    NS_PREFIX,
    SSH_PORT_IN_NS,
    VETH_PREFIX,
    LabPlan,
    Router,
    build_plan,
)
from netprov_lab.devices_sys import (
    PACKAGES,
    ensure_packages,
    kill_pids,
    netns_list,
    netns_pids,
    port_listeners,
    run,
    ssh_banner,
    wait_ports,
)
from netprov_lab.proc import cmdline, pid_alive, read_pid

PART = "devices"
USERNAME = "root"
PROBE_VETH = (f"{VETH_PREFIX}pa", f"{VETH_PREFIX}pb")
VETH_NAME = re.compile(rf"{VETH_PREFIX}(\d+|p)[ab]")


# --- paths ----------------------------------------------------------------------------------
def lab_root(settings: Settings) -> Path:
    return settings.lab_dir / PART


def key_file(settings: Settings) -> Path:
    return lab_root(settings) / "id_ed25519"


def router_dir(settings: Settings, name: str) -> Path:
    return lab_root(settings) / name


def _plan(settings: Settings) -> LabPlan:
    return build_plan(load_topology(settings.topology_file))


# --- public contract --------------------------------------------------------------------------
def up(settings: Settings, progress: Progress) -> dict[str, Any]:
    """Bring the router network up (idempotent: a healthy lab is left running as it is)."""
    require_root("netprov lab up devices")
    plan = _plan(settings)
    t0 = time.monotonic()
    if _healthy(settings, plan):
        _wire_probe(plan)
        progress("already up")
        return status(settings)
    ensure_packages(PACKAGES, progress)
    progress("clearing leftovers")
    _teardown(settings, plan)
    _keys(settings)
    switches = None
    if plan.switches:
        progress(f"starting {len(plan.switches)} fake-switches")
        switches = fs.launch(settings.lab_dir, settings.cache_dir, plan.switches)
    progress(f"creating {len(plan.routers)} router namespaces and {len(plan.veths)} cables")
    for r in plan.routers:
        _prepare_dirs(settings, r)
        _create_netns(r)
    _cable(plan)
    for r in plan.routers:
        _configure_kernel(r)
    progress("starting FRR, BIRD and sshd")
    with ThreadPoolExecutor(max_workers=len(plan.routers)) as pool:
        list(pool.map(lambda r: _start_router(settings, r), plan.routers))
    for r in plan.routers:
        _start_socat(settings, r)
    _wire_probe(plan)
    fs.wait_ready(settings.lab_dir, switches)
    missing = wait_ports([r.port for r in plan.routers], timeout=20)
    if missing:
        raise LabError(f"routers on ports {missing} do not answer SSH; see {lab_root(settings)}")
    _record_state(settings, plan)
    if _wait_converged(plan, timeout=30):
        progress("OSPF and eBGP converged")
    else:
        progress("warning: routing has not converged after 30 s (see the routers' logs)")
    progress(f"up in {time.monotonic() - t0:.1f} s")
    return status(settings)


def down(settings: Settings, progress: Progress) -> None:
    """Stop everything the device lab started; leave no namespace, process or port."""
    require_root("netprov lab down devices")
    t0 = time.monotonic()
    plan = _plan(settings)
    _teardown(settings, plan)
    clear_state(settings.lab_dir, PART)
    progress(f"down in {time.monotonic() - t0:.1f} s")


def status(settings: Settings) -> dict[str, Any]:
    """Every device: name, platform, role, host, port, credentials file, up/down."""
    plan = _plan(settings)
    namespaces = set(netns_list())
    devices: list[dict[str, Any]] = []
    for r in plan.routers:
        devices.append(
            {
                "name": r.name,
                "platform": r.platform,
                "role": r.role,
                "host": "127.0.0.1",
                "port": r.port,
                "username": USERNAME,
                "credentials": str(key_file(settings)),
                "netns": r.netns,
                "state": "up" if r.netns in namespaces and ssh_banner(r.port, 1.0) else "down",
            }
        )
    for s in plan.switches:
        devices.append(
            {
                "name": s.name,
                "platform": s.platform,
                "role": s.role,
                "host": "127.0.0.1",
                "port": s.port,
                "username": fs.SWITCH_USER,
                "credentials": str(fs.password_path(settings.lab_dir)),
                "state": "up" if ssh_banner(s.port, 1.0) else "down",
            }
        )
    up_count = sum(1 for d in devices if d["state"] == "up")
    probe_wired = plan.probe_ns in namespaces and _probe_link_present(plan)
    return {
        "state": "up" if up_count == len(devices) else ("down" if up_count == 0 else "partial"),
        "devices": devices,
        "probe": {
            "namespace": plan.probe_ns,
            "address": plan.probe_address,
            "gateway": plan.probe_gateway,
            "wired": probe_wired,
        },
    }


# --- building ---------------------------------------------------------------------------------
def _keys(settings: Settings) -> None:
    root = lab_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    key = key_file(settings)
    if not key.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "netprov-lab", "-f", str(key)])
    host_key = root / "ssh_host_ed25519_key"
    if not host_key.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)])
    auth = root / "authorized_keys"
    auth.write_text(key.with_suffix(".pub").read_text(encoding="ascii"), encoding="ascii")
    auth.chmod(0o600)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)


def _prepare_dirs(settings: Settings, r: Router) -> None:
    d = router_dir(settings, r.name)
    for sub in ("etc", "run", "log", "home"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    (d / "home").chmod(0o700)
    for rc in (".bashrc", ".profile"):
        (d / "home" / rc).write_text("# netprov lab router\n", encoding="utf-8")
    for f in (d / "run").iterdir():
        f.unlink()
    if r.platform == "frr":
        (d / "etc" / "frr.conf").write_text(r.baseline, encoding="utf-8")
        (d / "etc" / "vtysh.conf").write_text("service integrated-vtysh-config\n", encoding="utf-8")
        daemons = "".join(f"{dm}=yes\n" for dm in FRR_DAEMONS)
        (d / "etc" / "daemons").write_text(daemons, encoding="utf-8")
        # a fresh baseline: no rollback point, pending timer or commit log of an earlier run
        shutil.rmtree(d / "etc" / "netprov", ignore_errors=True)
        (d / "etc" / "netprov").mkdir()
        run(["chown", "-R", "frr:frr", str(d / "etc"), str(d / "run"), str(d / "log")])
        for f in (d / "etc").glob("*.conf"):
            f.chmod(0o640)
        Path("/run/frr").mkdir(exist_ok=True)
        Path("/var/log/frr").mkdir(exist_ok=True)
    else:
        (d / "etc" / "bird.conf").write_text(r.baseline, encoding="utf-8")
        Path("/run/bird").mkdir(exist_ok=True)
        Path("/etc/bird").mkdir(exist_ok=True)
    _write_sshd_config(settings, r)
    _write_start_script(settings, r)


def _write_sshd_config(settings: Settings, r: Router) -> None:
    root, d = lab_root(settings), router_dir(settings, r.name)
    (d / "sshd_config").write_text(
        f"Port {SSH_PORT_IN_NS}\n"
        "ListenAddress 127.0.0.1\n"
        f"HostKey {root / 'ssh_host_ed25519_key'}\n"
        f"PidFile {d / 'run' / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {root / 'authorized_keys'}\n"
        "PermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "UsePAM no\n"
        "StrictModes no\n"
        "PrintMotd no\n"
        "PrintLastLog no\n"
        "MaxStartups 64:30:128\n"
        "MaxSessions 64\n"
        "SetEnv VTYSH_PAGER=cat\n"
        "Subsystem sftp internal-sftp\n",
        encoding="utf-8",
    )


def _write_start_script(settings: Settings, r: Router) -> None:
    d = router_dir(settings, r.name)
    # the router's own (empty) home on /root: logins skip the host's shell profile
    lines = ["set -e", f"hostname {r.name}", "mount --make-rprivate /", f"mount --bind {d / 'home'} /root"]
    if r.platform == "frr":
        # daemons (user frr) reach their files only through the bind mounts, so the lab dir
        # need not be traversable by frr
        lines += [
            f"mount --bind {d / 'etc'} /etc/frr",
            f"mount --bind {d / 'run'} /run/frr",
            f"mount --bind {d / 'log'} /var/log/frr",
            "set +e",
        ]
        for dm in FRR_DAEMONS:
            lines.append(
                f"/usr/lib/frr/{dm} -d -u frr -g frr -P 0 -i /run/frr/{dm}.pid "
                f"--log file:/var/log/frr/{dm}.log || echo FAILED {dm}"
            )
        lines.append(f"vtysh -b >{d / 'log' / 'vtysh-b.log'} 2>&1 || echo FAILED vtysh -b")
    else:
        lines += [
            f"mount --bind {d / 'etc'} /etc/bird",
            f"mount --bind {d / 'run'} /run/bird",
            "set +e",
            "/usr/sbin/bird -c /etc/bird/bird.conf -s /run/bird/bird.ctl "
            "-P /run/bird/bird.pid || echo FAILED bird",
        ]
    lines.append(f"/usr/sbin/sshd -f {d / 'sshd_config'} -E {d / 'log' / 'sshd.log'} || echo FAILED sshd")
    (d / "start.sh").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _create_netns(r: Router) -> None:
    run(["ip", "netns", "add", r.netns])
    run(["ip", "-n", r.netns, "link", "set", "lo", "up"])
    # forwarding on (also IPv6, so FRR's running config shows no "no ipv6 forwarding" line)
    for key, value in (
        ("net.ipv4.ip_forward", "1"),
        ("net.ipv4.conf.all.rp_filter", "0"),
        ("net.ipv4.conf.default.rp_filter", "0"),
        ("net.ipv6.conf.all.forwarding", "1"),
    ):
        run(["ip", "netns", "exec", r.netns, "sysctl", "-qw", f"{key}={value}"], check=False)


def _cable(plan: LabPlan) -> None:
    for v in plan.veths:
        run(
            [
                "ip",
                "link",
                "add",
                v.tmp_a,
                "netns",
                v.a_ns,
                "type",
                "veth",
                "peer",
                "name",
                v.tmp_b,
                "netns",
                v.b_ns,
            ]
        )
        run(["ip", "-n", v.a_ns, "link", "set", v.tmp_a, "name", v.a_if, "up"])
        run(["ip", "-n", v.b_ns, "link", "set", v.tmp_b, "name", v.b_if, "up"])


def _configure_kernel(r: Router) -> None:
    for dummy in r.dummies:
        # a dummy interface; kernels built without the dummy driver get an empty bridge
        # (also up, carrier on, no address)
        made = run(["ip", "-n", r.netns, "link", "add", dummy, "type", "dummy"], check=False)
        if made.returncode != 0:
            run(["ip", "-n", r.netns, "link", "add", dummy, "type", "bridge"])
        run(["ip", "-n", r.netns, "link", "set", dummy, "up"])
    for ifname, cidr in r.kernel_addresses:
        run(["ip", "-n", r.netns, "addr", "add", cidr, "dev", ifname])


def _start_router(settings: Settings, r: Router) -> None:
    d = router_dir(settings, r.name)
    proc = run(
        ["ip", "netns", "exec", r.netns, "unshare", "--uts", "--mount", "sh", str(d / "start.sh")],
        check=False,
        timeout=60,
    )
    if "FAILED" in proc.stdout or proc.returncode != 0:
        raise LabError(
            f"{r.name}: start failed: {(proc.stdout + proc.stderr).strip()[-300:]} (logs in {d / 'log'})"
        )


def _start_socat(settings: Settings, r: Router) -> None:
    d = router_dir(settings, r.name)
    for pid in port_listeners(r.port):
        raise LabError(f"port 127.0.0.1:{r.port} for {r.name} is taken by pid {pid} ({cmdline(pid)[:60]})")
    target = f"ip netns exec {r.netns} socat STDIO TCP\\:127.0.0.1\\:{SSH_PORT_IN_NS}"
    with (d / "log" / "socat.log").open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            ["socat", f"TCP-LISTEN:{r.port},bind=127.0.0.1,reuseaddr,fork", f"EXEC:{target}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
            close_fds=True,
        )
    (d / "socat.pid").write_text(f"{proc.pid}\n", encoding="ascii")


def _probe_link_present(plan: LabPlan) -> bool:
    proc = run(["ip", "-n", plan.probe_ns, "-o", "addr", "show", "dev", plan.probe_if], check=False)
    return proc.returncode == 0 and plan.probe_address.split("/")[0] in proc.stdout


def _wire_probe(plan: LabPlan) -> None:
    """Wire the probe namespace to the core; only lab prefixes routed (idempotent)."""
    if plan.probe_ns not in netns_list():
        run(["ip", "netns", "add", plan.probe_ns])
        run(["ip", "-n", plan.probe_ns, "link", "set", "lo", "up"])
    if not _probe_link_present(plan):
        run(["ip", "-n", plan.probe_ns, "link", "del", plan.probe_if], check=False)
        run(["ip", "-n", plan.probe_core, "link", "del", plan.probe_core_if], check=False)
        a, b = PROBE_VETH
        run(
            [
                "ip",
                "link",
                "add",
                a,
                "netns",
                plan.probe_core,
                "type",
                "veth",
                "peer",
                "name",
                b,
                "netns",
                plan.probe_ns,
            ]
        )
        run(["ip", "-n", plan.probe_core, "link", "set", a, "name", plan.probe_core_if, "up"])
        run(["ip", "-n", plan.probe_ns, "link", "set", b, "name", plan.probe_if, "up"])
        run(["ip", "-n", plan.probe_ns, "addr", "add", plan.probe_address, "dev", plan.probe_if])
        # zebra owns the core end's address (baseline config); re-apply it if zebra lost it
        # because the interface was recreated.
        run(
            [
                "ip",
                "netns",
                "exec",
                plan.probe_core,
                "sh",
                "-c",
                f"ip -o addr show dev {plan.probe_core_if} | grep -q inet || "
                f"ip addr add {plan.probe_core_address} dev {plan.probe_core_if}",
            ],
            check=False,
        )
    for prefix in plan.probe_routes:
        run(
            [
                "ip",
                "-n",
                plan.probe_ns,
                "route",
                "replace",
                prefix,
                "via",
                plan.probe_gateway,
                "dev",
                plan.probe_if,
            ]
        )


def _record_state(settings: Settings, plan: LabPlan) -> None:
    devices: dict[str, Any] = {}
    for r in plan.routers:
        devices[r.name] = {
            "platform": r.platform,
            "role": r.role,
            "host": "127.0.0.1",
            "port": r.port,
            "username": USERNAME,
            "key_file": str(key_file(settings)),
            "netns": r.netns,
        }
    for s in plan.switches:
        devices[s.name] = {
            "platform": s.platform,
            "role": s.role,
            "host": "127.0.0.1",
            "port": s.port,
            "username": fs.SWITCH_USER,
            "password_file": str(fs.password_file(settings.lab_dir)),
        }
    write_state(
        settings.lab_dir,
        PART,
        {
            "username": USERNAME,
            "key_file": str(key_file(settings)),
            "devices": devices,
            "probe": {
                "namespace": plan.probe_ns,
                "address": plan.probe_address,
                "gateway": plan.probe_gateway,
            },
        },
    )


def _convergence_checks(plan: LabPlan) -> list[tuple[str, str, str]]:
    """(netns, prefix, protocol) routes that exist once OSPF and eBGP have converged."""
    checks: list[tuple[str, str, str]] = []
    core = next((r for r in plan.routers if r.role == "core"), None)
    dists = [r for r in plan.routers if r.role == "distribution"]
    provider = next((r for r in plan.routers if r.role == "provider"), None)
    for a in dists:
        for b in dists:
            if a is not b:
                checks.append((a.netns, _loopback_of(b), "ospf"))
    if core and provider:
        checks.append((core.netns, _loopback_of(provider), "bgp"))
    return [c for c in checks if c[1]]


def _loopback_of(r: Router) -> str:
    for line in r.baseline.splitlines():
        if line.startswith(" ip address 10.254.") and "/32" in line:
            return line.split()[-1].split("/")[0]
    for ifname, cidr in r.kernel_addresses:
        if ifname == "lo":
            return cidr.split("/")[0]
    return ""


def _wait_converged(plan: LabPlan, timeout: float) -> bool:
    pending = _convergence_checks(plan)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        pending = [
            (ns, dst, proto)
            for ns, dst, proto in pending
            if f"proto {proto}" not in run(["ip", "-n", ns, "route", "show", dst], check=False).stdout
        ]
        if pending:
            time.sleep(0.2)
    return not pending


# --- health and teardown ------------------------------------------------------------------------
def _healthy(settings: Settings, plan: LabPlan) -> bool:
    if not (settings.lab_dir / "state" / f"{PART}.json").exists():
        return False
    namespaces = set(netns_list())
    if any(r.netns not in namespaces or not netns_pids(r.netns) for r in plan.routers):
        return False
    return all(ssh_banner(p, 1.0) for p in [r.port for r in plan.routers] + [s.port for s in plan.switches])


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    kill_pids([pid], grace=0.5)


def _teardown(settings: Settings, plan: LabPlan) -> None:
    """Kill by pid files, then whatever runs in our namespaces; delete namespaces and veths."""
    pids: list[int] = []
    for r in plan.routers:
        d = router_dir(settings, r.name)
        socat = read_pid(d / "socat.pid")
        if socat and pid_alive(socat) and "socat" in cmdline(socat):
            _kill_group(socat)
        (d / "socat.pid").unlink(missing_ok=True)
        if (d / "run").is_dir():
            for f in (d / "run").glob("*.pid"):
                pid = read_pid(f)
                if pid:
                    pids.append(pid)
    fs.stop(settings.lab_dir)
    # only the namespaces of our routers: other parts use the np- prefix for their own
    mine = {r.netns for r in plan.routers}
    ours = [ns for ns in netns_list() if ns in mine]
    for ns in ours:
        pids += netns_pids(ns)
    kill_pids([p for p in pids if pid_alive(p)], grace=1.0)
    for ns in ours:
        left = netns_pids(ns)
        if left:
            kill_pids(left, grace=0.5)
        run(["ip", "netns", "del", ns], check=False)
    # stale socat relays (a killed run lost its pid files) on our ports
    for port in [r.port for r in plan.routers] + [s.port for s in plan.switches]:
        for pid in port_listeners(port):
            line = cmdline(pid)
            if ("socat" in line and NS_PREFIX in line) or fs.SCRIPT.name in line:
                _kill_group(pid)
    proc = run(["ip", "-o", "link", "show"], check=False)
    for line in proc.stdout.splitlines():
        parts = line.split(":")
        if len(parts) > 1:
            name = parts[1].strip().split("@")[0]
            if VETH_NAME.fullmatch(name):
                run(["ip", "link", "del", name], check=False)
    if plan.probe_ns in netns_list() and not netns_pids(plan.probe_ns):
        run(["ip", "netns", "del", plan.probe_ns], check=False)
