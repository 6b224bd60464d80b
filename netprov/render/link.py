"""Render every device config of one link: what SOP step 7 pushes."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from netprov.domain.letters import CompletenessForm, Letter
from netprov.domain.resources import Allocation
from netprov.domain.topology import Role, Topology
from netprov.errors import NotFoundError
from netprov.render.data import TemplateData, build_template_data
from netprov.render.env import environment, render_template
from netprov.render.playbook import DeviceTarget, Mode, Playbook, plan_devices
from netprov.settings import REPO_ROOT

DEFAULT_TEMPLATES_DIR = REPO_ROOT / "templates" / "devices"


class RenderedConfig(BaseModel):
    """One device's config for one link."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    device: str
    platform: str
    role: Role
    template: str
    mode: Mode
    text: str

    @property
    def filename(self) -> str:
        ext = {"junos": "conf", "routeros": "rsc", "bird2": "conf"}.get(self.platform, "cfg")
        return f"{self.device}.{self.platform}.{ext}"


def announced_prefixes(
    playbook: Playbook,
    active_prefixes: Callable[[str], Iterable[ipaddress.IPv4Network]],
    allocation: Allocation,
) -> list[ipaddress.IPv4Network]:
    """The LAN prefixes the provider must accept for this link (empty if not announced).

    Args:
        playbook: the link's playbook.
        active_prefixes: the IPAM's ``active_prefixes(service)``.
        allocation: the link; its LAN is included.

    >>> import ipaddress as ip
    >>> pb = Playbook(service="x", announce="provider", targets=[])
    >>> a = type("A", (), {"lan_prefix": ip.ip_network("203.0.113.32/27")})()
    >>> announced_prefixes(pb, lambda s: [ip.ip_network("203.0.113.0/28")], a)  # type: ignore[arg-type]
    [IPv4Network('203.0.113.0/28'), IPv4Network('203.0.113.32/27')]
    >>> announced_prefixes(Playbook(service="x", targets=[]), lambda s: [], a)  # type: ignore[arg-type]
    []
    """
    if not playbook.announced:
        return []
    nets = set(active_prefixes(playbook.service)) | {allocation.lan_prefix}
    return sorted(nets, key=lambda n: (int(n.network_address), n.prefixlen))


def render_targets(
    data: TemplateData, targets: Iterable[DeviceTarget], templates_dir: Path
) -> list[RenderedConfig]:
    """Render the given device targets from already-built template data."""
    env = environment(templates_dir)
    variables = data.variables()
    return [
        RenderedConfig(
            device=t.device,
            platform=t.platform,
            role=t.role,
            template=t.template,
            mode=t.mode,
            text=render_template(env, t.template, variables),
        )
        for t in targets
    ]


def render_link(
    request_id: str,
    letter: Letter,
    allocation: Allocation,
    topology: Topology,
    playbook: Playbook,
    *,
    form: CompletenessForm | None = None,
    internet_prefixes: Iterable[ipaddress.IPv4Network] = (),
    templates_dir: Path = DEFAULT_TEMPLATES_DIR,
    platforms: Mapping[str, str] | None = None,
    device: str | None = None,
) -> list[RenderedConfig]:
    """Render the configs of every device the link touches (playbook order).

    Args:
        request_id, letter, allocation, topology, form, internet_prefixes: see
            :func:`netprov.render.data.build_template_data`.
        playbook: the service's playbook (:func:`netprov.render.playbook.load_playbook`).
        templates_dir: the ``templates/devices`` directory.
        platforms: optional role -> platform override (see ``plan_devices``).
        device: render only this device.

    Raises:
        RenderError: invalid data, a missing template or an undefined variable (named).
        NotFoundError: ``device`` is not touched by this link.
    """
    data = build_template_data(
        request_id,
        letter,
        allocation,
        topology,
        form=form,
        internet_prefixes=internet_prefixes,
        playbook=playbook,
    )
    targets = plan_devices(playbook, allocation, topology, platforms)
    if device is not None:
        targets = [t for t in targets if t.device == device]
        if not targets:
            raise NotFoundError(f"link {request_id} does not touch device {device}")
    return render_targets(data, targets, templates_dir)
