"""Golden files: every template x every sample renders exactly as checked in.

Regenerate after an intended template change with ``NETPROV_UPDATE_GOLDEN=1 pytest
tests/unit/test_render_golden.py`` and review the diff in git.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from netprov.domain.topology import load_topology
from netprov.render.check import MatrixEntry, all_templates, render_matrix
from netprov.render.link import DEFAULT_TEMPLATES_DIR
from netprov.render.playbook import load_playbook
from netprov.settings import REPO_ROOT, load_settings
from netprov_lab.samples import load_samples

GOLDEN = REPO_ROOT / "tests" / "golden"
UPDATE = os.environ.get("NETPROV_UPDATE_GOLDEN", "") not in ("", "0")


def _matrix() -> list[MatrixEntry]:
    settings = load_settings()
    topology = load_topology(settings.topology_file)
    playbooks = {s: load_playbook(settings, s) for s in ("intranet", "internet")}
    return render_matrix(load_samples(), topology, playbooks, DEFAULT_TEMPLATES_DIR)


MATRIX = _matrix()


def test_matrix_covers_every_template_and_sample() -> None:
    rendered = {e.config.template for e in MATRIX}
    assert rendered == set(all_templates(DEFAULT_TEMPLATES_DIR))
    assert {e.sample for e in MATRIX} == {s.name for s in load_samples()}
    assert len(load_samples()) >= 5


@pytest.mark.parametrize("entry", MATRIX, ids=[e.golden_name for e in MATRIX])
def test_golden(entry: MatrixEntry) -> None:
    path = GOLDEN / entry.golden_name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(entry.config.text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with NETPROV_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    if expected != entry.config.text:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                entry.config.text.splitlines(keepends=True),
                fromfile=f"golden/{entry.golden_name}",
                tofile=f"rendered {entry.config.template}",
            )
        )
        pytest.fail(f"{entry.golden_name} differs from its golden file:\n{diff}")


def test_no_stale_golden_files() -> None:
    expected = {e.golden_name for e in MATRIX}
    on_disk = {str(p.relative_to(GOLDEN)) for p in Path(GOLDEN).glob("*/*/*.txt")}
    assert on_disk - expected == set(), "golden files no sample renders any more"
