"""Pure parsers of napalm_frr (edge cases the recorded cases do not cover)."""

from __future__ import annotations

from napalm_frr import parsers


def test_parse_uptime_forms() -> None:
    assert parsers.parse_uptime("00:05:53") == 353
    assert parsers.parse_uptime("1d02h03m") == 86400 + 7200 + 180
    assert parsers.parse_uptime("02w3d04h") == 2 * 604800 + 3 * 86400 + 4 * 3600
    assert parsers.parse_uptime("") == 0


def test_strip_running_removes_preamble() -> None:
    text = "Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.4.4\nend"
    assert parsers.strip_running(text) == "frr version 8.4.4\nend\n"


def test_sanitize_masks_secrets() -> None:
    cfg = (
        "password zebra\nenable password 8 abc\nrouter bgp 1\n neighbor 1.1.1.1 password s3\n"
        "interface eth1\n ip ospf message-digest-key 1 md5 k3y\n"
    )
    out = parsers.sanitize(cfg)
    for secret in ("zebra", "abc", "s3\n", "k3y"):
        assert secret not in out
    assert out.count("<removed>") == 4


def test_parse_ping_error_without_statistics() -> None:
    assert parsers.parse_ping("ping: unknown host foo\n", 2) == {"error": "ping: unknown host foo"}


def test_parse_ping_partial_loss() -> None:
    out = (
        "PING 10.0.0.1 (10.0.0.1) 100(128) bytes of data.\n"
        "108 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=0.100 ms\n\n"
        "--- 10.0.0.1 ping statistics ---\n"
        "3 packets transmitted, 1 received, 66.6667% packet loss, time 2003ms\n"
        "rtt min/avg/max/mdev = 0.100/0.100/0.100/0.000 ms\n"
    )
    res = parsers.parse_ping(out, 1)["success"]
    assert res["probes_sent"] == 3 and res["packet_loss"] == 2
    assert res["results"] == [{"ip_address": "10.0.0.1", "rtt": 0.1}]


def test_reload_errors_strip_colour() -> None:
    out = "2026-11-29 14:49:00,636 \x1b[91m  ERROR\x1b[0m: vtysh failed\nINFO: fine\n"
    assert parsers.reload_errors(out) == ["2026-11-29 14:49:00,636   ERROR: vtysh failed"]


def test_parse_routes_protocol_alias() -> None:
    data = (
        '{"10.0.0.0/30": [{"protocol": "connected", "selected": true, "distance": 0,'
        ' "uptime": "00:00:10", "nexthops": [{"interfaceName": "eth1", "fib": true,'
        ' "directlyConnected": true}]}]}'
    )
    routes = parsers.parse_routes(data, protocol="direct")
    assert routes["10.0.0.0/30"][0]["outgoing_interface"] == "eth1"
    assert parsers.parse_routes(data, protocol="bgp") == {}
