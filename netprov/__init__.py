"""netprov: the SOP "Permohonan Jaringan Baru" as software."""

import os as _os

__version__ = "0.1.0"

# napalm-bird2 asks pypi.org for a newer version when a driver opens; netprov sends no packet
# outside the machine and its lab, so every netprov process switches that check off.
_os.environ.setdefault("NAPALM_BIRD2_DISABLE_UPDATE_CHECK", "1")
