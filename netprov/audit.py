"""``netprov audit``: for each request, every record the SOP requires, present or missing.

The SOP warns that incomplete recording breaks supervision; this proves the trail is whole:
the step events (actor, role, time, an intact hash chain), the papers with matching hashes, the
NetBox objects tagged and journaled, the config diffs and verification evidence, and the
monitoring registration with its last probe.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from netprov.domain.assignment import assignment_violations
from netprov.domain.sop import Action, State
from netprov.sop.record import RequestRecord
from netprov.store.db import verify_chain

REQUIRED_STEPS_DONE = [
    1,
    2,
    3,
    4,
    6,
    6,
    7,
    8,
    9,
    10,
    11,
]  # accepted: no step 5; step 6 twice (form out, form in)
REQUIRED_STEPS_REJECTED = [1, 2, 3, 4, 5, 11]  # step 5: reject; its sign-reply is its own item


class TaggedObjects(Protocol):
    def tagged_objects(self, request_id: str) -> list[dict[str, object]]: ...


class Monitors(Protocol):
    def find_and_probe(self, request_id: str) -> list[dict[str, Any]]:
        """One dict per backend: backend, registered (bool), up (bool|None), detail."""
        ...


@dataclass(frozen=True)
class Item:
    record: str
    ok: bool
    detail: str = ""


@dataclass
class AuditReport:
    request_id: str
    state: str
    items: list[Item] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(i.ok for i in self.items)

    @property
    def missing(self) -> list[Item]:
        return [i for i in self.items if not i.ok]

    def to_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "state": self.state,
            "complete": self.ok,
            "items": [i.__dict__ for i in self.items],
            "missing": [i.record for i in self.missing],
        }


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def audit_events(record: RequestRecord) -> list[Item]:
    items: list[Item] = []
    transitions = [e for e in record.events if e.action not in _ANNOTATIONS]
    if record.state is State.DONE:
        required = sorted(REQUIRED_STEPS_DONE)
    elif record.state is State.CLOSED:
        required = REQUIRED_STEPS_REJECTED
    else:
        required = sorted({e.step for e in transitions})
    for step in sorted(set(required)):
        want = required.count(step)
        have = [e for e in transitions if e.step == step]
        complete = [e for e in have if e.actor and e.role and e.at]
        ok = len(complete) >= want
        who = ", ".join(f"{e.action} by {e.actor} ({e.role}) at {e.at:%Y-%m-%d %H:%M}Z" for e in have)
        items.append(Item(f"step {step} event", ok, who or "no event recorded"))
    items += audit_assignment(record)
    chain = verify_chain(record.request, record.events)
    items.append(
        Item("event hash chain", not chain, "; ".join(chain) or f"{len(record.events)} events intact")
    )
    return items


_ANNOTATIONS = {
    "provision-failed",
    "provision-resumed",
    "monitor",
    "drift",
    "decommissioned",
    "bandwidth-changed",
    "mail",
}


def _live_link(record: RequestRecord) -> tuple[str, bool]:
    """Whose NetBox objects and monitoring entries the audit looks at, and whether they must
    exist: a new link's own (gone once decommissioned); a change's, those of the link it
    changed (a decommission: gone; a bandwidth change: there)."""
    from netprov.sop.changes import changed_link, decommissioned_by, kind_of

    of = changed_link(record)
    if of is not None:
        return of, kind_of(record) != "decommission"
    return record.id, decommissioned_by(record) is None


def _gone(record: RequestRecord, what: str, found: list[str]) -> Item:
    link, _ = _live_link(record)
    detail = f"{link}: none left" if not found else f"{link} still has: " + ", ".join(found)[:300]
    return Item(f"{what} released (decommissioned)", not found, detail)


def audit_mail(record: RequestRecord) -> list[Item]:
    """The mails sent about the request (``mail`` events): counted, never required."""
    sent = [e for e in record.events if e.action == "mail"]
    if not sent:
        return []
    kinds: dict[str, int] = {}
    for e in sent:
        kind = str((e.outputs.get("mail") or {}).get("kind", "?"))
        kinds[kind] = kinds.get(kind, 0) + 1
    detail = f"{len(sent)} sent (" + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) + ")"
    return [Item("mails sent", True, detail)]


def audit_assignment(record: RequestRecord) -> list[Item]:
    """Steps 4-8 done by the staff assigned at the time; a rejection's reply letter signed."""
    items = []
    if any(e.action in {"assign", "reassign"} for e in record.events):
        wrong = assignment_violations(record.events)
        detail = "; ".join(wrong) if wrong else f"steps 4-8 by the assigned staff ({record.assigned_to})"
        items.append(Item("steps 4-8 by the assigned staff", not wrong, detail))
    if record.state is State.CLOSED:
        signed = record.event_for(Action.SIGN_REPLY)
        who = f"signed by {signed.actor} ({signed.role})" if signed else "closed without the kadis signing it"
        items.append(Item("reply letter signed by the head of agency", signed is not None, who))
    return items


REQUIRED_PAPERS = {
    State.DONE: ["laporan-pemeriksaan", "formulir-kelengkapan", "berita-acara"],
    State.CLOSED: ["laporan-pemeriksaan", "surat-balasan"],
}


def audit_documents(record: RequestRecord) -> list[Item]:
    items: list[Item] = []
    docs = record.documents
    for kind in REQUIRED_PAPERS.get(record.state, []):
        found = [d for d in docs if d.get("kind") == kind]
        if not found:
            items.append(Item(f"document {kind}", False, "not produced"))
            continue
        latest = found[-1]
        problems = []
        for fmt, f in (latest.get("files") or {}).items():
            actual = _sha256(Path(f["path"]))
            if actual is None:
                problems.append(f"{fmt} file missing ({f['path']})")
            elif actual != f["sha256"]:
                problems.append(f"{fmt} file changed since it was recorded (hash mismatch)")
        detail = (
            "; ".join(problems) or f"v{latest.get('version')} {latest.get('letter_number', '')}, hashes match"
        )
        items.append(Item(f"document {kind}", not problems, detail))
    return items


def audit_provisioning(record: RequestRecord) -> list[Item]:
    ev = next((e for e in reversed(record.events) if e.action == "provision"), None)
    if record.state not in {State.PROVISIONED, State.REPORTED, State.FORWARDED, State.REVIEWED, State.DONE}:
        return []
    if ev is None:
        return [Item("step 7 evidence", False, "no provision event")]
    out = ev.outputs
    if out.get("mode") == "manual":
        evid = out.get("evidence") or {}
        actual = _sha256(Path(str(evid.get("file", ""))))
        ok = actual is not None and actual == evid.get("sha256")
        return [
            Item(
                "step 7 evidence (manual)",
                ok,
                f"{evid.get('name')} sha256 {'matches' if ok else 'MISSING or changed'}",
            )
        ]
    devices = out.get("devices") or []
    changed = [d for d in devices if str(d.get("diff", "")).strip()]
    checks = out.get("verification") or []
    return [
        Item(
            "config diffs",
            bool(changed),
            f"{len(changed)} of {len(devices)} devices changed" if devices else "no device diffs recorded",
        ),
        Item(
            "verification evidence",
            bool(checks) and all(c.get("ok") for c in checks),
            f"{sum(1 for c in checks if c.get('ok'))}/{len(checks)} checks passed"
            if checks
            else "no verification recorded",
        ),
        Item(
            "allocation recorded",
            bool(out.get("allocation")),
            str((out.get("allocation") or {}).get("lan_prefix", "none")),
        ),
    ]


def audit_netbox(record: RequestRecord, netbox: TaggedObjects | None) -> list[Item]:
    if not _pipeline_provisioned(record):
        return []
    if netbox is None:
        return [Item("NetBox objects", False, "NetBox is not configured: cannot prove the allocation")]
    link, present = _live_link(record)
    objs = netbox.tagged_objects(link)
    if not present:
        return [_gone(record, "NetBox objects", [f"{o['kind']} {o['display']}" for o in objs])]
    if not objs:
        return [Item("NetBox objects tagged with the request", False, "none found")]
    unjournaled = [f"{o['kind']} {o['display']}" for o in objs if not o.get("journaled")]
    kinds = sorted({str(o["kind"]) for o in objs})
    return [
        Item("NetBox objects tagged with the request", True, f"{len(objs)} objects: {', '.join(kinds)}"),
        Item(
            "NetBox journal entries",
            not unjournaled,
            "every object journaled" if not unjournaled else "not journaled: " + ", ".join(unjournaled),
        ),
    ]


def audit_monitoring(record: RequestRecord, monitors: Monitors | None) -> list[Item]:
    if not _pipeline_provisioned(record):
        return []
    ev = next(e for e in reversed(record.events) if e.action == "provision")
    recorded = ev.outputs.get("monitoring") or []
    items = [
        Item(
            "monitoring registration recorded",
            bool(recorded),
            ", ".join(f"{m.get('backend')}: {m.get('status')}" for m in recorded) or "none",
        )
    ]
    if monitors is None:
        items.append(Item("monitoring registration live", False, "no monitoring backend configured"))
        return items
    link, present = _live_link(record)
    probes = monitors.find_and_probe(link)
    if not present:
        return [
            *items,
            _gone(record, "monitoring entries", [p["backend"] for p in probes if p["registered"]]),
        ]
    for probe in probes:
        items.append(
            Item(
                f"{probe['backend']} registration and last probe",
                bool(probe["registered"]) and probe["up"] is True,
                str(probe["detail"]),
            )
        )
    return items


def _pipeline_provisioned(record: RequestRecord) -> bool:
    ev = next((e for e in reversed(record.events) if e.action == "provision"), None)
    return ev is not None and ev.outputs.get("mode") == "pipeline"


def audit_record(
    record: RequestRecord, netbox: TaggedObjects | None, monitors: Monitors | None
) -> AuditReport:
    report = AuditReport(record.id, record.state.value)
    report.items += audit_events(record)
    report.items += audit_documents(record)
    report.items += audit_provisioning(record)
    report.items += audit_netbox(record, netbox)
    report.items += audit_monitoring(record, monitors)
    report.items += audit_mail(record)
    return report


class LiveMonitors:
    """The configured monitoring backends, asked for the registration and the last probe."""

    def __init__(self, backends: list[Any]) -> None:
        self.backends = backends

    def find_and_probe(self, request_id: str) -> list[dict[str, Any]]:
        out = []
        for b in self.backends:
            reg = b.find(request_id)
            if reg is None:
                out.append({"backend": b.name, "registered": False, "up": None, "detail": "not registered"})
                continue
            st = b.status(request_id, 30.0, True)
            out.append(
                {
                    "backend": b.name,
                    "registered": True,
                    "up": st.up,
                    "detail": f"last probe {'up' if st.up else 'down' if st.up is False else 'none'}"
                    + (f" at {st.last_checked:%Y-%m-%d %H:%M:%S}Z" if st.last_checked else ""),
                }
            )
        return out
