"""Put lab parts back to a known clean state (the demo and the test session start from it)."""

from __future__ import annotations

import subprocess

import netprov_lab as labmod
from netprov.errors import LabError
from netprov.settings import Settings, load_settings


def reset_netbox(settings: Settings, progress: labmod.Progress) -> dict[str, int]:
    """NetBox with only the seed: drop the database, restore the migrated dump, seed again."""
    from netprov.netbox.seed import seed_netbox
    from netprov_lab import netbox as nblab

    nblab.up(settings, progress)  # installs and migrates once; the dump it keeps makes this fast
    nblab.down(settings, progress)
    proc = subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            "psql",
            "-Xq",
            "-c",
            f"DROP DATABASE IF EXISTS {nblab.DB_NAME} WITH (FORCE)",
        ],
        capture_output=True,
        text=True,
        cwd="/",
        check=False,
    )
    if proc.returncode != 0:
        raise LabError(f"could not drop the NetBox database: {proc.stderr.strip()[:300]}")
    nblab.up(settings, progress)
    return seed_netbox(load_settings(lab_dir=settings.lab_dir), progress)


def reset_devices(settings: Settings, progress: labmod.Progress) -> None:
    """Routers restarted at their baseline configs (a few seconds)."""
    dev = labmod.part("devices")
    dev.down(settings, progress)
    dev.up(settings, progress)
