"""Change letters (decommission, bandwidth change): parsing, the register's refusals, the playbooks,
and the removal of a link's own lines (pure parts; the lab test is tests/e2e/test_6_link_life.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from netprov.domain.letters import ChangeLetter, Letter, parse_request_letter
from netprov.errors import ConfigError, InputError
from netprov.pipeline.change_run import STAGE_LIBRARY, change_stages
from netprov.platforms.config_undo import without_link
from netprov.settings import Settings, load_settings
from netprov.sop.changes import changed_link, changes_of, effective_bandwidth, kind_of
from netprov.sop.service import RequestService
from tests.letters import distinct_letter

BASE: dict[str, Any] = {
    "letter": {"number": "1/2/DISDIK/XII/2026", "date": "2026-11-20", "subject": "Pembongkaran"},
    "opd": "Dinas Pendidikan",
    "contact": {"name": "A B", "phone": "+62 778 462033", "email": "a@b.go.id"},
}


def letter(**more: Any) -> ChangeLetter | Letter:
    return parse_request_letter({**BASE, **more})


def test_change_letters_parse_and_name_the_field() -> None:
    d = letter(kind="decommission", of="PJB-2026-0001", reason="pindah")
    assert isinstance(d, ChangeLetter) and d.of == "PJB-2026-0001"
    with pytest.raises(InputError, match="reason: a decommission letter must say why"):
        letter(kind="decommission", of="PJB-2026-0001")
    with pytest.raises(InputError, match="of: String should match"):
        letter(kind="decommission", of="../x", reason="r")
    with pytest.raises(InputError, match="bandwidth_mbps: a bandwidth-change letter must give"):
        letter(kind="bandwidth-change", of="PJB-2026-0001")
    with pytest.raises(InputError, match="bandwidth_mbps: a decommission letter changes no rate"):
        letter(kind="decommission", of="PJB-2026-0001", reason="r", bandwidth_mbps=5)
    with pytest.raises(InputError, match="kind"):
        letter(kind="upgrade", of="PJB-2026-0001")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", id_prefix="PJB")


def test_register_refuses_bad_changes_and_writes_nothing(settings: Settings) -> None:
    svc = RequestService.from_settings(settings)
    new = svc.submit(distinct_letter(), "staff1")
    before = [(r.id, len(r.events)) for r in svc.find()]
    cases = [
        ("PJB-2026-0999", "of: PJB-2026-0999 is not a request in this register"),
        (new.id, f"of: {new.id} is received: only a link built by step 7 can be changed"),
    ]
    for of, msg in cases:
        ch = letter(kind="decommission", of=of, reason="pindah")
        with pytest.raises(InputError, match=msg):
            svc.submit(ch)
    assert [(r.id, len(r.events)) for r in svc.find()] == before
    assert svc.runs.lock_holder("change:PJB-2026-0999") is None  # the change lock was let go
    assert kind_of(new) == "new-link" and changed_link(new) is None
    assert changes_of(svc.find(), new.id) == [] and effective_bandwidth(new) == new.letter.bandwidth_mbps


def test_change_playbooks_are_data(settings: Settings, tmp_path: Path) -> None:
    names = [s.name for s in change_stages(settings, "decommission")]
    assert names[0] == "plan" and names[-1] == "record" and "remove-lines" in names
    assert "netbox-bandwidth" in [s.name for s in change_stages(settings, "bandwidth-change")]
    assert set(names) <= set(STAGE_LIBRARY)
    bad = tmp_path / "pb"
    (bad / "changes").mkdir(parents=True)
    (bad / "changes" / "decommission.yaml").write_text("kind: decommission\nstages: [plan, explode]\n")
    other = load_settings(data_dir=tmp_path / "d2", playbooks_dir=bad)
    with pytest.raises(ConfigError, match="unknown \\['explode'\\]"):
        change_stages(other, "decommission")


def test_without_link_takes_off_only_the_links_lines() -> None:
    before = "interface eth2\nexit\ninterface eth4\n ip address C\nexit\n"
    before += "router ospf\n network B area 0\nexit\n"
    after = before.replace("interface eth2\n", "interface eth2\n ip address A\n bandwidth 50\n").replace(
        " network B area 0\n", " network B area 0\n network A area 0\n"
    )
    # another link landed since, and a bandwidth change made the rate 100
    current = after.replace("bandwidth 50", "bandwidth 100").replace(
        " network A area 0\n", " network A area 0\n network D area 0\n"
    )
    intended = "interface eth2\n ip address A\n bandwidth 100\nexit\nrouter ospf\n network A area 0\nexit\n"
    text, gone = without_link(before, after, intended, current)
    assert text == before.replace(" network B area 0\n", " network B area 0\n network D area 0\n")
    assert ("interface eth2", "bandwidth 100") in gone and ("router ospf", "network D area 0") not in gone


def test_letter_kind_defaults_to_new_link() -> None:
    assert distinct_letter().kind == "new-link"
    assert dt.date.today().year >= 2026
