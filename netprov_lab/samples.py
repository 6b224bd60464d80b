"""The project's sample requests (``tests/data/samples``) for golden files, checks and pictures.

The :class:`~netprov.render.samples.Sample` type and its loader are product code; this module
only knows where the project's own samples are and loads them by default.
"""

from __future__ import annotations

from pathlib import Path

from netprov.render.samples import Sample, load_sample
from netprov.render.samples import load_samples as load_samples_from
from netprov.settings import REPO_ROOT

DEFAULT_SAMPLES_DIR = REPO_ROOT / "tests" / "data" / "samples"

__all__ = ["DEFAULT_SAMPLES_DIR", "Sample", "load_sample", "load_samples"]


def load_samples(directory: Path = DEFAULT_SAMPLES_DIR) -> list[Sample]:
    """Every ``*.yaml`` sample in ``directory`` (default: the project's), sorted by name."""
    return load_samples_from(directory)
