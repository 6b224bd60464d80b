"""What every NAPALM-driven platform shares: candidate, compare, commit, restore."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from netprov.errors import CommitPending, CommitRefused, RestoreFailed
from netprov.platforms._errors import device_errors
from netprov.platforms.base import ConnectionKind, Mode, Platform, PushOutcome
from netprov.settings import Settings


def load_candidate(drv: Any, config: str, mode: Mode | str) -> None:
    """Load ``config`` as the candidate (replace or merge)."""
    if mode == "replace":
        drv.load_replace_candidate(config=config)
    else:
        drv.load_merge_candidate(config=config)


def compare(drv: Any, config: str, mode: Mode | str) -> str:
    """The candidate's diff, the candidate discarded again."""
    load_candidate(drv, config, mode)
    try:
        return str(drv.compare_config() or "")
    finally:
        drv.discard_config()


class NapalmPlatform(Platform):
    """A platform driven through nornir-napalm (``host.platform`` is the NAPALM driver)."""

    connection: ClassVar[ConnectionKind | None] = "napalm"
    commit_confirm: ClassVar[bool] = True

    def inject_credentials(self, host: Any, settings: Settings, lab_record: Mapping[str, Any]) -> None:
        """Settings' device username/password; the key file into this host's own optional_args."""
        if settings.device_username and not host.username:
            host.username = settings.device_username
        if settings.device_password is not None and not host.password:
            host.password = settings.device_password.get_secret_value()
        opts = host.connection_options.get("napalm")
        if opts is None:
            return
        extras = dict(opts.extras or {})
        optional = dict(extras.get("optional_args") or {})
        if settings.device_key_file and "key_file" not in optional:
            optional["key_file"] = str(settings.device_key_file)
        self.optional_args(optional)
        extras["optional_args"] = optional
        opts.extras = extras

    def optional_args(self, optional: dict[str, Any]) -> None:
        """Add platform defaults to a host's (copied) NAPALM ``optional_args``."""

    def open(self, task: Any) -> Any:
        """nornir-napalm's driver for the host (opened on first use)."""
        with device_errors(task.host.name, "connect"):
            return task.host.get_connection("napalm", task.nornir.config)

    def running_config(self, conn: Any, device: str = "") -> str:
        """NAPALM ``get_config(retrieve="running")``."""
        with device_errors(device or "device", "read the running config"):
            return str(conn.get_config(retrieve="running")["running"])

    def diff(self, conn: Any, config: str, mode: Mode, device: str = "") -> str:
        """Load the candidate, compare, discard."""
        with device_errors(device or "device", "diff"):
            return compare(conn, config, mode)

    def push(
        self, conn: Any, config: str, mode: Mode, *, message: str, revert_in: int | None, device: str
    ) -> PushOutcome:
        """Load, compare, then ``commit_config(message, revert_in)`` (nothing to do: discard)."""
        with device_errors(device, "push"):
            load_candidate(conn, config, mode)
            diff = str(conn.compare_config() or "")
            if not diff.strip():
                conn.discard_config()
                return PushOutcome("", False)
            self._commit(conn, config, mode, message, revert_in, device)
        return PushOutcome(diff, True)

    def _commit(
        self, conn: Any, config: str, mode: Mode, message: str, revert_in: int | None, device: str
    ) -> None:
        try:
            conn.commit_config(message=message, revert_in=revert_in if self.commit_confirm else None)
        except Exception as exc:
            conn.discard_config()
            if "pending" in str(exc).lower() and self._pending(conn):
                raise CommitPending(f"{device}: a commit is pending confirmation") from exc
            raise

    def _pending(self, conn: Any) -> bool:
        """Whether the device has a commit awaiting confirmation (False when it cannot say)."""
        try:
            return bool(conn.has_pending_commit())
        except Exception:
            return False

    def pending_commit(self, conn: Any, device: str) -> bool | None:
        """NAPALM ``has_pending_commit`` where the driver has it (None where it has not)."""
        if not self.commit_confirm or not hasattr(conn, "has_pending_commit"):
            return None
        with device_errors(device, "ask for a pending commit"):
            return bool(conn.has_pending_commit())

    def confirm(self, conn: Any, device: str) -> bool:
        """NAPALM ``confirm_commit`` when a commit is pending; False when none is."""
        with device_errors(device, "confirm"):
            if conn.has_pending_commit():
                conn.confirm_commit()
                return True
        return False

    def _cancel_pending(self, conn: Any) -> None:
        """Stop a pending commit's own revert timer before a restore (default: nothing)."""

    def restore(self, conn: Any, snapshot: str, device: str) -> None:
        """Replace with ``snapshot``, commit when different, then prove it with a compare."""
        try:
            with device_errors(device, "restore"):
                self._cancel_pending(conn)
                load_candidate(conn, snapshot, "replace")
                if str(conn.compare_config() or "").strip():
                    conn.commit_config(message="netprov rollback")
                else:
                    conn.discard_config()
                left = compare(conn, snapshot, "replace")
        except CommitRefused as exc:
            raise RestoreFailed(f"{device} refused its saved config: {exc}") from exc
        if left.strip():
            raise RestoreFailed(f"{device} did not return to its saved config:\n{left[:2000]}")
