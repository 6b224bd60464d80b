"""Run several fake-switches devices (Cisco IOS style over SSH) in ONE Twisted process.

Shipped with netprov for the device lab; runs in its own venv (fake-switches pins an old
Twisted that does not build on Python 3.11+, so it is installed with --no-deps next to a
current ``twisted[conch]``).

Usage: python fs_lab.py --spec model:hostname:port [...] --user U --password-file F
Every device binds 127.0.0.1 only. Two small shims make Netmiko ``cisco_ios`` work: ``end`` in
configuration mode and ``show ip interface brief``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any


def apply_ios_shims() -> None:
    from fake_switches.cisco.command_processor.config import ConfigCommandProcessor
    from fake_switches.cisco.command_processor.enabled import EnabledCommandProcessor

    def do_end(self: Any, *_: Any) -> None:
        self.is_done = True

    ConfigCommandProcessor.do_end = do_end
    orig_show = EnabledCommandProcessor.do_show

    def do_show(self: Any, *args: str) -> Any:
        if (len(args) >= 3 and "ip".startswith(args[0]) and "interface".startswith(args[1])
                and args[2] == "brief"):
            self.write_line("Interface              IP-Address      OK? Method Status"
                            "                Protocol")
            conf = self.switch_configuration
            for port in conf.get_physical_ports() + conf.get_vlan_ports():
                ip = str(port.ips[0].ip) if getattr(port, "ips", None) else "unassigned"
                self.write_line(f"{port.name:<22} {ip:<15} YES manual {'up':<21} up")
            return None
        return orig_show(self, *args)

    EnabledCommandProcessor.do_show = do_show


def main() -> int:
    t0 = time.time()
    p = argparse.ArgumentParser()
    p.add_argument("--spec", nargs="+", required=True, help="model:hostname:port")
    p.add_argument("--user", default="admin")
    p.add_argument("--password-file", required=True)
    p.add_argument("--log-level", default="WARNING")
    a = p.parse_args()
    logging.basicConfig(level=a.log_level, format="%(asctime)s %(name)s %(message)s")
    password = Path(a.password_file).read_text(encoding="utf-8").strip()

    from fake_switches import switch_factory
    from fake_switches.transports.ssh_service import SwitchSshService
    from twisted.internet import reactor

    apply_ios_shims()
    factory = switch_factory.SwitchFactory()
    for spec in a.spec:
        model, host, port = spec.split(":")[:3]
        core = factory.get(model, host, password)  # enable password compared as str
        SwitchSshService(ip="127.0.0.1", port=int(port), switch_core=core,
                         users={a.user: password.encode()}).hook_to_reactor(reactor)
    print(f"READY in {time.time() - t0:.3f}s", flush=True)
    reactor.run()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main())
