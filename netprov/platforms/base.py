"""The one seam between netprov and a kind of device: :class:`Platform`.

A platform is a class with a handful of class attributes (what it is) and methods whose
docstrings are the contract (what the pipeline may ask of a device). The pipeline's Nornir
tasks (:mod:`netprov.pipeline.device_ops`) look the platform up by ``host.platform`` and call
it; they know nothing else about the device. Validate-only platforms (no lab device to drive)
only implement :meth:`Platform.validators`; every device operation of theirs raises
:class:`~netprov.errors.UnsupportedOperation`.

Like NAPALM's ``NetworkDriver``, every device method either does what it says or raises a
:class:`~netprov.errors.DeviceError` subclass naming the device; NAPALM's and Netmiko's own
exceptions never leave a platform.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from netprov.errors import UnsupportedOperation
from netprov.platforms.config_undo import without_own_change
from netprov.settings import Settings

Mode = Literal["merge", "replace"]
Checker = Callable[[str], tuple[bool, list[str]]]
"""An offline validator: config text -> (ok, problems)."""

ConnectionKind = Literal["napalm", "netmiko"]


@dataclass(frozen=True)
class PushOutcome:
    """What :meth:`Platform.push` did.

    Attributes:
        diff: what the push changed (empty: the device already ran the config).
        committed: True when something was committed (and, on a commit-confirm platform with
            ``revert_in``, is now pending a :meth:`Platform.confirm`).
    """

    diff: str
    committed: bool


class Platform(ABC):
    """One kind of device: how to read, diff, push, confirm and restore its config.

    Class attributes:
        name: the platform name (``host.platform`` in the inventory, the entry-point name).
        connection: the Nornir connection plugin the device is driven through (``"napalm"``,
            ``"netmiko"``), or None for a validate-only platform.
        netbox_model: the NetBox device-type model of the lab's devices of this platform
            (:meth:`device_model` falls back to :attr:`name`).
        commit_confirm: the device undoes a commit by itself unless :meth:`confirm` arrives
            within ``revert_in`` seconds.
        provisionable: the pipeline can push to it (False: validate-only).
        vendor_matrix: ``templates check`` renders this platform for every router role.
        comment_prefixes: what starts a comment line in its config text.
    """

    name: ClassVar[str]
    connection: ClassVar[ConnectionKind | None] = None
    netbox_model: ClassVar[str] = ""
    commit_confirm: ClassVar[bool] = False
    provisionable: ClassVar[bool] = True
    vendor_matrix: ClassVar[bool] = False
    comment_prefixes: ClassVar[tuple[str, ...]] = ("!",)

    # --- what the platform is ------------------------------------------------------------

    @classmethod
    def device_model(cls) -> str:
        """The NetBox device-type model name (``netbox_model``, else the platform name)."""
        return cls.netbox_model or cls.name

    def _unsupported(self, what: str, device: str = "") -> UnsupportedOperation:
        who = f"{device}: " if device else ""
        return UnsupportedOperation(f"{who}platform {self.name} cannot {what} (validate-only)")

    # --- offline ------------------------------------------------------------------------

    @abstractmethod
    def validators(self) -> list[tuple[str, Checker]]:
        """The offline validators of a rendered config: ``[(name, checker), ...]``.

        A checker never touches a device; a missing external parser is a
        :class:`~netprov.errors.ValidationFailed` naming the binary and its Debian package.
        """

    def inject_credentials(  # noqa: B027 - an optional hook, no-op by default
        self, host: Any, settings: Settings, lab_record: Mapping[str, Any]
    ) -> None:
        """Give one Nornir host its credentials (settings, then what the lab recorded).

        Never writes them to a file or log. Each host gets its own option dicts.
        The default does nothing (a validate-only platform has no device).
        """

    # --- device operations --------------------------------------------------------------

    def open(self, task: Any) -> Any:
        """The open connection of ``task.host`` (Nornir's, so it is reused and closed by Nornir).

        Raises:
            DeviceUnreachable: the device cannot be reached or refuses the login.
            UnsupportedOperation: validate-only platform.
        """
        raise self._unsupported("connect", task.host.name)

    def running_config(self, conn: Any, device: str = "") -> str:
        """The running config as text: the snapshot :meth:`restore` returns to.

        ``device`` (here and below) is the inventory name, used in error messages.
        """
        raise self._unsupported("read a running config", device)

    def diff(self, conn: Any, config: str, mode: Mode, device: str = "") -> str:
        """What pushing ``config`` (``merge`` or ``replace``) would change; changes nothing.

        An empty string (or only whitespace) means the device already runs ``config``.
        """
        raise self._unsupported("diff", device)

    def push(
        self,
        conn: Any,
        config: str,
        mode: Mode,
        *,
        message: str,
        revert_in: int | None,
        device: str,
    ) -> PushOutcome:
        """Commit ``config``; with ``revert_in`` on a commit-confirm platform, as a pending commit.

        Nothing to change: no commit, ``PushOutcome("", False)``.

        Raises:
            CommitRefused: the device refused the config; it still runs what it ran before.
            DeviceUnreachable: the connection broke.
        """
        raise self._unsupported("push", device)

    def confirm(self, conn: Any, device: str) -> bool:
        """Confirm a pending commit; False when the platform had none to confirm.

        Raises:
            ConfirmFailed: a commit-confirm was pending but the device already undid it.
        """
        raise self._unsupported("confirm", device)

    def pending_commit(self, conn: Any, device: str) -> bool | None:
        """Whether a commit awaits confirmation on the device; None when the platform cannot say."""
        return None

    def restore(self, conn: Any, snapshot: str, device: str) -> None:
        """Return the device to ``snapshot`` (cancelling any pending commit) and prove it.

        Raises:
            RestoreFailed: a compare against ``snapshot`` afterwards still shows a difference,
                or the device refused the snapshot.
        """
        raise self._unsupported("restore", device)

    def undo_own_change(self, conn: Any, snapshot: str, after: str, current: str, device: str) -> None:
        """Take only one run's change off a device that changed since that run's commit.

        ``snapshot`` and ``after`` are the device's config before and right after the run's
        commit; ``current`` is what it runs now (``after`` plus someone else's change). The
        default replaces the config with ``current`` minus the lines the run added, plus the
        lines it removed (:func:`netprov.platforms.config_undo.without_own_change`, for
        indented configs), so the other change stays.

        Raises:
            RestoreFailed: the device refused that config, or still differs from it afterwards.
        """
        target = without_own_change(snapshot, after, current, self.comment_prefixes)
        self.restore(conn, target, device)

    def comparable(self, running: str, intended: str) -> tuple[str, str]:
        """``(running, intended)`` in the form the device displays them, for a line-by-line
        compare (:mod:`netprov.platforms.config_drift`). Pure text; the default keeps both."""
        return running, intended

    def bgp_announced(self, conn: Any, prefix: str, device: str = "") -> tuple[bool, str]:
        """Whether the device has ``prefix`` as a BGP route: ``(ok, one line of detail)``."""
        raise self._unsupported("check BGP routes", device)
