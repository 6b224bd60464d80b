"""Config methods against a fake transport: one test per method (plus error paths).

The outputs are what FRR 8.4 printed in the lab (vtysh --dryrun errors, frr-reload.py
--test sections, vtysh -f failures); the fake answers per command pattern.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from napalm.base.exceptions import (
    CommandErrorException,
    CommitConfirmException,
    CommitError,
    ConnectionClosedException,
    MergeConfigException,
    ReplaceConfigException,
)

from napalm_frr import FRRDriver
from tests.unit.napalm_frr.fake import make_driver

FRAGMENT = "interface eth1\n ip address 10.250.0.2/30\nexit\n"
RELOAD_TEST_OUT = """2026-11-29 14:53:40,100  INFO: Called via "Namespace(...)"

Lines To Delete
===============
no router bgp 65099

Lines To Add
============
interface eth1
interface eth1
 ip address 10.250.0.2/30
"""
DRYRUN_ERR = "line 2: % Unknown command[17]:  ip adress 10.250.0.2/30\n"
OK = {"match": r".", "stdout": ""}
VALIDATE = r"^umask 077.*--dryrun"


def test_load_merge_candidate_validates_with_dryrun() -> None:
    d, fake = make_driver([{"match": VALIDATE, "rc": 0}])
    d.load_merge_candidate(config=FRAGMENT)
    cmd, stdin = fake.calls[0]
    assert "vtysh --dryrun -f" in cmd and stdin == FRAGMENT
    assert d.get_config(retrieve="candidate")["candidate"] == FRAGMENT


def test_load_merge_candidate_rejected() -> None:
    d, _ = make_driver([{"match": VALIDATE, "rc": 2, "stderr": DRYRUN_ERR}])
    with pytest.raises(MergeConfigException, match="Unknown command"):
        d.load_merge_candidate(config="interface eth1\n ip adress 10.250.0.2/30\n")
    assert d.get_config(retrieve="candidate")["candidate"] == ""


def test_load_replace_candidate_from_file(tmp_path: Path) -> None:
    f = tmp_path / "frr.conf"
    f.write_text("Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.4.4\nhostname r1\n")
    d, fake = make_driver([{"match": VALIDATE, "rc": 0}])
    d.load_replace_candidate(filename=str(f))
    assert fake.calls[0][1] == "frr version 8.4.4\nhostname r1\n"  # preamble stripped


def test_load_replace_candidate_missing_file(tmp_path: Path) -> None:
    d, _ = make_driver([])
    with pytest.raises(ReplaceConfigException, match="cannot read"):
        d.load_replace_candidate(filename=str(tmp_path / "nope.conf"))


def test_compare_config_merge_uses_running_plus_candidate() -> None:
    d, fake = make_driver(
        [{"match": VALIDATE, "rc": 0}, {"match": r"frr-reload.py --test", "stdout": RELOAD_TEST_OUT}]
    )
    d.load_merge_candidate(config=FRAGMENT)
    diff = d.compare_config()
    assert diff == (
        "Lines To Delete\n===============\nno router bgp 65099\n\n"
        "Lines To Add\n============\ninterface eth1\n ip address 10.250.0.2/30"
    )
    cmd, stdin = fake.calls[-1]
    assert "show running-config" in cmd and stdin == FRAGMENT


def test_compare_config_replace_empty_when_equal() -> None:
    d, fake = make_driver(
        [
            {"match": VALIDATE, "rc": 0},
            {
                "match": r"frr-reload.py --test",
                "stdout": "\nLines To Delete\n===============\n\nLines To Add\n============\n",
            },
        ]
    )
    d.load_replace_candidate(config="hostname r1\n")
    assert d.compare_config() == ""
    assert "show running-config" not in fake.calls[-1][0]


def test_compare_config_without_candidate() -> None:
    d, fake = make_driver([])
    assert d.compare_config() == ""
    assert fake.calls == []


def test_compare_config_reload_error_raises() -> None:
    out = (
        "2026-11-29 14:49:00,636 \x1b[91m  ERROR\x1b[0m: vtysh failed to process new "
        "configuration: vtysh (mark file) exited with status 2\n"
    )
    d, _ = make_driver([{"match": VALIDATE, "rc": 0}, {"match": r"frr-reload.py --test", "stdout": out}])
    d.load_replace_candidate(config="hostname r1\n")
    with pytest.raises(ReplaceConfigException, match="vtysh failed"):
        d.compare_config()


def test_commit_config_merge_saves_snapshot_and_writes_memory() -> None:
    d, fake = make_driver(
        [
            {"match": VALIDATE, "rc": 0},
            {"match": r"^sh -s\n.*APPLY-RC", "stdout": "APPLY-RC 0\n"},
            {"match": r"^sh -s\n.*rollback.conf.new\" \"\$S/rollback.conf\"", "stdout": ""},
        ]
    )
    d.load_merge_candidate(config=FRAGMENT)
    d.commit_config(message="PJB-2026-0001 step 7")
    apply_script = fake.calls[1][1] or ""
    assert "show running-config" in apply_script and "rollback.conf.new" in apply_script
    assert "vtysh -f" in apply_script and FRAGMENT in apply_script
    tail = fake.calls[2][1] or ""
    assert "write memory" in tail and "PJB-2026-0001 step 7" in tail
    assert "revert.sh" not in tail
    assert d.get_config(retrieve="candidate")["candidate"] == ""


def test_commit_config_replace_uses_frr_reload() -> None:
    d, fake = make_driver(
        [{"match": VALIDATE, "rc": 0}, {"match": r"APPLY-RC", "stdout": "APPLY-RC 0\n"}, OK]
    )
    d.load_replace_candidate(config="hostname r1\n")
    d.commit_config()
    assert "frr-reload.py --reload --stdout" in (fake.calls[1][1] or "")


def test_commit_config_revert_in_starts_timer_on_router() -> None:
    d, fake = make_driver(
        [{"match": VALIDATE, "rc": 0}, {"match": r"APPLY-RC", "stdout": "APPLY-RC 0\n"}, OK]
    )
    d.load_merge_candidate(config=FRAGMENT)
    d.commit_config(message="try", revert_in=30)
    tail = fake.calls[2][1] or ""
    assert "sleep 30" in tail and "setsid sh" in tail and "pending" in tail
    assert "write memory" in tail  # only inside the revert script, after the reload
    assert tail.index("write memory") > tail.index("sleep 30")


def test_commit_config_rejected_restores_and_raises() -> None:
    out = "APPLY-RC 13\nline 1: Failure to communicate[13] to bgpd, line: router bgp 65098\n"
    d, fake = make_driver(
        [
            {"match": VALIDATE, "rc": 0},
            {"match": r"APPLY-RC", "stdout": out},
            {"match": r"restore.log", "rc": 0},
        ]
    )
    d.load_merge_candidate(config="router bgp 65098\n")
    with pytest.raises(MergeConfigException, match="Failure to communicate"):
        d.commit_config(message="bad")
    assert "rollback.conf.new" in (fake.calls[-1][1] or "")
    assert 'rollback.conf.new" "$S/rollback.conf"' not in (fake.calls[-1][1] or "")


def test_commit_config_refused_while_pending() -> None:
    d, _ = make_driver([{"match": VALIDATE, "rc": 0}, {"match": r"APPLY-RC", "stdout": "PENDING\n"}])
    d.load_merge_candidate(config=FRAGMENT)
    with pytest.raises(CommitError, match="pending"):
        d.commit_config()


def test_commit_config_validation_failure_in_commit() -> None:
    d, _ = make_driver(
        [{"match": VALIDATE, "rc": 0}, {"match": r"APPLY-RC", "stdout": "VALIDATE-FAILED\n" + DRYRUN_ERR}]
    )
    d.load_replace_candidate(config="hostname r1\n")
    with pytest.raises(ReplaceConfigException, match="Unknown command"):
        d.commit_config()


def test_commit_config_without_candidate_is_noop() -> None:
    d, fake = make_driver([])
    d.commit_config()
    assert fake.calls == []


def test_has_pending_commit() -> None:
    d, _ = make_driver([{"match": r"pending", "stdout": "PENDING\n"}])
    assert d.has_pending_commit() is True
    d, _ = make_driver([{"match": r"pending", "stdout": "NONE\n"}])
    assert d.has_pending_commit() is False
    d, _ = make_driver([{"match": r"pending", "stdout": "STALE\n"}])
    assert d.has_pending_commit() is False


def test_confirm_commit() -> None:
    d, fake = make_driver([{"match": r"pending", "stdout": "CONFIRMED\n"}])
    d.confirm_commit()
    script = fake.calls[0][1] or ""
    assert "kill -TERM" in script and "write memory" in script


def test_confirm_commit_without_pending() -> None:
    d, _ = make_driver([{"match": r"pending", "stdout": "NONE\n"}])
    with pytest.raises(CommitConfirmException):
        d.confirm_commit()


def test_discard_config() -> None:
    d, _ = make_driver([{"match": VALIDATE, "rc": 0}])
    d.load_merge_candidate(config=FRAGMENT)
    d.discard_config()
    assert d.compare_config() == ""


def test_rollback() -> None:
    d, fake = make_driver([{"match": r"rollback.conf", "stdout": "ROLLBACK-RC 0\n"}])
    d.rollback()
    script = fake.calls[0][1] or ""
    assert 'frr-reload.py --reload --stdout "$S/rollback.conf"' in script
    assert "kill -TERM" in script  # a pending timer is cancelled first


def test_rollback_without_rollback_point() -> None:
    d, _ = make_driver([{"match": r"rollback.conf", "stdout": "NO-ROLLBACK\n"}])
    with pytest.raises(CommandErrorException, match="no rollback point"):
        d.rollback()


def test_use_sudo_wraps_commands() -> None:
    d, fake = make_driver([{"match": r"^sudo -n sh -c ", "stdout": "r1\n"}], use_sudo=True)
    d.cli(["show version"])
    assert fake.calls[0][0].startswith("sudo -n sh -c ")


def test_state_dir_option() -> None:
    d, fake = make_driver([{"match": r"pending", "stdout": "NONE\n"}], state_dir="/var/lib/netprov")
    d.has_pending_commit()
    assert "S=/var/lib/netprov" in (fake.calls[0][1] or "")


def test_commit_message_is_one_safe_line() -> None:
    d, fake = make_driver(
        [{"match": VALIDATE, "rc": 0}, {"match": r"APPLY-RC", "stdout": "APPLY-RC 0\n"}, OK]
    )
    d.load_merge_candidate(config=FRAGMENT)
    d.commit_config(message="a\nb'; rm -rf / #")
    tail = fake.calls[2][1] or ""
    assert "a b'\"'\"'; rm -rf / #" in tail  # newline gone, quote escaped by shlex


def test_calls_need_open() -> None:
    d = FRRDriver("192.0.2.99", "netprov", None)
    with pytest.raises(ConnectionClosedException):
        d.get_facts()
    assert d.is_alive() == {"is_alive": False}


def test_repr_has_no_secret() -> None:
    d = FRRDriver("192.0.2.99", "netprov", "hunter2-secret")
    assert "hunter2" not in repr(d)


def test_cli_json() -> None:
    d, _ = make_driver([{"match": r"show version json", "stdout": '{"a": 1}'}])
    assert d.cli(["show version json"], encoding="json") == {"show version json": {"a": 1}}


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"format": "json"}, "text only"),
        ({"full": True}, "defaults"),
    ],
)
def test_get_config_refuses_what_frr_cannot_show(kwargs: dict[str, Any], match: str) -> None:
    d, fake = make_driver([])
    with pytest.raises(NotImplementedError, match=match):
        d.get_config(**kwargs)
    assert fake.calls == []  # nothing was asked of the router


def test_get_config_rejects_an_unknown_retrieve() -> None:
    d, _ = make_driver([])
    with pytest.raises(ValueError, match="retrieve"):
        d.get_config(retrieve="everything")
