"""The composition root: the register, IPAM, monitoring and the provisioner, built from settings.

Every entry point (the CLI, the demo, the benchmarks) asks an :class:`App` for its parts instead
of wiring ``RequestService.from_settings``, ``NetBoxIpam.from_settings`` and
``backends_from_settings`` itself. Each part is built on first use (imports included, so
``netprov --help`` stays fast) and then kept; a part given to the constructor is used as is
(tests and the demo pass fakes or their own).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from netprov.errors import ConfigError
from netprov.settings import Settings, load_settings

if TYPE_CHECKING:
    from nornir.core import Nornir

    from netprov.monitoring.base import MonitoringBackend
    from netprov.netbox.port import Ipam
    from netprov.pipeline.provision import Progress, Provisioner
    from netprov.sop.service import Papers, RequestService


class App:
    """netprov's parts for one set of settings (built lazily, once).

    Args:
        settings: what to build from.
        service, ipam, monitors: ready-made parts to use instead of building them.
        papers: the document producer for the register (default: the real documents).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        service: RequestService | None = None,
        ipam: Ipam | None = None,
        monitors: list[MonitoringBackend] | None = None,
        papers: Papers | None = None,
    ) -> None:
        self._settings = settings
        from netprov.domain.services import use_playbooks_dir

        use_playbooks_dir(settings.playbooks_dir)  # the services a letter may name
        self._service = service
        self._ipam = ipam
        self._monitors = list(monitors) if monitors is not None else None
        self._papers = papers

    @classmethod
    def load(cls, **overrides: Any) -> App:
        """An app from the environment's settings (``load_settings(**overrides)``)."""
        return cls(load_settings(**overrides))

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def service(self) -> RequestService:
        """The SOP register (``RequestService.from_settings``)."""
        if self._service is None:
            from netprov.sop.service import RequestService

            self._service = RequestService.from_settings(self._settings, papers=self._papers)
            if self._settings.smtp_host and self._settings.mail_send_after_step:
                from functools import partial

                from netprov.mail.notify import send_after_step

                self._service.after_step = partial(send_after_step, self._service)
        return self._service

    @property
    def register_id(self) -> str:
        """The register's identity (uuid), stamped on what netprov creates in NetBox and
        monitoring; "" when the register is a stand-in without a store."""
        from netprov.store.identity import register_identity

        return register_identity(self.service)

    @property
    def netbox_configured(self) -> bool:
        """Whether NetBox's URL and token are set (``ipam`` would connect)."""
        return self._ipam is not None or bool(
            self._settings.netbox_url and self._settings.netbox_token is not None
        )

    @property
    def ipam(self) -> Ipam:
        """NetBox as the IPAM port (``NetBoxIpam.from_settings``)."""
        if self._ipam is None:
            from netprov.netbox.adapter import NetBoxIpam

            self._ipam = NetBoxIpam.from_settings(self._settings, register_id=self.register_id)
        return self._ipam

    @property
    def monitors(self) -> list[MonitoringBackend]:
        """The configured monitoring backends (``ConfigError`` if none is)."""
        if self._monitors is None:
            from netprov.monitoring.factory import backends_from_settings

            self._monitors = list(backends_from_settings(self._settings, register_id=self.register_id))
        return self._monitors

    def close(self) -> None:
        """Close what the app opened (NetBox's HTTP session); parts not built are left alone."""
        close = getattr(self._ipam, "close", None)
        if callable(close):
            close()

    def monitors_if_configured(self) -> list[MonitoringBackend] | None:
        """The monitoring backends, or ``None`` when none is configured."""
        try:
            return self.monitors
        except ConfigError:
            return None

    def provisioner(
        self,
        *,
        progress: Progress | None = None,
        nornir_factory: Callable[[bool], Nornir] | None = None,
        revert_in: int | None = None,
        fault: Callable[[str], None] | None = None,
    ) -> Provisioner:
        """The step-7 pipeline over this app's register, IPAM and monitors (built on first use)."""
        from netprov.pipeline.provision import Provisioner

        kwargs: dict[str, Any] = {}
        if progress is not None:
            kwargs["progress"] = progress
        return Provisioner(
            self._settings,
            self.service,
            self.ipam,
            monitors=self._monitors,  # None: the provisioner builds them when its monitor stage runs
            nornir_factory=nornir_factory,
            revert_in=revert_in,
            fault=fault,
            **kwargs,
        )
