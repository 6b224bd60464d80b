"""BIRD 2 through napalm-bird2; commit-confirm with BIRD's own timer (:mod:`.bird2_commit`).

napalm-bird2's ``revert_in`` is a thread in the calling process; netprov uses BIRD's
``configure timeout`` instead, so the router undoes an unconfirmed change even when netprov
dies. The validator is BIRD's own parser, ``bird -p -c``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from netprov.errors import RestoreFailed
from netprov.platforms import bird2_commit
from netprov.platforms._errors import device_errors
from netprov.platforms._napalm import NapalmPlatform
from netprov.platforms._tools import ensure_tool, run_parser
from netprov.platforms.base import Checker, Mode
from netprov.platforms.config_undo import without_own_change

BIRD_CONFIG_PATH = "/etc/bird/bird.conf"


def check_bird(text: str) -> tuple[bool, list[str]]:
    """``bird -p -c``: BIRD's own parser (parse only, nothing started)."""
    return run_parser([ensure_tool("bird"), "-p", "-c"], text, ".conf")


def transport(drv: Any) -> Any:
    """napalm-bird2's transport (SSH or control socket), opening the driver if needed."""
    if drv.transport is None:
        drv.open()
    return drv.transport


class Bird2Platform(NapalmPlatform):
    """BIRD 2 route servers / provider edges (``napalm-bird2``)."""

    name: ClassVar[str] = "bird2"
    netbox_model: ClassVar[str] = "BIRD 2 router (netns)"
    comment_prefixes: ClassVar[tuple[str, ...]] = ("#",)

    def validators(self) -> list[tuple[str, Checker]]:
        """BIRD's own parser."""
        return [("bird -p", check_bird)]

    def optional_args(self, optional: dict[str, Any]) -> None:
        """napalm-bird2 checks paths on the client unless told (LAB.md)."""
        optional.setdefault("bird_config_path", BIRD_CONFIG_PATH)

    def running_config(self, conn: Any, device: str = "") -> str:
        """The text of BIRD's config file (napalm-bird2 ``get_bird_running_config``)."""
        with device_errors(device or "device", "read the running config"):
            return str(conn.get_bird_running_config())

    def _commit(
        self, conn: Any, config: str, mode: Mode, message: str, revert_in: int | None, device: str
    ) -> None:
        if not revert_in:
            super()._commit(conn, config, mode, message, None, device)
            return
        conn.discard_config()
        previous = str(conn.get_bird_running_config())
        new = config if mode == "replace" or not previous else previous.rstrip() + "\n" + config.lstrip()
        bird2_commit.commit_confirmed(
            transport(conn), conn.bird_config_path, previous, new, revert_in, device
        )

    def undo_own_change(self, conn: Any, snapshot: str, after: str, current: str, device: str) -> None:
        """The default inverse, but only a config BIRD's own parser accepts is pushed."""
        target = without_own_change(snapshot, after, current, self.comment_prefixes)
        ok, problems = check_bird(target)
        if not ok:
            raise RestoreFailed(
                f"{device} changed since this run's commit and the inverse of its change is not a "
                f"valid BIRD config ({'; '.join(problems)[:300]}); it was left as it is"
            )
        self.restore(conn, target, device)

    def confirm(self, conn: Any, device: str) -> bool:
        """``configure confirm``; run it only where this run committed (see ConfirmFailed)."""
        with device_errors(device, "confirm"):
            bird2_commit.confirm(transport(conn), device)
        return True

    def bgp_announced(self, conn: Any, prefix: str, device: str = "") -> tuple[bool, str]:
        """``birdc show route <prefix> all``: the prefix is there and learnt over BGP."""
        with device_errors(device or "device", "read routes"):
            out = str(transport(conn).send_bird_command(f"show route {prefix} all"))
        ok = prefix in out and "BGP" in out
        first = next((ln.strip() for ln in out.splitlines() if prefix in ln), "not in the table")
        return ok, first[:200]
