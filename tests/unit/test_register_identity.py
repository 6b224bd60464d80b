"""Register identity: made with the register, stamped in NetBox and monitoring, and another
register's objects for the same request id refused (never adopted, reported or removed)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from netprov.errors import RegisterConflict
from netprov.monitoring.base import MonitoredLink
from netprov.monitoring.identity import REGISTER_LABEL
from netprov.monitoring.prometheus import PrometheusBackend
from netprov.monitoring.zabbix import ZabbixBackend
from netprov.netbox import naming as nm
from netprov.netbox.adapter import NetBoxIpam
from netprov.store.db import Store
from netprov.store.identity import register_identity

RID = "PJB-2026-0001"


def _store(path: Path) -> Store:
    return Store(f"sqlite:///{path}")


def test_a_register_gets_an_identity_when_created_and_keeps_it(tmp_path: Path) -> None:
    first = _store(tmp_path / "a.db").register_id()
    assert len(first) == 36 and first.count("-") == 4  # a uuid
    assert _store(tmp_path / "a.db").register_id() == first  # reopened: the same
    assert _store(tmp_path / "b.db").register_id() != first  # another register: another


def test_register_identity_of_a_service(tmp_path: Path) -> None:
    store = _store(tmp_path / "a.db")
    assert register_identity(SimpleNamespace(store=store)) == store.register_id()
    assert register_identity(object()) == ""  # a fake without a store: nothing checked


def _link() -> MonitoredLink:
    return MonitoredLink(
        request_id=RID,
        opd="disdik",
        opd_name="Dinas Pendidikan",
        site="Kantor",
        service="intranet",
        bandwidth_mbps=10,
        circuit="dist:eth2 - cpe:eth1",
        address="10.20.0.1",  # type: ignore[arg-type]
        device="cpe-disdik-bk",
    )


def test_prometheus_stamps_and_refuses_another_registers_target(tmp_path: Path) -> None:
    mine = PrometheusBackend(tmp_path, register_id="reg-a")
    other = PrometheusBackend(tmp_path, register_id="reg-b")
    mine.register(_link())
    labels = json.loads(mine.target_file(RID).read_text())[0]["labels"]
    assert labels[REGISTER_LABEL] == "reg-a"
    assert mine.find(RID) is not None
    with pytest.raises(RegisterConflict, match=r"reg-a.*reg-b"):
        other.register(_link())
    assert other.find(RID) is None
    st = other.status(RID)
    assert st.up is None and "reg-a" in st.detail and "reg-b" in st.detail
    assert other.deregister(RID) is False and mine.target_file(RID).exists()
    assert mine.deregister(RID) is True


def test_prometheus_without_identity_checks_nothing(tmp_path: Path) -> None:
    PrometheusBackend(tmp_path, register_id="reg-a").register(_link())
    assert PrometheusBackend(tmp_path).find(RID) is not None


class _FakeZabbix(ZabbixBackend):
    """A Zabbix whose API is a dict of hosts (enough for register/find/status/deregister)."""

    def __init__(self, hosts: list[dict[str, Any]], register_id: str) -> None:
        super().__init__("http://zabbix.invalid", "token", register_id=register_id)
        self.hosts = hosts
        self.calls: list[str] = []

    def call(self, method: str, params: Any, what: str) -> Any:
        self.calls.append(method)
        if method == "host.get":
            return [h for h in self.hosts if h["host"] == params["filter"]["host"]]
        if method == "template.get":
            return [{"templateid": "1"}]
        if method == "hostgroup.get":
            return [{"groupid": "5"}]
        if method == "host.create":
            self.hosts.append(
                {"hostid": "9", "host": params["host"], "tags": params["tags"], "groups": [{"groupid": "5"}]}
            )
            return {"hostids": ["9"]}
        if method == "host.delete":
            self.hosts[:] = [h for h in self.hosts if h["hostid"] not in params]
            return {}
        return []


def test_zabbix_stamps_the_host_tag() -> None:
    zb = _FakeZabbix([], "reg-a")
    zb.register(_link())
    assert {"tag": REGISTER_LABEL, "value": "reg-a"} in zb.hosts[0]["tags"]


def test_zabbix_refuses_reports_nothing_and_keeps_another_registers_host() -> None:
    host = {"hostid": "7", "host": RID, "tags": [{"tag": REGISTER_LABEL, "value": "reg-a"}], "groups": []}
    zb = _FakeZabbix([host], "reg-b")
    with pytest.raises(RegisterConflict, match=f"{RID}.*reg-a.*reg-b"):
        zb.register(_link())
    assert "host.create" not in zb.calls and "host.update" not in zb.calls
    assert zb.find(RID) is None
    st = zb.status(RID)
    assert st.up is None and "reg-a" in st.detail and "reg-b" in st.detail
    assert zb.deregister(RID) is False and zb.hosts == [host]
    assert _FakeZabbix([host], "reg-a").find(RID) is not None


class _Endpoint:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def filter(self, **_: Any) -> list[dict[str, Any]]:
        return self.rows


def _nb(register_id: str, owner: str) -> NetBoxIpam:
    cfs = {nm.CF_REQUEST: RID, nm.CF_REGISTER: owner}
    api = SimpleNamespace(
        ipam=SimpleNamespace(
            prefixes=_Endpoint([{"id": 1, "prefix": "10.20.0.0/26", "custom_fields": cfs}]),
            ip_addresses=_Endpoint([]),
            vlans=_Endpoint([]),
        ),
        dcim=SimpleNamespace(interfaces=_Endpoint([])),
    )
    nb = NetBoxIpam(api=api, counter=SimpleNamespace(count=0), pool_roles={}, transfer_role="t")
    nb.register_id = register_id
    return nb


def test_netbox_refuses_another_registers_objects_naming_both() -> None:
    with pytest.raises(RegisterConflict, match=r"prefix 10\.20\.0\.0/26.*reg-a.*reg-b"):
        _nb("reg-b", "reg-a")._request_objects(RID)
    with pytest.raises(RegisterConflict):
        _nb("reg-b", "reg-a").release(RID)  # never deletes another register's objects
    assert _nb("reg-a", "reg-a")._request_objects(RID)["prefix"]
    assert _nb("", "reg-a")._request_objects(RID)["prefix"]  # no identity: unchecked


def test_netbox_stamps_what_it_creates() -> None:
    assert _nb("reg-a", "")._stamp() == {nm.CF_REGISTER: "reg-a"}
    assert _nb("", "")._stamp() == {}


def test_the_seed_creates_the_register_field() -> None:
    from netprov.netbox.seed_fields import CUSTOM_FIELDS

    field = next(f for f in CUSTOM_FIELDS if f["name"] == nm.CF_REGISTER)
    assert {"ipam.prefix", "ipam.ipaddress", "ipam.vlan"} <= set(field["object_types"])


def test_zabbix_asks_check_now_right_after_creating_the_host() -> None:
    class _WithItem(_FakeZabbix):
        def call(self, method: str, params: Any, what: str) -> Any:
            if method == "item.get":
                self.calls.append(method)
                return [{"itemid": "42", "lastclock": "0"}]
            if method == "task.create":
                self.calls.append(method)
                self.task = params
                return {"taskids": ["1"]}
            return super().call(method, params, what)

    zb = _WithItem([], "reg-a")
    zb.register(_link())
    assert zb.calls.index("task.create") > zb.calls.index("host.create")
    assert zb.task == [{"type": 6, "request": {"itemid": "42"}}]
