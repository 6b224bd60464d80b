"""The rendered FRR fragments and the BIRD config work on the REAL device lab.

Pushes one intranet and one internet link the way step 7 will (FRR: ``vtysh -f`` merge;
BIRD: replace ``bird.conf`` + ``birdc configure``), proves them with the playbook's kind of
checks (OSPF route on the core, pings inside the lab, BGP route at the provider, the
intranet filter), and restores every touched router to the config it had before.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable, Iterator
from typing import Any

import paramiko
import pytest

from netprov.domain.topology import load_topology
from netprov.render.link import RenderedConfig, render_link
from netprov.render.playbook import load_playbook
from netprov.settings import Settings, lab_state
from netprov_lab.samples import DEFAULT_SAMPLES_DIR, Sample, load_sample

pytestmark = [pytest.mark.lab, pytest.mark.devices]


class Router:
    """A lab router over SSH (the lab's key, 127.0.0.1)."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.client = paramiko.SSHClient()
        self.client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        self.client.connect(
            info["host"],
            port=int(info["port"]),
            username=info["username"],
            key_filename=info["key_file"],
            timeout=10,
            allow_agent=False,
            look_for_keys=False,
        )

    def run(self, cmd: str, stdin: str | None = None, check: bool = True) -> str:
        sin, sout, serr = self.client.exec_command(cmd, timeout=60)
        if stdin is not None:
            sin.write(stdin)
            sin.channel.shutdown_write()
        out = sout.read().decode()
        rc = sout.channel.recv_exit_status()
        if check:
            assert rc == 0, f"{cmd}: rc={rc} {out[-500:]} {serr.read().decode()[-500:]}"
        return out

    def vtysh(self, command: str) -> str:
        return self.run(f"vtysh -c {shlex.quote(command)}")

    def running(self) -> str:
        out = self.vtysh("show running-config")
        return out[out.index("frr version") :] if "frr version" in out else out

    def merge(self, text: str) -> None:
        self.run("cat > /tmp/netprov-fragment.conf && vtysh -f /tmp/netprov-fragment.conf", stdin=text)

    def restore(self, config: str) -> None:
        """Back to ``config`` (frr-reload; repeated while the running config differs)."""
        for _ in range(3):
            self.run(
                "cat > /tmp/netprov-restore.conf && "
                "/usr/lib/frr/frr-reload.py --reload /tmp/netprov-restore.conf",
                stdin=config,
            )
            if _lines(self.running()) == _lines(config):
                return
        pytest.fail(f"could not restore the config: {_lines(self.running()) ^ _lines(config)}")

    def close(self) -> None:
        self.client.close()


def _lines(config: str) -> set[str]:
    """A config as a set of (section, line) pairs, comparable regardless of order."""
    out, section = set(), ""
    for ln in config.splitlines():
        if not ln.strip() or ln.startswith(("!", "Building", "Current", "frr version")):
            continue
        if not ln.startswith(" "):
            section = ln
        out.add(f"{section} | {ln}")
    return out


def _wait(what: str, probe: Callable[[], bool], seconds: float = 60) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        if probe():
            return time.monotonic() - t0
        time.sleep(0.5)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


def _route(r: Router, prefix: str) -> dict[str, Any]:
    """The selected route for ``prefix`` (an empty dict when there is none)."""
    data = json.loads(r.vtysh(f"show ip route {prefix} json") or "{}")
    for route in data.get(prefix) or []:
        if route.get("selected") and route.get("installed", True):
            return dict(route)
    return {}


def _ping(r: Router, target: str, source: str | None = None) -> bool:
    src = f"-I {source} " if source else ""
    out = r.run(f"ping -c 2 -W 1 {src}{target}", check=False)
    return " 0% packet loss" in out or " 50% packet loss" in out


@pytest.fixture
def lab(device_lab: dict[str, Any], lab_settings: Settings) -> Iterator[dict[str, Router]]:
    devices = lab_state(lab_settings.lab_dir)["devices"]["devices"]
    routers = {
        name: Router(info) for name, info in devices.items() if info.get("platform") in ("frr", "bird2")
    }
    yield routers
    for r in routers.values():
        r.close()


def _render(sample: Sample, settings: Settings) -> list[RenderedConfig]:
    topo = load_topology(settings.topology_file)
    return render_link(
        sample.request_id,
        sample.letter,
        sample.allocation,
        topo,
        load_playbook(settings, sample.allocation.service),
        form=sample.form,
        internet_prefixes=sample.internet_prefixes,
    )


def _in_use(r: Router, interface: str) -> bool:
    block = r.running().split(f"interface {interface}\n", 1)
    return len(block) == 2 and "ip address" in block[1].split("exit", 1)[0]


def _require_free(r: Router, interface: str) -> None:
    if _in_use(r, interface):
        pytest.skip(f"{interface} is already configured on the lab (someone else's link)")


def _free_sample(lab: dict[str, Router], names: list[str]) -> Sample:
    """The first sample whose distribution port and CPE no other link uses right now."""
    for name in names:
        s = load_sample(DEFAULT_SAMPLES_DIR / f"{name}.yaml")
        a = s.allocation
        if not (
            _in_use(lab[a.dist_device], a.dist_interface)
            or _in_use(lab[a.cpe_device], a.cpe_interface)
            or _in_use(lab[a.cpe_device], a.cpe_lan_interface)
        ):
            return s
    pytest.skip(f"every sample's devices are in use on the lab: {names}")


def test_intranet_link_on_the_lab(lab: dict[str, Router], lab_settings: Settings) -> None:
    sample = _free_sample(lab, ["camat-intranet-tiny", "disdik-intranet-small", "bappeda-intranet-large"])
    a = sample.allocation
    configs = _render(sample, lab_settings)
    frr = [c for c in configs if c.platform == "frr"]
    assert {c.role for c in frr} == {"distribution", "cpe"}  # intranet leaves the core alone
    core, dist, cpe = lab["core-dc1"], lab[a.dist_device], lab[a.cpe_device]
    saved = {c.device: lab[c.device].running() for c in frr}
    try:
        t0 = time.monotonic()
        for c in frr:
            lab[c.device].merge(c.text)
        pushed = time.monotonic() - t0
        lan = str(a.lan_prefix)
        conv = _wait("the LAN in OSPF on the core", lambda: _route(core, lan).get("protocol") == "ospf")
        _wait("core -> LAN gateway ping", lambda: _ping(core, str(a.lan_gateway.ip)), 30)
        _wait(
            "CPE (LAN source) -> core loopback ping",
            lambda: _ping(cpe, "10.254.0.1", source=str(a.lan_gateway.ip)),
            30,
        )
        # the intranet filter: the core originates a default route, the intranet CPE drops it
        assert _route(dist, "0.0.0.0/0").get("protocol") == "ospf"
        assert _route(cpe, "0.0.0.0/0") == {}
        assert _route(cpe, "10.254.0.1/32").get("protocol") == "ospf"
        print(f"\nintranet link ({sample.name}): push {pushed:.2f} s, OSPF route on core after {conv:.1f} s")
    finally:
        for name, config in saved.items():
            lab[name].restore(config)
    _wait("the LAN withdrawn after the restore", lambda: _route(core, str(a.lan_prefix)) == {})


def test_internet_link_on_the_lab(lab: dict[str, Router], lab_settings: Settings) -> None:
    sample = _free_sample(lab, ["dishub-internet-large", "dinkes-internet-small"])
    a = sample.allocation
    configs = _render(sample, lab_settings)
    frr = [c for c in configs if c.platform == "frr"]
    (bird,) = [c for c in configs if c.platform == "bird2"]
    assert bird.mode == "replace"
    core, cpe, pe = (lab["core-dc1"], lab[a.cpe_device], lab[bird.device])
    if str(a.lan_prefix) in core.running():
        pytest.skip(f"{a.lan_prefix} is already announced by the lab core")
    saved = {c.device: lab[c.device].running() for c in frr}
    saved_bird = pe.run("cat /etc/bird/bird.conf")
    lan = str(a.lan_prefix)
    try:
        t0 = time.monotonic()
        for c in frr:
            lab[c.device].merge(c.text)
        pe.run(
            "cat > /etc/bird/bird.conf.new && bird -p -c /etc/bird/bird.conf.new && "
            "mv /etc/bird/bird.conf.new /etc/bird/bird.conf && birdc configure",
            stdin=bird.text,
        )
        _wait("the LAN in OSPF on the core", lambda: _route(core, lan).get("protocol") == "ospf")
        _wait(
            "the LAN at the provider over BGP",
            lambda: lan in pe.run(f"birdc show route {lan}", check=False),
            seconds=90,
        )
        conv = time.monotonic() - t0
        routes = pe.run("birdc show route")
        assert "10." not in routes.split("Table master4:", 1)[-1].split("198.51.100.254/32")[0] or all(
            not ln.strip().startswith("10.") for ln in routes.splitlines()
        )
        _wait(
            "provider -> LAN gateway ping",
            lambda: _ping(pe, str(a.lan_gateway.ip), source="198.51.100.254"),
            30,
        )
        _wait(
            "CPE (LAN source) -> provider ping",
            lambda: _ping(cpe, "198.51.100.254", source=str(a.lan_gateway.ip)),
            30,
        )
        print(f"\ninternet link: BGP route at the provider {conv:.1f} s after the push began")
    finally:
        pe.run("cat > /etc/bird/bird.conf && birdc configure", stdin=saved_bird)
        for name, config in saved.items():
            lab[name].restore(config)
