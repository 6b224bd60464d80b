"""The names a scan's department and site are matched against: NetBox's tenants and sites.

Shared by ``netprov request scan`` and the web's scanned-letter form. When NetBox is not
configured or cannot be read, the fields are proposed unmatched and the reason is given.
"""

from __future__ import annotations

import logging

from netprov.errors import NetprovError
from netprov.scan.fields import Known
from netprov.settings import Settings

log = logging.getLogger(__name__)


def known_names(settings: Settings, match: bool = True) -> tuple[Known, str | None]:
    """The department and site names of NetBox (none, with the reason, when it cannot be read)."""
    from netprov.domain.services import known_services

    services = sorted(known_services())
    if not match:
        return Known(services=services), "department and site not matched (--no-match)"
    if not settings.netbox_url or settings.netbox_token is None:
        return Known(services=services), None
    try:
        from netprov.netbox.adapter import NetBoxIpam

        ipam = NetBoxIpam.from_settings(settings)
        try:
            return Known(ipam.tenant_names(), ipam.site_names(), services), None
        finally:
            ipam.close()
    except NetprovError as exc:
        log.warning("NetBox not read: %s", exc)
        return Known(services=services), f"department and site not matched: {str(exc)[:150]}"
