"""``netprov lab up|down|status monitoring``: Zabbix 6.0 and Prometheus + blackbox, loopback only.

Every prober runs inside the probe namespace (``probe.namespace`` in the topology, e.g.
``netprov-mon``): Zabbix's server (whose pinger runs fping) and the blackbox exporter. The
device lab wires that namespace to the core router; without the device lab it has no route at
all, so a probe fails right there and nothing leaves the machine. What the root namespace sees:

- Zabbix frontend + API  http://127.0.0.1:8081 (nginx + php-fpm, private configs)
- Zabbix server          127.0.0.1:10051 (socat into the namespace)
- Prometheus             http://127.0.0.1:9090
- blackbox exporter      http://127.0.0.1:9115 (socat into the namespace)

State: ``<lab dir>/monitoring/`` (configs, pid files, logs, token 0600) and
``<lab dir>/state/{zabbix,prometheus}.json`` for settings. ``down`` keeps the database.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from netprov.domain.topology import load_topology
from netprov.settings import Settings
from netprov_lab import Progress, clear_state, require_root, write_state
from netprov_lab import monitoring_proc as proc
from netprov_lab import monitoring_prom as prom
from netprov_lab import monitoring_zabbix as zbx

DEFAULT_NAMESPACE = "netprov-mon"
COMMON_PACKAGES = ["iproute2", "socat", "util-linux"]


SHARED_RUNTIME = Path("/var/lib/netprov")


def _traversable(path: Path) -> bool:
    """True if every existing directory on the way to ``path`` lets other users pass (o+x)."""
    p = path.resolve()
    for d in [p, *p.parents]:
        try:
            mode = d.stat().st_mode
        except FileNotFoundError:
            continue
        except OSError:
            return False
        if not mode & 0o001:
            return False
    return True


def monitoring_dir(settings: Settings) -> Path:
    """``<lab dir>/monitoring``; the daemons run as zabbix, prometheus and www-data, so when
    the lab dir is not reachable for other users (a checkout under /root), a directory of its
    own under /var/lib/netprov is used instead (the state files say where)."""
    lab = settings.lab_dir.resolve()
    if _traversable(lab):
        return lab / "monitoring"
    digest = hashlib.sha256(str(lab).encode()).hexdigest()[:10]
    return SHARED_RUNTIME / f"lab-{digest}" / "monitoring"


def zabbix_paths(settings: Settings) -> zbx.ZabbixPaths:
    return zbx.ZabbixPaths(monitoring_dir(settings) / "zabbix")


def prom_paths(settings: Settings) -> prom.PromPaths:
    return prom.PromPaths(monitoring_dir(settings) / "prometheus")


def probe_namespace(settings: Settings) -> str:
    """The probe namespace named in the topology (``probe.namespace``)."""
    try:
        return load_topology(settings.topology_file).probe.namespace
    except Exception:
        return DEFAULT_NAMESPACE


@contextmanager
def _lock(settings: Settings) -> Iterator[None]:
    """One `up`/`down` at a time (tests and users may start the lab concurrently)."""
    d = monitoring_dir(settings)
    d.mkdir(parents=True, exist_ok=True)
    with (d / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def up(settings: Settings, progress: Progress) -> dict[str, object]:
    """Start Zabbix and Prometheus + blackbox (idempotent); returns :func:`status`."""
    require_root("netprov lab up monitoring")
    with _lock(settings):
        _up(settings, progress)
    return status(settings)


def _step(progress: Progress, name: str, t0: float) -> float:
    now = time.monotonic()
    progress(f"{name} ({now - t0:.1f}s)")
    return now


def _orphan_markers(settings: Settings) -> list[str]:
    """What our daemons' command lines contain: the lab's config paths, the forwarders."""
    ns = probe_namespace(settings)
    zp, pp = zabbix_paths(settings), prom_paths(settings)
    return [
        f"-c {zp.server_conf}",  # zabbix_server
        f"({zp.etc / 'php-fpm.conf'})",  # php-fpm: master process (...)
        f"-c {zp.etc / 'nginx.conf'}",  # nginx: master process ...
        f"--config.file={pp.etc / 'prometheus.yml'}",
        f"--config.file={pp.etc / 'blackbox.yml'}",
        " ".join(proc.forwarder_argv(zbx.SERVER_PORT, ns)),
        " ".join(proc.forwarder_argv(prom.BLACKBOX_PORT, ns)),
    ]


def _reap_orphans(settings: Settings, progress: Progress) -> None:
    """Stop our daemons that no pid file knows (pid files lost): they would hold the ports."""
    zp, pp = zabbix_paths(settings), prom_paths(settings)
    known: set[int] = set()
    for pidfile, marker in (
        (zp.server_pid, "zabbix_server"),
        (zp.php_pid, "php-fpm"),
        (zp.nginx_pid, "nginx"),
        (zp.forward_pid, f"TCP-LISTEN:{zbx.SERVER_PORT}"),
        (pp.prom_pid, prom.PROM_MARKER),
        (pp.blackbox_pid, "blackbox"),
        (pp.forward_pid, f"TCP-LISTEN:{prom.BLACKBOX_PORT}"),
    ):
        pid = proc.alive(pidfile, marker)
        if pid:
            known.update(proc.descendants(pid))
    orphans = [p for p in proc.find_processes(_orphan_markers(settings)) if p not in known]
    # stop parents first (their children exit with them)
    parents = [p for p in orphans if proc.parent_pid(p) not in orphans]
    for pid in parents:
        proc.stop_pid(pid, 30)
    if parents:
        progress(f"stopped {len(parents)} leftover monitoring processes without pid files")


def _up(settings: Settings, progress: Progress) -> None:
    zp, pp = zabbix_paths(settings), prom_paths(settings)
    ns = probe_namespace(settings)
    _reap_orphans(settings, progress)
    t = time.monotonic()
    installed = proc.apt_ensure(
        COMMON_PACKAGES + zbx.PACKAGES + prom.PACKAGES, monitoring_dir(settings) / "log"
    )
    t = _step(progress, f"packages: {'installed ' + ' '.join(installed) if installed else 'present'}", t)
    created = proc.netns_ensure(ns)
    t = _step(progress, f"namespace {ns} {'created' if created else 'present'}", t)

    zbx.pg_start()
    imported = zbx.db_ensure(zp)
    t = _step(progress, f"database zabbix {'imported' if imported else 'present'}", t)
    zbx.write_configs(zp)
    zbx.ensure_fping_capability()
    zbx.start_server(zp, ns)
    zbx.start_forwarder(zp, ns)
    zbx.start_php_fpm(zp)
    zbx.start_nginx(zp)
    proc.wait_for("the Zabbix API on 127.0.0.1:8081", zbx.api_ready, 90)
    t = _step(progress, "zabbix server, frontend and API up", t)
    fresh = zbx.ensure_token(zp)
    write_state(
        settings.lab_dir,
        "zabbix",
        {
            "url": f"http://127.0.0.1:{zbx.WEB_PORT}",
            "api_url": zbx.api_url(),
            "token_file": str(zp.token_file),
            "server": f"127.0.0.1:{zbx.SERVER_PORT}",
            "namespace": ns,
        },
    )
    t = _step(progress, f"API token {'created' if fresh else 'valid'}", t)

    prom.ensure_icmp_capability()
    prom.write_configs(pp)
    prom.start_blackbox(pp, ns)
    prom.start_forwarder(pp, ns)
    prom.start_prometheus(pp)
    proc.wait_for("the blackbox exporter on 127.0.0.1:9115", prom.blackbox_healthy, 30)
    proc.wait_for("Prometheus on 127.0.0.1:9090", prom.prometheus_ready, 60)
    write_state(
        settings.lab_dir,
        "prometheus",
        {
            "url": prom.url(),
            "sd_dir": str(pp.sd_dir),
            "blackbox_url": f"http://127.0.0.1:{prom.BLACKBOX_PORT}",
            "namespace": ns,
        },
    )
    _step(progress, "prometheus and blackbox up", t)


def down(settings: Settings, progress: Progress) -> None:
    """Stop every monitoring daemon and forwarder by pid file; keep the database and targets.

    The probe namespace is removed when no process is left in it and it holds no interface
    but ``lo`` (an interface there is the device lab's wiring, which stays until that part
    goes down).
    """
    require_root("netprov lab down monitoring")
    with _lock(settings):
        stopped = prom.stop_all(prom_paths(settings)) + zbx.stop_all(zabbix_paths(settings))
        progress(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")
        _reap_orphans(settings, progress)
        clear_state(settings.lab_dir, "zabbix")
        clear_state(settings.lab_dir, "prometheus")
        ns = probe_namespace(settings)
        _drain_namespace(ns, progress)
        if proc.netns_exists(ns):
            pids, links = proc.netns_pids(ns), [x for x in proc.netns_links(ns) if x != "lo"]
            if not pids and not links:
                proc.netns_delete(ns)
                progress(f"namespace {ns} removed")
            else:
                progress(
                    f"namespace {ns} kept ({len(pids)} processes, interfaces: {', '.join(links) or 'lo'})"
                )


def _drain_namespace(ns: str, progress: Progress, timeout: float = 10.0) -> None:
    """Wait for the children of the stopped daemons (Zabbix pollers, fping) to leave the probe
    namespace; KILL what is still there after ``timeout`` (only netprov's probers run in it)."""
    deadline = time.monotonic() + timeout
    while proc.netns_pids(ns) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = proc.netns_pids(ns)
    for pid in left:
        proc.stop_pid(pid, 2)
    if left:
        progress(f"killed {len(left)} processes left in namespace {ns}")


def wipe(settings: Settings, progress: Progress) -> None:
    """``down``, then drop the Zabbix database and delete ``<lab dir>/monitoring`` (a cold start)."""
    down(settings, progress)
    with _lock(settings):
        zbx.db_drop()
        shutil.rmtree(monitoring_dir(settings), ignore_errors=True)
    progress("database zabbix dropped, lab files removed")


def status(settings: Settings) -> dict[str, object]:
    """Each daemon up/down, URLs, the probe namespace and its routes (never raises for down)."""
    zp, pp = zabbix_paths(settings), prom_paths(settings)
    ns = probe_namespace(settings)
    out: dict[str, Any] = {}
    out.update(zbx.daemon_status(zp))
    out["zabbix_url"] = f"http://127.0.0.1:{zbx.WEB_PORT}"
    out["zabbix_api"] = "answering" if zbx.api_ready() else "down"
    out["zabbix_token_file"] = str(zp.token_file) if zp.token_file.exists() else "missing"
    out.update(prom.daemon_status(pp))
    out["prometheus_url"] = prom.url()
    out["prometheus_ready"] = prom.prometheus_ready()
    out["prometheus_sd_dir"] = str(pp.sd_dir)
    out["targets"] = len(list(pp.sd_dir.glob("*.json"))) if pp.sd_dir.is_dir() else 0
    out["namespace"] = ns if proc.netns_exists(ns) else f"{ns} (absent)"
    routes = proc.netns_routes(ns)
    out["namespace_routes"] = routes or ["none: probes cannot leave the namespace"]
    daemons = [
        v
        for k, v in out.items()
        if k
        in (
            "zabbix_server",
            "zabbix_forwarder",
            "php_fpm",
            "nginx",
            "prometheus",
            "blackbox",
            "blackbox_forwarder",
        )
    ]
    out["state"] = (
        "up"
        if all(str(d).startswith("up") for d in daemons)
        else "down"
        if all(d == "down" for d in daemons)
        else "partial"
    )
    return out
