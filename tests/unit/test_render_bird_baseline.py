"""The provider template with no customers vs the device lab's BIRD baseline.

Same router id, protocols, neighbours and filter names; the one intended difference is the
import filter: the baseline accepts anything inside the internet pool, the template accepts
exactly the active internet LAN prefixes (with none, nothing).
"""

from __future__ import annotations

from netprov.domain.topology import load_topology
from netprov.render.data import build_template_data
from netprov.render.env import environment, render_template
from netprov.render.link import DEFAULT_TEMPLATES_DIR
from netprov.settings import load_settings
from netprov_lab.devices_plan import bird_baseline
from netprov_lab.samples import DEFAULT_SAMPLES_DIR, load_sample

TOPOLOGY = load_topology(load_settings().topology_file)


def _statements(config: str) -> list[str]:
    return [
        " ".join(ln.split()) for ln in config.splitlines() if ln.strip() and not ln.strip().startswith("#")
    ]


def test_provider_without_customers_matches_the_baseline_but_the_import_filter() -> None:
    s = load_sample(DEFAULT_SAMPLES_DIR / "disdik-intranet-small.yaml")
    data = build_template_data(s.request_id, s.letter, s.allocation, TOPOLOGY)
    assert data.routing.internet_prefixes == ()
    ours = render_template(environment(DEFAULT_TEMPLATES_DIR), "bird2/provider.j2", data.variables())
    base = bird_baseline(TOPOLOGY)
    ours_s = _statements(ours)
    base_s = _statements(base)
    only_ours = [x for x in ours_s if x not in base_s]
    only_base = [x for x in base_s if x not in ours_s]
    assert only_base == ["if net ~ [ 203.0.113.0/24{24,32} ] then accept;"]
    assert only_ours == []
