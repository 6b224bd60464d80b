"""NAPALM driver for FRRouting: ``napalm.get_network_driver("frr")`` finds :class:`FRRDriver`.

Shipped with netprov as its own top-level package because NAPALM looks community drivers up
as the module ``napalm_<name>``.
"""

from napalm_frr.frr import FRRDriver

__all__ = ["FRRDriver"]
