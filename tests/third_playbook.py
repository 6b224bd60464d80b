"""The third service both playbook tests add: a playbook only, no code (issue 12)."""

from __future__ import annotations

import shutil
from pathlib import Path

from netprov.settings import REPO_ROOT

SERVICE = "internet-no-bgp"

#: An internet link whose provider is not touched: public LAN from the internet pool,
#: bandwidth against the internet uplink, nothing announced, no core or provider config.
THIRD_PLAYBOOK = """\
service: internet-no-bgp
description: Internet link without BGP (statically routed by the ISP)
pool: internet
uplink: {scope: global, service: internet}
announce: none
targets:
  - {role: distribution, device: allocation.dist_device, template: distribution, mode: merge}
  - {role: cpe, device: allocation.cpe_device, template: cpe, mode: merge}
  - {role: access, device: allocation.access_switch, template: access, mode: merge, optional: true}
checks:
  - {kind: interface_address, role: distribution, interface: dist_interface, address: dist_address}
  - {kind: interface_address, role: cpe, interface: cpe_lan_interface, address: lan_gateway}
  - {kind: ping, from: core, to: lan_gateway}
"""


def playbooks_folder(tmp_path: Path) -> Path:
    """The repository's playbooks and the third one, copied into ``tmp_path/playbooks``."""
    folder = tmp_path / "playbooks"
    folder.mkdir()
    for p in (REPO_ROOT / "playbooks").glob("*.yaml"):
        shutil.copy(p, folder / p.name)
    (folder / "new-internet-no-bgp-link.yaml").write_text(THIRD_PLAYBOOK, encoding="utf-8")
    return folder
