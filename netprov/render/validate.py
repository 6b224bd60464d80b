"""Validation of rendered configs: each platform's offline validators, plus a fake switch.

The validators themselves live with their platform (:mod:`netprov.platforms`): FRR's
``vtysh --dryrun``, BIRD's ``bird -p``, hier_config structure checks for IOS, EOS and Junos,
a RouterOS syntax check. IOS access-switch configs are also sent to a fake-switches device
through Netmiko when a session is given (any "% Invalid input" fails). A missing external
parser is a failed validation naming the binary and its Debian package; netprov never
installs packages (``./run setup`` does).
"""

from __future__ import annotations

import time
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from netprov.errors import UnknownPlatform, ValidationFailed
from netprov.platforms import Checker, get_platform
from netprov.platforms._checks import check_cisco_like, check_junos, config_lines
from netprov.platforms._tools import DEBIAN_PACKAGES, TIMEOUT, ensure_tool
from netprov.platforms.bird2 import check_bird
from netprov.platforms.frr import check_frr
from netprov.platforms.routeros import check_routeros
from netprov.render.link import RenderedConfig

__all__ = [
    "DEBIAN_PACKAGES",
    "TIMEOUT",
    "Checker",
    "LineSender",
    "ValidationResult",
    "check_bird",
    "check_cisco_like",
    "check_frr",
    "check_junos",
    "check_routeros",
    "config_lines",
    "ensure_tool",
    "validate_config",
    "validators_for",
]


class ValidationResult(BaseModel):
    """What one validator said about one rendered config."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    device: str
    platform: str
    role: str
    template: str
    validator: str
    ok: bool
    seconds: float
    messages: tuple[str, ...] = ()


class LineSender(Protocol):
    """Something that sends config lines to a device and returns the error lines."""

    def errors_for(self, lines: list[str]) -> list[str]: ...


def validators_for(platform: str) -> list[tuple[str, Checker]]:
    """The offline validators of a platform (name, function), from the platform registry.

    Raises:
        ValidationFailed: no platform of that name is registered.
    """
    try:
        return get_platform(platform).validators()
    except UnknownPlatform as exc:
        raise ValidationFailed(f"no validator for platform {platform}: {exc}") from exc


def _switch_check(switch: LineSender) -> Checker:
    def via_switch(text: str) -> tuple[bool, list[str]]:
        errors = switch.errors_for(config_lines(text, "ios"))
        return not errors, errors

    return via_switch


def validate_config(cfg: RenderedConfig, switch: LineSender | None = None) -> list[ValidationResult]:
    """Run every validator that applies to one rendered config.

    Args:
        cfg: the rendered config.
        switch: a fake-switches session; IOS access-switch configs are also sent to it.
    """
    results = []
    checks: list[tuple[str, Checker]] = list(validators_for(cfg.platform))
    if switch is not None and cfg.platform == "ios" and cfg.role == "access":
        checks.append(("fake-switches ios", _switch_check(switch)))
    for name, check in checks:
        t0 = time.perf_counter()
        try:
            ok, messages = check(cfg.text)
        except ValidationFailed as exc:
            ok, messages = False, [str(exc)]
        results.append(
            ValidationResult(
                device=cfg.device,
                platform=cfg.platform,
                role=cfg.role,
                template=cfg.template,
                validator=name,
                ok=ok,
                seconds=round(time.perf_counter() - t0, 4),
                messages=tuple(messages[:20]),
            )
        )
    return results
