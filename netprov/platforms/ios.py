"""Cisco-IOS-style access switches through Netmiko, remediation by hier_config.

The NAPALM ios driver needs SCP or tclsh, which the lab's fake switches lack; so the running
config is ``show running-config`` and a push sends hier_config's remediation lines in config
mode. IOS has no commit-confirm: :meth:`IosPlatform.confirm` has nothing to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from nornir.core.inventory import ConnectionOptions

from netprov.errors import CommitRefused, RestoreFailed
from netprov.platforms._checks import check_cisco_like
from netprov.platforms._errors import device_errors
from netprov.platforms.base import Checker, ConnectionKind, Mode, Platform, PushOutcome
from netprov.platforms.ios_display import as_ios_shows, canonical_vlan_lists
from netprov.settings import Settings

# What a (fake-switches or real) IOS answers to a line it refuses; it may stand after the
# echoed prompt, so a line *containing* one of these is a refusal.
IOS_ERRORS = (
    "% Invalid",
    "% Incomplete",
    "% Ambiguous",
    "% Unknown",
    "% Error",
    "Invalid input",
    "No such command",
)
IOS_BANNER = ("Building configuration", "Current configuration")


def check_ios(text: str) -> tuple[bool, list[str]]:
    """hier_config IOS parse, known sections, no dangerous lines."""
    return check_cisco_like(text, "ios")


def ios_running(conn: Any) -> str:
    """``show running-config`` without the banner lines IOS prints before the config."""
    text = str(conn.send_command("show running-config"))
    return "\n".join(ln for ln in text.splitlines() if not ln.startswith(IOS_BANNER)) + "\n"


def remediation(running: str, intended: str, mode: Mode | str) -> list[str]:
    """Lines that take an IOS running config to the intended one (hier_config).

    The intended config is first rewritten the way IOS shows it (:func:`as_ios_shows`), so
    ``allowed vlan add N`` and ``no shutdown`` do not come back once applied.

    >>> remediation("interface e1\\n description a\\n", "interface e1\\n description b\\n", "replace")
    ['interface e1', '  description b', '  exit']
    >>> run = "interface e1\\n switchport trunk allowed vlan 1,100\\n"
    >>> remediation(run, "interface e1\\n switchport trunk allowed vlan add 100\\n no shutdown\\n", "merge")
    []
    """
    from hier_config import WorkflowRemediation, get_hconfig
    from hier_config.models import Platform as HcPlatform

    intended = as_ios_shows(running, intended)
    running = canonical_vlan_lists(running)
    run = get_hconfig(HcPlatform.CISCO_IOS, running)
    if mode == "merge":
        target = get_hconfig(HcPlatform.CISCO_IOS, running)
        target.merge(get_hconfig(HcPlatform.CISCO_IOS, intended))
    else:
        target = get_hconfig(HcPlatform.CISCO_IOS, intended)
    lines = WorkflowRemediation(run, target).remediation_config.dump_simple(sectional_exiting=True)
    return [ln for ln in lines if ln.strip()]


def send_lines(conn: Any, lines: list[str], device: str) -> None:
    """Send config lines; any ``% Invalid ...`` answer is a refusal.

    Raises:
        CommitRefused: the switch refused a line (names the first error).
    """
    output = conn.send_config_set(lines, exit_config_mode=False, cmd_verify=False)
    conn.send_command_timing("end")
    bad = [ln for ln in str(output).splitlines() if any(mark in ln for mark in IOS_ERRORS)]
    if bad:
        raise CommitRefused(f"{device} refused the config: {bad[0].strip()}")


class IosPlatform(Platform):
    """Cisco IOS access switches (Netmiko ``cisco_ios``)."""

    name: ClassVar[str] = "ios"
    connection: ClassVar[ConnectionKind | None] = "netmiko"
    netbox_model: ClassVar[str] = "IOS switch"
    vendor_matrix: ClassVar[bool] = True

    def validators(self) -> list[tuple[str, Checker]]:
        """The hier_config IOS check."""
        return [("hier_config ios", check_ios)]

    def inject_credentials(self, host: Any, settings: Settings, lab_record: Mapping[str, Any]) -> None:
        """The lab's user and password file; the enable secret is the login password."""
        if lab_record.get("username"):
            host.username = str(lab_record["username"])
        secret_file = lab_record.get("password_file")
        if secret_file and Path(str(secret_file)).is_file():
            host.password = Path(str(secret_file)).read_text(encoding="utf-8").strip()
            nm = host.connection_options.get("netmiko")
            if nm is None:
                nm = host.connection_options["netmiko"] = ConnectionOptions()
            nm.extras = {**(nm.extras or {}), "secret": host.password, "fast_cli": False}
        if host.port is None and lab_record.get("port"):
            host.port = int(lab_record["port"])

    def open(self, task: Any) -> Any:
        """nornir-netmiko's connection, in enable mode."""
        with device_errors(task.host.name, "connect"):
            conn = task.host.get_connection("netmiko", task.nornir.config)
            if not conn.check_enable_mode():
                conn.enable()
            return conn

    def running_config(self, conn: Any, device: str = "") -> str:
        """``show running-config`` without the banner."""
        with device_errors(device or "device", "read the running config"):
            return ios_running(conn)

    def comparable(self, running: str, intended: str) -> tuple[str, str]:
        """Both sides as IOS shows them: VLAN lists in one spelling, the intended lines
        rewritten against the running config (``allowed vlan add``, ``no shutdown``)."""
        return canonical_vlan_lists(running), as_ios_shows(running, intended)

    def diff(self, conn: Any, config: str, mode: Mode, device: str = "") -> str:
        """hier_config's remediation lines, one per line."""
        return "\n".join(remediation(self.running_config(conn, device), config, mode))

    def push(
        self, conn: Any, config: str, mode: Mode, *, message: str, revert_in: int | None, device: str
    ) -> PushOutcome:
        """Send the remediation; a refused line puts the previous running config back."""
        before = self.running_config(conn, device)
        lines = remediation(before, config, mode)
        if not lines:
            return PushOutcome("", False)
        with device_errors(device, "push"):
            try:
                send_lines(conn, lines, device)
            except CommitRefused:
                self._put_back(conn, before, device)
                raise
        return PushOutcome("\n".join(lines), True)

    def _put_back(self, conn: Any, before: str, device: str) -> None:
        try:
            self.restore(conn, before, device)
        except RestoreFailed as exc:
            raise CommitRefused(f"{device} refused the config and did not return: {exc}") from exc

    def confirm(self, conn: Any, device: str) -> bool:
        """IOS has no commit-confirm: nothing to confirm."""
        return False

    def restore(self, conn: Any, snapshot: str, device: str) -> None:
        """Send the remediation back to ``snapshot``, then prove an empty remediation."""
        try:
            with device_errors(device, "restore"):
                lines = remediation(ios_running(conn), snapshot, "replace")
                if lines:
                    send_lines(conn, lines, device)
                left = remediation(ios_running(conn), snapshot, "replace")
        except CommitRefused as exc:
            raise RestoreFailed(f"{device} refused its saved config: {exc}") from exc
        if left:
            text = "\n".join(left)
            raise RestoreFailed(f"{device} did not return to its saved config:\n{text[:2000]}")
