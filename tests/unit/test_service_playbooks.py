"""Services as data: a third playbook in a folder is a new service, without code changes."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from netprov.domain.feasibility import evaluate
from netprov.domain.letters import parse_letter
from netprov.domain.planning import Survey
from netprov.domain.resources import Allocation
from netprov.domain.services import check_service, known_services
from netprov.domain.topology import load_topology
from netprov.errors import InputError, NotFoundError
from netprov.netbox.adapter import NetBoxIpam, service_rules
from netprov.render.link import announced_prefixes, render_link
from netprov.render.playbook import (
    available_services,
    load_playbook,
    load_playbooks,
    plan_devices,
    resolve_checks,
)
from netprov.settings import REPO_ROOT, Settings, load_settings
from netprov_lab.samples import DEFAULT_SAMPLES_DIR, load_sample
from tests.third_playbook import SERVICE, playbooks_folder

TOPOLOGY = load_topology(load_settings().topology_file)
INTERNET = load_sample(DEFAULT_SAMPLES_DIR / "dinkes-internet-small.yaml")


@pytest.fixture
def playbooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The two playbooks of the repository and the third one, in a temporary folder."""
    folder = playbooks_folder(tmp_path)
    monkeypatch.setenv("NETPROV_PLAYBOOKS_DIR", str(folder))
    return folder


def _settings(folder: Path) -> Settings:
    return load_settings(playbooks_dir=folder)


def _letter_data(service: str) -> dict[str, Any]:
    data: dict[str, Any] = INTERNET.letter.model_dump(mode="json")
    return {**data, "service": service}


def _allocation() -> Allocation:
    return Allocation.model_validate({**INTERNET.allocation.model_dump(mode="json"), "service": SERVICE})


def test_the_services_are_the_playbooks_found(playbooks: Path) -> None:
    assert available_services(_settings(playbooks)) == ["internet", SERVICE, "intranet"]
    assert known_services() == {"internet", SERVICE, "intranet"}
    assert available_services(load_settings(playbooks_dir=REPO_ROOT / "playbooks")) == [
        "internet",
        "intranet",
    ]
    pb = load_playbook(_settings(playbooks), SERVICE)
    assert (pb.lan_pool, pb.uplink.scope, pb.uplink_service, pb.announced) == (
        "internet",
        "global",
        "internet",
        False,
    )


def test_letter_with_the_new_service_validates(playbooks: Path) -> None:
    letter = parse_letter(_letter_data(SERVICE), services=available_services(_settings(playbooks)))
    assert letter.service == SERVICE
    assert parse_letter(_letter_data(SERVICE)).service == SERVICE  # default: NETPROV_PLAYBOOKS_DIR


def test_unknown_service_is_refused_naming_field_and_known_ones() -> None:
    with pytest.raises(InputError) as err:
        parse_letter(_letter_data("gopher"))
    text = str(err.value)
    assert "service" in text and "gopher" in text
    assert "internet" in text and "intranet" in text
    with pytest.raises(InputError, match="service"):
        parse_letter(_letter_data(SERVICE), services=["intranet", "internet"])
    with pytest.raises(ValueError, match="slug"):
        check_service("Not A Slug", {"intranet"})
    with pytest.raises(NotFoundError, match="intranet"):
        load_playbook(load_settings(), "gopher")


def test_plan_checks_and_render_without_code_change(playbooks: Path) -> None:
    settings = _settings(playbooks)
    pb = load_playbook(settings, SERVICE)
    letter = parse_letter(_letter_data(SERVICE))
    alloc = _allocation()
    roles = [t.role for t in plan_devices(pb, alloc, TOPOLOGY)]
    assert roles == ["distribution", "cpe", "access"]  # neither core nor provider
    checks = resolve_checks(pb, alloc, TOPOLOGY)
    assert [c.kind for c in checks] == ["interface_address", "interface_address", "ping"]
    assert checks[2].from_device == TOPOLOGY.core().name
    assert str(checks[2].target) == "203.0.113.1"
    announced = announced_prefixes(pb, lambda s: [INTERNET.allocation.lan_prefix], alloc)
    assert announced == []
    configs = render_link(INTERNET.request_id, letter, alloc, TOPOLOGY, pb, internet_prefixes=announced)
    assert [c.role for c in configs] == ["distribution", "cpe", "access"]
    cpe = next(c for c in configs if c.role == "cpe").text
    assert "203.0.113.1/28" in cpe and SERVICE in cpe


def test_new_service_refuses_a_lan_outside_its_pool(playbooks: Path) -> None:
    pb = load_playbook(_settings(playbooks), SERVICE)
    alloc = Allocation.model_validate(
        {
            **_allocation().model_dump(mode="json"),
            "lan_prefix": "10.100.0.0/28",
            "lan_gateway": "10.100.0.1/28",
        }
    )
    from netprov.errors import RenderError

    with pytest.raises(RenderError, match="not inside its pool internet"):
        render_link(INTERNET.request_id, parse_letter(_letter_data(SERVICE)), alloc, TOPOLOGY, pb)


def test_ipam_rules_come_from_the_playbooks(playbooks: Path) -> None:
    rules = service_rules(load_playbooks(playbooks), TOPOLOGY)
    assert rules[SERVICE].pool_role == TOPOLOGY.pools["internet"].role
    assert rules[SERVICE].uplink_scope == "global" and not rules[SERVICE].announced
    assert rules["intranet"].uplink_scope == "area" and rules["internet"].announced
    nb = NetBoxIpam(api=None, counter=SimpleNamespace(count=0), rules=rules, transfer_role="transfer")
    # bandwidth of both internet services counts against the one internet uplink
    assert nb._sharing("internet") == ["internet", SERVICE]
    assert nb._sharing("intranet") == ["intranet"]


def test_global_uplink_scope_needs_a_recorded_uplink(playbooks: Path) -> None:
    letter = parse_letter(_letter_data(SERVICE))
    survey = Survey(
        request_id="PJB-2026-0002", service=SERVICE, tenant=None, site=None, link=None, uplink_scope="global"
    )
    fe = evaluate(survey, letter)
    assert any(f.check == "bandwidth" and not f.ok for f in fe.findings)
    area = Survey(
        request_id="PJB-2026-0002", service=SERVICE, tenant=None, site=None, link=None, uplink_scope="area"
    )
    assert not any(f.check == "bandwidth" for f in evaluate(area, letter).findings)


def test_repository_playbooks_document_their_rules() -> None:
    for path in (REPO_ROOT / "playbooks").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert {"service", "pool", "uplink", "announce"} <= set(data), path.name


# ------------------------------------------------------------------------ no service in code

SERVICE_NAMES = {"intranet", "internet"}
#: Files that may name services as data, with the reason.
ALLOWED = {
    "netprov/documents/view.py": "document labels per service (hygiene's module)",
    "netprov/documents/samples.py": "sample document data",
}
EXCLUDED_DIRS = ("netprov/store/migrations/",)


def _service_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    out = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value in SERVICE_NAMES
            and id(node) not in docstrings
        ):
            out.append(f"{path}:{node.lineno}: {node.value!r}")
        if isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("Literal"):
            names = {n.value for n in ast.walk(node.slice) if isinstance(n, ast.Constant)}
            if names & SERVICE_NAMES:
                out.append(f"{path}:{node.lineno}: Literal of service names")
    return out


def test_no_service_name_in_code() -> None:
    found: list[str] = []
    for path in sorted((REPO_ROOT / "netprov").rglob("*.py")):
        rel = path.relative_to(REPO_ROOT).as_posix()
        if rel in ALLOWED or rel.startswith(EXCLUDED_DIRS):
            continue
        found += _service_literals(path)
    assert found == [], "service names in code (they belong in playbooks/):\n" + "\n".join(found)


def test_topology_pools_are_a_mapping_with_required_infra_pools() -> None:
    from netprov.domain.topology import Topology

    raw = TOPOLOGY.model_dump(mode="json")
    assert set(TOPOLOGY.pools.lan_pools()) == {"intranet", "internet"}
    assert TOPOLOGY.pools.transfer.prefix_length == 30
    with pytest.raises(ValueError, match="transfer"):
        Topology.model_validate({**raw, "pools": {k: v for k, v in raw["pools"].items() if k != "transfer"}})
    bad = {**raw, "uplinks": [{**raw["uplinks"][0], "service": "gopher"}]}
    with pytest.raises(ValueError, match="unknown service 'gopher'"):
        Topology.model_validate(bad)
    assert Topology.model_validate(raw) == TOPOLOGY  # JSON shape unchanged
