"""One module per platform behind :class:`~netprov.platforms.base.Platform`, found by name.

>>> from netprov.platforms import get_platform
>>> get_platform("frr").commit_confirm
True
"""

from netprov.platforms.base import Checker, Mode, Platform, PushOutcome
from netprov.platforms.registry import (
    deregister_platform,
    get_platform,
    netbox_model,
    platform_names,
    register_platform,
)

__all__ = [
    "Checker",
    "Mode",
    "Platform",
    "PushOutcome",
    "deregister_platform",
    "get_platform",
    "netbox_model",
    "platform_names",
    "register_platform",
]
