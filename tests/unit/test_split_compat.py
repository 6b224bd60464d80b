"""Modules split for issue 12 keep their old import paths (callers import from them)."""

from __future__ import annotations

import importlib

import pytest

OLD_NAMES = {
    "netprov.store.db": [
        "Store",
        "StoredEvent",
        "StoredRequest",
        "JournalEntry",
        "verify_chain",
        "HEAD_REVISION",
        "MIGRATIONS",
        "MIGRATION_LOCK_KEY",
        "GENESIS",
        "_ensure_wal",
        "_sqlite_immediate",
        "utc",
        "canonical",
        "event_hash",
        "_req",
        "_evt",
    ],
    "netprov.monitoring.zabbix": [
        "ZabbixBackend",
        "TEMPLATE_NAME",
        "PING_KEY",
        "GROUP_PREFIX",
        "MACRO_PREFIX",
        "MANAGED_TAG",
        "TASK_CHECK_NOW",
        "HISTORY_UNSIGNED",
        "host_name",
        "visible_name",
        "group_name",
        "host_tags",
        "host_macros",
        "host_inventory",
        "agent_interface",
        "_clip",
        "_transient",
        "_ts",
        "_detail",
    ],
    "netprov.netbox.seed": [
        "seed_netbox",
        "Seeder",
        "diff",
        "Counts",
        "PAGE",
        "ROLE_COLORS",
        "ROLE_NAMES",
        "CUSTOM_FIELDS",
        "NAPALM_DRIVER_CF",
        "_norm",
        "_want",
        "_ref",
    ],
    "netprov.cli.request": [
        "app",
        "JSON",
        "service",
        "print_table",
        "manual_feasibility",
        "netbox_feasibility",
        "register_top_level",
    ],
}


@pytest.mark.parametrize("module", sorted(OLD_NAMES))
def test_old_names_still_import(module: str) -> None:
    mod = importlib.import_module(module)
    missing = [n for n in OLD_NAMES[module] if not hasattr(mod, n)]
    assert not missing, f"{module} lost {missing}"


def test_store_keeps_every_method() -> None:
    from netprov.store.db import Store

    for name in (
        "at_head",
        "migrate",
        "session",
        "insert_request",
        "get_request",
        "list_requests",
        "append_event",
        "events",
        "all_events",
        "journal",
        "journal_entries",
        "acquire_lock",
        "lock_holder",
        "release_lock",
    ):
        assert callable(getattr(Store, name)), name


def test_zabbix_backend_keeps_its_interface() -> None:
    from netprov.monitoring.zabbix import ZabbixBackend

    b = ZabbixBackend("http://127.0.0.1:9/api_jsonrpc.php/", "s3cret")
    assert b.name == "zabbix"
    assert repr(b) == "ZabbixBackend(url='http://127.0.0.1:9/api_jsonrpc.php')"
    assert "s3cret" not in repr(b)
    for name in ("call", "find", "register", "deregister", "status"):
        assert callable(getattr(b, name)), name


def test_request_commands_in_sop_order() -> None:
    from netprov.cli.request import app

    names = [c.name for c in app.registered_commands]
    assert names == [
        "documents",
        "document",
        "scan",
        "submit",
        "dispose",
        "assign",
        "reassign",
        "check",
        "reject",
        "sign-reply",
        "accept",
        "form",
        "report",
        "forward",
        "review",
        "list",
        "show",
    ]
