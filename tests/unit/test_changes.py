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


# --- a decommission on a device another live link also uses (netprov.platforms.shared_lines) -----
CPE_BASE = "interface eth1\nexit\ninterface eth2\nexit\nrouter ospf\n ospf router-id 1.1.1.1\nexit\n"
L_PUSH = (
    "interface eth1\n ip address 10.250.0.2/30\n bandwidth 50\nexit\n"
    "router ospf\n redistribute connected\n network 10.250.0.0/30 area 0\nexit\n"
)
M_PUSH = (
    "interface eth2\n ip address 10.250.0.6/30\n bandwidth 20\nexit\n"
    "router ospf\n redistribute connected\n network 10.250.0.4/30 area 0\nexit\n"
)


def _merge(config: str, fragment: str) -> str:
    """What a merge of ``fragment`` onto ``config`` leaves (FRR-style, enough for these tests)."""
    from netprov.platforms.config_undo import parse

    out = config
    for ln in parse(fragment):
        if ln.structural or len(ln.path) == 1:
            continue
        block, line = ln.path[0], ln.path[-1]
        if line in out.split(f"{block}\n", 1)[1].split("exit\n", 1)[0]:
            continue
        out = out.replace(f"{block}\n", f"{block}\n {line}\n", 1)
    return out


def test_decommission_keeps_the_lines_another_live_link_on_the_device_needs() -> None:
    from netprov.platforms.config_undo import link_lines
    from netprov.platforms.shared_lines import OtherLink, kept_lines, needed_by_others

    after_l = _merge(CPE_BASE, L_PUSH)  # L first: it added `redistribute connected`
    after_m = _merge(after_l, M_PUSH)  # M found it there: its push added only its own lines
    assert after_m.count("redistribute connected") == 1
    m = OtherLink("M", M_PUSH, after_l, after_m)
    keep = needed_by_others([m], "merge")
    shared = ("router ospf", "redistribute connected")
    assert shared in keep and shared not in (set() if True else keep) - keep

    # without knowing M, L's decommission would take M's `redistribute connected` off
    naive, _ = without_link(CPE_BASE, after_l, L_PUSH, after_m)
    assert "redistribute connected" not in naive
    text, gone = without_link(CPE_BASE, after_l, L_PUSH, after_m, keep=keep)
    assert "redistribute connected" in text and "network 10.250.0.4/30 area 0" in text
    assert "10.250.0.2" not in text and "network 10.250.0.0/30" not in text and "bandwidth 50" not in text
    assert shared not in gone and ("interface eth1", "bandwidth 50") in gone
    assert "ip address 10.250.0.6/30" in text  # M's port untouched
    kept = kept_lines(link_lines(CPE_BASE, after_l, L_PUSH), keep, after_m)
    assert kept == [shared]

    # M goes last: the line kept for it is its own now (inherited), and nobody else needs it
    text2, gone2 = without_link(after_l, after_m, M_PUSH, text, inherited=kept)
    assert text2 == CPE_BASE and shared in gone2


def test_decommission_of_the_link_built_second_leaves_the_first_links_lines() -> None:
    from netprov.platforms.shared_lines import OtherLink, needed_by_others

    after_l = _merge(CPE_BASE, L_PUSH)
    after_m = _merge(after_l, M_PUSH)
    l_run = OtherLink("L", L_PUSH, CPE_BASE, after_l)
    text, gone = without_link(after_l, after_m, M_PUSH, after_m, keep=needed_by_others([l_run], "merge"))
    assert text == after_l  # M's lines off; L's (the shared line included) stay
    assert all("10.250.0.4" in " ".join(p) or "eth2" in p[0] for p in gone), gone


def test_a_whole_config_keeps_only_what_the_other_links_push_added() -> None:
    """The provider's BIRD config (replace) lists every link's prefix: the other link's pushed
    text holds the decommissioned link's prefix too, which must still go."""
    from netprov.platforms.shared_lines import OtherLink, needed_by_others

    base = "filter from_city {\n  if net ~ [ 198.51.100.0/24 ] then accept;\n  reject;\n}\n"
    with_l = base.replace("198.51.100.0/24 ]", "198.51.100.0/24, 203.0.113.0/28 ]")
    with_lm = with_l.replace("203.0.113.0/28 ]", "203.0.113.0/28, 203.0.113.16/28 ]")
    assert with_lm != with_l
    # one prefix per line, the way the provider template writes them
    base = "protocol static lans {\n  route 198.51.100.0/24 blackhole;\n}\n"
    with_l = base.replace("blackhole;\n", "blackhole;\n  route 203.0.113.0/28 blackhole;\n", 1)
    with_lm = with_l.replace(
        "203.0.113.0/28 blackhole;\n", "203.0.113.0/28 blackhole;\n  route 203.0.113.16/28 blackhole;\n"
    )
    m = OtherLink("M", with_lm, with_l, with_lm)  # pushed = the whole config, L's prefix in it
    keep = needed_by_others([m], "replace", ("#",))
    text, _ = without_link(base, with_l, "", with_lm, ("#",), keep=keep)
    assert "203.0.113.0/28" not in text and "203.0.113.16/28" in text
    assert needed_by_others([m], "merge", ("#",)) >= {
        ("protocol static lans {", "route 203.0.113.0/28 blackhole;")
    }


def test_a_decommission_renders_the_providers_whole_config_without_the_link(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The provider's BIRD (replace) config lists every internet link's prefix, with commas
    between them: it is rendered again without the link, the other live prefixes kept, a prefix
    already taken off the device (its own decommission's NetBox release still to come) not put
    back; with no other prefix and a baseline before the link, it goes back to that baseline."""
    import ipaddress
    from types import SimpleNamespace
    from typing import cast

    from netprov.domain.topology import load_topology
    from netprov.pipeline import change_stages
    from netprov.pipeline.change_stages import ChangeRun, _whole_without_link
    from netprov.render.link import render_link
    from netprov.render.playbook import load_playbook
    from netprov_lab.samples import DEFAULT_SAMPLES_DIR, load_sample

    settings = load_settings()
    s = load_sample(DEFAULT_SAMPLES_DIR / "dinkes-internet-small.yaml")
    topo, pb = load_topology(settings.topology_file), load_playbook(settings, "internet")
    lan, other, gone = (
        ipaddress.ip_network(n) for n in ("203.0.113.0/28", "203.0.113.64/28", "203.0.113.96/28")
    )
    alloc = s.allocation.model_copy(update={"lan_prefix": lan})

    def render(prefixes: list[ipaddress.IPv4Network]) -> str:  # the provider listing ``prefixes``
        quiet = pb.model_copy(update={"announce": "none"})
        configs = render_link(s.request_id, s.letter, alloc, topo, quiet, internet_prefixes=prefixes)
        return next(c.text for c in configs if c.mode == "replace")

    configs = render_link(s.request_id, s.letter, alloc, topo, pb, internet_prefixes=[lan, other])
    provider = next(c.device for c in configs if c.mode == "replace")

    def whole(active: list[ipaddress.IPv4Network], running: str, before: str) -> str | None:
        monkeypatch.setattr(change_stages, "_other_live_lans", lambda _r: active)  # the register's live LANs
        run = SimpleNamespace(
            configs=configs,
            the_link=lambda: SimpleNamespace(id=s.request_id, letter=s.letter, form=None),
            the_allocation=lambda: alloc,
            snapshots={provider: running},
            live=SimpleNamespace(snapshots={provider: before}),
            deps=SimpleNamespace(
                ipam=SimpleNamespace(active_prefixes=lambda _s: active), topology=topo, settings=settings
            ),
            playbook=pb,
        )
        return _whole_without_link(cast(ChangeRun, run))[provider]

    text = whole([lan, other, gone], render([lan, other]), before=render([other]))
    assert text == render([other]) and str(lan) not in (text or "") and str(other) in (text or "")
    assert (
        whole(
            [lan],
            render([lan]),
            before="filter netprov_customers_in {\n  if net ~ [ 203.0.113.0/24{24,32} ] then accept;\n}\n",
        )
        is None
    )
    assert whole([lan], render([lan]), before=render([other])) == render([])  # the other went before
