"""Pure parsers: FRR / iproute2 / iputils output -> NAPALM data structures."""

from __future__ import annotations

import json
import re
from typing import Any

RUNNING_START = re.compile(r"^frr version .*$", re.MULTILINE)
_SECRET_LINES = [
    (re.compile(r"^(\s*(?:enable )?password)\s+(?:\d\s+)?\S+", re.MULTILINE), r"\1 <removed>"),
    (re.compile(r"^(\s*neighbor \S+ password)\s+\S+", re.MULTILINE), r"\1 <removed>"),
    (re.compile(r"^(\s*key-string)\s+\S+", re.MULTILINE), r"\1 <removed>"),
    (re.compile(r"^(\s*ip ospf authentication-key)\s+\S+", re.MULTILINE), r"\1 <removed>"),
    (re.compile(r"^(\s*ip ospf message-digest-key \d+ md5)\s+\S+", re.MULTILINE), r"\1 <removed>"),
    (re.compile(r"^(\s*(?:ip rip )?authentication string)\s+\S+", re.MULTILINE), r"\1 <removed>"),
]


def strip_running(text: str) -> str:
    """``show running-config`` without vtysh's "Building configuration..." preamble."""
    m = RUNNING_START.search(text)
    out = text[m.start() :] if m else text
    return out if out.endswith("\n") else out + "\n"


def sanitize(config: str) -> str:
    """Replace passwords and keys in an FRR config by ``<removed>``."""
    for pattern, repl in _SECRET_LINES:
        config = pattern.sub(repl, config)
    return config


def reload_errors(output: str) -> list[str]:
    """Error lines of frr-reload.py's log (it exits 0 on some failures, so read its log)."""
    errors = []
    for line in output.splitlines():
        if " ERROR" in line or "CRITICAL" in line or line.startswith(("line ", "% ")):
            errors.append(re.sub(r"\x1b\[[0-9;]*m", "", line).strip())
    return errors


def reload_diff(output: str) -> str:
    """The "Lines To Delete" / "Lines To Add" part of ``frr-reload.py --test`` ("" if none)."""
    sections: dict[str, list[str]] = {"Lines To Delete": [], "Lines To Add": []}
    current: list[str] | None = None
    for line in output.splitlines():
        stripped = line.strip()
        if stripped in sections:
            current = sections[stripped]
            continue
        if current is None or re.fullmatch(r"=+", stripped) or not stripped:
            continue
        if re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line):  # a log line, not diff
            continue
        # frr-reload prints the context line before each of its lines: show it once
        if not line.startswith(" ") and _last_context(current) == line.rstrip():
            continue
        current.append(line.rstrip())
    parts = []
    for title, lines in sections.items():
        if lines:
            parts.append(f"{title}\n{'=' * len(title)}\n" + "\n".join(lines))
    return "\n\n".join(parts)


def _last_context(lines: list[str]) -> str:
    for line in reversed(lines):
        if not line.startswith(" "):
            return line
    return ""


def parse_uptime(text: str) -> int:
    """FRR uptimes ("00:05:53", "1d02h03m", "02w3d04h") -> seconds."""
    text = text.strip()
    m = re.fullmatch(r"(\d+):(\d+):(\d+)", text)
    if m:
        h, mi, s = (int(x) for x in m.groups())
        return h * 3600 + mi * 60 + s
    total = 0
    units = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
    for num, unit in re.findall(r"(\d+)([wdhms])", text):
        total += int(num) * units[unit]
    return total


def natural_key(name: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def parse_facts(
    hostname: str, uptime: str, version: str, links_json: str, serial: str = ""
) -> dict[str, Any]:
    first = version.strip().splitlines()[0] if version.strip() else ""
    m = re.match(r"FRRouting (\S+)", first)
    os_version = f"FRRouting {m.group(1)}" if m else first
    names = sorted((link["ifname"] for link in json.loads(links_json or "[]")), key=natural_key)
    host = hostname.strip()
    return {
        "hostname": host,
        "fqdn": host,
        "vendor": "FRRouting",
        "model": "FRRouting",
        "os_version": os_version,
        "serial_number": serial.strip(),  # the chassis serial (DMI) where the host has one
        "uptime": float(uptime.split()[0]) if uptime.strip() else -1.0,
        "interface_list": names,
    }


def parse_interfaces(links_json: str, frr_json: str) -> dict[str, dict[str, Any]]:
    """``ip -j link show`` + FRR ``show interface json`` -> NAPALM get_interfaces."""
    frr: dict[str, Any] = json.loads(frr_json) if frr_json.strip() else {}
    out: dict[str, dict[str, Any]] = {}
    for link in json.loads(links_json or "[]"):
        name = link["ifname"]
        flags = set(link.get("flags", []))
        info = frr.get(name, {})
        speed = info.get("speed")
        out[name] = {
            "is_up": "LOWER_UP" in flags or link.get("operstate") == "UP",
            "is_enabled": "UP" in flags,
            "description": str(info.get("description") or link.get("ifalias") or ""),
            "last_flapped": -1.0,
            "speed": (float(speed) if isinstance(speed, int | float) and 0 < speed < 4294967295 else -1.0),
            "mtu": int(link.get("mtu", info.get("mtu", 0)) or 0),
            "mac_address": str(link.get("address") or info.get("hardwareAddress") or "").upper(),
        }
    return dict(sorted(out.items(), key=lambda kv: natural_key(kv[0])))


def parse_interfaces_ip(addr_json: str) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
    """``ip -j addr show`` -> NAPALM get_interfaces_ip."""
    out: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
    for link in json.loads(addr_json or "[]"):
        for a in link.get("addr_info", []):
            fam = "ipv4" if a.get("family") == "inet" else "ipv6"
            out.setdefault(link["ifname"], {}).setdefault(fam, {})[a["local"]] = {
                "prefix_length": int(a["prefixlen"])
            }
    return dict(sorted(out.items(), key=lambda kv: natural_key(kv[0])))


_PROTOCOL_ALIASES = {"direct": "connected", "local": "connected"}


def parse_routes(route_json: str, protocol: str = "") -> dict[str, list[dict[str, Any]]]:
    """FRR ``show ip route ... json`` -> NAPALM get_route_to (one entry per next hop)."""
    data: dict[str, Any] = json.loads(route_json) if route_json.strip() else {}
    want = _PROTOCOL_ALIASES.get(protocol.lower(), protocol.lower())
    out: dict[str, list[dict[str, Any]]] = {}
    for prefix, routes in data.items():
        if not isinstance(routes, list):
            continue
        entries: list[dict[str, Any]] = []
        for r in routes:
            proto = str(r.get("protocol", ""))
            if want and proto != want:
                continue
            selected = bool(r.get("selected"))
            attrs: dict[str, Any] = {"metric": r.get("metric", 0)}
            for nh in r.get("nexthops", []) or [{}]:
                entries.append(
                    {
                        "protocol": proto,
                        "current_active": selected,
                        "last_active": selected,
                        "age": parse_uptime(str(r.get("uptime", ""))),
                        "next_hop": str(nh.get("ip", "")),
                        "outgoing_interface": str(nh.get("interfaceName", "")),
                        "selected_next_hop": bool(nh.get("fib")) or (selected and bool(nh.get("active"))),
                        "preference": int(r.get("distance", 0)),
                        "inactive_reason": "" if selected else "not selected",
                        "routing_table": str(r.get("vrfName", "default")),
                        "protocol_attributes": dict(attrs),
                    }
                )
        if entries:
            out[prefix] = entries
    return out


def parse_bgp_neighbors(neighbors_json: str) -> dict[str, dict[str, Any]]:
    """FRR ``show bgp vrf all neighbors json`` -> NAPALM get_bgp_neighbors."""
    data: dict[str, Any] = json.loads(neighbors_json) if neighbors_json.strip() else {}
    out: dict[str, dict[str, Any]] = {}
    for vrf, peers in data.items():
        if not isinstance(peers, dict):
            continue
        name = "global" if vrf == "default" else vrf
        entry: dict[str, Any] = {"router_id": "", "peers": {}}
        for addr, p in peers.items():
            if not isinstance(p, dict) or "remoteAs" not in p:
                continue
            entry["router_id"] = entry["router_id"] or str(p.get("localRouterId", ""))
            afs: dict[str, dict[str, int]] = {}
            for af_name, af in (p.get("addressFamilyInfo") or {}).items():
                fam = "ipv6" if af_name.startswith("ipv6") else "ipv4"
                accepted = int(af.get("acceptedPrefixCounter", 0))
                afs[fam] = {
                    "received_prefixes": accepted,
                    "accepted_prefixes": accepted,
                    "sent_prefixes": int(af.get("sentPrefixCounter", 0)),
                }
            state = str(p.get("bgpState", ""))
            up = state == "Established"
            entry["peers"][addr] = {
                "local_as": int(p.get("localAs", 0)),
                "remote_as": int(p.get("remoteAs", 0)),
                "remote_id": str(p.get("remoteRouterId", "")),
                "is_up": up,
                "is_enabled": not p.get("adminShutDown", False),
                "description": str(p.get("nbrDesc", "")),
                "uptime": float(int(p.get("bgpTimerUpMsec", 0)) // 1000) if up else -1.0,
                "address_family": afs,
            }
        out[name] = entry
    out.setdefault("global", {"router_id": "", "peers": {}})
    return out


_PING_REPLY = re.compile(r"bytes from ([^\s:]+).*?time[=<]([\d.]+) ms")
_PING_STATS = re.compile(r"(\d+) packets transmitted, (\d+) (?:packets )?received")
_PING_RTT = re.compile(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms")


def parse_ping(output: str, rc: int) -> dict[str, Any]:
    """iputils ``ping`` output -> NAPALM's ping dict (``success`` or ``error``)."""
    stats = _PING_STATS.search(output)
    if stats is None:
        message = output.strip().splitlines()[-1] if output.strip() else f"ping failed (rc={rc})"
        return {"error": message}
    sent, received = int(stats.group(1)), int(stats.group(2))
    results = [{"ip_address": m.group(1), "rtt": float(m.group(2))} for m in _PING_REPLY.finditer(output)]
    rtt = _PING_RTT.search(output)
    mn, avg, mx, dev = (float(x) for x in rtt.groups()) if rtt else (0.0, 0.0, 0.0, 0.0)
    return {
        "success": {
            "probes_sent": sent,
            "packet_loss": sent - received,
            "rtt_min": mn,
            "rtt_max": mx,
            "rtt_avg": avg,
            "rtt_stddev": dev,
            "results": results,
        }
    }
