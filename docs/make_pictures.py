"""Draw the README's pictures: the SOP flow and the lab topology (Graphviz ``dot``).

Run: ``.venv/bin/python docs/make_pictures.py`` (needs Debian's graphviz). The topology is drawn
from ``inventory/topology.yaml``, the flow from ``netprov.domain.sop``, so they never drift.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from netprov.domain.sop import STEPS
from netprov.domain.topology import load_topology

HERE = Path(__file__).parent
REPO = HERE.parent


def sop_dot() -> str:
    who = {
        1: "OPD",
        2: "Kepala Dinas",
        3: "Kepala Bidang",
        4: "Staf DC",
        5: "Staf DC",
        6: "Staf DC",
        7: "Staf DC + netprov",
        8: "Staf DC",
        9: "Kepala Bidang",
        10: "Kepala Dinas",
        11: "",
    }
    cmd = {
        1: "request submit",
        2: "request dispose",
        3: "request assign",
        4: "request check",
        5: "request reject",
        6: "request accept / form",
        7: "provision",
        8: "request report",
        9: "request forward",
        10: "request review",
        11: "",
    }
    lines = [
        "digraph sop {",
        "rankdir=TB; nodesep=0.4; ranksep=0.3;",
        'node [shape=box, style="rounded,filled", fillcolor="#eef4fb", fontname="DejaVu Sans", fontsize=10];',
        'edge [fontname="DejaVu Sans", fontsize=9];',
    ]
    for n, step in STEPS.items():
        label = f"{n}. {step.title_id}" + (f"\\n[{who[n]}]" if who[n] else "")
        label += f"\\nnetprov {cmd[n]}" if cmd[n] else ""
        label += f"\\n→ {step.output}"
        color = {4: "#fff4d6", 5: "#fde2e2", 7: "#e2f5e6", 11: "#dddddd"}.get(n, "#eef4fb")
        shape = "diamond" if n == 4 else "box"
        lines.append(f's{n} [label="{label}", fillcolor="{color}", shape={shape}];')
    for a, b, lbl in [
        (1, 2, ""),
        (2, 3, ""),
        (3, 4, ""),
        (4, 5, "ditolak"),
        (4, 6, "diterima"),
        (5, 11, ""),
        (6, 7, ""),
        (7, 8, ""),
        (8, 9, ""),
        (9, 10, ""),
        (10, 11, "disetujui"),
        (10, 8, "dikembalikan"),
    ]:
        lines.append(f's{a} -> s{b} [label="{lbl}"];')
    lines.append(
        'sla [shape=note, fillcolor="#ffffff", label="Setiap langkah: 1 hari kerja\\n'
        '(Sabtu, Minggu, libur nasional dan cuti bersama tidak dihitung)"];'
    )
    lines.append("}")
    return "\n".join(lines)


def topology_dot() -> str:
    topo = load_topology(REPO / "inventory" / "topology.yaml")
    colors = {
        "core": "#cfe2ff",
        "distribution": "#d1e7dd",
        "cpe": "#fff3cd",
        "provider": "#f8d7da",
        "access": "#e2e3e5",
    }
    lines = [
        "graph lab {",
        "layout=dot; rankdir=TB; nodesep=0.3; ranksep=0.6;",
        'node [shape=box, style="rounded,filled", fontname="DejaVu Sans", fontsize=10];',
        'edge [fontname="DejaVu Sans", fontsize=8];',
    ]
    for d in topo.devices:
        extra = f"\\n{d.loopback}" if d.loopback else ""
        label = f"{d.name}\\n{d.platform} · {d.role}\\nssh 127.0.0.1:{d.ssh_port}{extra}"
        lines.append(f'"{d.name}" [label="{label}", fillcolor="{colors[d.role]}"];')
    lines.append(
        '"netprov-mon" [label="netprov-mon (netns)\\nZabbix fping · blackbox\\n10.253.0.2/30", '
        'shape=component, fillcolor="#ffffff"];'
    )
    for link in topo.backbone_links:
        lbl = f"{link.a.interface} {link.a.address} — {link.b.interface} {link.b.address}"
        kind = " eBGP" if link.ebgp else " OSPF"
        lines.append(f'"{link.a.device}" -- "{link.b.device}" [label="{lbl}{kind}", penwidth=2];')
    for c in topo.cpe_links:
        lines.append(
            f'"{c.dist.device}" -- "{c.cpe.device}" '
            f'[label="{c.dist.interface} — {c.cpe.interface}\\n(kabel siap, '
            f'belum dikonfigurasi)", style=dashed];'
        )
    for a in topo.access_links:
        lines.append(
            f'"{a.cpe.device}" -- "{a.switch.device}" '
            f'[label="{a.cpe.interface} — {a.switch.interface}", style=dotted];'
        )
    lines.append(
        f'"{topo.probe.core.device}" -- "netprov-mon" [label="{topo.probe.core.interface}", style=dotted];'
    )
    lines.append("}")
    return "\n".join(lines)


def render(dot: str, out: Path) -> None:
    subprocess.run(["dot", "-Tpng", "-Gdpi=110", "-o", str(out)], input=dot.encode(), check=True)


if __name__ == "__main__":
    (HERE / "images").mkdir(exist_ok=True)
    render(sop_dot(), HERE / "images" / "sop-flow.png")
    render(topology_dot(), HERE / "images" / "lab-topology.png")
    print("wrote docs/images/sop-flow.png and docs/images/lab-topology.png")
